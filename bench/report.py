#!/usr/bin/env python3
"""One table from hyperfine's JSON and the peak-memory files of bench/run.sh.

Columns: median wall time (min..max), profiles/s, MB/s (10^6 bytes), peak
RSS (median of the runs, MiB), the ratio to the simdjson parse-only floor
("x floor", lower is better) and, for every other command, how many times
Persona's median is faster ("persona x", higher is better).
"""
import argparse
import json
import os
import statistics


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--profiles", type=int, required=True)
    ap.add_argument("commands", nargs="+", help="id|kind")
    a = ap.parse_args()
    size = os.path.getsize(a.input)
    rows = []
    for spec in a.commands:
        cid, kind = spec.split("|")
        path = os.path.join(a.results, cid + ".json")
        if not os.path.exists(path):
            continue
        r = json.load(open(path))["results"][0]
        times = r["times"]
        mem_path = os.path.join(a.results, cid + ".mem")
        mem = [int(x) for x in open(mem_path).read().split()] if os.path.exists(mem_path) else []
        rows.append((cid, kind, statistics.median(times), min(times), max(times),
                     statistics.median(mem) / 1024 if mem else float("nan")))
    med = {r[0]: r[2] for r in rows}
    floor = med.get("simdjson")
    persona = med.get("persona")
    print(f"Input: {a.input} — {size:,} bytes, {a.profiles:,} profiles. "
          "Median of the timed runs; all commands in one run of bench/run.sh.\n")
    print("| id | kind | median s | min..max s | profiles/s | MB/s | peak RSS MiB | x floor | persona x |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for cid, kind, m, lo, hi, rss in rows:
        xf = f"{m / floor:.2f}" if floor else "-"
        px = f"{m / persona:.1f}" if persona and cid != "persona" else "-"
        print(f"| {cid} | {kind} | {m:.3f} | {lo:.3f}..{hi:.3f} | {a.profiles / m:,.0f} | "
              f"{size / m / 1e6:,.0f} | {rss:.1f} | {xf} | {px} |")


if __name__ == "__main__":
    main()
