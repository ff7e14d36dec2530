#!/usr/bin/env python3
"""Soak test: a release grasp-sync node under mixed load for a fixed time (issue 12).

`make soak [SOAK_SECONDS=300] [SOAK_ARGS="--publishers 5"]` builds the release binary,
ensures the venv and runs this script with the venv's python. Not part of CI.

What runs at once, for --seconds:
  * the node (BINARY) on a fresh data dir, with generous EVENT write budgets so the load
    is not just rate-limited, --bootstrap-relay pointing at the syncing peer and
    --allow-private-relays;
  * a syncing peer: the nostr-sdk LocalRelay (Tests/RelayTests/Interop/nostr_sdk_local_relay.py)
    preloaded with another repository's --peer-events events (Benchmarks/Scripts/
    layer_chaining.py's generator), plus a peer writer that adds one NIP-22 comment on
    that repository's roots to the LocalRelay every --peer-interval seconds (the node
    must pick those up through its live subscriptions);
  * --publishers WebSocket clients, each with its own keys: a repository announcement
    (30617) listing the node's service URL, then issues (1621), NIP-22 comments (1111)
    and statuses (1630-1633) on its issues, one EVENT at a time (the next after the OK);
  * --readers REQ loops, filters in turn kinds 1621 / 1111 / 1630-1633 / #a of a
    publisher's repository, limit 500, next REQ after EOSE then CLOSE;
  * --neg-clients NIP-77 loops: Tests/RelayTests/Interop/nostr_sdk_negentropy.py
    (nostr-sdk Client.sync, dry run, filter {}) with a local set of up to 2,000 events
    the node acknowledged, one run after the other;
  * a latency probe (own thread and connections): publish one issue, then REQ it by id
    on a second connection until it is returned; publish+query latency is from sending
    the EVENT to the REQ that returned it (the OK latency is kept too);
  * an RSS sampler: VmRSS / VmHWM / threads of the node from /proc/<pid>/status and the
    machine's load average every --sample-interval seconds.

At the end, after the load stopped: every event that got OK true (publishers and probe)
is asked for with REQ {"ids": [...]} in chunks of 250; events not returned are "lost"
(must be 0). The peer's preloaded and live-written events are checked the same way
(reported, not counted as lost: they reach the node through sync). Then SIGTERM, and the
time the node takes to stop.

stdout: an RSS-over-time table, then one JSON summary line. Progress on stderr.
Exit status 1 if any acknowledged event was lost or the node died.

Usage (repository venv):
    .venv/bin/python Benchmarks/Scripts/soak.py .build/release/grasp-sync --seconds 120
"""

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import websockets
from nostr_sdk import Keys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from layer_chaining import LocalRelay, free_port, make_events, sign, stop_node  # noqa: E402

PROG = "soak"
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NEG_SCRIPT = os.path.join(REPO_ROOT, "Tests", "RelayTests", "Interop", "nostr_sdk_negentropy.py")
NET_ERRORS = (OSError, asyncio.TimeoutError, websockets.WebSocketException)


def log(message):
    sys.stderr.write(f"[{PROG}] {time.strftime('%H:%M:%S')} {message}\n")
    sys.stderr.flush()


def pct(values, p):
    if not values:
        return None
    s = sorted(values)
    k = min(len(s) - 1, max(0, int(round(p / 100.0 * (len(s) - 1)))))
    return s[k]


def ms(v):
    return None if v is None else round(v * 1000, 1)


class Stats:
    """Counters shared by the load tasks (one asyncio loop, plus the probe thread under a lock)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {}            # id -> event JSON (OK true from the node)
        self.refused = {}          # OK false reason prefix -> count
        self.published = 0
        self.ok_duplicates = 0     # OK true for an id already acknowledged
        self.pub_errors = 0
        self.reqs = 0
        self.req_events = 0
        self.req_errors = 0
        self.neg_runs = 0
        self.neg_ok = 0
        self.neg_failed = []
        self.neg_seconds = []
        self.peer_written = []     # ids the LocalRelay acknowledged during the soak
        self.peer_errors = 0
        self.probe = []            # publish+query seconds
        self.probe_ok = []         # EVENT -> OK seconds
        self.probe_timeouts = 0

    def ack(self, event_id, raw, ok, message):
        with self.lock:
            self.published += 1
            if ok:
                if event_id in self.acked or message.startswith("duplicate"):
                    self.ok_duplicates += 1
                self.acked[event_id] = raw
            else:
                reason = message.split(":", 1)[0] if ":" in message else message[:40]
                self.refused[reason] = self.refused.get(reason, 0) + 1


async def send_event(ws, event, timeout=30.0):
    raw = event.as_json()
    event_id = event.id().to_hex()
    await ws.send(f'["EVENT",{raw}]')
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise asyncio.TimeoutError(f"no OK for {event_id}")
        msg = json.loads(await asyncio.wait_for(ws.recv(), left))
        if msg[0] == "OK" and msg[1] == event_id:
            return event_id, raw, bool(msg[2]), msg[3] if len(msg) > 3 else ""


async def req(ws, sub, filt, timeout=30.0):
    """Send REQ, collect events until EOSE (or CLOSED), then CLOSE. Returns the event dicts."""
    await ws.send(json.dumps(["REQ", sub, filt]))
    out = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise asyncio.TimeoutError(f"no EOSE for {sub}")
        msg = json.loads(await asyncio.wait_for(ws.recv(), left))
        if msg[0] == "EVENT" and msg[1] == sub:
            out.append(msg[2])
        elif msg[0] == "EOSE" and msg[1] == sub:
            await ws.send(json.dumps(["CLOSE", sub]))
            return out
        elif msg[0] == "CLOSED" and msg[1] == sub:
            raise RuntimeError(f"REQ {sub} closed: {msg[2:]}")


class Repo:
    """One publisher's repository: owner keys, coordinate, issues published so far."""

    def __init__(self, node_url, label):
        self.owner = Keys.generate()
        self.owner_hex = self.owner.public_key().to_hex()
        self.ident = f"soak-{label}-" + secrets.token_hex(3)
        self.coord = f"30617:{self.owner_hex}:{self.ident}"
        self.node_url = node_url
        self.issues = []  # (id hex, author hex)
        self.n = 0

    def announcement(self):
        return sign(self.owner, 30617, [
            ["d", self.ident], ["name", self.ident], ["description", "soak test repository"],
            ["relays", self.node_url], ["r", secrets.token_hex(20), "euc"],
        ], "", int(time.time()))

    def issue(self, author):
        self.n += 1
        return sign(author, 1621, [["a", self.coord], ["p", self.owner_hex], ["subject", f"soak issue {self.n}"]],
                    f"soak issue {self.n} {secrets.token_hex(8)}", int(time.time()))

    def next_event(self, contributors):
        """Issue when there are few, else in turn issue / comment / status."""
        step = self.n % 4 if len(self.issues) >= 3 else 0
        if step == 0:
            return self.issue(random.choice(contributors)), "issue"
        self.n += 1
        root_id, root_author = random.choice(self.issues[-200:])
        if step in (1, 2):
            author = random.choice(contributors + [self.owner])
            return sign(author, 1111, [["E", root_id, "", root_author], ["K", "1621"], ["P", root_author],
                                       ["e", root_id, "", root_author], ["k", "1621"], ["p", root_author]],
                        f"soak comment {self.n} {secrets.token_hex(8)}", int(time.time())), "comment"
        kind = random.choice((1630, 1631, 1632, 1633))
        return sign(self.owner, kind, [["e", root_id, "", "root"], ["p", root_author], ["a", self.coord]],
                    f"soak status {self.n}", int(time.time())), "status"


async def publisher(idx, node_url, stop, stats, repos, interval):
    repo = Repo(node_url, f"p{idx}")
    repos.append(repo)
    contributors = [Keys.generate() for _ in range(3)]
    announced = False
    while not stop.is_set():
        try:
            async with websockets.connect(node_url, max_size=None) as ws:
                if not announced:
                    eid, raw, ok, message = await send_event(ws, repo.announcement())
                    stats.ack(eid, raw, ok, message)
                    if not ok:
                        raise RuntimeError(f"publisher {idx}: announcement refused: {message}")
                    announced = True
                while not stop.is_set():
                    event, what = repo.next_event(contributors)
                    eid, raw, ok, message = await send_event(ws, event)
                    stats.ack(eid, raw, ok, message)
                    if ok and what == "issue":
                        repo.issues.append((eid, event.author().to_hex()))
                    if interval:
                        await asyncio.sleep(interval)
                    else:
                        await asyncio.sleep(0)
        except NET_ERRORS as exc:
            stats.pub_errors += 1
            log(f"publisher {idx}: {exc!r}; reconnecting")
            await asyncio.sleep(1)


async def reader(idx, node_url, stop, stats, repos):
    filters = [{"kinds": [1621], "limit": 500}, {"kinds": [1111], "limit": 500},
               {"kinds": [1630, 1631, 1632, 1633], "limit": 500}, None]
    n = idx
    while not stop.is_set():
        try:
            async with websockets.connect(node_url, max_size=None) as ws:
                while not stop.is_set():
                    filt = filters[n % len(filters)]
                    if filt is None:
                        filt = {"#a": [random.choice(repos).coord], "limit": 500} if repos else filters[0]
                    n += 1
                    got = await req(ws, f"r{idx}-{n}", filt)
                    stats.reqs += 1
                    stats.req_events += len(got)
        except (RuntimeError,) + NET_ERRORS as exc:
            stats.req_errors += 1
            log(f"reader {idx}: {exc!r}; reconnecting")
            await asyncio.sleep(1)


async def neg_client(idx, node_url, stop, stats, work):
    local = os.path.join(work, f"neg-local-{idx}.jsonl")
    while not stop.is_set():
        with stats.lock:
            sample = list(stats.acked.values())
        sample = random.sample(sample, min(2000, len(sample)))
        with open(local, "w", encoding="utf-8") as fh:
            for raw in sample:
                fh.write(raw + "\n")
        t = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, NEG_SCRIPT, "--relay", node_url, "--local-events", local, "--no-verify",
            "--timeout", "30", "--deadline", "120",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
        out, _ = await proc.communicate()
        stats.neg_runs += 1
        try:
            res = json.loads(out.decode().strip().splitlines()[-1])
        except Exception:  # noqa: BLE001
            res = {"error": f"no JSON (exit {proc.returncode})"}
        if "error" in res:
            stats.neg_failed.append(res["error"][:200])
        else:
            stats.neg_ok += 1
            stats.neg_seconds.append(time.monotonic() - t)
            if res["local"]:
                # Events the node acknowledged but does not hold would show up here.
                stats.neg_failed.append(f"{len(res['local'])} acknowledged events not in the node's set")
        await asyncio.sleep(0.5)


async def peer_writer(relay_url, roots, stop, stats, interval):
    owner = Keys.generate()
    n = 0
    while not stop.is_set():
        try:
            async with websockets.connect(relay_url, max_size=None) as ws:
                while not stop.is_set():
                    root = random.choice(roots)
                    rk, rp, rid = str(root.kind().as_u16()), root.author().to_hex(), root.id().to_hex()
                    n += 1
                    ev = sign(owner, 1111, [["E", rid, "", rp], ["K", rk], ["P", rp], ["k", rk], ["p", rp]],
                              f"peer live comment {n} {secrets.token_hex(6)}", int(time.time()))
                    eid, _raw, ok, message = await send_event(ws, ev)
                    if ok:
                        stats.peer_written.append(eid)
                    else:
                        stats.peer_errors += 1
                        log(f"peer writer: refused {message}")
                    await asyncio.sleep(interval)
        except NET_ERRORS as exc:
            stats.peer_errors += 1
            log(f"peer writer: {exc!r}; reconnecting")
            await asyncio.sleep(1)


def probe_thread(node_url, stop_flag, stats, gap):
    """Publish+query latency on its own event loop, so the load tasks' loop does not delay it."""

    async def run():
        repo = Repo(node_url, "probe")
        author = Keys.generate()
        announced = False
        n = 0
        while not stop_flag.is_set():
            try:
                async with websockets.connect(node_url, max_size=None) as pub, \
                        websockets.connect(node_url, max_size=None) as qry:
                    if not announced:
                        eid, raw, ok, message = await send_event(pub, repo.announcement())
                        stats.ack(eid, raw, ok, message)
                        announced = ok
                        if not ok:
                            raise RuntimeError(f"probe announcement refused: {message}")
                    while not stop_flag.is_set():
                        ev = repo.issue(author)
                        eid = ev.id().to_hex()
                        t0 = time.monotonic()
                        _eid, raw, ok, message = await send_event(pub, ev)
                        t_ok = time.monotonic() - t0
                        stats.ack(eid, raw, ok, message)
                        if not ok:
                            await asyncio.sleep(gap)
                            continue
                        seen = False
                        while time.monotonic() - t0 < 30:
                            n += 1
                            got = await req(qry, f"probe{n}", {"ids": [eid]})
                            if any(e.get("id") == eid for e in got):
                                seen = True
                                break
                            await asyncio.sleep(0.001)
                        with stats.lock:
                            if seen:
                                stats.probe.append(time.monotonic() - t0)
                                stats.probe_ok.append(t_ok)
                            else:
                                stats.probe_timeouts += 1
                        await asyncio.sleep(gap)
            except (RuntimeError,) + NET_ERRORS as exc:
                log(f"probe: {exc!r}; reconnecting")
                await asyncio.sleep(1)

    asyncio.run(run())


def read_proc_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status", "r", encoding="utf-8") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM", "Threads"):
                    out[key] = int(value.split()[0])
    except OSError:
        pass
    try:
        out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        pass
    return out


async def sampler(pid, t0, stop, stats, interval, samples):
    while True:
        st = read_proc_status(pid)
        samples.append({
            "t_s": round(time.monotonic() - t0, 1),
            "rss_mb": round(st.get("VmRSS", 0) / 1024, 1),
            "hwm_mb": round(st.get("VmHWM", 0) / 1024, 1),
            "threads": st.get("Threads"),
            "fds": st.get("fds"),
            "load1": round(os.getloadavg()[0], 2),
            "acked": len(stats.acked),
            "reqs": stats.reqs,
            "neg_runs": stats.neg_runs,
        })
        if stop.is_set():
            return
        try:
            await asyncio.wait_for(stop.wait(), interval)
        except asyncio.TimeoutError:
            pass


async def find_ids(node_url, ids, chunk=250):
    """The subset of ids the node returns for REQ {"ids": [...]}."""
    found = set()
    async with websockets.connect(node_url, max_size=None) as ws:
        for i in range(0, len(ids), chunk):
            part = ids[i:i + chunk]
            got = await req(ws, f"check{i}", {"ids": part, "limit": len(part)}, timeout=60)
            found.update(e["id"] for e in got)
    return found


async def soak(args, node_url, relay_url, roots, proc, work, t_start):
    stats = Stats()
    stop = asyncio.Event()
    repos = []
    samples = []
    t0 = time.monotonic()
    probe_stop = threading.Event()
    probe = threading.Thread(target=probe_thread, args=(node_url, probe_stop, stats, args.probe_gap), daemon=True)
    probe.start()
    tasks = [asyncio.create_task(sampler(proc.pid, t0, stop, stats, args.sample_interval, samples))]
    load = []
    load += [asyncio.create_task(publisher(i, node_url, stop, stats, repos, args.publish_interval))
             for i in range(args.publishers)]
    await asyncio.sleep(1)  # let the announcements land before the readers ask for #a
    load += [asyncio.create_task(reader(i, node_url, stop, stats, repos)) for i in range(args.readers)]
    load += [asyncio.create_task(neg_client(i, node_url, stop, stats, work)) for i in range(args.neg_clients)]
    load.append(asyncio.create_task(peer_writer(relay_url, roots, stop, stats, args.peer_interval)))

    last_log = t0
    while time.monotonic() - t0 < args.seconds:
        await asyncio.sleep(1)
        if proc.poll() is not None:
            log(f"node exited with status {proc.returncode} during the soak")
            break
        if time.monotonic() - last_log >= 30:
            last_log = time.monotonic()
            s = samples[-1] if samples else {}
            log(f"t={time.monotonic() - t0:.0f}s rss={s.get('rss_mb')} MB acked={len(stats.acked)} "
                f"reqs={stats.reqs} neg={stats.neg_runs} probe={len(stats.probe)} load1={os.getloadavg()[0]:.2f}")
    load_seconds = time.monotonic() - t0
    stop.set()
    probe_stop.set()
    # NEG subprocesses and in-flight EVENTs get to finish (their OKs count); then cancel.
    done, pending = await asyncio.wait(load, timeout=150)
    for t in pending:
        t.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    await asyncio.gather(*tasks, return_exceptions=True)
    probe.join(timeout=60)

    node_alive = proc.poll() is None
    result = {"stats": stats, "samples": samples, "load_seconds": load_seconds, "node_alive": node_alive}
    if node_alive:
        with stats.lock:
            acked_ids = list(stats.acked)
        found = await find_ids(node_url, acked_ids)
        result["lost"] = [i for i in acked_ids if i not in found]
        await asyncio.sleep(args.peer_grace)  # live-written peer events: one sync batch window
        peer_ids = [e.id().to_hex() for e in args.peer_events_list] + list(stats.peer_written)
        pfound = await find_ids(node_url, peer_ids)
        result["peer_preload_missing"] = sum(1 for e in args.peer_events_list if e.id().to_hex() not in pfound)
        result["peer_live_missing"] = sum(1 for i in stats.peer_written if i not in pfound)
        result["rss_after_check_mb"] = round(read_proc_status(proc.pid).get("VmRSS", 0) / 1024, 1)
    return result


def main(argv):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("binary", help="grasp-sync executable (release build)")
    p.add_argument("--seconds", type=float, default=300, help="how long the load runs (default 300)")
    p.add_argument("--publishers", type=int, default=3)
    p.add_argument("--publish-interval", type=float, default=0.0,
                   help="pause after each OK per publisher, seconds (default 0: as fast as the OKs come)")
    p.add_argument("--readers", type=int, default=3)
    p.add_argument("--neg-clients", type=int, default=1)
    p.add_argument("--peer-events", type=int, default=280, help="events of the peer's repository preloaded in the LocalRelay")
    p.add_argument("--peer-interval", type=float, default=2.0, help="seconds between the peer writer's comments")
    p.add_argument("--peer-grace", type=float, default=7.0,
                   help="seconds to wait after the load before checking the peer's live-written events")
    p.add_argument("--probe-gap", type=float, default=0.1, help="pause between latency probes, seconds")
    p.add_argument("--sample-interval", type=float, default=5.0, help="RSS sampling interval, seconds (default 5)")
    p.add_argument("--log-level", default="info")
    p.add_argument("--keep", action="store_true", help="keep the data dir and node log")
    p.add_argument("--node-arg", action="append", default=[], help="extra node argument (repeatable)")
    args = p.parse_args(argv)
    args.binary = os.path.abspath(args.binary)
    if not os.access(args.binary, os.X_OK):
        p.error(f"{args.binary} is not executable")

    work = tempfile.mkdtemp(prefix=f"{PROG}-")
    node_port, relay_port = free_port(), free_port()
    node_url, relay_url = f"ws://127.0.0.1:{node_port}", f"ws://127.0.0.1:{relay_port}"
    peer_events, _kinds = make_events(args.peer_events, [relay_url, node_url])
    args.peer_events_list = peer_events
    roots = [e for e in peer_events if e.kind().as_u16() in (1617, 1618, 1621)]
    events_file = os.path.join(work, "peer.jsonl")
    with open(events_file, "w", encoding="utf-8") as fh:
        for ev in peer_events:
            fh.write(ev.as_json() + "\n")

    budget = "1000000"
    cmd = [args.binary, "serve",
           "--port", str(node_port), "--data-dir", os.path.join(work, "data"),
           "--service-url", node_url, "--bootstrap-relay", relay_url, "--allow-private-relays",
           "--max-events-per-sec-per-connection", budget, "--event-burst-per-connection", budget,
           "--max-events-per-sec-per-ip", budget, "--event-burst-per-ip", budget,
           "--max-connections-per-ip", "200",
           "--log-level", args.log_level] + args.node_arg
    node_log = os.path.join(work, "node.log")
    relay = proc = None
    stop_s = None
    try:
        relay = LocalRelay(events_file, relay_port)
        log(f"peer LocalRelay {relay.url} holds {relay.ready.get('loaded')} events")
        logfh = open(node_log, "w", encoding="utf-8")
        t_start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=logfh, stderr=subprocess.STDOUT)
        logfh.close()
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", node_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        log(f"node pid {proc.pid} on {node_url}; load for {args.seconds:.0f} s")
        result = asyncio.run(soak(args, node_url, relay_url, roots, proc, work, t_start))
        if proc.poll() is None:
            t = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            stop_s = round(time.monotonic() - t, 2)
    finally:
        if proc is not None:
            stop_node(proc)
        if relay is not None:
            relay.stop()

    errors = 0
    with open(node_log, "r", encoding="utf-8", errors="replace") as fh:
        first_errors = []
        for line in fh:
            if re.search(r"\b(error|critical)\b", line, re.I):
                errors += 1
                if len(first_errors) < 3:
                    first_errors.append(line.rstrip()[:300])

    st, samples = result["stats"], result["samples"]
    rss = [s["rss_mb"] for s in samples if s["rss_mb"]]
    print(f"{'t_s':>7} {'rss_mb':>8} {'hwm_mb':>8} {'threads':>7} {'fds':>5} {'load1':>6} {'acked':>8} {'reqs':>7} {'neg':>5}")
    for s in samples:
        print(f"{s['t_s']:>7} {s['rss_mb']:>8} {s['hwm_mb']:>8} {s['threads']!s:>7} {s['fds']!s:>5} "
              f"{s['load1']:>6} {s['acked']:>8} {s['reqs']:>7} {s['neg_runs']:>5}")
    loads = [s["load1"] for s in samples]
    summary = {
        "binary": args.binary,
        "seconds": round(result["load_seconds"], 1),
        "machine": {"cpus": os.cpu_count(), "load1_min": min(loads, default=None),
                    "load1_max": max(loads, default=None),
                    "load1_mean": round(statistics.mean(loads), 2) if loads else None},
        "clients": {"publishers": args.publishers, "readers": args.readers, "neg_clients": args.neg_clients,
                    "probe": 1, "peer_events_preloaded": args.peer_events},
        "rss_mb": {"start": rss[0] if rss else None, "peak": max(rss, default=None), "end": rss[-1] if rss else None,
                   "after_check": result.get("rss_after_check_mb"),
                   "hwm": max((s["hwm_mb"] for s in samples), default=None)},
        "events_published": st.published,
        "events_acknowledged": len(st.acked),
        "events_per_s": round(len(st.acked) / result["load_seconds"], 1),
        "events_refused": st.refused,
        "ok_true_duplicates": st.ok_duplicates,
        "events_lost": len(result["lost"]) if "lost" in result else None,
        "lost_ids": result.get("lost", [])[:10],
        "publish_query_ms": {"n": len(st.probe), "p50": ms(pct(st.probe, 50)), "p99": ms(pct(st.probe, 99)),
                             "max": ms(max(st.probe, default=None)), "timeouts": st.probe_timeouts},
        "publish_ok_ms": {"p50": ms(pct(st.probe_ok, 50)), "p99": ms(pct(st.probe_ok, 99))},
        "reads": {"reqs": st.reqs, "reqs_per_s": round(st.reqs / result["load_seconds"], 1),
                  "events": st.req_events, "errors": st.req_errors},
        "negentropy": {"runs": st.neg_runs, "ok": st.neg_ok, "failed": len(st.neg_failed),
                       "first_failures": st.neg_failed[:3],
                       "p50_s": round(pct(st.neg_seconds, 50), 2) if st.neg_seconds else None},
        "peer": {"preload_missing": result.get("peer_preload_missing"), "live_written": len(st.peer_written),
                 "live_missing": result.get("peer_live_missing"), "writer_errors": st.peer_errors},
        "publisher_reconnects": st.pub_errors,
        "node_alive_at_end": result["node_alive"],
        "node_stop_s": stop_s,
        "node_exit": proc.returncode if proc else None,
        "node_log_error_lines": errors,
        "node_log_first_errors": first_errors,
        "node_cmd": " ".join(cmd),
    }
    if args.keep:
        summary["work_dir"] = work
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(summary))
    sys.stdout.flush()
    return 0 if summary["events_lost"] == 0 and result["node_alive"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
