#!/usr/bin/env python3
"""Persona's two ratios to the simdjson floor, measured in paired rounds.

    python3 bench/paired.py [ROUNDS]      (default 15; after bench/run.sh build)

On a shared, noisy host the speed of the machine drifts while hyperfine
runs one command many times and then the next. Here each round runs the
floor, Persona and Persona -j 2 one after the other on the 100 000-profile
file, so every ratio compares neighbours in time. Prints the medians, the
ratio of the medians, and the median of the per-round ratios.
"""
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "bench/data/profiles_100000.jsonl")
FLOOR = os.path.join(ROOT, "bench/build/floor_simdjson")
PERSONA = os.path.join(ROOT, "bench/build/persona/persona")
MODEL = os.path.join(ROOT, "bench/model.persona")
NOW = "2026-02-01T00:00:00Z"


def main():
    if len(sys.argv) > 2 or (len(sys.argv) == 2 and not sys.argv[1].isdigit()):
        sys.exit(__doc__)
    rounds = int(sys.argv[1]) if len(sys.argv) == 2 else 15
    for path in (DATA, FLOOR, PERSONA):
        if not os.path.exists(path):
            sys.exit(f"paired.py: {path} is missing: run bench/run.sh data build first")
    commands = {
        "floor": f"'{FLOOR}' < '{DATA}' > /dev/null",
        "persona": f"'{PERSONA}' eval '{MODEL}' '{DATA}' --now {NOW} > /dev/null",
        "persona -j 2": f"'{PERSONA}' eval -j 2 '{MODEL}' '{DATA}' --now {NOW} > /dev/null",
    }
    times = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, shell=True, check=True)
            times[name].append(time.perf_counter() - start)
    floor = statistics.median(times["floor"])
    print(f"{rounds} rounds; median wall time: floor {floor:.3f} s")
    for name in ("persona", "persona -j 2"):
        median = statistics.median(times[name])
        paired = statistics.median(a / b for a, b in zip(times[name], times["floor"]))
        print(f"{name}: {median:.3f} s, {median / floor:.2f}x the floor "
              f"(median of the per-round ratios: {paired:.2f}x)")


if __name__ == "__main__":
    main()
