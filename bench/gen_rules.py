#!/usr/bin/env python3
"""A generated model with N rules, for measuring compile time.

    python3 bench/gen_rules.py N > rules_N.persona

Half the rules are tags (a comparison and a membership test each), half
are score rules in scores of ten rules, every fifth rule counts events
with a window; a lifecycle reads a few of the scores.
"""
import sys

n = int(sys.argv[1])
out = ['model rules version "1"', "",
       "record event {", "  type: string", "  at: time", "}", "",
       "schema {", "  id: string key", "  employees: int = 0", '  region: string = ""',
       "  events: list<event> = []", "}", ""]
tags = n // 2
for i in range(tags):
    out.append(f'tag t{i} when employees >= {i % 1000} and region in ["r{i % 97}", "r{(i + 1) % 97}"]')
rules = n - tags
scores = []
for s in range((rules + 9) // 10):
    body = []
    for r in range(10):
        k = s * 10 + r
        if k >= rules:
            break
        if k % 5 == 0:
            body.append(f'  +{k % 7 + 1} per events where type == "e{k % 13}" within {k % 30 + 1}d cap 50')
        else:
            body.append(f"  +{k % 9 + 1} when t{k % max(tags, 1)}")
    out.append(f"score s{s} {{")
    out.extend(body)
    out.append("}")
    scores.append(f"s{s}")
out.append("")
out.append("lifecycle funnel {")
out.append("  initial lead")
out.append(f"  lead -> mql when {scores[0] if scores else 0} >= 10")
out.append("}")
print("\n".join(out))
