#!/usr/bin/env python3
"""check_backtest.py - `persona backtest` against an independent
implementation of every statistic (docs/backtest.md), to 1e-9.

    check_backtest.py PERSONA_BINARY WORK_DIR

Generated snapshot data (seeded, so every run is the same) with heavy ties,
empty bands, a single positive, and a score that moves between two origins
(PSI). The reference formulas here are written from their definitions, not
from the C: AUC as the share of (positive, negative) pairs ordered right
(ties half), DeLong from the pairwise placements, KS over every threshold,
capture as each profile's probability of being in the top k, IV/WoE and PSI
from their sums. Corner cases (one class, a non-boolean outcome, a bad
horizon) must give a clear message and the documented exit status.
Standard library only.
"""
import json
import re
import math
import os
import random
import subprocess
import sys

TOL = 1e-9
Z95 = 1.959963984540054

MODEL = """model bt_check version "1"

schema {
  id: string key
  x: number
  y: number
  g: bool
  conv: bool
}

score sx = x
score sy = y
# Moves with the origin: +3 per 30 days after 2026-01-01, for PSI.
score drift = x + days_between(date("2026-01-01"), now) / 10
tag flag when g
tag nobody when x < -1000
"""

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def close(a, b, what):
    if a is None or b is None:
        check(a is None and b is None, f"{what}: {a!r} != {b!r}")
    else:
        check(abs(a - b) <= TOL, f"{what}: got {a!r}, expected {b!r}")


# ---- the reference implementation -------------------------------------------------

def pair(a, b):
    return 1.0 if a > b else 0.5 if a == b else 0.0


def discrimination(s, y):
    pos = [v for v, o in zip(s, y) if o]
    neg = [v for v, o in zip(s, y) if not o]
    P, N = len(pos), len(neg)
    v10 = [sum(pair(p, q) for q in neg) / N for p in pos]
    v01 = [sum(pair(p, q) for p in pos) / P for q in neg]
    auc = sum(v10) / P
    s10 = sum((v - auc) ** 2 for v in v10) / (P - 1) if P > 1 else 0.0
    s01 = sum((v - auc) ** 2 for v in v01) / (N - 1) if N > 1 else 0.0
    se = math.sqrt(s10 / P + s01 / N)
    ks = max(abs(sum(1 for p in pos if p <= t) / P - sum(1 for q in neg if q <= t) / N) for t in set(s))
    return {"n": len(s), "positives": P, "auc": auc, "auc_se": se, "auc_low": max(0.0, auc - Z95 * se),
            "auc_high": min(1.0, auc + Z95 * se), "ks": ks, "gini": 2 * auc - 1}


def bands(s, y, B):
    n, P = len(s), sum(y)
    order = sorted(range(n), key=lambda i: -s[i])
    out = [{"n": 0, "positives": 0, "lo": None, "hi": None} for _ in range(B)]
    start = 0
    while start < n:
        end = start
        while end < n and s[order[end]] == s[order[start]]:
            end += 1
        b = out[start * B // n]
        for i in order[start:end]:
            b["n"] += 1
            b["positives"] += y[i]
            b["lo"] = s[i] if b["lo"] is None else min(b["lo"], s[i])
            b["hi"] = s[i] if b["hi"] is None else max(b["hi"], s[i])
        start = end
    cum = 0
    for b in out:
        cum += b["positives"]
        b["capture"] = cum / P
        b["rate"] = b["positives"] / b["n"] if b["n"] else None
        b["lift"] = b["rate"] / (P / n) if b["n"] else None
    return out


def capture(s, y, f):
    n, k = len(s), f * len(s)
    held = 0.0
    for i in range(n):
        if not y[i]:
            continue
        above = sum(1 for v in s if v > s[i])
        tied = sum(1 for v in s if v == s[i])
        held += min(1.0, max(0.0, (k - above) / tied))
    return held / sum(y)


def feature(h, y):
    n, P = len(y), sum(y)
    N = n - P
    held = sum(h)
    ph = sum(1 for a, b in zip(h, y) if a and b)
    nh = held - ph
    out = {"n": n, "held": held, "positives_held": ph, "prevalence": held / n,
           "rate_held": ph / held if held else None,
           "rate_not": (P - ph) / (n - held) if held < n else None,
           "lift": (ph / held) / (P / n) if held else None}
    if held in (0, n):
        out.update(iv=0.0, woe_held=0.0 if held else None, woe_not=None if held else 0.0)
        return out
    sp = lambda k: (k + 0.5) / (P + 1)
    sn = lambda k: (k + 0.5) / (N + 1)
    wh = math.log(sp(ph) / sn(nh))
    wn = math.log(sp(P - ph) / sn(N - nh))
    out.update(woe_held=wh, woe_not=wn, iv=(sp(ph) - sn(nh)) * wh + (sp(P - ph) - sn(N - nh)) * wn)
    return out


def psi(ref, cur, B):
    lows = [b["lo"] for b in bands(ref, [1] * len(ref), B) if b["n"]]

    def bin_of(x):
        for i, lo in enumerate(lows):
            if x >= lo:
                return i
        return len(lows) - 1

    total = 0.0
    for i in range(len(lows)):
        e = (sum(1 for v in ref if bin_of(v) == i) + 0.5) / (len(ref) + 0.5 * len(lows))
        a = (sum(1 for v in cur if bin_of(v) == i) + 0.5) / (len(cur) + 0.5 * len(lows))
        total += (a - e) * math.log(a / e)
    return total


# ---- running persona -------------------------------------------------------------

def write_data(path, rows):
    with open(path, "w") as fh:
        for i, (x, yv, g, c) in enumerate(rows):
            fh.write(json.dumps({"id": f"p{i}", "x": x, "y": yv, "g": g, "conv": c}) + "\n")


def run(binary, args):
    return subprocess.run([binary, "backtest"] + args, capture_output=True, text=True)


def compare(name, rows, binary, work, n_bands, top, origins):
    data = os.path.join(work, name + ".jsonl")
    write_data(data, rows)
    args = [os.path.join(work, "model.persona"), data, "--horizon", "30d", "--outcome", "conv",
            "--format", "json", "--bands", str(n_bands), "--top", f"{top * 100:g}%"]
    for t in origins:
        args += ["--as-of", t]
    p = run(binary, args)
    if p.returncode != 0:
        failures.append(f"{name}: exit {p.returncode}: {p.stderr}")
        return
    got = json.loads(p.stdout)
    y = [1 if r[3] else 0 for r in rows] * len(origins)
    xs = [r[0] for r in rows]
    scores = {"sx": xs * len(origins), "sy": [r[1] for r in rows] * len(origins)}
    shifts = [0.0, 3.0][:len(origins)]
    scores["drift"] = [x + d for d in shifts for x in xs]
    close(got["base_rate"], sum(y) / len(y), f"{name}: base_rate")
    for sname, s in scores.items():
        g = got["scores"][sname]
        for key, val in discrimination(s, y).items():
            close(g[key], val, f"{name}: {sname}.{key}")
        close(g["capture"]["held"], capture(s, y, top), f"{name}: {sname}.capture")
        for k, b in enumerate(bands(s, y, n_bands)):
            for key in ("n", "positives", "lo", "hi", "rate", "lift", "capture"):
                close(g["bands"][k][key], b[key], f"{name}: {sname}.bands[{k}].{key}")
    for tname, h in (("flag", [1 if r[2] else 0 for r in rows] * len(origins)), ("nobody", [0] * len(y))):
        for key, val in feature(h, y).items():
            close(got["tags"][tname][key], val, f"{name}: tags.{tname}.{key}")
    if len(origins) == 2:
        entry = [e for e in got["psi"] if e["score"] == "drift"][0]
        close(entry["psi"], psi(xs, [x + 3.0 for x in xs], n_bands), f"{name}: psi.drift")
        same = [e for e in got["psi"] if e["score"] == "sx"][0]
        close(same["psi"], 0.0, f"{name}: psi.sx")
        check(same["verdict"] == "stable", f"{name}: psi.sx verdict {same['verdict']}")


def expect_error(binary, work, name, rows, extra, status, message):
    data = os.path.join(work, name + ".jsonl")
    write_data(data, rows)
    p = run(binary, [os.path.join(work, "model.persona"), data, "--as-of", "2026-01-01"] + extra)
    check(p.returncode == status, f"{name}: exit {p.returncode}, expected {status} ({p.stderr.strip()})")
    check(message in p.stderr, f"{name}: stderr lacks {message!r}: {p.stderr!r}")
    check("nan" not in (p.stdout + p.stderr).lower(), f"{name}: NaN in the output")


EVENTS_MODEL = """model bt_events version "1"
record event {
  type: string
  at: time
}
schema {
  id: string key
  events: list<event> = []
}
tag won_before when exists(events where type == "won")
score visits = count(events where type == "visit")
"""


def check_as_of(binary, work):
    """The model sees only events up to the origin; the outcome, with
    `cutoff`, only those in (origin, origin + horizon]."""
    path = os.path.join(work, "events.persona")
    with open(path, "w") as fh:
        fh.write(EVENTS_MODEL)
    ev = lambda t, at: {"type": t, "at": at}
    profiles = [
        [ev("visit", "2025-12-20T00:00:00Z"), ev("won", "2026-01-10T00:00:00Z")],   # positive
        [ev("won", "2025-12-01T00:00:00Z")],                                          # won before: not positive
        [ev("visit", "2025-12-01T00:00:00Z"), ev("visit", "2026-01-05T00:00:00Z"),
         ev("won", "2026-03-01T00:00:00Z")],                                          # after the horizon
        [ev("visit", "2026-01-20T00:00:00Z"), ev("won", "2026-01-30T00:00:00Z")],    # positive, visit unseen
    ]
    data = os.path.join(work, "events.jsonl")
    with open(data, "w") as fh:
        for i, evs in enumerate(profiles):
            fh.write(json.dumps({"id": f"e{i}", "events": evs}) + "\n")
    p = run(binary, [path, data, "--as-of", "2026-01-01", "--horizon", "30d", "--format", "json",
                     "--outcome", 'exists(events where type == "won" and at > cutoff)'])
    check(p.returncode == 0, f"as-of: exit {p.returncode} {p.stderr}")
    if p.returncode:
        return
    got = json.loads(p.stdout)
    check(got["positives"] == 2 and got["n"] == 4, f"as-of: positives {got['positives']} of {got['n']}")
    check(got["tags"]["won_before"]["held"] == 1, f"as-of: won_before held {got['tags']['won_before']}")
    # visits as of the origin: 1, 0, 1, 0; positives are profiles 0 and 3.
    close(got["scores"]["visits"]["auc"], discrimination([1, 0, 1, 0], [1, 0, 0, 1])["auc"], "as-of: auc")


RULES_MODEL = """model bt_rules version "1"
record event {
  type: string
  at: time
}
schema {
  id: string key
  a: bool
  b: bool
  c: bool
  conv: bool
  events: list<event> = []
}
score fit max 40 {
  +30 when a
  +10 when b
  -5 when c
  +2 per events where type == "v" cap 6
}
score twice = fit * 2
"""

# The planted signal, in log-odds: a drives conversion most, then b, each
# counted visit a little, c lowers it. The model's written weights put b
# below a by more than the data do, and c too low.
PLANT = {"a": 1.6, "b": 0.9, "c": -0.8, "v": 0.25}


def logistic_fit(x, y, lam=1.0):
    """Newton's method on the L2-penalised log-likelihood (intercept not
    penalised), solved by Gaussian elimination with partial pivoting."""
    k = len(x[0])
    beta = [0.0] * (k + 1)
    for _ in range(100):
        g = [0.0] * (k + 1)
        h = [[0.0] * (k + 1) for _ in range(k + 1)]
        for row, yi in zip(x, y):
            z = [1.0] + row
            eta = sum(b * v for b, v in zip(beta, z))
            p = 1 / (1 + math.exp(-eta))
            for a in range(k + 1):
                g[a] += (p - yi) * z[a]
                for b in range(k + 1):
                    h[a][b] += p * (1 - p) * z[a] * z[b]
        for a in range(1, k + 1):
            g[a] += lam * beta[a]
            h[a][a] += lam
        m = [h[a] + [-g[a]] for a in range(k + 1)]
        for col in range(k + 1):
            piv = max(range(col, k + 1), key=lambda r: abs(m[r][col]))
            m[col], m[piv] = m[piv], m[col]
            for r in range(k + 1):
                if r != col:
                    f = m[r][col] / m[col][col]
                    m[r] = [u - f * v for u, v in zip(m[r], m[col])]
        step = [m[a][k + 1] / m[a][a] for a in range(k + 1)]
        beta = [b + d for b, d in zip(beta, step)]
        if max(abs(d) for d in step) <= 1e-12:
            break
    return beta


def held_out(key_json):
    h = 14695981039346656037
    for byte in key_json.encode():
        h = ((h ^ byte) * 1099511628211) % 2 ** 64
    return h % 10 < 3


def check_rules(binary, work):
    """Per-rule statistics and the suggested weights against this file's
    own reading of the rules and its own regression."""
    path = os.path.join(work, "rules.persona")
    with open(path, "w") as fh:
        fh.write(RULES_MODEL)
    rnd = random.Random(7)
    rows = []
    for i in range(1500):
        a, b, c = rnd.random() < 0.4, rnd.random() < 0.5, rnd.random() < 0.3
        visits = rnd.randrange(6)
        eta = -2.0 + PLANT["a"] * a + PLANT["b"] * b + PLANT["c"] * c + PLANT["v"] * min(visits, 3)
        conv = rnd.random() < 1 / (1 + math.exp(-eta))
        events = [{"type": "v", "at": f"2025-12-{d + 1:02d}T00:00:00Z"} for d in range(visits)]
        events.append({"type": "other", "at": "2025-12-20T00:00:00Z"})
        rows.append({"id": f"r{i}", "a": a, "b": b, "c": c, "conv": conv, "events": events})
    data = os.path.join(work, "rules.jsonl")
    with open(data, "w") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    p = run(binary, [path, data, "--as-of", "2026-01-01", "--horizon", "30d", "--outcome", "conv",
                     "--format", "json"])
    check(p.returncode == 0, f"rules: exit {p.returncode} {p.stderr}")
    if p.returncode:
        return
    got = json.loads(p.stdout)["scores"]
    y = [1 if r["conv"] else 0 for r in rows]
    # Each rule's value in points, read from the data by this file.
    written = [30, 10, -5, 2]
    points = [[30 if r["a"] else 0, 10 if r["b"] else 0, -5 if r["c"] else 0,
               min(2 * sum(1 for e in r["events"] if e["type"] == "v"), 6)] for r in rows]
    fired = [[1 if a else 0, 1 if b else 0, 1 if c else 0, 1 if v else 0] for a, b, c, v in points]
    rules = got["fit"]["rules"]
    check(len(rules) == 4 and "rules" not in got["twice"], f"rules: {len(rules)} rules, derived {got['twice'].keys()}")
    check([r["rule"] for r in rules] == ["+30 when a", "+10 when b", "-5 when c",
                                         '+2 per events where type == "v" cap 6'], f"rules: texts {rules}")
    for j, rule in enumerate(rules):
        f = feature([row[j] for row in fired], y)
        close(rule["fired"], f["held"], f"rules[{j}].fired")
        close(rule["positives_fired"], f["positives_held"], f"rules[{j}].positives_fired")
        for key, ref in (("rate_fired", f["rate_held"]), ("rate_not", f["rate_not"]), ("lift", f["lift"]),
                         ("iv", f["iv"]), ("difference", f["rate_held"] - f["rate_not"]),
                         ("mean_points", sum(row[j] for row in points) / len(rows)),
                         ("weight", written[j])):
            close(rule[key], ref, f"rules[{j}].{key}")
    # The regression on the rows not held out, its values in rule units.
    hold = [held_out(json.dumps(r["id"])) for r in rows]
    units = [[v / w for v, w in zip(row, written)] for row in points]
    train_x = [u for u, h in zip(units, hold) if not h]
    train_y = [v for v, h in zip(y, hold) if not h]
    beta = logistic_fit(train_x, train_y)
    sug = got["fit"]["suggestion"]
    check(sug["train"] == len(train_x) and sug["holdout"] == len(rows) - len(train_x),
          f"rules: split {sug['train']}/{sug['holdout']}, expected {len(train_x)}")
    check(abs(sug["intercept"] - beta[0]) <= 1e-7, f"rules: intercept {sug['intercept']} vs {beta[0]}")
    for j, rule in enumerate(rules):
        check(abs(rule["coefficient"] - beta[j + 1]) <= 1e-7,
              f"rules[{j}].coefficient {rule['coefficient']} vs {beta[j + 1]}")
    largest = [max(abs(u[j]) for u in train_x) for j in range(4)]
    scale = sum(abs(w) * m for w, m in zip(written, largest)) / sum(abs(b) * m for b, m in zip(beta[1:], largest))
    close(sug["scale"], scale, "rules: scale")
    suggested = [float(round(scale * b)) for b in beta[1:]]
    check([r["suggested"] for r in rules] == suggested, f"rules: suggested {[r['suggested'] for r in rules]} "
          f"vs {suggested}")
    # The planted order comes back: a above b above 0 above c.
    s = suggested
    check(s[0] > s[1] > 0 > s[2], f"rules: planted order not recovered: {s}")
    check(rules[0]["suggested_rule"] == f"+{s[0]:g} when a", f"rules: patch {rules[0]['suggested_rule']}")
    check(rules[2]["suggested_rule"] == f"-{-s[2]:g} when c", f"rules: patch {rules[2]['suggested_rule']}")
    cap = abs(s[3] / 2) * 6
    check(rules[3]["suggested_rule"] == f'+{s[3]:g} per events where type == "v" cap {round(cap):g}',
          f"rules: patch {rules[3]['suggested_rule']}")
    ho = [i for i in range(len(rows)) if hold[i]]
    current = [min(sum(points[i]), 40) for i in ho]
    proposed = [sum(w * u for w, u in zip(suggested, units[i])) for i in ho]
    close(sug["auc_current"], discrimination(current, [y[i] for i in ho])["auc"], "rules: auc_current")
    close(sug["auc_suggested"], discrimination(proposed, [y[i] for i in ho])["auc"], "rules: auc_suggested")
    p = run(binary, [path, data, "--as-of", "2026-01-01", "--horizon", "30d", "--outcome", "conv"])
    check("a suggestion" in p.stdout and f"+ +{s[0]:g} when a" in p.stdout, f"rules: text report {p.stdout}")


def main():
    binary, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "model.persona"), "w") as fh:
        fh.write(MODEL)
    rnd = random.Random(20)

    def planted(n, levels):
        rows = []
        for _ in range(n):
            x = float(rnd.randrange(levels))
            c = rnd.random() < 0.1 + 0.6 * x / levels
            yv = round(rnd.gauss(x, 3.0), 1)
            rows.append((x, yv, rnd.random() < (0.6 if c else 0.3), c))
        return rows

    compare("ties", planted(400, 7), binary, work, 10, 0.2, ["2026-01-01"])
    compare("two_levels", planted(300, 2), binary, work, 10, 0.25, ["2026-01-01"])   # empty bands
    compare("tiny", planted(7, 3), binary, work, 10, 0.5, ["2026-01-01"])
    one_pos = [(float(i % 5), float(i), i % 2 == 0, i == 3) for i in range(40)]
    compare("one_positive", one_pos, binary, work, 4, 0.1, ["2026-01-01"])
    compare("origins", planted(200, 10), binary, work, 5, 0.3, ["2026-01-01", "2026-01-31"])

    # Gates: a planted signal passes a low bar and fails an impossible one.
    data = os.path.join(work, "ties.jsonl")
    base = [os.path.join(work, "model.persona"), data, "--as-of", "2026-01-01", "--horizon", "30d",
            "--outcome", "conv"]
    gates = ["--min-auc", "0.5", "--min-lift", "10%", "--min-capture", "20%:30%"]
    p = run(binary, base + gates + ["--format", "json"])
    verdicts = [(g["gate"], g["score"], g["passed"]) for g in json.loads(p.stdout)["gates"]] if p.stdout else []
    check(p.returncode == 0 and len(verdicts) == 9 and all(v for _, _, v in verdicts), f"gates: {p.returncode} {verdicts}")
    # The text report's gate table: one row per gate, each passed.
    p = run(binary, base + gates)
    rows = re.findall(r"^  --(min-\w+) +(\w+) +-?[0-9.]+ +-?[0-9.]+ +(passed|FAILED)$", p.stdout, re.M)
    check(p.returncode == 0 and [(g, s, v == "passed") for g, s, v in rows] == verdicts, f"gates text: {rows}")
    p = run(binary, base + ["--min-auc", "0.01"])
    check(p.returncode == 0 and re.search(r"^  --min-auc +sx +[0-9.]+ +0\.0100 +passed$", p.stdout, re.M),
          f"gates pass: {p.returncode} {p.stdout}")
    p = run(binary, base + ["--min-auc", "0.99"])
    check(p.returncode == 1 and "gate --min-auc failed: score sx" in p.stderr, f"gate fail: {p.stderr}")
    p = run(binary, base + ["--min-capture", "20%:99%"])
    check(p.returncode == 1 and "gate --min-capture failed" in p.stderr, f"capture gate: {p.stderr}")
    p = run(binary, base + ["--min-lift", "900%"])
    check(p.returncode == 1 and "gate --min-lift failed" in p.stderr, f"lift gate: {p.stderr}")

    check_as_of(binary, work)
    check_rules(binary, work)

    # The model reads g: an outcome of g is a leak and is warned about; conv is not.
    p = run(binary, base + ["--outcome", "g"])
    check(p.returncode == 0 and "warning: the model itself reads 'g' (line 15)" in p.stderr, f"leak: {p.stderr}")
    p = run(binary, base)
    check("warning" not in p.stderr, f"no leak: {p.stderr}")

    rows = planted(50, 3)
    all_pos = [(r[0], r[1], r[2], True) for r in rows]
    all_neg = [(r[0], r[1], r[2], False) for r in rows]
    hz = ["--horizon", "30d", "--outcome", "conv"]
    expect_error(binary, work, "all_positive", all_pos, hz, 1, "is true for all 50 profiles: one class only")
    expect_error(binary, work, "all_negative", all_neg, hz, 1, "is false for all 50 profiles: one class only")
    expect_error(binary, work, "not_boolean", rows, ["--horizon", "30d", "--outcome", "x"], 1,
                 "does not compile with the model")
    expect_error(binary, work, "horizon_zero", rows, ["--horizon", "0d", "--outcome", "conv"], 2,
                 "invalid --horizon '0d'")
    expect_error(binary, work, "horizon_negative", rows, ["--horizon", "-3d", "--outcome", "conv"], 2,
                 "invalid --horizon '-3d'")
    expect_error(binary, work, "no_outcome", rows, ["--horizon", "3d"], 2, "no --outcome EXPR given")

    for f in failures:
        print("FAIL", f)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
