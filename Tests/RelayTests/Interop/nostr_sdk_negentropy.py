#!/usr/bin/env python3
"""Dry-run NIP-77 negentropy sync of a local event set against a relay, with the nostr-sdk Client.

Usage:
    python nostr_sdk_negentropy.py --relay ws://127.0.0.1:PORT --local-events FILE
                                   [--filter '<NIP-01 filter JSON>'] [--direction down|up|both]
                                   [--timeout 10]

FILE holds signed NIP-01 events, one JSON object per line; they become the
client's local database. The client then runs Client.sync(filter) in dry-run
mode (reconciliation only, no events are transferred).

nostr-sdk 0.45's default client database ("in-memory-events-tracker") only
tracks ids and contributes no negentropy items, so the client is built with a
small in-memory NostrDatabase implemented here (ClientBuilder.database).

stdout, one JSON line on success:
    {"local": [ids the client has that the relay lacks],
     "remote": [ids the relay has that the client lacks],
     "relay": url, "direction": "down", "filter": {...}, "local_events": N}
Ids are sorted lowercase hex. "local"/"remote" are ClientSyncSummary.local and
the keys of ClientSyncSummary.remote. The direction is passed to SyncOptions;
in dry-run mode it does not change the two sets.

On failure (including a relay NEG-ERR such as "rate-limited: too many
negentropy items", or no negentropy support): {"error": "...", "relay_error":
str|null} on stdout, details on stderr, exit status 1 (3 if the overall
deadline expired).
"""

import argparse
import asyncio
import json
import logging
import os
import sys
import threading
from datetime import timedelta
from urllib.parse import urlparse

from nostr_sdk import (
    ClientBuilder,
    DatabaseEventStatus,
    Event,
    Filter,
    NostrDatabase,
    NostrDatabaseFeatures,
    RejectedReason,
    RelayUrl,
    SaveEventStatus,
    SyncDirection,
    SyncOptions,
    uniffi_set_event_loop,
)

PROG = "nostr_sdk_negentropy"
log = logging.getLogger(PROG)
LOOPBACK = ("127.0.0.1", "localhost", "::1")
DIRECTIONS = {"down": SyncDirection.DOWN, "up": SyncDirection.UP, "both": SyncDirection.BOTH}


class Failure(Exception):
    """A failure that ends the script with a message and a non-zero status."""

    def __init__(self, message, relay_error=None):
        super().__init__(message)
        self.relay_error = relay_error


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def fail(message, code=1, relay_error=None):
    log.error("%s", message)
    emit({"error": message, "relay_error": relay_error})
    sys.stderr.flush()
    os._exit(code)


def start_deadline(seconds):
    timer = threading.Timer(seconds, lambda: fail(f"overall deadline of {seconds}s exceeded", code=3))
    timer.daemon = True
    timer.start()


async def waited(awaitable, timeout, what):
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except asyncio.TimeoutError as exc:
        raise Failure(f"timed out after {timeout}s waiting for {what}") from exc


def url_key(url):
    return str(url).rstrip("/")


def describe(failed):
    """Render a {RelayUrl: message} map readably."""
    return "; ".join(f"{url_key(u)}: {m}" for u, m in failed.items()) or "(no details)"


class MemoryDatabase(NostrDatabase):
    """Minimal in-memory event store for the nostr-sdk Client (NIP-01 semantics).

    Rust calls these methods from its own threads; uniffi_set_event_loop must
    point at the running asyncio loop.
    """

    def __init__(self):
        self.events = {}  # id hex -> Event
        self.deleted = set()

    def backend(self):
        return "interop-python-memory"

    def features(self):
        return NostrDatabaseFeatures(persistent=False, event_expiration=False,
                                     full_text_search=False, request_to_vanish=False)

    @staticmethod
    def _slot(event):
        kind = event.kind()
        if kind.is_replaceable():
            return (kind.as_u16(), event.author().to_hex(), None)
        if kind.is_addressable():
            d = ""
            for tag in event.tags():
                v = tag.to_vec()
                if len(v) >= 2 and v[0] == "d":
                    d = v[1]
                    break
            return (kind.as_u16(), event.author().to_hex(), d)
        return None

    def add(self, event):
        """Insert with replaceable/addressable handling; return SaveEventStatus."""
        event_id = event.id().to_hex()
        if event_id in self.events:
            return SaveEventStatus.rejected(RejectedReason.DUPLICATE)
        if event.kind().is_ephemeral():
            return SaveEventStatus.rejected(RejectedReason.EPHEMERAL)
        slot = self._slot(event)
        if slot is not None:
            for other_id, other in list(self.events.items()):
                if self._slot(other) != slot:
                    continue
                newer = (other.created_at().as_secs(), other_id) > (event.created_at().as_secs(), event_id)
                if newer:
                    return SaveEventStatus.rejected(RejectedReason.REPLACED)
                del self.events[other_id]
        self.events[event_id] = event
        return SaveEventStatus.success()

    def matching(self, filt):
        record = json.loads(filt.as_json())
        out = [e for e in self.events.values() if filt.match_event(e)]
        out.sort(key=lambda e: (-e.created_at().as_secs(), e.id().to_hex()))
        limit = record.get("limit")
        if isinstance(limit, int):
            out = out[:limit]
        return out

    async def save_event(self, event):
        return self.add(event)

    async def check_id(self, event_id):
        h = event_id.to_hex()
        if h in self.events:
            return DatabaseEventStatus.SAVED
        if h in self.deleted:
            return DatabaseEventStatus.DELETED
        return DatabaseEventStatus.NOT_EXISTENT

    async def event_by_id(self, event_id):
        return self.events.get(event_id.to_hex())

    async def count(self, filt):
        return len(self.matching(filt))

    async def query(self, filt):
        return self.matching(filt)

    async def delete_events(self, filt):
        for e in self.matching(filt):
            h = e.id().to_hex()
            self.events.pop(h, None)
            self.deleted.add(h)

    async def wipe(self):
        self.events.clear()
        self.deleted.clear()


def load_events(path, db, verify):
    count = 0
    with open(path, "r", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                event = Event.from_json(line)
            except Exception as exc:  # noqa: BLE001
                raise Failure(f"{path}:{lineno}: not a valid NIP-01 event: {exc}") from exc
            if verify and not event.verify():
                raise Failure(f"{path}:{lineno}: event {event.id().to_hex()} has a bad id or signature")
            status = db.add(event)
            if not status.is_success():
                log.warning("%s:%d: event %s not stored (%s)", path, lineno, event.id().to_hex(),
                            status.rejection_reason())
            count += 1
    return count


async def main(args):
    uniffi_set_event_loop(asyncio.get_running_loop())
    relay_url = url_key(args.relay)
    relay = RelayUrl.parse(args.relay)

    db = MemoryDatabase()
    n = load_events(args.local_events, db, args.verify)
    log.info("client holds %d events (%d lines read)", len(db.events), n)

    client = ClientBuilder().database(db).build()
    try:
        await waited(client.add_relay(relay), args.timeout, "add_relay")
        out = await waited(client.try_connect(timedelta(seconds=args.timeout)), args.timeout + 2, "connect")
        if not any(url_key(u) == relay_url for u in out.success):
            raise Failure(f"cannot connect to {relay_url}: {describe(out.failed)}")

        opts = (
            SyncOptions()
            .dry_run()
            .direction(DIRECTIONS[args.direction])
            .initial_timeout(timedelta(seconds=args.timeout))
        )
        result = await waited(client.sync(args.filter_obj, _with=[relay], opts=opts), args.timeout * 3, "negentropy sync")
        failed = {url_key(u): msg for u, msg in result.failed.items()}
        if relay_url in failed:
            raise Failure(f"negentropy sync with {relay_url} failed: {failed[relay_url]}", relay_error=failed[relay_url])
        if not any(url_key(u) == relay_url for u in result.success):
            raise Failure(f"negentropy sync did not report {relay_url}: {describe(result.failed)}")

        report = result.report
        local = sorted(i.to_hex() for i in report.local)
        remote = sorted(i.to_hex() for i in report.remote.keys())
        log.info("sync done: local-only=%d remote-only=%d", len(local), len(remote))
        emit({
            "local": local,
            "remote": remote,
            "relay": relay_url,
            "direction": args.direction,
            "filter": json.loads(args.filter_obj.as_json()),
            "local_events": len(db.events),
        })
    finally:
        try:
            await asyncio.wait_for(client.shutdown(), args.timeout)
        except Exception as exc:  # noqa: BLE001
            log.warning("client shutdown: %r", exc)


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description="Dry-run NIP-77 sync with the nostr-sdk Client.")
    p.add_argument("--relay", required=True, help="relay WebSocket URL, ws://127.0.0.1:PORT")
    p.add_argument("--local-events", required=True, help="JSON-lines file of signed events the client holds")
    p.add_argument("--filter", default="{}", help="NIP-01 filter JSON for the sync (default {})")
    p.add_argument("--direction", choices=sorted(DIRECTIONS), default="down", help="SyncDirection (default down)")
    p.add_argument("--no-verify", dest="verify", action="store_false", help="do not verify local events' signatures")
    p.add_argument("--timeout", type=float, default=10.0, help="timeout in seconds for every network wait (default 10)")
    p.add_argument("--deadline", type=float, default=120.0, help="hard limit in seconds for the whole run (default 120)")
    args = p.parse_args(argv)
    parsed = urlparse(args.relay)
    if parsed.scheme != "ws" or parsed.hostname not in LOOPBACK or not parsed.port:
        p.error("--relay must be ws://127.0.0.1:PORT (loopback only)")
    try:
        if not isinstance(json.loads(args.filter), dict):
            raise ValueError("not a JSON object")
        args.filter_obj = Filter.from_json(args.filter)
    except Exception as exc:  # noqa: BLE001
        p.error(f"--filter is not a NIP-01 filter: {exc}")
    return args


if __name__ == "__main__":
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format=f"[{PROG}] %(levelname)s %(message)s")
    arguments = parse_args(sys.argv[1:])
    start_deadline(arguments.deadline)
    try:
        asyncio.run(main(arguments))
    except Failure as err:
        fail(str(err), relay_error=err.relay_error)
    except Exception as err:  # noqa: BLE001
        log.exception("unexpected error")
        fail(f"unexpected error: {err!r}")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
