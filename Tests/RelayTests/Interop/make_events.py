#!/usr/bin/env python3
"""Write N signed nostr events (kind 1621 by default) as JSON lines, signed with nostr-sdk.

Usage:
    python make_events.py --count N --out FILE [--kind 1621] [--a COORDINATE] [--p PUBKEY]

Each event gets fresh random keys for the whole file, a unique "subject" tag
and content, and created_at = now - i (distinct timestamps, newest first).
--a adds ["a", COORDINATE] (e.g. "30617:<pubkey>:<d>") and --p adds
["p", PUBKEY] to every event, so the events can reference a repository.

stdout: one JSON line {"out": FILE, "count": N, "kind": K, "pubkey": HEX}.
On failure: {"error": "..."} and a non-zero exit status.
"""

import argparse
import json
import os
import secrets
import sys

from nostr_sdk import EventBuilder, Keys, Kind, Tag, Timestamp

PROG = "make_events"


def main(argv):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, required=True, help="number of events to write")
    p.add_argument("--out", required=True, help="output file (JSON lines); '-' for stdout is not allowed")
    p.add_argument("--kind", type=int, default=1621, help="event kind (default 1621, NIP-34 issue)")
    p.add_argument("--a", dest="coordinate", help='add ["a", COORDINATE] to every event')
    p.add_argument("--p", dest="pubkey", help='add ["p", PUBKEY] to every event')
    args = p.parse_args(argv)
    if args.count < 0:
        p.error("--count must be >= 0")
    if not 0 <= args.kind <= 65535:
        p.error("--kind must be in 0..65535")
    if args.out == "-":
        p.error("--out must be a file")

    keys = Keys.generate()
    batch = secrets.token_hex(4)
    now = Timestamp.now().as_secs()
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        for i in range(args.count):
            tags = [Tag.parse(["subject", f"generated {batch} #{i}"])]
            if args.coordinate:
                tags.append(Tag.parse(["a", args.coordinate]))
            if args.pubkey:
                tags.append(Tag.parse(["p", args.pubkey]))
            event = (
                EventBuilder(Kind(args.kind), f"event {i} of batch {batch}")
                .tags(tags)
                .custom_created_at(Timestamp.from_secs(now - i))
                .finalize(keys)
            )
            fh.write(event.as_json() + "\n")
    os.replace(tmp, args.out)
    out = {"out": args.out, "count": args.count, "kind": args.kind, "pubkey": keys.public_key().to_hex()}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Exception as err:  # noqa: BLE001
        sys.stderr.write(f"[{PROG}] ERROR {err!r}\n")
        sys.stdout.write(json.dumps({"error": str(err)}) + "\n")
        sys.stdout.flush()
        sys.exit(1)
