#!/usr/bin/env python3
"""Reads `persona run` evaluation traces (PERSONA_RUN_TRACE, docs/runtime.md,
"Testing hooks") as they are written and says, for the evaluations of the
last trace, how many changed nothing.

    python3 bench/catchup_stats.py TRACE [TRACE...]

Each TRACE is read to its end in turn (a FIFO: while the runner writes it).
An evaluation "changed nothing" when its tags, segments, stages and state
are those of the profile's previous evaluation apart from timestamps, and
it made no transition and no action. Scores are left out: a decaying score
changes a little every instant, and a change that matters crosses a
threshold some tag, segment or stage tests. Per-profile memory: one hash.
Prints one JSON object about the last TRACE.
"""
import calendar
import datetime
import hashlib
import json
import re
import sys

TIME = re.compile(r'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"')


def fingerprint(res):
    """What an evaluation shows, timestamps blanked; None for a failure."""
    if res is None:
        return None
    shown = {k: res.get(k) for k in ("tags", "segments", "stages", "state")}
    text = TIME.sub('"T"', json.dumps(shown, sort_keys=True, separators=(",", ":")))
    return hashlib.blake2b(text.encode(), digest_size=8).digest()


def micros(text):
    base, _, frac = text.rstrip("Z").partition(".")
    d = datetime.datetime.fromisoformat(base)
    return calendar.timegm(d.timetuple()) * 1000000 + (int((frac + "000000")[:6]) if frac else 0)


def main():
    last, last_at = {}, {}
    for i, path in enumerate(sys.argv[1:]):
        final = i == len(sys.argv) - 2
        stats = {"evaluations": 0, "catch_up": 0, "unchanged": 0, "catch_up_unchanged": 0, "profiles": 0,
                 "within_1ms": 0}
        per_profile = {}
        with open(path) as f:
            for line in f:
                row = json.loads(line)
                key, res = json.dumps(row["key"]), row["result"]
                fp = fingerprint(res)
                acted = res is not None and (res.get("actions") or res.get("transitions"))
                same = key in last and fp is not None and fp == last[key] and not acted
                last[key] = fp
                at = micros(row["at"])
                close = key in last_at and at - last_at[key] < 1000
                last_at[key] = at
                if not final:
                    continue
                stats["evaluations"] += 1
                stats["catch_up"] += row["catch_up"]
                stats["unchanged"] += same
                stats["catch_up_unchanged"] += same and row["catch_up"]
                stats["within_1ms"] += close
                per_profile[key] = per_profile.get(key, 0) + 1
        if final:
            stats["profiles"] = len(per_profile)
            stats["max_per_profile"] = max(per_profile.values(), default=0)
            print(json.dumps(stats))


if __name__ == "__main__":
    main()
