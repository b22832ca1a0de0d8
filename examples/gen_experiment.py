#!/usr/bin/env python3
"""gen_experiment.py - the profiles of the content experiment
(examples/b2b_experiment.persona), written to examples/experiment_profiles.jsonl.

    python3 examples/gen_experiment.py [--seed N] [-o FILE]

4 000 contacts seen before 2026-02-01, evaluated first on 2026-02-01 (when
each gets its arm). Their outcome is planted as if the content worked: a
contact wins a deal within 45 days of 2026-02-01 with probability 8 % in
the holdout, 10 % with the customer-story email (a 25 % lift) and 8.5 %
with the ROI calculator (about none). The arm is computed here exactly as
Persona computes it (docs/experiment.md): HMAC-SHA256 keyed by the salt
over "content_test" NUL key, the first 8 bytes big-endian mod 10 000, the
arms taking 0-4499, 4500-8999 and 9000-9999. Deals after the 30-day
window do not count, so the measured rates are lower than the planted
ones. Every draw comes from one random.Random(seed): the same file every
time.
"""
import argparse
import datetime
import hashlib
import hmac
import json
import random

SALT, NAME = "2026-q1", "content_test"
ARMS = [("story", 4500), ("roi", 4500), ("holdout", 1000)]
RATE = {"story": 0.10, "roi": 0.085, "holdout": 0.08}
START = datetime.datetime(2026, 2, 1, tzinfo=datetime.timezone.utc)
TITLES = ["CTO", "IT Manager", "Marketing Manager", "Engineer", "VP Sales", "采购经理", "总经理", ""]


def arm_of(key):
    d = hmac.new(SALT.encode(), NAME.encode() + b"\0" + key.encode(), hashlib.sha256).digest()
    b = int.from_bytes(d[:8], "big") % 10000
    end = 0
    for arm, w in ARMS:
        end += w
        if b < end:
            return arm
    return ARMS[-1][0]


def at(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=20260201)
    ap.add_argument("-o", default="examples/experiment_profiles.jsonl")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with open(args.o, "w", encoding="utf-8") as f:
        for i in range(1, 4001):
            key = f"e{i:05d}"
            seen = START - datetime.timedelta(seconds=rng.randrange(1, 30 * 86400))
            events = [{"type": "page_view", "at": at(seen), "url": "/"}]
            if rng.random() < RATE[arm_of(key)]:
                won = START + datetime.timedelta(seconds=rng.randrange(1, 45 * 86400))
                events.append({"type": "deal_won", "at": at(won), "amount": rng.randrange(5, 50) * 10000})
            p = {"id": key, "title": rng.choice(TITLES), "employees": rng.randrange(10, 5000), "events": events}
            if rng.random() < 0.5:
                p["phone"] = "+86138%08d" % rng.randrange(10 ** 8)
            f.write(json.dumps(p, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
