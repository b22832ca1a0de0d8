#!/usr/bin/env python3
"""check_segments.py - `persona segments` against an independent count.

    check_segments.py PERSONA SOURCE_DIR WORK_DIR

The shipped lead model with segments added (over its tags, a score, a
stage and a pii field) is evaluated over the shipped 3 000 profiles with
`persona eval`; this script counts each segment's size and every pair's
intersection from those results itself, and compares them with
`persona segments --format json`, number for number (sizes, shares,
both, either, Jaccard). It also checks that the text, Markdown, JSON and
HTML documents hold no value of the pii field. Exit 1 with the
differences.
"""
import json
import os
import subprocess
import sys

NOW = "2026-02-01T00:00:00Z"
SEGMENTS = """
segment smart_mfg "智能制造目标客户" when east_china and target_industry and enterprise
segment hot_east when east_china and fit >= 40
segment mobile when reachable_mobile and phone != null
segment early when funnel == "lead"
segment nobody when enterprise and mid_market
"""


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: exit {p.returncode}\n{p.stderr}")
    return p.stdout


def main():
    persona, src, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(src, "examples", "b2b_lead.persona"), encoding="utf-8") as f:
        text = f.read()
    model = os.path.join(work, "segments.persona")
    with open(model, "w", encoding="utf-8") as f:
        f.write(text + SEGMENTS)
    profiles = os.path.join(src, "examples", "profiles.jsonl")
    names = [l.split()[1] for l in SEGMENTS.strip().splitlines()]

    results = [json.loads(l) for l in run([persona, "eval", model, profiles, "--now", NOW]).splitlines()]
    ok = [r for r in results if "error" not in r]
    held = [set(r["segments"]) for r in ok]
    size = {n: sum(n in h for h in held) for n in names}
    both = {(a, b): sum(a in h and b in h for h in held) for a in names for b in names}

    doc = json.loads(run([persona, "segments", model, profiles, "--now", NOW, "--format", "json"]))
    blocks = {}
    for s in doc["sections"]:
        for b in s["blocks"]:
            blocks[b.get("id", b["type"] + "." + s["id"])] = b
    errors = []

    def expect(what, got, want):
        if got != want:
            errors.append(f"{what}: persona says {got}, the count says {want}")

    figures = {i["key"]: i["value"] for i in blocks["figures.overview"]["items"]}
    expect("records", figures["records"], len(results))
    expect("evaluated", figures["evaluated"], len(ok))
    rows = blocks["segments.sizes"]["rows"]
    expect("segments listed", [r["segment"] for r in rows], names)
    for r in rows:
        n = r["segment"]
        expect(f"size of {n}", r["profiles"], size[n])
        expect(f"share of {n}", r["share"], round(100 * size[n] / len(ok), 1))
    pairs = blocks["overlap.pairs"]["rows"]
    want_pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    expect("pairs listed", [(r["a"], r["b"]) for r in pairs], want_pairs)
    for r in pairs:
        a, b = r["a"], r["b"]
        either = size[a] + size[b] - both[a, b]
        expect(f"{a} and {b}", r["both"], both[a, b])
        expect(f"{a} or {b}", r["either"], either)
        expect(f"Jaccard of {a}, {b}", r["jaccard"], round(both[a, b] / either, 3) if either else None)
    # The counts must be worth checking: segments that hold for some and not all.
    if not all(0 < size[n] < len(ok) for n in names if n != "nobody") or size["nobody"] != 0:
        errors.append(f"the test data no longer exercises the segments: {size}")

    phones = {json.loads(l).get("phone") for l in open(profiles, encoding="utf-8")}
    phones = {p for p in phones if p}
    if len(phones) < 100:
        errors.append(f"only {len(phones)} phone numbers in the test data")
    for fmt in ("text", "md", "json", "html"):
        out = run([persona, "segments", model, profiles, "--now", NOW, "--format", fmt])
        leaked = [p for p in phones if p in out]
        if leaked:
            errors.append(f"{fmt}: {len(leaked)} phone numbers appear in the output")
    for e in errors:
        print(e)
    print(f"{len(ok)} profiles, {len(names)} segments, {len(want_pairs)} pairs checked")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
