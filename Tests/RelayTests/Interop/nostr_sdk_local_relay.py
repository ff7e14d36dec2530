#!/usr/bin/env python3
"""Run the nostr-sdk (rust-nostr) LocalRelay on 127.0.0.1 as a reference relay.

Usage:
    python nostr_sdk_local_relay.py --port PORT [--events FILE] [options]

--port 0 lets the relay pick a free port (the builder's port is left unset,
which makes LocalRelay choose one; url() then reports the real port).

FILE holds signed NIP-01 events, one JSON object per line. They are preloaded
by publishing them to the running relay over its own WebSocket, so they go
through the relay's normal write path and end up in its default in-memory
database.

stdout (JSON lines, flushed):
    {"url": "ws://127.0.0.1:PORT", "port": PORT, "loaded": N, "stored": M, "rejected": [...]}
        once the relay serves and the preload is done. "loaded" is the number
        of distinct events from FILE the relay acknowledged with OK true;
        "stored" is the relay's own COUNT of all events afterwards.
    {"stopped": true}
        after stdin reached EOF (or SIGTERM/SIGINT) and the relay was shut down.
    {"error": "..."}
        on failure, together with a non-zero exit status.

The relay keeps serving until stdin is closed. Logs go to stderr.

Behaviour of LocalRelay in nostr-sdk 0.45.1 worth knowing (observed):
  * Default write rate limit is 60 EVENTs per minute per connection
    ("rate-limited: slow down"); this script raises it (--notes-per-minute).
  * Each connection may send about 6,000 messages per minute; beyond that the
    relay drops the connection without a close frame ("too many client
    messages" in its log). The preload therefore opens a new connection
    every --events-per-connection events.
  * A REQ returns at most 500 events, whatever the filter limit;
    max_filter_limit can lower that cap but not raise it.
  * A REQ whose "ids" were all found gets EOSE followed by CLOSED with an
    empty message.
  * NEG-OPEN over more than 50,000 items is answered with NEG-ERR
    "rate-limited: too many negentropy items".
  * The default database keeps at most 75,000 events; older ones are evicted
    silently (the OK is still true), so "stored" can be below "loaded".
"""

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import threading

import websockets

from nostr_sdk import (
    Event,
    LocalRelayBuilder,
    RateLimit,
    WritePolicy,
    WritePolicyResult,
    uniffi_set_event_loop,
)

PROG = "nostr_sdk_local_relay"
log = logging.getLogger(PROG)


class Failure(Exception):
    """A failure that ends the script with a message and a non-zero status."""


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def fail(message, code=1, **extra):
    log.error("%s", message)
    out = {"error": message}
    out.update(extra)
    emit(out)
    sys.stderr.flush()
    os._exit(code)


class RejectKinds(WritePolicy):
    """Write policy refusing the given kinds (LocalRelay prefixes the message with 'blocked: ')."""

    def __init__(self, kinds):
        self.kinds = set(kinds)

    async def admit_event(self, event, socket_addr):
        kind = event.kind().as_u16()
        if kind in self.kinds:
            return WritePolicyResult.REJECT(f"kind {kind} is not accepted by this relay")
        return WritePolicyResult.ACCEPT()


def read_events(path):
    events = []
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
            if not isinstance(raw, dict):
                raise Failure(f"{path}:{lineno}: not a JSON object")
            events.append((event.id().to_hex(), line))
    return events


async def recv_json(ws, timeout, what):
    try:
        data = await asyncio.wait_for(ws.recv(), timeout)
    except asyncio.TimeoutError as exc:
        raise Failure(f"timed out after {timeout}s waiting for {what}") from exc
    except websockets.ConnectionClosed as exc:
        raise Failure(f"relay closed the connection while waiting for {what}: {exc!r}") from exc
    return json.loads(data)


async def preload(url, events, per_connection, window, timeout):
    """Publish events to the relay; return (accepted ids, rejected list)."""
    accepted = set()
    rejected = []
    total = len(events)
    for start in range(0, total, per_connection):
        part = events[start:start + per_connection]
        try:
            ws = await asyncio.wait_for(websockets.connect(url, max_size=None), timeout)
        except (OSError, asyncio.TimeoutError) as exc:
            raise Failure(f"cannot connect to own relay at {url}: {exc!r}") from exc
        try:
            for w in range(0, len(part), window):
                chunk = part[w:w + window]
                for _event_id, line in chunk:
                    try:
                        await asyncio.wait_for(ws.send('["EVENT",' + line + "]"), timeout)
                    except (asyncio.TimeoutError, websockets.ConnectionClosed) as exc:
                        raise Failure(f"sending preload EVENT failed: {exc!r}") from exc
                expected = len(chunk)
                while expected:
                    msg = await recv_json(ws, timeout, "OK from relay during preload")
                    if not isinstance(msg, list) or not msg:
                        continue
                    if msg[0] == "OK" and len(msg) >= 3:
                        expected -= 1
                        if msg[2] is True:
                            accepted.add(msg[1])
                        else:
                            rejected.append({"id": msg[1], "message": msg[3] if len(msg) > 3 else ""})
                    elif msg[0] == "NOTICE":
                        log.warning("relay NOTICE during preload: %s", msg[1:])
        finally:
            try:
                await asyncio.wait_for(ws.close(), timeout)
            except Exception:  # noqa: BLE001
                pass
        log.info("preloaded %d/%d events", min(start + per_connection, total), total)
    return accepted, rejected


async def relay_count(url, timeout):
    try:
        ws = await asyncio.wait_for(websockets.connect(url, max_size=None), timeout)
    except (OSError, asyncio.TimeoutError) as exc:
        raise Failure(f"cannot connect to own relay at {url}: {exc!r}") from exc
    try:
        await asyncio.wait_for(ws.send(json.dumps(["COUNT", "preload-count", {}])), timeout)
        while True:
            msg = await recv_json(ws, timeout, "COUNT reply")
            if isinstance(msg, list) and msg and msg[0] == "COUNT":
                return int(msg[2]["count"])
            if isinstance(msg, list) and msg and msg[0] == "CLOSED":
                raise Failure(f"relay refused COUNT: {msg}")
    finally:
        try:
            await asyncio.wait_for(ws.close(), timeout)
        except Exception:  # noqa: BLE001
            pass


def wait_for_stdin_eof(loop, stop):
    """Read stdin until EOF in a daemon thread, then resolve `stop`."""

    def reader():
        try:
            fd = sys.stdin.fileno()
            while os.read(fd, 65536):
                pass
        except Exception as exc:  # noqa: BLE001
            log.warning("stdin read failed (%r); treating as EOF", exc)
        loop.call_soon_threadsafe(lambda: stop.done() or stop.set_result("stdin EOF"))

    threading.Thread(target=reader, name="stdin-eof", daemon=True).start()


async def main(args):
    loop = asyncio.get_running_loop()
    # Rust calls back into Python (write policy) from its own threads.
    uniffi_set_event_loop(loop)

    events = read_events(args.events) if args.events else []
    log.info("read %d events from %s", len(events), args.events or "(none)")

    builder = LocalRelayBuilder().addr(args.host)
    if args.port:
        builder = builder.port(args.port)
    builder = builder.rate_limit(RateLimit(max_reqs=args.max_reqs, notes_per_minute=args.notes_per_minute))
    if args.max_filter_limit is not None:
        builder = builder.max_filter_limit(args.max_filter_limit)
    if args.default_filter_limit is not None:
        builder = builder.default_filter_limit(args.default_filter_limit)
    if args.reject_kind:
        builder = builder.write_policy(RejectKinds(args.reject_kind))
    relay = builder.build()

    try:
        await asyncio.wait_for(relay.run(), args.timeout)
    except asyncio.TimeoutError as exc:
        raise Failure(f"LocalRelay did not start within {args.timeout}s") from exc
    except Exception as exc:  # noqa: BLE001
        raise Failure(f"LocalRelay failed to start on {args.host}:{args.port}: {exc}") from exc

    url = str(await asyncio.wait_for(relay.url(), args.timeout))
    port = int(url.rsplit(":", 1)[1].rstrip("/"))
    log.info("LocalRelay serving at %s", url)

    try:
        accepted, rejected = await preload(url, events, args.events_per_connection, args.window, args.timeout)
        wanted = {event_id for event_id, _ in events}
        loaded = len(accepted & wanted)
        stored = await relay_count(url, args.timeout)
    except Failure:
        relay.shutdown()
        raise

    if rejected and not args.allow_rejected:
        relay.shutdown()
        raise Failure(
            f"relay rejected {len(rejected)} of {len(events)} preload events "
            f"(first: {rejected[0]['id']}: {rejected[0]['message']!r}); pass --allow-rejected to continue",
        )
    if stored < loaded:
        log.warning("relay stores %d events but %d were acknowledged (default database keeps at most 75,000)",
                    stored, loaded)

    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, lambda s=sig: stop.done() or stop.set_result(signal.Signals(s).name))
        except (NotImplementedError, RuntimeError):
            pass
    wait_for_stdin_eof(loop, stop)

    emit({"url": url, "port": port, "loaded": loaded, "stored": stored, "rejected": rejected})

    reason = await stop
    log.info("stopping (%s)", reason)
    relay.shutdown()
    emit({"stopped": True})


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description="Serve the nostr-sdk LocalRelay on 127.0.0.1 until stdin closes.")
    p.add_argument("--port", type=int, required=True, help="TCP port; 0 = let LocalRelay pick a free one")
    p.add_argument("--events", help="JSON-lines file of signed events to preload")
    p.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)
    p.add_argument("--timeout", type=float, default=10.0, help="timeout in seconds for every network wait (default 10)")
    p.add_argument("--notes-per-minute", type=int, default=1_000_000,
                   help="LocalRelay EVENT rate limit per connection (nostr-sdk default is 60; default here 1000000)")
    p.add_argument("--max-reqs", type=int, default=500, help="max open REQ subscriptions per connection (default 500)")
    p.add_argument("--max-filter-limit", type=int, default=None, help="LocalRelayBuilder.max_filter_limit (can only lower the 500 cap)")
    p.add_argument("--default-filter-limit", type=int, default=None, help="LocalRelayBuilder.default_filter_limit")
    p.add_argument("--reject-kind", type=int, action="append", default=[],
                   help="refuse events of this kind with OK false 'blocked: ...' (repeatable)")
    p.add_argument("--allow-rejected", action="store_true", help="do not fail when the relay rejects some preload events")
    p.add_argument("--events-per-connection", type=int, default=4000,
                   help="preload events per WebSocket connection (LocalRelay allows ~6000 messages/min each)")
    p.add_argument("--window", type=int, default=200, help="preload events in flight before waiting for their OKs")
    args = p.parse_args(argv)
    if not 0 <= args.port <= 65535:
        p.error("--port must be in 0..65535")
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        p.error("only loopback addresses are allowed")
    if args.events_per_connection < 1 or args.window < 1:
        p.error("--events-per-connection and --window must be positive")
    return args


if __name__ == "__main__":
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format=f"[{PROG}] %(levelname)s %(message)s")
    arguments = parse_args(sys.argv[1:])
    try:
        asyncio.run(main(arguments))
    except Failure as err:
        fail(str(err))
    except KeyboardInterrupt:
        fail("interrupted", code=130)
    except Exception as err:  # noqa: BLE001
        log.exception("unexpected error")
        fail(f"unexpected error: {err!r}")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
