#!/usr/bin/env python3
"""persona diff against an independent computation from two `persona eval`
runs: tags held, gained and lost; the stage matrix; stage_changed; per
score the changed count, mean, p10/p50/p90 (linear interpolation, numpy's
default), min and max; the --max-changed gate. On the example model and a
changed copy (a lower threshold, a removed tag, a changed score rule).

usage: check_diff.py PERSONA SOURCE_DIR WORK_DIR
"""
import json
import math
import os
import subprocess
import sys

NOW = "2026-02-01T00:00:00Z"


def evaluate(persona, model, profiles):
    out = subprocess.run([persona, "eval", model, profiles, "--now", NOW], capture_output=True, check=False)
    return [json.loads(l) for l in out.stdout.decode().splitlines() if l.strip()]


def quantile(v, q):
    h = (len(v) - 1) * q
    lo = math.floor(h)
    return v[-1] if lo + 1 >= len(v) else v[lo] + (h - lo) * (v[lo + 1] - v[lo])


def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def main():
    persona, src, work = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(work, exist_ok=True)
    old = os.path.join(src, "examples", "b2b_lead.persona")
    profiles = os.path.join(src, "examples", "profiles.jsonl")
    text = open(old, encoding="utf-8").read()
    changed = (text.replace("employees >= 500", "employees >= 300")
               .replace('tag no_title       "职位缺失"   when len(trim(title)) == 0', ""))
    assert changed != text
    new = os.path.join(work, "new.persona")
    open(new, "w", encoding="utf-8").write(changed)

    a, b = evaluate(persona, old, profiles), evaluate(persona, new, profiles)
    pairs = [(x, y) for x, y in zip(a, b) if "error" not in x and "error" not in y]
    run = subprocess.run([persona, "diff", old, new, profiles, "--now", NOW, "--format", "json",
                          "--max-changed", "5%"], capture_output=True)
    got = json.loads(run.stdout)
    failures = []

    def check(what, want, have):
        ok = close(want, have) if isinstance(want, float) else want == have
        if not ok:
            failures.append(f"{what}: expected {want}, got {have}")

    check("profiles", len(pairs), got["profiles"])
    for t in got["tags"]:
        name = t["name"]
        held_a = [name in x["tags"] for x, _ in pairs]
        held_b = [name in y["tags"] for _, y in pairs]
        check(f"tag {name} old", sum(held_a), t["old"])
        check(f"tag {name} new", sum(held_b), t["new"])
        check(f"tag {name} gained", sum(1 for p, q in zip(held_a, held_b) if q and not p), t["gained"])
        check(f"tag {name} lost", sum(1 for p, q in zip(held_a, held_b) if p and not q), t["lost"])
    stage_changed = sum(1 for x, y in pairs if x["stages"] != y["stages"])
    check("stage_changed", stage_changed, got["stage_changed"])
    for l in got["lifecycles"]:
        st = l["stages"]
        for i, s in enumerate(st):
            for j, u in enumerate(st):
                want = sum(1 for x, y in pairs if x["stages"][l["name"]] == s and y["stages"][l["name"]] == u)
                check(f"{l['name']} {s}->{u}", want, l["matrix"][i][j])
    for s in got["scores"]:
        d = sorted(y["scores"][s["name"]] - x["scores"][s["name"]] for x, y in pairs)
        check(f"score {s['name']} changed", sum(1 for x, y in pairs if x["scores"][s["name"]] != y["scores"][s["name"]]),
              s["changed"])
        check(f"score {s['name']} mean", sum(d) / len(d), s["mean"])
        for q, key in ((0.1, "p10"), (0.5, "p50"), (0.9, "p90")):
            check(f"score {s['name']} {key}", float(quantile(d, q)), float(s[key]))
        check(f"score {s['name']} min", float(d[0]), float(s["min"]))
        check(f"score {s['name']} max", float(d[-1]), float(s["max"]))
    gate_fails = stage_changed / len(pairs) > 0.05
    check("exit status", 1 if gate_fails else 0, run.returncode)
    check("gate_failed", gate_fails, got["gate_failed"])
    if not any(t["gained"] or t["lost"] for t in got["tags"]) or stage_changed == 0:
        failures.append("the changed model changes nothing: the test would prove nothing")
    for f in failures:
        print("FAIL", f)
    print(f"{len(pairs)} profiles, {stage_changed} change stage, {len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
