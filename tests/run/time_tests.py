#!/usr/bin/env python3
"""`persona run` and changes by time alone (docs/runtime.md, "How it works").

    python3 tests/run/time_tests.py PATH/TO/persona time_alone

Profiles whose results change only because time passes (time_model.persona:
inactivity, a pricing view leaving a 7-day window, an engagement score
decaying under a threshold, a `wait until` and an `exit when` that time
makes true) are given once, at T0; the runner then runs `--once` a few
times, days apart, with no new record. Checked:

  - every transition and action is stamped at the exact instant its
    condition became true, however late the run: the instant is computed
    here from the formulas (60 days and one microsecond after the last
    event; 7 days and one microsecond after the pricing view; the decay
    40 * 0.5^(age / 7d) crossing 20), and `persona eval --state` with the
    profile's state from T0 gives the transition at that instant and not
    one microsecond before;
  - the outbox and the final states are those of `persona eval --state`
    replayed at the runner's schedule (the oracle of run_tests.py, which
    never reads the runner's database);
  - the runs were made for time alone: the JSON log's `catch_up` counts
    them, and the runs make no evaluation at their own `--now` unless
    something is due then.
"""
import json
import math
import os
import random
import sqlite3
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run_tests as rt  # noqa: E402  (the oracle and the helpers)

MODEL = os.path.join(HERE, "time_model.persona")
DAY, T0 = rt.DAY, rt.T0
SEC = 1000000


def make_profiles(n, seed):
    """Each profile has a few events in the 30 days before T0, at random
    microseconds, so that every instant is its own."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        events = []
        for kind, p in (("visit", 0.7), ("pricing", 0.5), ("webinar", 0.6)):
            if rng.random() < p:
                events.append({"type": kind, "at": rt.fmt(T0 - rng.randrange(0, 30 * DAY))})
        out.append({"id": "t%03d" % i, "events": events})
    out.append({"id": "quiet", "events": []})  # nothing ever changes: never due again
    return out


def expected_instants(rec):
    """{lifecycle: (stage, instant)} of the transitions time alone makes
    after T0, from the model's formulas (time_model.persona)."""
    ats = [rt.parse_time(e["at"]) for e in rec["events"]]
    want = {}
    if ats:
        t = max(ats) + 60 * DAY + 1  # days_inactive > 60: fractional days
        if t > T0:
            want["account"] = ("at_risk", t)
    pricing = [rt.parse_time(e["at"]) for e in rec["events"] if e["type"] == "pricing"]
    if pricing and max(pricing) + 7 * DAY >= T0:
        want["interest"] = ("cooled", max(pricing) + 7 * DAY + 1)  # within 7d: age <= 7d
    webinars = [rt.parse_time(e["at"]) for e in rec["events"] if e["type"] == "webinar"]
    if webinars and engagement(webinars, T0) >= 30:
        want["funnel"] = ("lead", crossing(webinars, 20))
    return want


def engagement(webinars, now):
    return sum(40 * 0.5 ** ((now - at) / (7 * DAY)) for at in webinars)


def crossing(webinars, threshold):
    """The first microsecond at which engagement < threshold (it only
    decreases): bisection on the formula, independent of the VM."""
    lo, hi = T0, T0 + 400 * DAY  # engagement(lo) >= threshold > engagement(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if engagement(webinars, mid) < threshold:
            hi = mid
        else:
            lo = mid
    return hi


def eval_one(work, rec, state_lines, now):
    """`persona eval --state` of one record at `now`, from the given state
    file contents; returns the result."""
    inp = os.path.join(work, "one.jsonl")
    st = os.path.join(work, "one.state.jsonl")
    with open(inp, "w") as f:
        f.write(json.dumps(rec) + "\n")
    with open(st, "w") as f:
        f.write(state_lines)
    p = subprocess.run([rt.PERSONA, "eval", MODEL, inp, "--now", rt.fmt(now), "--state", st], capture_output=True,
                       text=True)
    rt.check(p.returncode == 0, "eval failed: " + p.stderr)
    return json.loads(p.stdout)


def stage_entered(state, lifecycle):
    for lc in state["lifecycles"]:
        if lc["name"] == lifecycle:
            return lc["stage"], rt.parse_time(lc["entered"])
    return None, None


def test_time_alone(work):
    records = make_profiles(40, 18)
    inp = os.path.join(work, "in.jsonl")
    rt.write_lines(inp, records)
    db = os.path.join(work, "run.db")
    runs = [T0, T0 + 2 * DAY, T0 + 9 * DAY, T0 + 33 * DAY, T0 + 80 * DAY, T0 + 140 * DAY]
    oracle = rt.Oracle(work)
    oracle.arrive(T0, inp)
    # The same runs on a database that was of schema 2 after the first
    # (no next_change): its migration evaluates every profile once more at
    # its last evaluation's instant, which tells its next_change.
    old = os.path.join(work, "v2.db")
    catch_up = 0
    for now in runs:
        oracle.run_until(now)
        rt.run(old, [inp], now, "--sink", "none")
        if now == T0:
            c = sqlite3.connect(old)
            c.executescript("ALTER TABLE profile DROP COLUMN next_change; UPDATE profile SET next_wake = wake;"
                            " PRAGMA user_version = 2;")
            c.close()
        p = rt.run(db, [inp], now, "--sink", "none", "--log", "json")
        stop = [json.loads(l) for l in p.stderr.splitlines() if '"event":"stop"' in l]
        rt.check(len(stop) == 1, "no stop event in the log: " + p.stderr)
        rt.check("catch_up" in stop[0], "the stop event has no catch_up count: %s" % stop[0])
        catch_up += stop[0]["catch_up"]
    rt.check_db(db, oracle)
    rt.check_db(old, oracle)
    con = sqlite3.connect(db)
    migrated = dict(sqlite3.connect(old).execute("SELECT key, state FROM profile"))
    for k, s in con.execute("SELECT key, state FROM profile"):
        rt.check(migrated.get(k) == s, "state of %s after the schema 2 migration: %s, without %s" % (
            k, migrated.get(k), s))
    states = {json.loads(k): json.loads(s) for k, s in con.execute("SELECT key, state FROM profile")}

    # The final states are the oracle's.
    want_states = {k: json.loads(line)["state"] for k, line in oracle.states.items()}
    for k, s in states.items():
        rt.check(s == want_states.get(k), "state of %s: %s, oracle %s" % (k, s, want_states.get(k)))

    # The state every profile had after T0, to evaluate from.
    t0_state = {}
    for rec in records:
        t0_state[rec["id"]] = json.dumps({"id": rec["id"], "at": rt.fmt(T0),
                                          "state": eval_one(work, rec, "", T0)["state"]}) + "\n"

    checked = 0
    for rec in records:
        k = rec["id"]
        for lifecycle, (stage, t) in expected_instants(rec).items():
            if t > runs[-1]:
                continue
            got_stage, got_at = stage_entered(states[k], lifecycle)
            rt.check(got_stage == stage, "%s: %s is %s, expected %s (at %s)" % (k, lifecycle, got_stage, stage,
                                                                               rt.fmt(t)))
            rt.check(got_at == t, "%s: %s -> %s stamped %s, the condition became true at %s" % (
                k, lifecycle, stage, rt.fmt(got_at), rt.fmt(t)))
            before = eval_one(work, rec, t0_state[k], t - 1)
            at = eval_one(work, rec, t0_state[k], t)
            rt.check(before["stages"][lifecycle] != stage, "%s: eval at %s already has %s = %s" % (
                k, rt.fmt(t - 1), lifecycle, stage))
            rt.check(at["stages"][lifecycle] == stage, "%s: eval at %s has %s = %s, not %s" % (
                k, rt.fmt(t), lifecycle, at["stages"][lifecycle], stage))
            checked += 1
    rt.check(checked >= 40, "only %d transitions checked" % checked)

    # The journeys: winback's email at the instant of at_risk; nurture's
    # email when the decaying engagement fell under 25 (wait until), or
    # its exit when 45 days of inactivity passed (exit when).
    actions = {}
    for key, payload, evaluated in con.execute("SELECT action_key, payload, evaluated_at FROM outbox"):
        a = json.loads(payload)
        actions.setdefault(a["profile"], []).append((a.get("template"), a, evaluated))
    sent = 0
    for rec in records:
        k = rec["id"]
        want = expected_instants(rec)
        for template, a, evaluated in actions.get(k, []):
            rt.check(rt.parse_time(a["at"]) == evaluated, "%s: action at %s evaluated at %s" % (
                k, a["at"], rt.fmt(evaluated)))
            if template == "winback":
                rt.check(rt.parse_time(a["at"]) == want["account"][1], "%s: winback at %s, at_risk at %s" % (
                    k, a["at"], rt.fmt(want["account"][1])))
                sent += 1
            if template == "still-there":
                webinars = [rt.parse_time(e["at"]) for e in rec["events"] if e["type"] == "webinar"]
                t = max(crossing(webinars, 25), T0)
                rt.check(rt.parse_time(a["at"]) == t, "%s: still-there at %s, engagement < 25 from %s" % (
                    k, a["at"], rt.fmt(t)))
                sent += 1
            rt.check(template != "never-reached", "%s: the exit when did not end nurture" % k)
        for j in states[k]["journeys"]:
            if j["name"] == "nurture" and j["status"] == "exited":
                last = max(rt.parse_time(e["at"]) for e in rec["events"])
                rt.check(rt.parse_time(j["ended"]) == last + 45 * DAY + 1, "%s: nurture exited at %s" % (
                    k, j["ended"]))
                sent += 1
    rt.check(sent >= 20, "only %d journey instants checked" % sent)
    rt.check(catch_up > 0, "no evaluation was counted as a catch-up")
    # A profile without events: days_inactive stays 0, nothing changes. An
    # evaluator may wake it needlessly (a bound it cannot sharpen), never
    # change it.
    quiet_evals = con.execute("SELECT evals FROM profile WHERE key = '\"quiet\"'").fetchone()[0]
    rt.check(all(rt.parse_time(lc["entered"]) == T0 for lc in states["quiet"]["lifecycles"]),
             "the quiet profile changed: %s" % states["quiet"])
    print("%d profiles, %d transitions at their instants, %d journey instants, %d catch-up evaluations, "
          "%d evaluations in all (%d of the profile without events)" % (
              len(records), checked, sent, catch_up, oracle.evals, quiet_evals))


TESTS = {"time_alone": test_time_alone}


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in TESTS:
        print("usage: time_tests.py PATH/TO/persona {%s}" % ",".join(TESTS), file=sys.stderr)
        sys.exit(2)
    rt.PERSONA = os.path.abspath(sys.argv[1])
    rt.MODEL = MODEL
    with tempfile.TemporaryDirectory() as work:
        TESTS[sys.argv[2]](work)


if __name__ == "__main__":
    main()
