#!/usr/bin/env python3
"""A small Nostr relay for end-to-end sync tests: REQ/EOSE only, no NIP-77.

Usage:
    python req_only_relay.py --port PORT [--events FILE] [--rate-limit-first N]
                             [--rate-limit-notice] [--stats FILE]

--port 0 picks a free port. FILE holds signed NIP-01 events, one JSON object per
line; they are served as stored (signatures are not checked: they come from the test).

Behaviour:
  * REQ: every filter is matched against the stored events honouring ids, authors,
    kinds, any single-letter tag condition (#a, #e, #E, #q, #d, ...), since and
    until. Each filter returns at most min(limit, 500) events (limit 0 returns none,
    a missing limit means 500), newest first (created_at descending, then id
    ascending); the results of all filters are merged without duplicates and sent,
    then EOSE. The subscription stays open: EVENTs published later that match it
    are sent to it until CLOSE.
  * EVENT: stored (duplicates answered "duplicate:"), answered with OK true, and
    sent to every open subscription that matches.
  * NEG-OPEN: answered ["NOTICE", "ERROR: bad msg: negentropy disabled"] (strfry's
    reply when NIP-77 is turned off).
  * --rate-limit-first N: the first N REQs (counted over all connections) are
    answered ["CLOSED", <sub>, "rate-limited: slow down"] and nothing else; with
    --rate-limit-notice a ["NOTICE", "rate-limited: slow down"] is sent before each
    such CLOSED. Later REQs are served normally.

stdout (JSON lines, flushed):
    {"url": "ws://127.0.0.1:PORT", "port": PORT, "loaded": N}   once serving
    {"stopped": true}                                          after shutdown
    {"error": "..."}                                           on failure (exit 1)
The relay serves until stdin reaches EOF or it gets SIGTERM/SIGINT. Logs go to stderr.

--stats FILE is rewritten (atomically) after every REQ and NEG-OPEN with
    {"reqs": total REQs, "rate_limited": REQs refused, "neg_open": NEG-OPENs,
     "max_page": most events sent for one REQ, "full_pages": REQs that hit the
     500 cap, "events": events stored}
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

PROG = "req_only_relay"
CAP = 500
log = logging.getLogger(PROG)


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def matches(flt, event):
    if "ids" in flt and event["id"] not in flt["ids"]:
        return False
    if "authors" in flt and event["pubkey"] not in flt["authors"]:
        return False
    if "kinds" in flt and event["kind"] not in flt["kinds"]:
        return False
    if "since" in flt and event["created_at"] < flt["since"]:
        return False
    if "until" in flt and event["created_at"] > flt["until"]:
        return False
    for key, values in flt.items():
        if len(key) == 2 and key[0] == "#":
            name = key[1]
            wanted = set(values)
            if not any(len(t) > 1 and t[0] == name and t[1] in wanted for t in event["tags"]):
                return False
    return True


class Relay:
    def __init__(self, events, rate_limit_first, rate_limit_notice, stats_path):
        self.events = {}
        for e in events:
            self.events[e["id"]] = e
        self.rate_limit_left = rate_limit_first
        self.rate_limit_notice = rate_limit_notice
        self.stats_path = stats_path
        self.stats = {"reqs": 0, "rate_limited": 0, "neg_open": 0, "max_page": 0, "full_pages": 0,
                      "events": len(self.events)}
        # websocket -> {sub id -> filters}
        self.subscriptions = {}

    def write_stats(self):
        if not self.stats_path:
            return
        self.stats["events"] = len(self.events)
        tmp = self.stats_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(self.stats, fh)
        os.replace(tmp, self.stats_path)

    def query(self, filters):
        out = []
        seen = set()
        ordered = sorted(self.events.values(), key=lambda e: (-e["created_at"], e["id"]))
        for flt in filters:
            if not isinstance(flt, dict):
                continue
            limit = flt.get("limit", CAP)
            limit = max(0, min(int(limit), CAP))
            taken = 0
            for e in ordered:
                if taken >= limit:
                    break
                if matches(flt, e):
                    taken += 1
                    if e["id"] not in seen:
                        seen.add(e["id"])
                        out.append(e)
        return out

    async def handle(self, ws):
        subs = {}
        self.subscriptions[ws] = subs
        try:
            async for raw in ws:
                try:
                    msg = json.loads(raw)
                except ValueError:
                    await ws.send(json.dumps(["NOTICE", "ERROR: bad msg: not JSON"]))
                    continue
                if not isinstance(msg, list) or not msg or not isinstance(msg[0], str):
                    await ws.send(json.dumps(["NOTICE", "ERROR: bad msg: not an array"]))
                    continue
                verb = msg[0]
                if verb == "REQ" and len(msg) >= 2:
                    await self.on_req(ws, subs, msg[1], msg[2:])
                elif verb == "CLOSE" and len(msg) >= 2:
                    subs.pop(msg[1], None)
                elif verb == "EVENT" and len(msg) >= 2 and isinstance(msg[1], dict):
                    await self.on_event(ws, msg[1])
                elif verb == "NEG-OPEN":
                    self.stats["neg_open"] += 1
                    self.write_stats()
                    await ws.send(json.dumps(["NOTICE", "ERROR: bad msg: negentropy disabled"]))
                elif verb in ("NEG-MSG", "NEG-CLOSE"):
                    await ws.send(json.dumps(["NOTICE", "ERROR: bad msg: negentropy disabled"]))
                else:
                    await ws.send(json.dumps(["NOTICE", f"ERROR: bad msg: unknown verb {verb}"]))
        except websockets.ConnectionClosed:
            pass
        finally:
            self.subscriptions.pop(ws, None)

    async def on_req(self, ws, subs, sub_id, filters):
        self.stats["reqs"] += 1
        if self.rate_limit_left > 0:
            self.rate_limit_left -= 1
            self.stats["rate_limited"] += 1
            self.write_stats()
            log.info("rate-limiting REQ %s (%d more to refuse)", sub_id, self.rate_limit_left)
            if self.rate_limit_notice:
                await ws.send(json.dumps(["NOTICE", "rate-limited: slow down"]))
            await ws.send(json.dumps(["CLOSED", sub_id, "rate-limited: slow down"]))
            return
        found = self.query(filters)
        self.stats["max_page"] = max(self.stats["max_page"], len(found))
        if len(found) >= CAP:
            self.stats["full_pages"] += 1
        self.write_stats()
        log.info("REQ %s %s -> %d events", sub_id, json.dumps(filters), len(found))
        subs[sub_id] = [f for f in filters if isinstance(f, dict)]
        for e in found:
            await ws.send(json.dumps(["EVENT", sub_id, e]))
        await ws.send(json.dumps(["EOSE", sub_id]))

    async def on_event(self, ws, event):
        event_id = event.get("id", "")
        if event_id in self.events:
            await ws.send(json.dumps(["OK", event_id, True, "duplicate: already have this event"]))
            return
        self.events[event_id] = event
        await ws.send(json.dumps(["OK", event_id, True, ""]))
        for other, subs in list(self.subscriptions.items()):
            for sub_id, filters in list(subs.items()):
                if any(matches({k: v for k, v in f.items() if k != "limit"}, event) for f in filters):
                    try:
                        await other.send(json.dumps(["EVENT", sub_id, event]))
                    except websockets.ConnectionClosed:
                        pass


def read_events(path):
    events = []
    with open(path, "r", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            e = json.loads(line)
            for key in ("id", "pubkey", "created_at", "kind", "tags", "content", "sig"):
                if key not in e:
                    raise ValueError(f"{path}:{lineno}: event without '{key}'")
            events.append(e)
    return events


def wait_for_stdin_eof(loop, stop):
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
    events = read_events(args.events) if args.events else []
    relay = Relay(events, args.rate_limit_first, args.rate_limit_notice, args.stats)
    relay.write_stats()
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda s=sig: stop.done() or stop.set_result(signal.Signals(s).name))
    wait_for_stdin_eof(loop, stop)
    async with websockets.serve(relay.handle, "127.0.0.1", args.port, max_size=None, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        url = f"ws://127.0.0.1:{port}"
        log.info("serving %d events at %s", len(relay.events), url)
        emit({"url": url, "port": port, "loaded": len(relay.events)})
        reason = await stop
        log.info("stopping (%s)", reason)
    emit({"stopped": True})


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description="REQ/EOSE-only Nostr relay for sync tests.")
    p.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1; 0 picks a free one")
    p.add_argument("--events", help="JSON-lines file of events to serve")
    p.add_argument("--rate-limit-first", type=int, default=0, help="refuse the first N REQs as rate-limited")
    p.add_argument("--rate-limit-notice", action="store_true", help="also send a rate-limit NOTICE with each refusal")
    p.add_argument("--stats", help="file rewritten with request statistics")
    args = p.parse_args(argv)
    if not 0 <= args.port <= 65535:
        p.error("--port must be in 0..65535")
    if args.rate_limit_first < 0:
        p.error("--rate-limit-first must not be negative")
    return args


if __name__ == "__main__":
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format=f"[{PROG}] %(levelname)s %(message)s")
    arguments = parse_args(sys.argv[1:])
    try:
        asyncio.run(main(arguments))
    except Exception as err:  # noqa: BLE001
        log.exception("relay failed")
        emit({"error": str(err)})
        sys.exit(1)
