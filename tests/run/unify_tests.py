#!/usr/bin/env python3
"""`persona run` over source records (docs/runtime.md, "Unifying sources
as they arrive").

    python3 tests/run/unify_tests.py PATH/TO/persona TEST

TEST is one of the names in TESTS below; ctest runs each as run/TEST.

  unify_merge        two profiles from two sources merge mid-run: the
                     merged profile keeps the further lifecycle stage and
                     its `entered`, no journey step is sent again, the
                     donors' rows are gone, a bad record is an input error
                     once, with its file and line.
  unify_incremental  the sources added over two runs (either order) give
                     the profiles, states and actions of one
                     `persona unify` over everything and then a run.
  unify_split        a `never join` added to the model splits a profile on
                     the next run: the part that keeps the id keeps the
                     state, the other starts as a new profile.
"""
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "unify_model.persona")
DAY = 86400 * 1000000
T0 = 1769904000 * 1000000  # 2026-02-01T00:00:00Z
PERSONA = None


def fmt(us):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(us // 1000000))


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def write(path, records, mode="w"):
    with open(path, mode) as f:
        for r in records:
            f.write((r if isinstance(r, str) else json.dumps(r)) + "\n")


def run(db, inputs, now, model=MODEL, rc=(0,)):
    args = [PERSONA, "run", model, "--db", db, *inputs, "--once", "--now", fmt(now), "--sink", "none"]
    p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    check(p.returncode in rc, "%s: exit %d\n%s" % (" ".join(args), p.returncode, p.stderr))
    return p


def unify_id(work, records_by_source):
    """The id `persona unify` gives the profile of these records (one each)."""
    files = []
    for src, recs in records_by_source.items():
        path = os.path.join(work, "probe-%s" % src)
        os.makedirs(path, exist_ok=True)
        write(os.path.join(path, src + ".jsonl"), recs)
        files.append(os.path.join(path, src + ".jsonl"))
    p = subprocess.run([PERSONA, "unify", MODEL, *files], capture_output=True, text=True)
    check(p.returncode == 0, "unify: %s" % p.stderr)
    ids = [json.loads(l)["id"] for l in p.stdout.splitlines()]
    check(len(ids) == 1, "expected one profile, got %s" % ids)
    return json.dumps(ids[0])


def rows(db, sql, *args):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def state(db, key):
    r = rows(db, "SELECT state FROM profile WHERE key = ?", key)
    check(len(r) == 1, "profile %s: %d rows" % (key, len(r)))
    return json.loads(r[0][0])


def actions(db):
    return [json.loads(p) for (p,) in rows(db, "SELECT payload FROM outbox ORDER BY seq")]


# ---- the tests --------------------------------------------------------------------


CRM1 = {"id": "C1", "phone": "13812345678", "plan": "free"}
WEB1 = {"cookie": "ck1", "type": "visit", "at": "2026-01-20T00:00:00Z"}
CRM2 = {"id": "C2", "phone": "13900001111", "plan": "pro"}
WEB2 = {"cookie": "ck2", "type": "visit", "at": "2026-01-21T00:00:00Z"}


def test_unify_merge(work):
    ind = os.path.join(work, "in")
    os.makedirs(ind)
    db = os.path.join(work, "run.db")
    web = os.path.join(ind, "web.jsonl")
    write(os.path.join(ind, "crm.jsonl"), [CRM1, CRM2])
    write(web, [WEB1, WEB2, {"type": "visit", "at": "2026-01-22T00:00:00Z"}])
    p = run(db, [ind], T0, rc=(3,))
    k1, k2 = unify_id(work, {"crm": [CRM1]}), unify_id(work, {"crm": [CRM2]})
    c1, c2 = unify_id(work, {"web": [WEB1]}), unify_id(work, {"web": [WEB2]})
    keys = {k for (k,) in rows(db, "SELECT key FROM profile")}
    check(keys == {k1, k2, c1, c2}, "four profiles before the merge, got %s" % keys)
    check(state(db, k2)["lifecycles"][0] == {"name": "account", "stage": "paying", "entered": fmt(T0)},
          "C2 pays from T0: %s" % state(db, k2))
    # Day 1: the website learns both visitors' phone numbers.
    login = {"cookie": "ck1", "phone": "+86 138-1234-5678", "type": "login", "at": fmt(T0 + DAY // 2)}
    write(web, [login, {"cookie": "ck2", "phone": "0086 139 0000 1111", "type": "visit", "at": fmt(T0 + DAY)}], "a")
    run(db, [ind], T0 + DAY, rc=(0,))
    keys = {k for (k,) in rows(db, "SELECT key FROM profile")}
    check(keys == {k1, k2}, "the cookies' profiles merged into the CRM ones, got %s" % keys)
    owners = {k for (k,) in rows(db, "SELECT DISTINCT profile FROM unify_record WHERE profile IS NOT NULL")}
    check(owners == {k1, k2}, "records placed in %s" % owners)
    # The further stage and its entered: C2 paid at T0, ck2 was a trial.
    lc = state(db, k2)["lifecycles"]
    check(lc == [{"name": "account", "stage": "paying", "entered": fmt(T0)}], "C2's stage after the merge: %s" % lc)
    # Two more weeks: every follow-up once per person, none again.
    for d in range(2, 15):
        run(db, [ind], T0 + d * DAY)
    acts = actions(db)
    keys_seen = [a["key"] for a in acts]
    check(len(keys_seen) == len(set(keys_seen)), "outbox keys repeat")
    person = {k1: 1, c1: 1, k2: 2, c2: 2}
    sent = {}
    for a in acts:
        sent.setdefault((person[json.dumps(a["profile"])], a["journey"], a["step"]), []).append(a)
    after = [a for a in acts if a["at"] > fmt(T0)]
    for a in after:
        n = len(sent[(person[json.dumps(a["profile"])], a["journey"], a["step"])])
        check(n == 1, "step %s of %s sent %d times to person %d" % (a["step"], a["journey"], n,
                                                                      person[json.dumps(a["profile"])]))
        check(json.dumps(a["profile"]) in (k1, k2), "an action after the merge for a merged-away profile: %s" % a)
    steps1 = sorted(a["step"] for a in acts if person[json.dumps(a["profile"])] == 1)
    check(steps1 == ["onboarding/if#1/then/send:email:tips", "onboarding/send:email:getting-started",
                     "onboarding/send:email:getting-started"],
          "person 1: getting-started to each profile before the merge, tips (the login) once after: %s" % steps1)
    steps2 = sorted((a["journey"], a["step"]) for a in acts if person[json.dumps(a["profile"])] == 2)
    check(steps2 == [("customer", "customer/notify:slack:a new customer is three days old"), ("customer", "customer/send:email:thanks"),
                     ("onboarding", "onboarding/send:email:getting-started")],
          "person 2: thanks and the notice once, ck2's getting-started before the merge: %s" % steps2)
    errs = rows(db, "SELECT kind, source, message FROM eval_error")
    check(errs == [("input", web + ":3", "no identifier (source web reads cookie, phone)")],
          "one input error, once: %s" % errs)
    print("merged 2 profiles into 2 CRM ones; %d actions, each step once per person" % len(acts))


def plain_model(work):
    """The model without identity { } and source { }: it evaluates unified profiles."""
    text = open(MODEL).read()
    text = re.sub(r"\n(identity|source \w+) \{.*?\n\}\n", "\n", text, flags=re.S)
    path = os.path.join(work, "plain.persona")
    with open(path, "w") as f:
        f.write(text)
    return path


def test_unify_incremental(work):
    crm = [CRM1, CRM2, {"id": "C3", "phone": "13700000000", "plan": "free"}]
    web = [WEB1, WEB2, dict(WEB1, phone="13812345678", type="login", at=fmt(T0 - DAY)),
           {"cookie": "ck9", "type": "visit", "at": fmt(T0 - 2 * DAY)}]
    srcs = os.path.join(work, "src")
    os.makedirs(srcs)
    write(os.path.join(srcs, "crm.jsonl"), crm)
    write(os.path.join(srcs, "web.jsonl"), web)
    # One unify over everything, then a run of the unified profiles.
    profiles = os.path.join(work, "profiles.jsonl")
    p = subprocess.run([PERSONA, "unify", MODEL, os.path.join(srcs, "crm.jsonl"), os.path.join(srcs, "web.jsonl"),
                        "-o", profiles], capture_output=True, text=True)
    check(p.returncode == 0, "unify: %s" % p.stderr)
    ref = os.path.join(work, "ref.db")
    plain = plain_model(work)
    for now in (T0, T0 + 10 * DAY):
        run(ref, [profiles], now, model=plain)
    for order in (("crm", "web"), ("web", "crm")):
        ind = os.path.join(work, "in-" + order[0])
        os.makedirs(ind)
        db = os.path.join(work, order[0] + ".db")
        for name in order:
            os.link(os.path.join(srcs, name + ".jsonl"), os.path.join(ind, name + ".jsonl"))
            run(db, [ind], T0)
        run(db, [ind], T0 + 10 * DAY)
        got = rows(db, "SELECT key, doc, state FROM profile ORDER BY key")
        want = rows(ref, "SELECT key, doc, state FROM profile ORDER BY key")
        check(got == want, "%s first: the profiles differ from one unify then run:\n%s\n%s" % (order[0], got, want))
        person = lambda a: (a["journey"], a["run"], a["step"], a["at"])
        ga, wa = sorted(map(person, actions(db))), sorted(map(person, actions(ref)))
        check(ga == wa, "%s first: other steps were sent:\n%s\n%s" % (order[0], ga, wa))
        if order[0] == "crm":
            check(sorted(a["key"] for a in actions(db)) == sorted(a["key"] for a in actions(ref)),
                  "crm first: the action keys differ")
    print("two runs (either order) = one unify then run: %d profiles, %d actions" % (len(want), len(wa)))


def test_unify_split(work):
    ind = os.path.join(work, "in")
    os.makedirs(ind)
    db = os.path.join(work, "run.db")
    write(os.path.join(ind, "crm.jsonl"), [CRM1])
    write(os.path.join(ind, "web.jsonl"), [dict(WEB1, phone="13812345678")])
    run(db, [ind], T0)
    k1, c1 = unify_id(work, {"crm": [CRM1]}), unify_id(work, {"web": [WEB1]})
    check([k for (k,) in rows(db, "SELECT key FROM profile")] == [k1], "one profile before the split")
    before = state(db, k1)
    # The phone number turns out to be shared: never join it.
    split = os.path.join(work, "split.persona")
    with open(split, "w") as f:
        f.write(open(MODEL).read().replace("  priority [", '  never join phone "13812345678"\n  priority ['))
    run(db, [ind], T0 + DAY, model=split)
    keys = sorted(k for (k,) in rows(db, "SELECT key FROM profile"))
    check(keys == sorted([k1, c1]), "split into the CRM profile and the cookie's: %s" % keys)
    check(state(db, k1) == before, "the part that keeps the id keeps the state")
    new = state(db, c1)
    check(new["journeys"][0]["entered"] == fmt(T0 + DAY), "the split-off part starts anew: %s" % new)
    print("split: %s kept its state, %s started anew" % (k1, c1))


TESTS = {
    "unify_merge": test_unify_merge,
    "unify_incremental": test_unify_incremental,
    "unify_split": test_unify_split,
}


def main():
    global PERSONA
    if len(sys.argv) < 3 or sys.argv[2] not in TESTS:
        print("usage: unify_tests.py PATH/TO/persona {%s}" % ",".join(TESTS), file=sys.stderr)
        return 2
    PERSONA = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="persona-run-unify-") as work:
        TESTS[sys.argv[2]](work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
