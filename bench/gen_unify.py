#!/usr/bin/env python3
"""Writes N web records with three identifiers each (cookie, e-mail
address, phone number) for the speed measurement of persona unify
(docs/performance.md), as source `web` of examples/b2b_sources.persona.

    python3 bench/gen_unify.py [-n N] [--seed S] > web.jsonl

About three records per person; phone numbers and e-mail addresses in the
mixed forms people type, so the normalisers do real work. The bytes depend
only on N and the seed.
"""
import argparse
import random
import sys

FORMS = ["{d}", "+86{d}", "{a} {b} {c}", "+86-{a}-{b}-{c}", "0086{d}"]
TYPES = ["page_view", "page_view", "page_view", "download", "email_open", "email_click"]
PAGES = ["/", "/product", "/pricing", "/docs/getting-started", "/blog"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1000000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    people = max(1, args.n // 3)
    out = sys.stdout
    base = 1735689600  # 2025-01-01T00:00:00Z
    buf = []
    for _ in range(args.n):
        p = rng.randrange(people)
        d = "1%d%09d" % (3 + p % 7, p)
        phone = FORMS[rng.randrange(len(FORMS))].format(d=d, a=d[:3], b=d[3:7], c=d[7:])
        email = ("User%07d@Example.CN" if rng.random() < 0.3 else "user%07d@example.cn") % p
        cookie = "ck%07d-%d" % (p, rng.randrange(2))
        t = base + rng.randrange(365 * 86400)
        day, sec = divmod(t - base, 86400)
        month_days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        m = 0
        while day >= month_days[m]:
            day -= month_days[m]
            m += 1
        at = "2025-%02d-%02dT%02d:%02d:%02dZ" % (m + 1, day + 1, sec // 3600, sec // 60 % 60, sec % 60)
        buf.append('{"cookie":"%s","email":"%s","phone":"%s","type":"%s","at":"%s","url":"%s"}\n'
                   % (cookie, email, phone, TYPES[rng.randrange(len(TYPES))], at, PAGES[rng.randrange(len(PAGES))]))
        if len(buf) >= 10000:
            out.write("".join(buf))
            buf = []
    out.write("".join(buf))


if __name__ == "__main__":
    main()
