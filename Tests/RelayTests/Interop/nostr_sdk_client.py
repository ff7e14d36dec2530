#!/usr/bin/env python3
"""Drive a relay with the nostr-sdk (rust-nostr) Client through a NIP-34 round trip.

Usage:
    python nostr_sdk_client.py --relay ws://127.0.0.1:PORT --service-url ws://relay.test
                               [--expect-refusal | --no-expect-refusal] [--timeout 10]

With fresh keys it publishes, in order and waiting for each OK:
  (a) kind 30617 repo announcement: d=<random>, name, relays=<service-url>
  (b) kind 1621 issue: a=30617:<pubkey>:<d>, p, subject
  (c) kind 1617 patch: a, t=root
  (d) kind 1111 comment on the issue: E, K=1621, P, e, k=1621, p
then reads them back with REQ (authors+kinds, and #a=<coordinate>, which
must return exactly the issue and the patch) and compares ids. Finally it
publishes (e) a kind 1 note referencing nothing; with --expect-refusal (the
default) the relay must answer OK false with a message starting "blocked:".

stdout, one JSON line on success:
    {"published": [a, b, c, d ids], "fetched": [ids from authors+kinds REQ],
     "fetched_by_a": [ids from #a REQ], "refused": {"id": e-id, "message": str|null,
     "accepted": bool}, "pubkey": hex, "coordinate": "30617:...", "relay": url}
On failure: {"error": "..."} on stdout, details on stderr, exit status 1
(3 if the overall deadline expired).
"""

import argparse
import asyncio
import json
import logging
import os
import secrets
import sys
import threading
from datetime import timedelta
from urllib.parse import urlparse

from nostr_sdk import (
    Client,
    Coordinate,
    EventBuilder,
    Filter,
    Keys,
    Kind,
    ReqTarget,
    RelayUrl,
    Tag,
)

PROG = "nostr_sdk_client"
log = logging.getLogger(PROG)
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class Failure(Exception):
    """A failure that ends the script with a message and a non-zero status."""


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def fail(message, code=1):
    log.error("%s", message)
    emit({"error": message})
    sys.stderr.flush()
    os._exit(code)


def start_deadline(seconds):
    """Hard stop: whatever happens inside the FFI, the process ends."""
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


async def send(client, relay_url, event, label, timeout):
    """Publish and return (accepted, message) from the relay's OK."""
    out = await waited(
        client.send_event(event, ok_timeout=timedelta(seconds=timeout)),
        timeout + 2,
        f"OK for {label}",
    )
    if out.id.to_hex() != event.id().to_hex():
        raise Failure(f"send_event for {label} reported id {out.id.to_hex()}, expected {event.id().to_hex()}")
    ok = [u for u in out.success if url_key(u) == relay_url]
    failed = {url_key(u): msg for u, msg in out.failed.items()}
    if ok:
        log.info("%s %s accepted", label, event.id().to_hex())
        return True, None
    if relay_url in failed:
        if failed[relay_url] == "timeout":  # nostr-sdk's report when no OK arrived in time
            raise Failure(f"no OK from {relay_url} for the {label} {event.id().to_hex()} within {timeout}s")
        log.info("%s %s refused: %s", label, event.id().to_hex(), failed[relay_url])
        return False, failed[relay_url]
    raise Failure(f"send_event for {label} did not report relay {relay_url}: {describe(out.failed)}")


async def fetch(client, relay, filt, what, timeout):
    events = await waited(
        client.fetch_events(ReqTarget.single(relay, [filt]), timeout=timedelta(seconds=timeout)),
        timeout + 2,
        what,
    )
    for ev in events:
        if not ev.verify():
            raise Failure(f"{what}: event {ev.id().to_hex()} from the relay does not verify")
    return events


async def main(args):
    relay_url = url_key(args.relay)
    relay = RelayUrl.parse(args.relay)
    keys = Keys.generate()
    pubkey = keys.public_key()
    pk = pubkey.to_hex()
    d = "interop-" + secrets.token_hex(6)
    coordinate = f"30617:{pk}:{d}"

    client = Client()
    try:
        await waited(client.add_relay(relay), args.timeout, "add_relay")
        out = await waited(client.try_connect(timedelta(seconds=args.timeout)), args.timeout + 2, "connect")
        if not any(url_key(u) == relay_url for u in out.success):
            raise Failure(f"cannot connect to {relay_url}: {describe(out.failed)}")
        log.info("connected to %s as %s", relay_url, pk)

        announcement = (
            EventBuilder(Kind(30617), "")
            .tags([
                Tag.parse(["d", d]),
                Tag.parse(["name", f"interop repo {d}"]),
                Tag.parse(["relays", args.service_url]),
            ])
            .finalize(keys)
        )
        issue = (
            EventBuilder(Kind(1621), "The build fails on Tuesdays.")
            .tags([
                Tag.parse(["a", coordinate]),
                Tag.parse(["p", pk]),
                Tag.parse(["subject", "Build fails on Tuesdays"]),
            ])
            .finalize(keys)
        )
        patch = (
            EventBuilder(
                Kind(1617),
                "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
                "From: Interop <interop@relay.test>\n"
                "Subject: [PATCH] fix tuesdays\n\n"
                "---\n README | 1 +\n 1 file changed, 1 insertion(+)\n",
            )
            .tags([
                Tag.parse(["a", coordinate]),
                Tag.parse(["t", "root"]),
            ])
            .finalize(keys)
        )
        issue_id = issue.id().to_hex()
        comment = (
            EventBuilder(Kind(1111), "Reproduced here too.")
            .tags([
                Tag.parse(["E", issue_id, "", pk]),
                Tag.parse(["K", "1621"]),
                Tag.parse(["P", pk]),
                Tag.parse(["e", issue_id, "", pk]),
                Tag.parse(["k", "1621"]),
                Tag.parse(["p", pk]),
            ])
            .finalize(keys)
        )
        published = []
        for label, ev in (("announcement", announcement), ("issue", issue), ("patch", patch), ("comment", comment)):
            accepted, message = await send(client, relay_url, ev, label, args.timeout)
            if not accepted:
                raise Failure(f"relay refused the {label} {ev.id().to_hex()}: {message!r}")
            published.append(ev.id().to_hex())

        by_author = await fetch(
            client,
            relay,
            Filter().author(pubkey).kinds([Kind(30617), Kind(1621), Kind(1617), Kind(1111)]),
            "REQ authors+kinds",
            args.timeout,
        )
        fetched_ids = [ev.id().to_hex() for ev in by_author]
        if sorted(fetched_ids) != sorted(published) or len(fetched_ids) != len(set(fetched_ids)):
            raise Failure(f"REQ authors+kinds returned {sorted(fetched_ids)}, expected {sorted(published)}")
        fetched = [i for i in published if i in set(fetched_ids)]

        by_a = await fetch(
            client,
            relay,
            Filter().coordinate(Coordinate(Kind(30617), pubkey, d)),
            "REQ #a",
            args.timeout,
        )
        fetched_by_a = [ev.id().to_hex() for ev in by_a]
        expected_a = [issue_id, patch.id().to_hex()]
        if sorted(fetched_by_a) != sorted(expected_a):
            raise Failure(f"REQ #a={coordinate} returned {sorted(fetched_by_a)}, expected {sorted(expected_a)}")
        fetched_by_a = [i for i in expected_a if i in set(fetched_by_a)]

        note = EventBuilder(Kind(1), "A note that references nothing.").finalize(keys)
        accepted, message = await send(client, relay_url, note, "unrelated note", args.timeout)
        refused = {"id": note.id().to_hex(), "message": message, "accepted": accepted}
        if args.expect_refusal:
            if accepted:
                raise Failure(f"relay accepted the unrelated kind 1 note {note.id().to_hex()}; expected a refusal")
            if not (message or "").startswith("blocked:"):
                raise Failure(f"relay refused the kind 1 note but the message does not start with 'blocked:': {message!r}")

        emit({
            "published": published,
            "fetched": fetched,
            "fetched_by_a": fetched_by_a,
            "refused": refused,
            "pubkey": pk,
            "coordinate": coordinate,
            "relay": relay_url,
        })
    finally:
        try:
            await asyncio.wait_for(client.shutdown(), args.timeout)
        except Exception as exc:  # noqa: BLE001
            log.warning("client shutdown: %r", exc)


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description="NIP-34 publish/read-back/refusal check with the nostr-sdk Client.")
    p.add_argument("--relay", required=True, help="relay WebSocket URL, ws://127.0.0.1:PORT")
    p.add_argument("--service-url", required=True, help="URL put in the announcement's relays tag, e.g. ws://relay.test")
    p.add_argument("--expect-refusal", action=argparse.BooleanOptionalAction, default=True,
                   help="require the relay to refuse the unrelated kind 1 note with 'blocked:' (default: yes)")
    p.add_argument("--timeout", type=float, default=10.0, help="timeout in seconds for every network wait (default 10)")
    p.add_argument("--deadline", type=float, default=120.0, help="hard limit in seconds for the whole run (default 120)")
    args = p.parse_args(argv)
    parsed = urlparse(args.relay)
    if parsed.scheme != "ws" or parsed.hostname not in LOOPBACK or not parsed.port:
        p.error("--relay must be ws://127.0.0.1:PORT (loopback only)")
    try:
        RelayUrl.parse(args.service_url)
    except Exception as exc:  # noqa: BLE001
        p.error(f"--service-url is not a relay URL: {exc}")
    return args


if __name__ == "__main__":
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format=f"[{PROG}] %(levelname)s %(message)s")
    arguments = parse_args(sys.argv[1:])
    start_deadline(arguments.deadline)
    try:
        asyncio.run(main(arguments))
    except Failure as err:
        fail(str(err))
    except Exception as err:  # noqa: BLE001
        log.exception("unexpected error")
        fail(f"unexpected error: {err!r}")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
