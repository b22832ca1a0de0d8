#!/usr/bin/env python3
"""check_report.py - persona report's numbers against an independent count.

    check_report.py PERSONA SOURCE_DIR WORK_DIR

Runs the shipped journeys model over the example profiles (plus a few
broken records) three times with a state file, as scripts/example.sh does,
then, from the same state, both `persona eval` (the results, one JSON per
profile) and `persona report --format json`. Every number of the report is
recomputed here from the results and the input with Python's own
arithmetic — counts, shares, funnel conversion, nearest-rank percentiles,
means, histogram bins, time in stage, journey positions, actions, errors
by kind and missing fields — and compared; so are `persona eval
--where/--count/--group-by/--select --format csv` on the same input, and
the field scan on 400 random records full of escapes. Exit 1 with one line
per difference.
"""
import json
import math
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone

NOW = "2026-03-15T00:00:00Z"
RUNS = ["2026-02-01T00:00:00Z", "2026-02-04T00:00:00Z", "2026-02-20T00:00:00Z"]
BROKEN = ['{"id":"bad1","employees":"many"}', '{"id":"bad2",', '{"id":"bad3","events":[{"type":"x"}]}', '[1,2]']

errors = []


def check(what, got, want):
    if isinstance(want, float) and got is not None and want is not None:
        if abs(got - want) > 1e-9:
            errors.append(f"{what}: report {got}, expected {want}")
    elif got != want:
        errors.append(f"{what}: report {got!r}, expected {want!r}")


def rounded(x, decimals):
    """The report's fixed decimals, read back as a number; None for none."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return float(f"{x:.{decimals}f}")


def pct(part, whole):
    return rounded(100.0 * part / whole, 1) if whole else None


def nearest_rank(sorted_values, p):
    if not sorted_values:
        return None
    k = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(k, len(sorted_values)) - 1]


def parse_time(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def run(persona, *args, **kw):
    return subprocess.run([persona, *args], check=True, capture_output=True, text=True, **kw).stdout


def blocks(report):
    """(section id, block) for every table and chart, by id."""
    out = {}
    for s in report["sections"]:
        for b in s["blocks"]:
            if "id" in b:
                out[b["id"]] = b
            if b["type"] == "figures":
                for item in b["items"]:
                    out[f"{s['id']}.figure.{item['key']}"] = item["value"]
    return out


def nice_bins(values, max_bins=10):
    lo, hi = values[0], values[-1]
    if lo == hi:
        return [(f"{lo:g}", len(values))]
    raw = (hi - lo) / max_bins
    p = 10 ** math.floor(math.log10(raw))
    width = next(m * p for m in (1, 2, 5, 10) if m * p >= raw * (1 - 1e-12))
    start = math.floor(lo / width) * width
    n = min(int(math.floor((hi - start) / width)) + 1, max_bins + 1)
    counts = [0] * n
    for v in values:
        counts[min(max(int(math.floor((v - start) / width)), 0), n - 1)] += 1
    return [(f"{start + k * width:g}–{start + (k + 1) * width:g}", counts[k]) for k in range(n)]


def tricky_value(rng, depth=0):
    """Nested JSON whose strings hold quotes, backslashes and brackets, at
    every offset of the scanner's 16-byte blocks."""
    r = rng.random()
    if depth > 3 or r < 0.4:
        return "".join(rng.choice('ab"\\[]{},: 中') for _ in range(rng.randrange(0, 40)))
    if r < 0.7:
        return [tricky_value(rng, depth + 1) for _ in range(rng.randrange(0, 5))]
    return {tricky_value(rng, 9): tricky_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))}


def check_field_scan(persona, work):
    """Which fields a record gives (the data-quality table) on random
    records full of escapes and brackets, against Python's json."""
    import random
    rng = random.Random(19)
    model = os.path.join(work, "fields.persona")
    with open(model, "w", encoding="utf-8") as f:
        f.write("model fields version \"1\"\nschema {\n  id: string key\n  a: string?\n  b: string?\n"
                "  c: int = 0\n}\ntag has_a when a != null\n")
    records = []
    for n in range(400):
        items = [("id", f"r{n}")]
        for key in ("a", "b", "c", "x", "y"):
            r = rng.random()
            if r < 0.3:
                continue
            if key == "c":
                items.append((key, None if r < 0.5 else n))
            else:
                items.append((key, None if r < 0.45 else tricky_value(rng) if key in "xy" else
                              "".join(rng.choice('a"\\[]{}') for _ in range(rng.randrange(0, 20)))))
        rng.shuffle(items)
        if rng.random() < 0.1:  # a duplicate key: the last one wins
            items.append(("a", None if rng.random() < 0.5 else "z"))
        text = "{" + ",".join(json.dumps(k) + ":" + json.dumps(v, ensure_ascii=rng.random() < 0.5)
                              for k, v in items) + "}"
        records.append((text, dict(items)))
    path = os.path.join(work, "fields.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t, _ in records))
    rep = blocks(json.loads(run(persona, "report", model, path, "--now", NOW, "--format", "json")))
    for row in rep["quality.fields"]["rows"]:
        want = sum(d.get(row["field"]) is None for _, d in records)
        check(f"random records: field {row['field']} missing", row["missing"], want)


def check_eval_selection(persona, model, profiles, state, ok):
    """eval --where/--count/--group-by/--select on the same input and
    state, against the same results filtered and counted here."""
    def ev(*args):
        # --state writes the new states back: each run starts from a copy.
        copy = state + ".copy"
        shutil.copy(state, copy)
        return subprocess.run([persona, "eval", model, profiles, "--now", NOW, "--state", copy, *args],
                              capture_output=True, text=True).stdout
    where = 'enterprise and funnel != "lead" and fit >= 40'
    kept = [r for r in ok if "enterprise" in r["tags"] and r["stages"]["funnel"] != "lead"
            and r["scores"]["fit"] >= 40]
    check("--where --count", ev("--where", where, "--count").strip(), str(len(kept)))
    ids = [json.loads(l)["id"] for l in ev("--where", where).splitlines() if '"error"' not in l]
    check("--where ids", ids, [r["id"] for r in kept])
    groups = [json.loads(l) for l in ev("--group-by", "funnel").splitlines()]
    want = {}
    for r in ok:
        want[r["stages"]["funnel"]] = want.get(r["stages"]["funnel"], 0) + 1
    check("--group-by funnel", {g["funnel"]: g["count"] for g in groups}, want)
    check("--group-by order", [g["count"] for g in groups], sorted(want.values(), reverse=True))
    # (text mode reads CRLF as a newline; golden/eval_select pins the bytes)
    rows = ev("--select", "id,fit,funnel,smart_mfg_target", "--format", "csv").split("\n")
    check("--format csv header", rows[0], "id,fit,funnel,smart_mfg_target")
    got = [row.split(",") for row in rows[1:] if row]
    want = [[r["id"], json.dumps(r["scores"]["fit"]), r["stages"]["funnel"],
             "true" if "smart_mfg_target" in r["tags"] else "false"] for r in ok]
    check("--format csv rows", got, want)


def main():
    persona, src, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    model = os.path.join(src, "examples", "b2b_journeys.persona")
    profiles = os.path.join(work, "profiles.jsonl")
    with open(os.path.join(src, "examples", "profiles.jsonl"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    lines = lines[:1500] + BROKEN + lines[1500:]
    with open(profiles, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    state = os.path.join(work, "state.jsonl")
    if os.path.exists(state):
        os.remove(state)
    for now in RUNS:
        subprocess.run([persona, "eval", model, profiles, "--now", now, "--state", state, "-o", os.devnull],
                       check=False, capture_output=True)
    before = os.path.join(work, "state-before.jsonl")
    shutil.copy(state, before)
    report = json.loads(run(persona, "report", model, profiles, "--now", NOW, "--state", before,
                            "--format", "json"))
    # The report reads the state and leaves it as it was.
    with open(before, "rb") as a, open(state, "rb") as b:
        check("state file after report", a.read() == b.read(), True)
    results = [json.loads(l) for l in subprocess.run(
        [persona, "eval", model, profiles, "--now", NOW, "--state", state], capture_output=True,
        text=True).stdout.splitlines()]
    ok = [r for r in results if "error" not in r]
    bad = [r for r in results if "error" in r]
    b = blocks(report)
    now_s = parse_time(NOW)

    check("records", b["overview.figure.records"], len(results))
    check("evaluated", b["overview.figure.evaluated"], len(ok))
    check("errors", b["overview.figure.errors"], len(bad))

    # Tags, in the model's order (the table's order).
    for row in b["tags.counts"]["rows"]:
        n = sum(row["tag"] in r["tags"] for r in ok)
        check(f"tag {row['tag']}", row["profiles"], n)
        check(f"tag {row['tag']} share", row["share"], pct(n, len(ok)))

    # The funnel: stages, funnel order without exit stages, time in stage.
    conv = b["lifecycle.funnel.conversion"]["rows"]
    stages = [row["stage"] for row in conv]
    at = {s: sum(r["stages"]["funnel"] == s for r in ok) for s in stages}
    exits = {"churned"}  # entered only through `any -> churned`
    funnel = [s for s in stages if s not in exits]
    reached = {s: sum(at[t] for t in funnel[funnel.index(s):]) for s in funnel}
    for row in conv:
        s = row["stage"]
        check(f"stage {s}", row["profiles"], at[s])
        check(f"stage {s} share", row["share"], pct(at[s], len(ok)))
        if s in exits:
            check(f"stage {s} reached", row["reached"], None)
            continue
        check(f"stage {s} reached", row["reached"], reached[s])
        nxt = funnel.index(s) + 1
        check(f"stage {s} next", row["next_conversion"],
              pct(reached[funnel[nxt]], reached[s]) if nxt < len(funnel) else None)
        check(f"stage {s} cumulative", row["cumulative_conversion"], pct(reached[s], reached[funnel[0]]))
        days = sorted((now_s - parse_time(lc["entered"])) / 86400 for r in ok
                      for lc in r["state"]["lifecycles"] if lc["name"] == "funnel" and lc["stage"] == s)
        check(f"stage {s} days p50", row["days_p50"], rounded(nearest_rank(days, 50), 1))
        check(f"stage {s} days p90", row["days_p90"], rounded(nearest_rank(days, 90), 1))
    moves = {}
    for r in ok:
        for t in r["transitions"]:
            key = (t["from"] or "(first sight)", t["to"])
            moves[key] = moves.get(key, 0) + 1
    got = {(row["from"], row["to"]): row["profiles"] for row in b["lifecycle.funnel.transitions"]["rows"]}
    check("transitions", got, moves)

    # Scores: mean, nearest-rank percentiles, histogram.
    for row in b["scores.summary"]["rows"]:
        name = row["score"]
        v = sorted(r["scores"][name] for r in ok)
        check(f"score {name} mean", row["mean"], rounded(sum(v) / len(v), 2))
        for p, key in ((0, "min"), (10, "p10"), (50, "p50"), (90, "p90"), (100, "max")):
            check(f"score {name} {key}", row[key], rounded(nearest_rank(v, p), 2))
        hist = [(pt["label"], pt["value"]) for pt in b[f"score.{name}.histogram"]["points"]]
        check(f"score {name} histogram", hist, nice_bins(v))

    # Journeys: positions and actions by kind.
    for j in ("welcome", "nurture"):
        status = {"not entered": 0, "waiting": 0, "done": 0, "exited": 0}
        waiting = {}
        for r in ok:
            js = [x for x in r["state"]["journeys"] if x["name"] == j]
            st = js[0]["status"] if js else "idle"
            status[{"idle": "not entered", "active": "waiting"}.get(st, st)] += 1
            if st == "active":
                waiting[js[0]["step"]] = waiting.get(js[0]["step"], 0) + 1
        got = {p["label"]: p["value"] for p in b[f"journey.{j}.status"]["points"]}
        check(f"journey {j} status", got, status)
        got = {row["step"]: row["profiles"] for row in b[f"journey.{j}.waiting"]["rows"] if row["profiles"]}
        check(f"journey {j} waiting", got, waiting)
        kinds = {k: 0 for k in ("send", "task", "notify", "webhook")}
        for r in ok:
            for a in r["actions"]:
                if a["journey"] == j:
                    kinds[a["kind"]] += 1
        got = {row["kind"]: row["actions"] for row in b[f"journey.{j}.actions"]["rows"]}
        check(f"journey {j} actions", got, kinds)

    # Data quality: errors by code (those of eval's error objects), fields missing.
    want = {}
    for r in bad:
        want[r["code"]] = want.get(r["code"], 0) + 1
    got = {row["code"]: row["records"] for row in b["quality.errors"]["rows"]}
    check("errors by code", got, want)
    check("error codes seen", len(want) >= 3, True)
    objects = []
    for line in lines:
        try:
            v = json.loads(line)
        except ValueError:
            continue
        if isinstance(v, dict):
            objects.append(v)
    check("records read", b["quality.figure.records_read"], len(objects))
    for row in b["quality.fields"]["rows"]:
        n = sum(o.get(row["field"]) is None for o in objects)
        check(f"field {row['field']} missing", row["missing"], n)
        check(f"field {row['field']} share", row["missing_share"], pct(n, len(objects)))

    check_field_scan(persona, work)
    check_eval_selection(persona, model, profiles, before, ok)
    for e in errors:
        print(e)
    if not errors:
        print(f"ok: {len(results)} records, every number of the report recomputed")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
