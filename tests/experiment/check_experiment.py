#!/usr/bin/env python3
"""check_experiment.py - `persona experiment` end to end against an
independent implementation (Python's standard library only).

    check_experiment.py PERSONA WORK_DIR

1. Assignment: every profile's arm in the state is the one this script
   computes from HMAC-SHA256(salt, NAME NUL KEY) (docs/experiment.md).
2. The holdout gets no action from the journey that splits on the
   experiment; the other arms get their arm's email.
3. Counts and statistics: n, conversions (the metric as of assigned +
   window), pending profiles, rate, Wilson 95 %, lift, the z-test p, the
   chi-square p across arms (closed forms: df 2 exp(-x/2), df 1
   erfc(sqrt(x/2))), the sample-ratio p and the MDE, to 1e-9.
4. Sample-ratio mismatch fires when a third of the holdout is dropped.
5. A changed salt reshuffles and says so; changed weights move exactly the
   buckets whose range changed owner.
6. Gates: --min-lift and --require-significant pass and fail at the right
   side of the reported numbers, naming the gate.
7. pii: no value of the pii field appears in any output, in any format.
"""
import hashlib
import hmac
import json
import math
import os
import random
import subprocess
import sys

PERSONA, WORK = sys.argv[1], sys.argv[2]
os.makedirs(WORK, exist_ok=True)
FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL", what)


def close(a, b, what, tol=1e-9):
    if a is None or b is None:
        check(a is None and b is None, f"{what}: {a} vs {b}")
    else:
        check(abs(a - b) <= tol * max(1.0, abs(b)), f"{what}: persona {a} vs python {b}")


MODEL = """model exp_check version "1"

record event {
  type: string
  at: time
}

schema {
  id: string key
  email: string? pii
  events: list<event> = []
}

experiment content_test "内容实验" {
  arms story 45%, roi 45%, holdout 10%
  salt "SALT"
  metric exists(events where type == "deal_won" since assigned) within 30d
}

experiment subject_test {
  arms a 50%, b 50%
  salt "subjects"
  metric exists(events where type == "deal_won" since assigned) within 14d
  control b
}

journey nurture {
  enter when true
  split content_test {
    story: send email "story-1"
    roi: send email "roi-1"
  }
}
"""

DAY = 86400
T0 = 1767225600  # 2026-01-01T00:00:00Z
LATE = T0 + 40 * DAY
NOW = T0 + 50 * DAY


def iso(t):
    import datetime
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def bucket(salt, name, key):
    d = hmac.new(salt.encode(), name.encode() + b"\0" + key.encode(), hashlib.sha256).digest()
    return int.from_bytes(d[:8], "big") % 10000


def arm_of(b, arms):
    end = 0
    for name, w in arms:
        end += w
        if b < end:
            return name
    return arms[-1][0]


CONTENT = [("story", 4500), ("roi", 4500), ("holdout", 1000)]
SUBJECT = [("a", 5000), ("b", 5000)]
RATE = {"story": 0.16, "roi": 0.13, "holdout": 0.10}


def write_model(path, salt="2026-q1", arms="story 45%, roi 45%, holdout 10%"):
    text = MODEL.replace("SALT", salt).replace("story 45%, roi 45%, holdout 10%", arms)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def run(args, rc=0):
    p = subprocess.run([PERSONA] + args, capture_output=True, text=True)
    check(p.returncode == rc, f"persona {' '.join(args)}: exit {p.returncode}, expected {rc}: {p.stderr[:300]}")
    return p


# ---- data: profiles with conversions planted by arm ----------------------------
rng = random.Random(21)
model = os.path.join(WORK, "m.persona")
write_model(model)
main, late = [], []
for i in range(6000):
    key = f"p{i}"
    arm = arm_of(bucket("2026-q1", "content_test", key), CONTENT)
    first = LATE if i % 20 == 0 else T0
    events = []
    if rng.random() < RATE[arm]:
        # within the window, or after it (not counted): whole days + 12 h, no ties
        day = rng.randrange(0, 30) if rng.random() < 0.8 else rng.randrange(31, 45)
        events.append({"type": "deal_won", "at": iso(first + day * DAY + 12 * 3600)})
    if rng.random() < 0.3:  # a deal won before assignment never counts
        events.append({"type": "deal_won", "at": iso(first - 5 * DAY + 3600)})
    rec = {"id": key, "email": f"secret{i}@pii.example", "events": events}
    (late if first == LATE else main).append(rec)


def dump(path, recs):
    with open(path, "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


main_path, late_path, all_path = (os.path.join(WORK, n) for n in ("main.jsonl", "late.jsonl", "all.jsonl"))
dump(main_path, main)
dump(late_path, late)
dump(all_path, main + late)
state = os.path.join(WORK, "state.json")
if os.path.exists(state):
    os.remove(state)
ev1 = run(["eval", model, main_path, "--now", iso(T0), "--state", state])
run(["eval", model, late_path, "--now", iso(LATE), "--state", state])

# ---- 1, 2: assignment and the holdout ---------------------------------------------
for line in ev1.stdout.splitlines():
    r = json.loads(line)
    xs = {x["name"]: x for x in r["state"]["experiments"]}
    arm = arm_of(bucket("2026-q1", "content_test", r["id"]), CONTENT)
    check(xs["content_test"]["arm"] == arm, f"{r['id']}: arm {xs['content_test']['arm']}, python {arm}")
    check(xs["subject_test"]["arm"] == arm_of(bucket("subjects", "subject_test", r["id"]), SUBJECT),
          f"{r['id']}: subject arm")
    sent = [a["template"] for a in r["actions"]]
    want = [] if arm == "holdout" else [arm + "-1"]
    check(sent == want, f"{r['id']} in {arm}: actions {sent}, expected {want}")


# ---- 3: the statistics, recomputed -------------------------------------------------
def converted(rec, assigned, window):
    return any(e["type"] == "deal_won" and assigned <= ts(e["at"]) <= assigned + window for e in rec["events"])


def ts(s):
    import datetime
    return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp())


Z = 1.959963984540054
Z80 = 0.8416212335729143


def wilson(x, n):
    if n == 0:
        return None, None
    p = x / n
    d = 1 + Z * Z / n
    c = (p + Z * Z / (2 * n)) / d
    h = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / d
    return (0.0 if x == 0 else max(0.0, c - h)), (1.0 if x == n else min(1.0, c + h))


def z_p(x1, n1, x2, n2):
    p = (x1 + x2) / (n1 + n2)
    var = p * (1 - p) * (1 / n1 + 1 / n2)
    if var <= 0:
        return 1.0
    return math.erfc(abs(x1 / n1 - x2 / n2) / math.sqrt(var) / math.sqrt(2))


def chi2_sf(x, df):
    return math.exp(-x / 2) if df == 2 else math.erfc(math.sqrt(x / 2))


main_ids = {r["id"] for r in main}


def expected(name, arms, salt, window):
    out = {a: {"n": 0, "x": 0, "pending": 0} for a, _ in arms}
    for rec in main + late:
        a = arm_of(bucket(salt, name, rec["id"]), arms)
        first = T0 if rec["id"] in main_ids else LATE
        if first + window > NOW:
            out[a]["pending"] += 1
        else:
            out[a]["n"] += 1
            out[a]["x"] += converted(rec, first, window)
    return out


js = json.loads(run(["experiment", model, all_path, "--state", state, "--now", iso(NOW), "--format", "json"]).stdout)
check(js["profiles"] == 6000 and js["errors"] == 0, f"profiles/errors {js['profiles']}/{js['errors']}")
for spec, name, arms, salt, window, control in (
        (js["experiments"][0], "content_test", CONTENT, "2026-q1", 30 * DAY, "holdout"),
        (js["experiments"][1], "subject_test", SUBJECT, "subjects", 14 * DAY, "b")):
    exp = expected(name, arms, salt, window)
    check(spec["name"] == name and spec["control"] == control, f"{name}: name/control {spec['name']}/{spec['control']}")
    c = exp[control]
    cr = c["x"] / c["n"]
    chi, tot_n, tot_x = 0.0, sum(v["n"] for v in exp.values()), sum(v["x"] for v in exp.values())
    rate = tot_x / tot_n
    srm, all_n = 0.0, sum(v["n"] + v["pending"] for v in exp.values())
    mdes = []
    for (a, w), got in zip(arms, spec["arms"]):
        e = exp[a]
        check(got["name"] == a, f"{name}: arm order")
        check((got["n"], got["conversions"], got["pending"]) == (e["n"], e["x"], e["pending"]),
              f"{name}/{a}: n/conversions/pending {(got['n'], got['conversions'], got['pending'])} vs {e}")
        close(got["planned_share"], w / 10000, f"{name}/{a} planned_share")
        close(got["rate"], e["x"] / e["n"], f"{name}/{a} rate")
        lo, hi = wilson(e["x"], e["n"])
        close(got["rate_low"], lo, f"{name}/{a} rate_low")
        close(got["rate_high"], hi, f"{name}/{a} rate_high")
        if a == control:
            check(got["lift"] is None and got["p_value"] is None, f"{name}/{a}: the control has no lift")
        else:
            close(got["lift"], (e["x"] / e["n"] - cr) / cr, f"{name}/{a} lift")
            close(got["lift_abs"], e["x"] / e["n"] - cr, f"{name}/{a} lift_abs")
            close(got["p_value"], z_p(e["x"], e["n"], c["x"], c["n"]), f"{name}/{a} p_value")
            m = (Z + Z80) * math.sqrt(cr * (1 - cr) * (1 / e["n"] + 1 / c["n"]))
            close(got["mde"], m, f"{name}/{a} mde")
            mdes.append(m)
        for o, ex in ((e["x"], e["n"] * rate), (e["n"] - e["x"], e["n"] * (1 - rate))):
            chi += (o - ex) ** 2 / ex
        srm += (e["n"] + e["pending"] - all_n * w / 10000) ** 2 / (all_n * w / 10000)
    close(spec["chi2"], chi, f"{name} chi2")
    close(spec["chi2_p_value"], chi2_sf(chi, len(arms) - 1), f"{name} chi2_p_value")
    close(spec["srm_p_value"], chi2_sf(srm, len(arms) - 1), f"{name} srm_p_value")
    check(spec["srm"] is False, f"{name}: no sample ratio mismatch on the fair data")
    close(spec["mde"], max(mdes), f"{name} mde")
content = js["experiments"][0]
print("content_test:", {a["name"]: (a["n"], a["conversions"], round(a["rate"], 4), a["lift"] and round(a["lift"], 3))
                        for a in content["arms"]}, "chi2 p", content["chi2_p_value"], "srm p", content["srm_p_value"])

# ---- 4: sample-ratio mismatch ---------------------------------------------------------
drop = [r for r in main if arm_of(bucket("2026-q1", "content_test", r["id"]), CONTENT) == "holdout"][::3]
drop_ids = {r["id"] for r in drop}
skew_path = os.path.join(WORK, "skewed.jsonl")
dump(skew_path, [r for r in main + late if r["id"] not in drop_ids])
sk = json.loads(run(["experiment", model, skew_path, "--state", state, "--now", iso(NOW), "--format", "json"]).stdout)
check(sk["experiments"][0]["srm"] is True, f"SRM fires on a skewed holdout (p = {sk['experiments'][0]['srm_p_value']})")
txt = run(["experiment", model, skew_path, "--state", state, "--now", iso(NOW)]).stdout
check("SAMPLE RATIO MISMATCH" in txt, "the text report says SAMPLE RATIO MISMATCH")
g = run(["experiment", model, skew_path, "--state", state, "--now", iso(NOW), "--require-significant", "--alpha", "0.5"], rc=1)
check("gate --require-significant failed: content_test has a sample ratio mismatch" in g.stderr, "the SRM gate: " + g.stderr)

# ---- 5: salt and weights -------------------------------------------------------------------
salted = os.path.join(WORK, "salted.persona")
write_model(salted, salt="2026-q2")
p = run(["experiment", salted, all_path, "--state", state, "--now", iso(NOW), "--format", "json"])
check("warning: content_test: 6000 profiles reshuffled: the salt changed" in p.stderr, "a changed salt says so: " + p.stderr)
check(json.loads(p.stdout)["experiments"][0]["reshuffled"] == 6000, "every profile is reshuffled")
reweighted = os.path.join(WORK, "reweighted.persona")
write_model(reweighted, arms="story 40%, roi 50%, holdout 10%")
p = run(["experiment", reweighted, all_path, "--state", state, "--now", iso(NOW), "--format", "json"])
moved = sum(1 for r in main + late if 4000 <= bucket("2026-q1", "content_test", r["id"]) < 4500)
got = json.loads(p.stdout)["experiments"][0]
check(got["moved"] == moved and got["reshuffled"] == 0, f"weights 45/45/10 -> 40/50/10 move {got['moved']}, python {moved}")

# ---- 6: gates --------------------------------------------------------------------------------
lifts = [a["lift"] for a in content["arms"] if a["name"] != "holdout"]
sub_lift = js["experiments"][1]["arms"][0]["lift"]
low = min(lifts + [sub_lift])
base = ["experiment", model, all_path, "--state", state, "--now", iso(NOW), "-o", os.path.join(WORK, "gate.txt")]
run(base + ["--min-lift", f"{low * 100 - 0.01:.4f}%"])
p = run(base + ["--min-lift", f"{low * 100 + 0.01:.4f}%"], rc=1)
check("gate --min-lift failed" in p.stderr, "--min-lift names its gate: " + p.stderr)
chi_p = max(e["chi2_p_value"] for e in js["experiments"])
run(base + ["--require-significant", "--alpha", f"{min(0.99, chi_p * 2):.6g}"])
p = run(base + ["--require-significant", "--alpha", f"{chi_p / 2:.6g}"], rc=1)
check("gate --require-significant failed" in p.stderr, "--require-significant names its gate: " + p.stderr)

# ---- 7: pii ----------------------------------------------------------------------------------------
for fmt in ("text", "json", "md", "html"):
    p = run(["experiment", model, all_path, "--state", state, "--now", iso(NOW), "--format", fmt])
    check("secret" not in p.stdout and "secret" not in p.stderr and "pii.example" not in p.stdout,
          f"no pii value in --format {fmt}")
    check(len(p.stdout) > 200, f"--format {fmt} wrote a report")
bad = os.path.join(WORK, "bad.jsonl")
with open(bad, "w") as f:
    f.write('{"id":"z1","email":"secret-bad@pii.example","events":"not a list"}\n')
p = run(["experiment", model, bad, "--now", iso(NOW), "--format", "json"])
check(json.loads(p.stdout)["errors"] == 1 and "secret" not in p.stdout + p.stderr, "a bad record is counted, never shown")

print(f"{len(FAILS)} failures")
sys.exit(1 if FAILS else 0)
