#!/usr/bin/env python3
"""persona diff against an independent computation from two `persona eval`
runs: tags held, gained and lost; the stage matrix; stage_changed; per
score the changed count, mean, p10/p50/p90 (linear interpolation, numpy's
default), min, max and the histogram; the profiles that cross each
threshold a score is compared with; the --max-changed gate; and, on the
journeys model and a changed copy, per journey the profiles that enter
and exit it under each model; for the most changed profiles, the rules
named as the reason against both models' `persona explain`, and no pii
value (the phone numbers a changed tag and score rule read) in any format. On the example model and a
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


def journey_status(result, name):
    for j in result.get("state", {}).get("journeys", []):
        if j["name"] == name:
            return j["status"]
    return "idle"


def check_journeys(persona, src, work, check, failures):
    """The journeys model and a copy whose nurture journey starts at sql:
    per journey, the profiles in it (status not idle) and those that
    exited, under each model, from the states of two eval runs."""
    import shutil
    shutil.copy(os.path.join(src, "examples", "b2b_lead.persona"), work)  # the import, beside the copy
    old = os.path.join(src, "examples", "b2b_journeys.persona")
    text = open(old, encoding="utf-8").read()
    changed = text.replace('enter on funnel -> "mql"', 'enter on funnel -> "sql"')
    assert changed != text
    new = os.path.join(work, "journeys_new.persona")
    open(new, "w", encoding="utf-8").write(changed)
    profiles = os.path.join(src, "examples", "profiles.jsonl")
    a, b = evaluate(persona, old, profiles), evaluate(persona, new, profiles)
    pairs = [(x, y) for x, y in zip(a, b) if "error" not in x and "error" not in y]
    run = subprocess.run([persona, "diff", old, new, profiles, "--now", NOW, "--format", "json"], capture_output=True)
    got = json.loads(run.stdout)
    check("journeys", ["welcome", "nurture"], [j["name"] for j in got["journeys"]])
    for j in got["journeys"]:
        st = [(journey_status(x, j["name"]), journey_status(y, j["name"])) for x, y in pairs]
        check(f"journey {j['name']} in_old", sum(1 for p, _ in st if p != "idle"), j["in_old"])
        check(f"journey {j['name']} in_new", sum(1 for _, q in st if q != "idle"), j["in_new"])
        check(f"journey {j['name']} enter_only_new", sum(1 for p, q in st if q != "idle" and p == "idle"),
              j["enter_only_new"])
        check(f"journey {j['name']} enter_only_old", sum(1 for p, q in st if p != "idle" and q == "idle"),
              j["enter_only_old"])
        check(f"journey {j['name']} exit_only_new", sum(1 for p, q in st if q == "exited" and p != "exited"),
              j["exit_only_new"])
        check(f"journey {j['name']} exit_only_old", sum(1 for p, q in st if p == "exited" and q != "exited"),
              j["exit_only_old"])
    if not any(j["enter_only_old"] or j["enter_only_new"] for j in got["journeys"]):
        failures.append("no profile enters a journey differently: the journey counts are untested")


def one_line(text):
    return " ".join(text.split())


def explain(persona, model, profiles, key):
    out = subprocess.run([persona, "explain", model, profiles, "--id", key, "--now", NOW, "--format", "json"],
                         capture_output=True, check=True)
    return json.loads(out.stdout)


def by_name(items, name):
    return next((x for x in items if x["name"] == name), None)


def check_explanations(persona, src, work, check, failures):
    """The example model and a copy with a lower enterprise threshold, a
    narrower phone pattern (tag reachable_mobile) and a score rule that
    reads the phone: every reason diff gives for its most changed profiles
    against the two models' own explanations, and no phone number (pii) in
    text, md, json or html."""
    old = os.path.join(src, "examples", "b2b_lead.persona")
    profiles = os.path.join(src, "examples", "profiles.jsonl")
    text = open(old, encoding="utf-8").read()
    changed = (text.replace("employees >= 500", "employees >= 300").replace("1[3-9][0-9]{9}", "1[3-8][0-9]{9}")
               .replace("+5  when procurement", '+5  when procurement or len(phone ?? "") > 11'))
    assert changed.count("phone") == text.count("phone") + 1
    new = os.path.join(work, "explain_new.persona")
    open(new, "w", encoding="utf-8").write(changed)
    args = [persona, "diff", old, new, profiles, "--now", NOW, "--top", "12"]
    outputs = {f: subprocess.run(args + ["--format", f], capture_output=True) for f in ("text", "md", "json", "html")}
    got = json.loads(outputs["json"].stdout)
    phones = [json.loads(l).get("phone") for l in open(profiles, encoding="utf-8")]
    for f, run in outputs.items():
        both = run.stdout.decode() + run.stderr.decode()
        leaked = [p for p in phones if p and p in both]
        if leaked:
            failures.append(f"--format {f}: {len(leaked)} phone numbers (pii) in the output")
    reasons = [w for c in got["most_changed"] for w in c["why"] or []]
    if not any(w.startswith("tag reachable_mobile") and "(hidden: pii)" in w for w in reasons):
        failures.append("no reason names the pii-reading tag with its value hidden: the pii check proves nothing")
    if not any(w.startswith("score fit") and "phone" in w for w in reasons):
        failures.append("no reason names the pii-reading score rule: the pii check proves nothing")
    for c in got["most_changed"]:
        key = json.loads(c["id"]) if isinstance(c["id"], str) and c["id"].startswith('"') else c["id"]
        a, b = explain(persona, old, profiles, key), explain(persona, new, profiles, key)
        why = c["why"] or []
        want_tags = [t["name"] for t in a["tags"] if t["holds"] != by_name(b["tags"], t["name"])["holds"]]
        check(f"{key}: tags with a reason", want_tags,
              [w.split()[1] for w in why if w.startswith("tag ")])
        for l in a["lifecycles"]:
            m = by_name(b["lifecycles"], l["name"])
            line = next((w for w in why if w.startswith(l["name"] + ": ")), None)
            if l["stage"] == m["stage"]:
                check(f"{key}: {l['name']} has no reason", None, line)
                continue
            ta = {(t["from"], t["to"]) for t in l["taken"]}
            tb = {(t["from"], t["to"]) for t in m["taken"]}
            for f, t in ta ^ tb:
                if f"`{f or 'any'} -> {t} when" not in (line or ""):
                    failures.append(f"{key}: transition {f} -> {t} taken under one model only, not in {line!r}")
        for s in a["scores"]:
            t = by_name(b["scores"], s["name"])
            line = next((w for w in why if w.startswith(f"score {s['name']}: ")), None)
            if s["value"] == t["value"]:
                check(f"{key}: score {s['name']} has no reason", None, line)
                continue
            ca = {one_line(r["rule"]): r["contribution"] for r in s["rules"]}
            cb = {one_line(r["rule"]): r["contribution"] for r in t["rules"]}
            for rule in set(ca) | set(cb):
                differs = ca.get(rule, 0) != cb.get(rule, 0)
                if differs != (f"`{rule}`" in (line or "")):
                    failures.append(f"{key}: score {s['name']} rule {rule!r} "
                                    f"{'differs but is not named' if differs else 'is named but does not differ'}"
                                    f" in {line!r}")


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
        # the histogram: equal bins from min to max, the last one closed
        lo, hi = d[0], d[-1]
        bins = 10 if hi > lo else 1
        hist = [0] * bins
        for v in d:
            hist[min(bins - 1, int(math.floor((v - lo) / (hi - lo) * bins)) if hi > lo else 0)] += 1
        check(f"score {s['name']} histogram", hist, s["histogram"])
        # thresholds: the profiles for which `score OP value` starts or stops holding
        ops = {">=": lambda x, t: x >= t, ">": lambda x, t: x > t, "<=": lambda x, t: x <= t, "<": lambda x, t: x < t}
        for t in s["thresholds"]:
            holds = ops[t["op"]]
            old_v = [x["scores"][s["name"]] for x, _ in pairs]
            new_v = [y["scores"][s["name"]] for _, y in pairs]
            up = sum(1 for p, q in zip(old_v, new_v) if holds(q, t["value"]) and not holds(p, t["value"]))
            down = sum(1 for p, q in zip(old_v, new_v) if holds(p, t["value"]) and not holds(q, t["value"]))
            check(f"threshold {s['name']} {t['op']} {t['value']} up", up, t["up"])
            check(f"threshold {s['name']} {t['op']} {t['value']} down", down, t["down"])
    # the model compares total with 60 and 30 (its lifecycle): both listed
    total = next(s for s in got["scores"] if s["name"] == "total")
    check("total thresholds", [(">=", 60), ("<", 30)], [(t["op"], t["value"]) for t in total["thresholds"]])
    if not any(t["up"] or t["down"] for s in got["scores"] for t in s["thresholds"]):
        failures.append("no profile crosses a threshold: the threshold counts are untested")
    gate_fails = stage_changed / len(pairs) > 0.05
    check("exit status", 1 if gate_fails else 0, run.returncode)
    check("gate_failed", gate_fails, got["gate_failed"])
    if not any(t["gained"] or t["lost"] for t in got["tags"]) or stage_changed == 0:
        failures.append("the changed model changes nothing: the test would prove nothing")
    check_journeys(persona, src, work, check, failures)
    check_explanations(persona, src, work, check, failures)
    for f in failures:
        print("FAIL", f)
    print(f"{len(pairs)} profiles, {stage_changed} change stage, {len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
