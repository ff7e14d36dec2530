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
    point at the running asyncio loop. Per-event metadata is cached in Python
    because every call on an Event crosses the FFI boundary.
    """

    def __init__(self):
        self.events = {}  # id hex -> (Event, created_at, slot)
        self.slots = {}  # replaceable/addressable slot -> id hex
        self.deleted = set()

    def backend(self):
        return "interop-python-memory"

    def features(self):
        return NostrDatabaseFeatures(persistent=False, event_expiration=False,
                                     full_text_search=False, request_to_vanish=False)

    @staticmethod
    def describe(raw):
        """(id, created_at, slot, ephemeral) from an event's NIP-01 JSON object."""
        kind = raw["kind"]
        slot = None
        if kind in (0, 3) or 10000 <= kind < 20000:
            slot = (kind, raw["pubkey"], None)
        elif 30000 <= kind < 40000:
            d = next((t[1] for t in raw["tags"] if len(t) >= 2 and t[0] == "d"), "")
            slot = (kind, raw["pubkey"], d)
        return raw["id"], raw["created_at"], slot, 20000 <= kind < 30000

    def add(self, event, raw=None):
        """Insert with duplicate/ephemeral/replaceable handling; return SaveEventStatus."""
        if raw is None:
            raw = json.loads(event.as_json())
        event_id, created_at, slot, ephemeral = self.describe(raw)
        if event_id in self.events:
            return SaveEventStatus.rejected(RejectedReason.DUPLICATE)
        if ephemeral:
            return SaveEventStatus.rejected(RejectedReason.EPHEMERAL)
        if slot is not None and slot in self.slots:
            other_id = self.slots[slot]
            other_created = self.events[other_id][1]
            # NIP-01: the newest wins; on equal created_at the lowest id wins.
            if (-other_created, other_id) < (-created_at, event_id):
                return SaveEventStatus.rejected(RejectedReason.REPLACED)
            del self.events[other_id]
        if slot is not None:
            self.slots[slot] = event_id
        self.events[event_id] = (event, created_at, slot)
        return SaveEventStatus.success()

    def remove(self, event_id):
        entry = self.events.pop(event_id, None)
        if entry is not None and entry[2] is not None and self.slots.get(entry[2]) == event_id:
            del self.slots[entry[2]]
        self.deleted.add(event_id)

    def matching(self, filt):
        record = json.loads(filt.as_json())
        match_all = not any(k for k in record if k != "limit")
        hits = [
            (created_at, event_id, event)
            for event_id, (event, created_at, _slot) in self.events.items()
            if match_all or filt.match_event(event)
        ]
        hits.sort(key=lambda h: (-h[0], h[1]))
        limit = record.get("limit")
        if isinstance(limit, int):
            hits = hits[:limit]
        return [h[2] for h in hits]

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
        entry = self.events.get(event_id.to_hex())
        return entry[0] if entry else None

    async def count(self, filt):
        return len(self.matching(filt))

    async def query(self, filt):
        return self.matching(filt)

    async def delete_events(self, filt):
        for event in self.matching(filt):
            self.remove(event.id().to_hex())

    async def wipe(self):
        self.events.clear()
        self.slots.clear()
        self.deleted.clear()


def load_events(path, db, verify):
    count = 0
    with open(path, "r", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                raw = json.loads(line)
                event = Event.from_json(line)
            except Exception as exc:  # noqa: BLE001
                raise Failure(f"{path}:{lineno}: not a valid NIP-01 event: {exc}") from exc
            if verify and not event.verify():
                raise Failure(f"{path}:{lineno}: event {raw.get('id')} has a bad id or signature")
            status = db.add(event, raw)
            if not status.is_success():
                log.warning("%s:%d: event %s not stored (%s)", path, lineno, raw.get("id"),
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
