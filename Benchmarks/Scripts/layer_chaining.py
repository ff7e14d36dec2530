#!/usr/bin/env python3
"""Layer-chaining benchmark: one repository's 280 events from a rust-nostr relay.

Measures how long a fresh grasp-sync node takes to pull one new repository through
all three sync layers from the nostr-sdk (rust-nostr) LocalRelay:

  layer 1  the announcement (30617) from the bootstrap relay,
  layer 2  events tagging the repository (state 30618, issues 1621, patches 1617,
           PRs 1618) once the self-subscriber has turned the announcement into filters,
  layer 3  NIP-22 comments (1111, `E` tag only) and statuses (1630, `e` tag only) once
           the self-subscriber has turned the accepted roots into filters.

Per run:
  * generate the events (fresh keys, created_at within the last hour); the
    announcement's `relays` tag lists the LocalRelay and the node's own URL (both
    ports are reserved first, since the announcement must name them);
  * start Tests/RelayTests/Interop/nostr_sdk_local_relay.py preloaded with them;
  * start BINARY with a fresh data dir, --port, --service-url ws://127.0.0.1:PORT,
    the LocalRelay as --bootstrap-relay and --allow-private-relays;
  * every 100 ms, from the node's process start: NIP-45 COUNT {} over a WebSocket to
    the node, and GET /status (the relay's status; the node refreshes it on its
    1 s tick, so that figure has 1 s granularity);
  * all_events_s: first poll at which the node holds every generated event;
    connected_s: start of the Connected (status_code 3) stretch the relay is in when
    the run ends (the run ends once all events are stored and the relay has been
    Connected for --settle seconds); connected_first_s: first Connected seen at all.

stdout: one JSON line per run, then one line with the medians.
The node's log of each run is kept in --log-dir (default: a temporary directory,
printed in each run's line) and scanned for REQ/EOSE fallbacks and errors.

Usage (repository venv):
    .venv/bin/python Benchmarks/Scripts/layer_chaining.py .build/debug/grasp-sync [--runs 3]
"""

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import websockets
from nostr_sdk import EventBuilder, Keys, Kind, Tag, Timestamp

PROG = "layer_chaining"
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LOCAL_RELAY = os.path.join(REPO_ROOT, "Tests", "RelayTests", "Interop", "nostr_sdk_local_relay.py")


def log(message):
    sys.stderr.write(f"[{PROG}] {message}\n")
    sys.stderr.flush()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- events


def sign(keys, kind, tags, content, created_at):
    return (
        EventBuilder(Kind(kind), content)
        .tags([Tag.parse(t) for t in tags])
        .custom_created_at(Timestamp.from_secs(created_at))
        .finalize(keys)
    )


def make_events(total, relay_urls):
    """One repository's history: announcement, state, roots, comments, statuses (`total` events)."""
    if total < 10:
        raise ValueError("--events must be at least 10")
    owner = Keys.generate()
    contributors = [Keys.generate() for _ in range(3)]
    ident = "bench-" + secrets.token_hex(4)
    coord = f"30617:{owner.public_key().to_hex()}:{ident}"
    owner_hex = owner.public_key().to_hex()
    now = int(time.time())
    t = now - 3000  # oldest first, one second apart, all inside the last hour
    assert total < 3000

    def tick():
        nonlocal t
        t += 1
        return t

    out = []
    out.append(sign(owner, 30617, [
        ["d", ident], ["name", ident], ["description", "layer chaining benchmark repository"],
        ["relays"] + relay_urls, ["r", secrets.token_hex(20), "euc"],
    ], "", tick()))
    out.append(sign(owner, 30618, [
        ["d", ident], ["refs/heads/main", secrets.token_hex(20)], ["HEAD", "ref: refs/heads/main"],
    ], "", tick()))

    rest = total - 2
    n_roots = max(3, rest * 2 // 7)          # 280 -> 79 roots
    n_replies = rest - n_roots
    n_comments = n_replies * 3 // 5          # 280 -> 119 comments
    n_statuses = n_replies - n_comments      # 280 -> 80 statuses
    n_issues = n_roots // 2
    n_prs = max(1, n_roots // 8)
    n_patches = n_roots - n_issues - n_prs

    roots = []
    for i in range(n_roots):
        author = contributors[i % len(contributors)]
        if i < n_issues:
            ev = sign(author, 1621, [["a", coord], ["p", owner_hex], ["subject", f"issue {i}"]],
                      f"issue {i} body", tick())
        elif i < n_issues + n_patches:
            commit = secrets.token_hex(20)
            ev = sign(author, 1617, [["a", coord], ["p", owner_hex], ["t", "root"], ["commit", commit]],
                      f"From {commit} Mon Sep 17 00:00:00 2001\nSubject: [PATCH] change {i}\n\n---\n", tick())
        else:
            ev = sign(author, 1618, [["a", coord], ["p", owner_hex], ["subject", f"pull request {i}"],
                                     ["c", secrets.token_hex(20)], ["branch-name", f"feature-{i}"]],
                      "please pull", tick())
        roots.append(ev)
    out.extend(roots)

    for i in range(n_comments):
        root = roots[i % len(roots)]
        author = owner if i % 2 else contributors[(i + 1) % len(contributors)]
        rk, rp, rid = str(root.kind().as_u16()), root.author().to_hex(), root.id().to_hex()
        out.append(sign(author, 1111, [["E", rid, "", rp], ["K", rk], ["P", rp], ["k", rk], ["p", rp]],
                        f"comment {i}", tick()))
    for i in range(n_statuses):
        root = roots[i % len(roots)]
        out.append(sign(owner, 1630, [["e", root.id().to_hex(), "", "root"], ["p", root.author().to_hex()]],
                        "", tick()))
    assert len(out) == total, len(out)
    kinds = {}
    for ev in out:
        k = ev.kind().as_u16()
        kinds[k] = kinds.get(k, 0) + 1
    return out, kinds


# ---------------------------------------------------------------- processes


class LocalRelay:
    """Tests/RelayTests/Interop/nostr_sdk_local_relay.py, preloaded; serves until stop()."""

    def __init__(self, events_file, port):
        self.proc = subprocess.Popen(
            [sys.executable, LOCAL_RELAY, "--port", str(port), "--events", events_file],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        line = self.proc.stdout.readline()
        ready = json.loads(line) if line else {"error": "exited before its ready line"}
        if "error" in ready:
            self.stop()
            raise RuntimeError(f"LocalRelay: {ready['error']}")
        self.url = ready["url"].rstrip("/")
        self.ready = ready

    def stop(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001
            self.proc.kill()
            self.proc.wait()


def stop_node(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------- polling


def http_get(url, timeout=1.0):
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.read().decode()


async def node_count(state, node_ws_url):
    """COUNT {} on a kept-open connection; None if the node does not answer yet."""
    try:
        if state.get("ws") is None:
            state["ws"] = await asyncio.wait_for(websockets.connect(node_ws_url, max_size=None), 1.0)
        ws = state["ws"]
        state["n"] = state.get("n", 0) + 1
        sub = f"c{state['n']}"
        await ws.send(json.dumps(["COUNT", sub, {}]))
        while True:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 1.0))
            if msg[0] == "COUNT" and msg[1] == sub:
                return int(msg[2]["count"])
            if msg[0] == "CLOSED" and msg[1] == sub:
                raise RuntimeError(f"COUNT refused: {msg}")
    except (OSError, asyncio.TimeoutError, websockets.WebSocketException):
        ws = state.pop("ws", None)
        if ws is not None:
            try:
                await ws.close()
            except Exception:  # noqa: BLE001
                pass
        return None


def relay_status(node_http, relay_url):
    try:
        doc = json.loads(http_get(node_http + "/status"))
    except Exception:  # noqa: BLE001
        return None
    for r in doc.get("relays", []):
        if r.get("url", "").rstrip("/") == relay_url:
            return r
    return None


async def measure(args, node_port, relay_url, total, t0, proc):
    node_ws = f"ws://127.0.0.1:{node_port}"
    node_http = f"http://127.0.0.1:{node_port}"
    cstate = {}
    all_events_s = None
    connected_first_s = None
    connected_since = None
    timeline = []  # (seconds, status) on every change
    counts = []    # (seconds, count) on every change
    last_status = last_count = None
    last_relay = None
    deadline = t0 + args.timeout
    next_poll = time.monotonic()
    try:
        while True:
            now = time.monotonic()
            if now > deadline:
                break
            if proc.poll() is not None:
                raise RuntimeError(f"node exited with status {proc.returncode}")
            count, relay = await asyncio.gather(
                node_count(cstate, node_ws),
                asyncio.to_thread(relay_status, node_http, relay_url),
            )
            s = round(time.monotonic() - t0, 3)
            if count is not None and count != last_count:
                counts.append((s, count))
                last_count = count
            if count is not None and count >= total and all_events_s is None:
                all_events_s = s
            status = relay.get("status") if relay else None
            if relay:
                last_relay = relay
            if status != last_status:
                timeline.append((s, status))
                last_status = status
                connected_since = s if status == "Connected" else None
            if status == "Connected" and connected_first_s is None:
                connected_first_s = s
            if all_events_s is not None and connected_since is not None and s - connected_since >= args.settle:
                break
            next_poll += args.interval
            await asyncio.sleep(max(0.0, next_poll - time.monotonic()))
    finally:
        ws = cstate.get("ws")
        if ws is not None:
            try:
                await ws.close()
            except Exception:  # noqa: BLE001
                pass
    return {
        "metrics": final_metrics(node_http),
        "all_events_s": all_events_s,
        "connected_s": connected_since,
        "connected_first_s": connected_first_s,
        "final_count": last_count,
        "status_timeline": timeline,
        "count_timeline": counts,
        "relay": last_relay,
    }


METRIC_PREFIXES = ("ngit_sync_events_synced_total", "ngit_sync_connection_attempts_total",
                   "ngit_sync_naughty_relays_total", "grasp_deferred_", "ngit_sync_rejected_hot_cache_current",
                   "ngit_sync_rejected_cold_index_current", "grasp_relay_events_refused_total")


def final_metrics(node_http):
    """The sync counters worth seeing in each run's line (e.g. deferred events, refusals)."""
    try:
        text = http_get(node_http + "/metrics", timeout=2.0)
    except Exception as exc:  # noqa: BLE001
        return {"error": repr(exc)}
    out = {}
    for line in text.splitlines():
        if line.startswith(METRIC_PREFIXES):
            name, _, value = line.rpartition(" ")
            if float(value) != 0:  # zero series left out to keep the line short
                out[name] = float(value)
    return out


LOG_PATTERNS = {
    "req_eose": re.compile(r"REQ/EOSE|falling back|fallback|negentropy (off|disabled)|NIP-77 (off|disabled|refused|unsupported)", re.I),
    "errors": re.compile(r"\b(error|critical)\b", re.I),
    "warnings": re.compile(r"\bwarning\b", re.I),
}


def scan_log(path):
    found = {k: [] for k in LOG_PATTERNS}
    with open(path, "r", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            for k, rx in LOG_PATTERNS.items():
                if rx.search(line):
                    found[k].append(line.rstrip()[:300])
    return {k: {"lines": len(v), "first": v[:3]} for k, v in found.items()}


def one_run(args, run, log_dir):
    node_port = free_port()
    node_url = f"ws://127.0.0.1:{node_port}"
    work = tempfile.mkdtemp(prefix=f"{PROG}-{run}-", dir=args.tmp)
    events_file = os.path.join(work, "events.jsonl")
    # The LocalRelay's port is only known once it runs, but the announcement must name it;
    # reserve a port for it instead of using --port 0.
    relay_port = free_port()
    relay_url = f"ws://127.0.0.1:{relay_port}"
    events, kinds = make_events(args.events, [relay_url, node_url])
    with open(events_file, "w", encoding="utf-8") as fh:
        for ev in events:
            fh.write(ev.as_json() + "\n")

    relay = None
    proc = None
    node_log = os.path.join(log_dir, f"node-run{run}.log")
    try:
        relay = LocalRelay(events_file, relay_port)
        if relay.ready.get("loaded") != args.events:
            raise RuntimeError(f"LocalRelay loaded {relay.ready.get('loaded')} of {args.events} events: {relay.ready}")
        if relay.url != relay_url:
            raise RuntimeError(f"LocalRelay serves {relay.url}, not {relay_url}")

        cmd = [
            args.binary,
            "--port", str(node_port),
            "--data-dir", os.path.join(work, "data"),
            "--service-url", node_url,
            "--bootstrap-relay", relay_url,
            "--allow-private-relays",
            "--log-level", args.log_level,
        ] + args.node_arg
        logfh = open(node_log, "w", encoding="utf-8")
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=logfh, stderr=subprocess.STDOUT)
        logfh.close()
        result = asyncio.run(measure(args, node_port, relay_url, args.events, t0, proc))
    finally:
        if proc is not None:
            stop_node(proc)
        if relay is not None:
            relay.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    out = {
        "run": run,
        "binary": args.binary,
        "events": args.events,
        "kinds": {str(k): v for k, v in sorted(kinds.items())},
        "all_events_s": result["all_events_s"],
        "connected_s": result["connected_s"],
        "connected_first_s": result["connected_first_s"],
        "final_count": result["final_count"],
        "relay_url": relay_url,
        "node_cmd": " ".join(cmd),
        "status_timeline": result["status_timeline"],
        "count_timeline": result["count_timeline"],
        "relay_status": result["relay"],
        "metrics": result["metrics"],
        "node_log": node_log,
        "log_scan": scan_log(node_log),
    }
    return out


def median(values):
    vals = [v for v in values if v is not None]
    return round(statistics.median(vals), 3) if vals else None


def main(argv):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("binary", help="grasp-sync executable to measure")
    p.add_argument("--runs", type=int, default=3, help="number of runs (default 3)")
    p.add_argument("--events", type=int, default=280, help="events for the one repository (default 280)")
    p.add_argument("--interval", type=float, default=0.1, help="poll interval in seconds (default 0.1)")
    p.add_argument("--settle", type=float, default=2.0,
                   help="seconds the relay must stay Connected after all events arrived before a run ends (default 2)")
    p.add_argument("--timeout", type=float, default=120.0, help="give up on a run after this many seconds (default 120)")
    p.add_argument("--log-level", default="info", help="node --log-level (default info)")
    p.add_argument("--log-dir", help="keep the node logs here (default: a new temporary directory)")
    p.add_argument("--tmp", default=None, help="parent directory for the per-run data dirs")
    p.add_argument("--label", default=None, help="label added to the summary line")
    p.add_argument("--keep", action="store_true", help="keep each run's events file and data dir")
    p.add_argument("--node-arg", action="append", default=[], help="extra argument for the node (repeatable)")
    args = p.parse_args(argv)
    args.binary = os.path.abspath(args.binary)
    if not os.access(args.binary, os.X_OK):
        p.error(f"{args.binary} is not executable")
    log_dir = args.log_dir or tempfile.mkdtemp(prefix=f"{PROG}-logs-")
    os.makedirs(log_dir, exist_ok=True)

    results = []
    for run in range(1, args.runs + 1):
        log(f"run {run}/{args.runs}: {args.binary}")
        res = one_run(args, run, log_dir)
        log(f"run {run}: all events {res['all_events_s']} s, Connected {res['connected_s']} s")
        results.append(res)
        sys.stdout.write(json.dumps(res) + "\n")
        sys.stdout.flush()
    summary = {
        "summary": True,
        "label": args.label,
        "binary": args.binary,
        "runs": args.runs,
        "events": args.events,
        "all_events_s": [r["all_events_s"] for r in results],
        "connected_s": [r["connected_s"] for r in results],
        "median_all_events_s": median(r["all_events_s"] for r in results),
        "median_connected_s": median(r["connected_s"] for r in results),
        "median_connected_first_s": median(r["connected_first_s"] for r in results),
    }
    sys.stdout.write(json.dumps(summary) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
