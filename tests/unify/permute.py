#!/usr/bin/env python3
"""permute.py - persona unify does not depend on the order of its input.

    permute.py PERSONA SOURCE_DIR [ROUNDS]

Generates the example's four sources (examples/gen_sources.py, 400 people,
its bad records included), unifies them once, then ROUNDS times (default 8)
with every file's lines shuffled, the files given in a shuffled order, and
each source split into two files at a random line (NAME=FILE twice); and
once more with the records in three random batches unified one after the
other into a store (--store), whose final profiles must equal the first
run's. Every
run must write byte-identical profiles and report, and the same problems
(as a set: their file names and lines differ). Also checks what the output
must be whatever the order: every profile id unique, every placed record's
event in exactly one profile, and the report's counts equal to a count of
the output.
"""
import json
import os
import random
import subprocess
import sys
import tempfile

SOURCES = ("crm", "web", "wechat", "offline")


def run(persona, model, args, out, report):
    # --store keeps the records sealed, under this key (docs/unify.md, "The store")
    env = dict(os.environ, PERSONA_STORE_KEY="permute-test-store-key-0123")
    p = subprocess.run([persona, "unify", model, *args, "-o", out, "--report", report],
                       capture_output=True, text=True, env=env)
    if p.returncode not in (0, 3):
        sys.exit(f"persona unify failed ({p.returncode}): {p.stderr}")
    problems = sorted(line.split(": ", 1)[1] for line in p.stderr.splitlines() if line.startswith(("/", "."))
                      or ".jsonl:" in line)
    with open(out, "rb") as f:
        profiles = f.read()
    with open(report, "rb") as f:
        rep = f.read()
    return profiles, rep, problems, p.returncode


def main():
    persona, src = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    model = os.path.join(src, "examples", "b2b_sources.persona")
    rng = random.Random(2326)
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")
        subprocess.run([sys.executable, os.path.join(src, "examples", "gen_sources.py"), "-n", "400", "-o", data],
                       check=True)
        lines = {}
        for name in SOURCES:
            with open(os.path.join(data, name + ".jsonl"), encoding="utf-8") as f:
                lines[name] = f.read().splitlines(keepends=True)
        base = run(persona, model, [os.path.join(data, n + ".jsonl") for n in SOURCES],
                   os.path.join(tmp, "base.jsonl"), os.path.join(tmp, "base.report"))
        profiles = [json.loads(l) for l in base[0].decode().splitlines()]
        ids = [p["id"] for p in profiles]
        assert len(ids) == len(set(ids)), "duplicate profile ids"
        report = json.loads(base[1])
        assert report["profiles"] == len(profiles), (report["profiles"], len(profiles))
        events = sum(len(p["events"]) for p in profiles)
        expect_events = sum(1 for n in ("web", "wechat", "offline") for l in lines[n]) - 2  # their bad records
        assert events == expect_events, (events, expect_events)
        assert base[3] == 3 and report["bad_records"] == 3, (base[3], report["bad_records"])
        for r in range(rounds):
            d = os.path.join(tmp, f"r{r}")
            os.mkdir(d)
            args = []
            for name in SOURCES:
                shuffled = lines[name][:]
                rng.shuffle(shuffled)
                cut = rng.randrange(len(shuffled) + 1)
                for part, chunk in (("a", shuffled[:cut]), ("b", shuffled[cut:])):
                    path = os.path.join(d, f"{part}-{name}.jsonl")
                    with open(path, "w", encoding="utf-8") as f:
                        f.writelines(chunk)
                    args.append(f"{name}={path}")
            rng.shuffle(args)
            got = run(persona, model, args, os.path.join(d, "out.jsonl"), os.path.join(d, "report.json"))
            if got[0] != base[0]:
                sys.exit(f"round {r}: the profiles differ from the first run's")
            if got[1] != base[1]:
                sys.exit(f"round {r}: the report differs: {got[1]!r} vs {base[1]!r}")
            if got[2] != base[2]:
                sys.exit(f"round {r}: the problems differ: {got[2]} vs {base[2]}")
        # Incremental: the records arrive in three batches, each unified into
        # a store; after the last, the profiles equal one run over all.
        store = os.path.join(tmp, "store")
        batches = [[], [], []]
        for name in SOURCES:
            for line in lines[name]:
                batches[rng.randrange(3)].append((name, line))
        for b, batch in enumerate(batches):
            args = []
            for name in SOURCES:
                path = os.path.join(tmp, f"batch{b}-{name}.jsonl")
                with open(path, "w", encoding="utf-8") as f:
                    f.writelines(line for n, line in batch if n == name)
                args.append(f"{name}={path}")
            got = run(persona, model, ["--store", store, *args], os.path.join(tmp, f"store{b}.jsonl"),
                      os.path.join(tmp, f"store{b}.report"))
        if got[0] != base[0] or got[1] != base[1]:
            sys.exit("the store after three batches differs from one run over everything")
        print(f"ok: {len(profiles)} profiles from {sum(len(v) for v in lines.values())} records, "
              f"identical over {rounds} permutations")


if __name__ == "__main__":
    main()
