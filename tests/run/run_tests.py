#!/usr/bin/env python3
"""Fault-injection and behaviour tests of `persona run` (docs/runtime.md).

    python3 tests/run/run_tests.py PATH/TO/persona TEST [--small]

TEST is one of the names in TESTS below; ctest runs each as run/TEST.
--small shrinks the heavy tests (the ASan build, where everything is
about ten times slower).

Every test checks the same invariants at the end (check_db):
  - PRAGMA integrity_check is "ok";
  - the outbox holds exactly the actions that `persona eval --state`
    produces when replayed at the same times (the oracle below): same keys,
    same payloads, same evaluation times, none missing, none extra;
  - every action was delivered, and the sink saw every key;
  - the sink's duplicates are only batches in flight at a crash (none for
    dir:);
  - each input line was ingested once (profile.records).

The oracle replays the runner's schedule with the plain evaluator: each
profile is evaluated at its due time = min(next_wake, next_change, arrival
of a new record), a record being visible from its arrival on. It never
reads the runner's database.
"""
import calendar
import datetime
import heapq
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "model.persona")
DAY = 86400 * 1000000
T0 = 1769904000 * 1000000  # 2026-02-01T00:00:00Z

PERSONA = None
SMALL = False


def fmt(us):
    secs, frac = divmod(us, 1000000)
    t = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    if frac:
        t += ".%03d" % (frac // 1000) if frac % 1000 == 0 else ".%06d" % frac
    return t + "Z"


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


# ---- inputs --------------------------------------------------------------------


HOUR = 3600 * 1000000


def profile(i, rng, base=T0):
    """A trial profile whose events (some in the future of T0) steer its
    onboarding journey. Event times are multiples of 6 hours: an event in the
    future changes a result when it becomes visible (its next_change), and
    the oracle makes one `persona eval` per distinct instant, so tens of
    thousands of distinct instants would make the oracle, not the runner,
    the slow part."""
    events = []
    if rng.random() < 0.5:
        events.append({"type": "login", "at": fmt(base + rng.randrange(0, 4 * 4) * 6 * HOUR)})
    if rng.random() < 0.3:
        events.append({"type": "purchase", "at": fmt(base + rng.randrange(4, 9 * 4) * 6 * HOUR)})
    rec = {"id": "p%06d" % i, "events": events}
    if rng.random() < 0.05:
        rec["plan"] = "pro"
    return rec


def write_lines(path, records, mode="w"):
    with open(path, mode) as f:
        for r in records:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")


def make_inputs(work, n, seed):
    """in1: n new profiles (at T0); in2: a tenth of them upgrade to pro
    with one more event (ingested at T0 + 1.5 d, between wake-ups)."""
    rng = random.Random(seed)
    first = [profile(i, rng) for i in range(n)]
    second = []
    for r in first:
        if r.get("plan") != "pro" and rng.random() < 0.1:
            s = dict(r)
            s["plan"] = "pro"
            s["events"] = r["events"] + [{"type": "upgrade", "at": fmt(T0 + DAY)}]
            second.append(s)
    in1, in2 = os.path.join(work, "in1.jsonl"), os.path.join(work, "in2.jsonl")
    write_lines(in1, first)
    write_lines(in2, second)
    return in1, in2


# ---- the oracle ------------------------------------------------------------------


class Oracle:
    """The runner's schedule replayed with `persona eval --state`."""

    def __init__(self, work):
        self.work = work
        self.state = os.path.join(work, "oracle.state.jsonl")
        self.doc, self.pending, self.wake, self.failed = {}, {}, {}, set()
        self.change = {}  # key -> next_change: the result changes by time alone
        self.states = {}  # key -> its line of the state file (`persona eval --state`)
        self.actions = {}  # key -> (payload dict, evaluated_at)
        self.records = {}  # key (JSON text) -> lines received
        self.evals = 0

    def arrive(self, now, path):
        with open(path) as f:
            for line in f:
                line = line.rstrip("\n")
                try:
                    key = json.loads(line)["id"]
                except Exception:
                    continue
                at = self.pending[key][1] if key in self.pending else now
                self.pending[key] = (line, at)
                jkey = json.dumps(key)
                self.records[jkey] = self.records.get(jkey, 0) + 1

    def due(self, key):
        times = []
        if key in self.wake:
            times.append(self.wake[key])
        if key in self.change:
            times.append(self.change[key])
        if key in self.pending:
            times.append(self.pending[key][1])
        return min(times) if times else None

    def run_until(self, now):
        """Every evaluation due at or before now, earliest first; the
        profiles due at one instant in one `persona eval`. A heap of due
        times: only the profiles just evaluated change theirs."""
        heap = [(self.due(k), k) for k in set(self.wake) | set(self.change) | set(self.pending)]
        heap = [(t, k) for t, k in heap if t is not None]
        heapq.heapify(heap)
        while heap and heap[0][0] <= now:
            t = heap[0][0]
            keys = set()
            while heap and heap[0][0] == t:
                keys.add(heapq.heappop(heap)[1])
            keys = sorted(keys)
            self.eval_at(t, keys)
            for k in keys:
                d = self.due(k)
                if d is not None:
                    heapq.heappush(heap, (d, k))

    def eval_at(self, t, keys):
        batch = os.path.join(self.work, "oracle.in.jsonl")
        with open(batch, "w") as f:
            for k in keys:
                if k in self.pending and self.pending[k][1] <= t:
                    self.doc[k] = self.pending.pop(k)[0]
                f.write(self.doc[k] + "\n")
        # The state file holds only the profiles evaluated now: a profile's
        # line is its own, and rewriting every profile's at each of
        # hundreds of instants would make the oracle the slow part.
        with open(self.state, "w") as f:
            f.writelines(self.states[k] for k in keys if k in self.states)
        out = subprocess.run([PERSONA, "eval", MODEL, batch, "--now", fmt(t), "--state", self.state],
                             capture_output=True, text=True)
        with open(self.state) as f:
            for line in f:
                self.states[json.loads(line)["id"]] = line
        check(out.returncode in (0, 3), "oracle eval failed: " + out.stderr)
        lines = out.stdout.splitlines()
        check(len(lines) == len(keys), "oracle: %d results for %d records" % (len(lines), len(keys)))
        for k, line in zip(keys, lines):
            self.evals += 1
            res = json.loads(line)
            self.wake.pop(k, None)
            self.change.pop(k, None)
            if "error" in res:
                self.failed.add(k)
                continue
            self.failed.discard(k)
            for a in res["actions"]:
                akey = "%s/%s/%d/%s" % (json.dumps(k, separators=(",", ":")), a["journey"], a["run"], a["step"])
                check(akey not in self.actions, "oracle: action %s twice" % akey)
                payload = {"key": akey, "profile": k}
                payload.update(a)
                self.actions[akey] = (payload, t)
            if res["next_wake"] is not None:
                self.wake[k] = parse_time(res["next_wake"])
            if res.get("next_change") is not None:
                change = parse_time(res["next_change"])
                check(change > t, "oracle: %s's next_change %s is not after %s" % (k, res["next_change"], fmt(t)))
                self.change[k] = change


def parse_time(text):
    base, _, frac = text.rstrip("Z").partition(".")
    d = datetime.datetime.fromisoformat(base)
    us = int((frac + "000000")[:6]) if frac else 0
    return calendar.timegm(d.timetuple()) * 1000000 + us


# ---- running persona run ------------------------------------------------------------


def run(db, inputs, now, *extra, env=None, check_rc=(0,), timeout=120):
    args = [PERSONA, "run", MODEL, "--db", db, *inputs, "--once", "--now", fmt(now), *extra]
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.run(args, capture_output=True, text=True, env=e, timeout=timeout)
    if check_rc is not None and p.returncode not in check_rc:
        fail("%s: exit %d\n%s" % (" ".join(args), p.returncode, p.stderr))
    return p


def run_with_kills(db, inputs, now, extra, rng, kills_wanted, max_delay, pace_us):
    """Runs until it completes, killing it with SIGKILL at random moments
    kills_wanted times first. Returns how many kills landed. pace_us
    (PERSONA_RUN_PACE_US) slows each evaluation down, so that the kills
    land inside runs whether the build is optimised or sanitised."""
    landed = 0
    args = [PERSONA, "run", MODEL, "--db", db, *inputs, "--once", "--now", fmt(now), *extra]
    env = dict(os.environ, PERSONA_RUN_PACE_US=str(pace_us))
    attempts = 0
    while True:
        attempts += 1
        check(attempts < kills_wanted + 50, "the runner never completed")
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        if landed < kills_wanted:
            try:
                p.wait(timeout=rng.uniform(0.01, max_delay))
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGKILL)
                p.wait()
                landed += 1
                p.stderr.close()
                continue
        err = p.communicate(timeout=300)[1].decode()
        check(p.returncode == 0, "runner exit %d after %d kills: %s" % (p.returncode, landed, err))
        return landed


# ---- the invariants ----------------------------------------------------------------


def read_sink(sink):
    """Every line the sink received, in order: a jsonl file or a dir:."""
    lines = []
    if os.path.isdir(sink):
        for name in sorted(os.listdir(sink)):
            check(not name.endswith(".tmp") or name.startswith("."), "stray file %s" % name)
            if name.startswith("batch-"):
                with open(os.path.join(sink, name)) as f:
                    lines += f.read().splitlines()
    elif os.path.exists(sink):
        with open(sink) as f:
            lines = f.read().splitlines()
    return [json.loads(l) for l in lines]


def check_db(db, oracle, sink=None, max_dup=0):
    con = sqlite3.connect(db)
    check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity_check failed")
    rows = con.execute("SELECT action_key, payload, evaluated_at, delivered_at FROM outbox ORDER BY seq").fetchall()
    got = {}
    for key, payload, at, delivered in rows:
        check(key not in got, "outbox: %s twice" % key)
        got[key] = (json.loads(payload), at)
        if sink is not None:
            check(delivered is not None, "outbox: %s was never delivered" % key)
    missing = sorted(set(oracle.actions) - set(got))
    extra = sorted(set(got) - set(oracle.actions))
    check(not missing, "%d actions missing, e.g. %s" % (len(missing), missing[:3]))
    check(not extra, "%d actions not in the oracle, e.g. %s" % (len(extra), extra[:3]))
    for key, (payload, at) in oracle.actions.items():
        check(got[key][0] == payload, "payload of %s: %s, oracle %s" % (key, got[key][0], payload))
        check(got[key][1] == at, "%s evaluated at %s, oracle %s" % (key, fmt(got[key][1]), fmt(at)))
    failed = {r[0] for r in con.execute("SELECT key FROM profile WHERE failed = 1")}
    check(failed == {json.dumps(k) for k in oracle.failed}, "failing profiles differ from the oracle")
    records = dict(con.execute("SELECT key, records FROM profile").fetchall())
    bad = {k: (v, oracle.records.get(k)) for k, v in records.items() if v != oracle.records.get(k)}
    check(not bad and len(records) == len(oracle.records), "records ingested per profile differ: %s" %
          list(bad.items())[:5])
    dups = 0
    if sink is not None:
        seen = {}
        for line in read_sink(sink):
            seen[line["key"]] = seen.get(line["key"], 0) + 1
            check(line == got[line["key"]][0], "sink line differs from the outbox: %s" % line)
        check(set(seen) == set(got), "the sink did not see %d actions" % len(set(got) - set(seen)))
        dups = sum(n - 1 for n in seen.values())
        check(dups <= max_dup, "%d duplicates in the sink, at most %d allowed" % (dups, max_dup))
    con.close()
    return len(rows), dups


# ---- the tests ------------------------------------------------------------------------


def scenario(work, n, seed, runner, sink_spec, sink_path):
    """The three runs of every scenario: T0 (new profiles), T0 + 1.5 d
    (upgrades), T0 + 30 d (drain). `runner(inputs, now)` runs one."""
    in1, in2 = make_inputs(work, n, seed)
    oracle = Oracle(work)
    steps = [(T0, [in1]), (T0 + DAY + DAY // 2, [in1, in2]), (T0 + 30 * DAY, [in1, in2])]
    seen_inputs = set()
    for now, inputs in steps:
        for path in inputs:
            if path not in seen_inputs:
                oracle.arrive(now, path)
                seen_inputs.add(path)
        oracle.run_until(now)
        runner(inputs, now)
    return oracle


def test_crash_points(work):
    """Each named crash point, hit once in the middle of a run, then a
    restart: the same outbox as the oracle; duplicates only after-sink."""
    n = 300 if SMALL else 600
    for point in ["mid-ingest", "mid-batch", "before-commit", "after-commit", "after-sink"]:
        for kind in ["jsonl", "dir"]:
            d = os.path.join(work, point + "-" + kind)
            os.mkdir(d)
            db = os.path.join(d, "run.db")
            sink_path = os.path.join(d, "sink")
            if kind == "dir":
                os.mkdir(sink_path)
            spec = ("jsonl:" if kind == "jsonl" else "dir:") + sink_path
            extra = ["--batch", "50", "--sink-batch", "20", "--sink", spec, "--durability", "normal"]
            crashes = [0]

            def runner(inputs, now):
                if crashes[0] == 0:
                    p = run(db, inputs, now, *extra, env={"PERSONA_RUN_CRASH_AT": point + ":3"}, check_rc=(0, 99))
                    if p.returncode == 99:
                        check("crashing at " + point in p.stderr, "no crash message: " + p.stderr)
                        crashes[0] += 1
                run(db, inputs, now, *extra)

            oracle = scenario(d, n, 7, runner, spec, sink_path)
            check(crashes[0] == 1, "%s was never reached" % point)
            max_dup = 20 if (point == "after-sink" and kind == "jsonl") else 0
            rows, dups = check_db(db, oracle, sink_path, max_dup=max_dup)
            if point == "after-sink" and kind == "jsonl":
                check(dups > 0, "after-sink: the batch in flight should have come again")
            print("%-14s %-5s %5d actions, %2d duplicates in the sink" % (point, kind, rows, dups))


def test_kill9(work):
    """Random SIGKILLs during a run of tens of thousands of profiles, then
    a drain: nothing lost, nothing twice in the outbox, sink duplicates
    only from batches in flight."""
    n = 2000 if SMALL else 20000
    kills_per_run = 15 if SMALL else 30
    sink_batch = 100
    rng = random.Random(11)
    db = os.path.join(work, "run.db")
    sink = os.path.join(work, "sink.jsonl")
    extra = ["--batch", "500", "--sink-batch", str(sink_batch), "--sink", "jsonl:" + sink, "--durability", "normal"]
    kills = [0]

    def runner(inputs, now):
        kills[0] += run_with_kills(db, inputs, now, extra, rng, kills_per_run, 0.3, 400 if SMALL else 40)

    started = time.time()
    oracle = scenario(work, n, 3, runner, None, None)
    rows, dups = check_db(db, oracle, sink, max_dup=kills[0] * sink_batch)
    print("%d profiles, %d evaluations, %d actions, %d kills landed, %d duplicates in the sink, %.1f s" %
          (n, oracle.evals, rows, kills[0], dups, time.time() - started))
    check(kills[0] >= (10 if SMALL else 40), "too few kills landed (%d)" % kills[0])


def test_dir_kill9(work):
    """The same with dir:, which must not duplicate anything."""
    n = 1000 if SMALL else 5000
    rng = random.Random(5)
    db = os.path.join(work, "run.db")
    sink = os.path.join(work, "spool")
    os.mkdir(sink)
    extra = ["--batch", "200", "--sink-batch", "50", "--sink", "dir:" + sink, "--durability", "normal"]
    kills = [0]

    def runner(inputs, now):
        kills[0] += run_with_kills(db, inputs, now, extra, rng, 10, 0.3, 400 if SMALL else 100)

    oracle = scenario(work, n, 4, runner, None, None)
    rows, dups = check_db(db, oracle, sink, max_dup=0)
    print("%d actions, %d kills landed, no duplicates" % (rows, kills[0]))


def test_gap(work):
    """Off for 30 days: the catch-up gives the outbox of an always-on
    runner (same keys, payloads, logical times and evaluation times), in
    next_wake order."""
    in1, _ = make_inputs(work, 200, 9)
    dbs = {}
    for name, times in [("gap", [T0, T0 + 30 * DAY]),
                        ("always-on", [T0 + i * (DAY // 4) for i in range(0, 121)])]:
        db = os.path.join(work, name + ".db")
        for now in times:
            run(db, [in1], now, "--sink", "none", "--batch", "1" if name == "gap" else "100")
        dbs[name] = db
    oracle = Oracle(work)
    oracle.arrive(T0, in1)
    oracle.run_until(T0 + 30 * DAY)
    for db in dbs.values():
        check_db(db, oracle)
    con = sqlite3.connect(dbs["gap"])
    times = [r[0] for r in con.execute("SELECT evaluated_at FROM outbox ORDER BY seq")]
    check(times == sorted(times), "the catch-up did not run in next_wake order")
    n = con.execute("SELECT count(*) FROM outbox WHERE evaluated_at > ?", (T0,)).fetchone()[0]
    print("%d actions, %d of them caught up after the gap, in next_wake order" % (len(times), n))


def test_second_runner(work):
    """A second runner on the same file is refused while the first runs;
    the first stops cleanly on SIGTERM."""
    db = os.path.join(work, "run.db")
    first = subprocess.Popen([PERSONA, "run", MODEL, "--db", db, "--watch", "--sink", "none"],
                             stderr=subprocess.PIPE, text=True)
    lock = db + ".lock"
    for _ in range(200):
        if os.path.exists(lock) and os.path.getsize(lock) > 0:
            break
        time.sleep(0.02)
    time.sleep(0.2)
    p = subprocess.run([PERSONA, "run", MODEL, "--db", db, "--once", "--sink", "none"], capture_output=True, text=True)
    check(p.returncode == 1, "second runner: exit %d" % p.returncode)
    want = "persona: '%s' is in use by another persona run (pid %d): only one runner may use a database\n" % (
        db, first.pid)
    check(p.stderr == want, "second runner said %r" % p.stderr)
    # Another name of the same file takes the same lock: a symbolic link,
    # and a path through a linked directory (these once ran together).
    link = os.path.join(work, "link-to-run.db")
    os.symlink(db, link)
    linked_dir = os.path.join(work, "linked-dir")
    os.symlink(work, linked_dir)
    for other in (link, os.path.join(linked_dir, "run.db")):
        p = subprocess.run([PERSONA, "run", MODEL, "--db", other, "--once", "--sink", "none"], capture_output=True,
                           text=True)
        check(p.returncode == 1, "runner through %s: exit %d" % (other, p.returncode))
        want = "persona: '%s' is in use by another persona run (pid %d): only one runner may use a database\n" % (
            other, first.pid)
        check(p.stderr == want, "runner through %s said %r" % (other, p.stderr))
    # Reading is allowed beside a runner.
    s = subprocess.run([PERSONA, "run", "--db", db, "--status"], capture_output=True, text=True)
    check(s.returncode == 0, "--status beside a runner: " + s.stderr)
    first.send_signal(signal.SIGTERM)
    check(first.wait(timeout=10) == 0, "the first runner did not stop cleanly: " + first.stderr.read())
    print("refused: " + p.stderr.strip())


def test_sink_failures(work):
    """A sink that fails, hangs or crashes: attempts and the last error are
    kept, nothing is lost, and a working sink delivers everything later,
    in order."""
    in1, _ = make_inputs(work, 50, 2)
    db = os.path.join(work, "run.db")
    cases = [("exec:cat >/dev/null; exit 3", "exited with status 3", []),
             ("exec:sleep 30", "timed out after 1 s and was killed", ["--sink-timeout", "1"]),
             ("exec:head -c 10 >/dev/null; kill -9 $$", "was killed by signal 9", [])]
    now = T0
    for spec, message, extra in cases:
        started = time.time()
        p = run(db, [in1], now, "--sink", spec, *extra, check_rc=(1,))
        check(time.time() - started < 10, "%s: took %.1f s" % (spec, time.time() - started))
        check(message in p.stderr, "%s: %r" % (spec, p.stderr))
        con = sqlite3.connect(db)
        row = con.execute("SELECT count(*), min(attempts), max(last_error) FROM outbox WHERE delivered_at IS NULL"
                          " AND last_error IS NOT NULL").fetchone()
        con.close()
        check(row[0] > 0 and message in row[2], "%s: failing actions not visible: %s" % (spec, row))
        st = subprocess.run([PERSONA, "run", "--db", db, "--status"], capture_output=True, text=True).stdout
        check("last error: " in st and message in st, "--status does not show the error:\n" + st)
        now += DAY // 24
    out = os.path.join(work, "good.jsonl")
    # A command receiving each batch: the environment names the batch.
    run(db, [in1], now, "--sink", "exec:cat >> %s; echo \"$PERSONA_RUN_BATCH $PERSONA_RUN_COUNT\" >> %s.batches" %
        (out, out))
    con = sqlite3.connect(db)
    attempts = con.execute("SELECT min(attempts), max(attempts) FROM outbox").fetchone()
    keys = [r[0] for r in con.execute("SELECT action_key FROM outbox ORDER BY seq")]
    pending = con.execute("SELECT count(*) FROM outbox WHERE delivered_at IS NULL").fetchone()[0]
    con.close()
    check(pending == 0, "%d actions not delivered" % pending)
    check(attempts == (4, 4), "attempts: %s, expected 4 (3 failures and a success)" % (attempts,))
    with open(out) as f:
        got = [json.loads(l)["key"] for l in f]
    check(got == keys, "the working sink got %d actions out of order or twice" % len(got))
    print("%d actions delivered after 3 failed attempts each" % len(keys))


def test_inputs(work):
    """Truncated, rewritten and rotated input files are never ingested
    twice; an incomplete last line waits for its newline."""
    db = os.path.join(work, "run.db")
    d = os.path.join(work, "in")
    os.mkdir(d)
    rng = random.Random(1)
    recs = [profile(i, rng) for i in range(12)]
    app = os.path.join(d, "app.jsonl")
    now = [T0]

    def step(*extra):
        p = run(db, [d], now[0], "--sink", "none", *extra)
        now[0] += DAY // 24
        return p

    write_lines(app, recs[0:3])
    step()
    # An incomplete line: not read until its newline comes.
    with open(app, "a") as f:
        f.write(json.dumps(recs[3])[:10])
    step()
    with open(app, "a") as f:
        f.write(json.dumps(recs[3])[10:] + "\n")
    write_lines(app, recs[4:5], "a")
    step()
    # Rename rotation: two more lines, then app.jsonl -> app.jsonl.1 and a
    # new app.jsonl.
    write_lines(app, recs[5:7], "a")
    os.rename(app, app + ".1")
    write_lines(app, recs[7:9])
    step()
    # Truncation (copytruncate without the copy): the file starts again.
    with open(app, "w") as f:
        pass
    step()
    write_lines(app, recs[9:11])
    step()
    # Rewritten, longer than before: the offset fits, the fingerprint
    # does not.
    more = [profile(100 + i, rng) for i in range(3)]
    write_lines(app, recs[11:12] + more)
    step()
    recs += more
    con = sqlite3.connect(db)
    rows = dict(con.execute("SELECT key, records FROM profile").fetchall())
    con.close()
    want = {json.dumps(r["id"]): 1 for r in recs}
    check(rows == want, "records per profile: %s" % {k: v for k, v in rows.items() if v != 1 or k not in want})
    print("15 records in 7 steps (partial line, rotation, truncation, rewrite): each ingested once")


def test_watch(work):
    """--watch wakes for new input and at next_wake, on the wall clock."""
    model = os.path.join(work, "fast.persona")
    with open(MODEL) as f:
        text = f.read()
    with open(model, "w") as f:
        f.write(text.replace("@first_pause wait 2d", "@first_pause wait 2s"))
    db = os.path.join(work, "run.db")
    d = os.path.join(work, "in")
    os.mkdir(d)
    sink = os.path.join(work, "sink.jsonl")
    p = subprocess.Popen([PERSONA, "run", model, "--db", db, d, "--watch", "--poll", "50", "--sink", "jsonl:" + sink,
                          "--durability", "normal"], stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)
        write_lines(os.path.join(d, "a.jsonl"), [{"id": "w1"}])
        started = time.time()

        def wait_for(n, limit):
            while time.time() - started < limit:
                if os.path.exists(sink) and len(read_sink(sink)) >= n:
                    return time.time() - started
                time.sleep(0.02)
            fail("--watch: %d actions after %.1f s, expected %d" % (len(read_sink(sink)), limit, n))

        t1 = wait_for(1, 3)
        t2 = wait_for(2, 8)
        check(t2 >= 1.5, "the 2 s wait ended after %.2f s" % t2)
        got = [a["template"] if "template" in a else a.get("text") for a in read_sink(sink)]
        check(got[:2] == ["getting-started", "Call: no login yet"], "actions: %s" % got)
        # The file is truncated and written again while the runner holds
        # it open: the new line is read, the old one not again.
        write_lines(os.path.join(d, "a.jsonl"), [{"id": "w2", "plan": "pro"}])
        started = time.time()
        t3 = wait_for(3, 3)
        con = sqlite3.connect(db)
        records = dict(con.execute("SELECT key, records FROM profile").fetchall())
        con.close()
        check(records == {'"w1"': 1, '"w2"': 1}, "records after the truncation: %s" % records)
        print("first action after %.2f s, the one after the 2 s wait after %.2f s, "
              "a rewritten file's new line after %.2f s" % (t1, t2, t3))
    finally:
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=10)
    check(rc == 0, "--watch exit %d: %s" % (rc, p.stderr.read()))


def parse_prometheus(path):
    """{name or name{labels}: value} of a Prometheus text file; every
    sample line must parse, every family have HELP and TYPE."""
    values, typed = {}, set()
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# TYPE "):
                typed.add(line.split()[2])
                continue
            if line.startswith("#") or not line:
                continue
            name, _, value = line.rpartition(" ")
            check(name.split("{")[0] in typed, "metric %s without # TYPE" % name)
            values[name] = float(value)
    return values


def test_observability(work):
    """--log json, --status --format json and --metrics: every log line is
    JSON, the batch events add up to the totals of the stop event and to
    the database; --status read while a runner commits always adds up
    (one read transaction); the metrics file is whole whenever it is read
    and agrees with --status at the end; the exec sink's stderr is kept in
    last_error; SIGHUP stops --watch cleanly (exit 0, lock released)."""
    n = 300 if SMALL else 1500
    inputs = list(make_inputs(work, n, 17))
    n_lines = sum(1 for path in inputs for _ in open(path))
    db = os.path.join(work, "run.db")
    metrics = os.path.join(work, "metrics.prom")
    sink = os.path.join(work, "sink.jsonl")
    args = [PERSONA, "run", MODEL, "--db", db, *inputs, "--once", "--now", fmt(T0 + 3 * DAY), "--log", "json",
            "--metrics", metrics, "--sink", "jsonl:" + sink, "--batch", "50", "--sink-batch", "40"]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ, PERSONA_RUN_PACE_US="300"))
    reads = 0
    while p.poll() is None:
        if os.path.exists(db):
            st = subprocess.run([PERSONA, "run", "--db", db, "--status", "--format", "json"], capture_output=True,
                                text=True)
            if st.returncode == 0:
                s = json.loads(st.stdout)
                o = s["outbox"]
                check(o["total"] == o["delivered"] + o["pending"], "--status does not add up: %s" % o)
                reads += 1
        if os.path.exists(metrics):
            m = parse_prometheus(metrics)  # never half a file
            check("persona_run_metrics_written_seconds" in m, "metrics file cut short: %s" % m)
        time.sleep(0.01)
    err = p.stderr.read()
    check(p.returncode == 0, "runner exit %d: %s" % (p.returncode, err))
    events = [json.loads(line) for line in err.splitlines()]
    kinds = [e["event"] for e in events]
    check(kinds[0] == "start" and kinds[-1] == "stop", "events: %s" % kinds[:3])
    for e in events:
        check(e["level"] in ("info", "warning", "error") and e["ts"].endswith("Z"), "log line: %s" % e)
    batches = [e for e in events if e["event"] == "batch"]
    stop = events[-1]
    check(len(batches) == stop["batches"], "%d batch events, stop says %d" % (len(batches), stop["batches"]))
    for k in ("records", "evaluated", "catch_up", "failed", "actions"):
        check(sum(b[k] for b in batches) == stop[k], "batch %s do not add up to %d" % (k, stop[k]))
    deliveries = [e for e in events if e["event"] == "delivery"]
    check(sum(d["actions"] for d in deliveries) == stop["delivered"], "deliveries do not add up")
    check(stop["records"] == n_lines and stop["delivered"] == stop["actions"] > 0, "stop: %s" % stop)
    s = json.loads(subprocess.run([PERSONA, "run", "--db", db, "--status", "--format", "json"], capture_output=True,
                                  text=True).stdout)
    m = parse_prometheus(metrics)
    check(m["persona_run_profiles"] == s["profiles"]["total"], "metrics %s vs status %s" % (m, s))
    check(m['persona_run_outbox_actions{status="delivered"}'] == s["outbox"]["delivered"] == stop["actions"],
          "delivered: metrics %s, status %s" % (m, s["outbox"]))
    check(m["persona_run_actions_total"] == stop["actions"], "actions_total")
    check(m['persona_run_evaluations_total{result="ok"}'] == stop["evaluated"], "evaluations_total")
    check(m["persona_run_catch_up_evaluations_total"] == stop["catch_up"] <= stop["evaluated"], "catch_up")
    print("%d --status reads during the run, all adding up; %d batch events; %d actions" % (
        reads, len(batches), stop["actions"]))

    # A failing exec sink: its own words in last_error, in the log, in --status.
    db2 = os.path.join(work, "fail.db")
    p = run(db2, inputs[:1], T0, "--log", "json", "--sink", "exec:echo 'upstream: 503 Service Unavailable' >&2; exit 7",
            check_rc=(1,))
    failed = [json.loads(line) for line in p.stderr.splitlines() if '"delivery_failed"' in line]
    check(failed and failed[0]["error"].endswith("exited with status 7: upstream: 503 Service Unavailable"),
          "delivery_failed: %s" % p.stderr)
    s = json.loads(subprocess.run([PERSONA, "run", "--db", db2, "--status", "--format", "json"], capture_output=True,
                                  text=True).stdout)
    check(s["outbox"]["last_error"] == failed[0]["error"], "last_error: %s" % s["outbox"])

    # SIGHUP under --watch: a clean stop, like SIGTERM.
    w = subprocess.Popen([PERSONA, "run", MODEL, "--db", db, "--watch", "--log", "json", "--sink", "none"],
                         stderr=subprocess.PIPE, text=True)
    first = w.stderr.readline()  # "start": the handlers are in place (a fixed sleep raced a loaded machine)
    check('"start"' in first, "SIGHUP: no start line: %r" % first)
    w.send_signal(signal.SIGHUP)
    rc = w.wait(timeout=30)
    err = first + w.stderr.read()
    check(rc == 0, "SIGHUP: exit %d: %s" % (rc, err))
    stop = json.loads(err.splitlines()[-1])
    check(stop["event"] == "stop" and stop["signal"] == "SIGHUP", "SIGHUP: %s" % stop)
    run(db, [], T0 + 3 * DAY, "--sink", "none")  # the lock is free again


TESTS = {
    "crash_points": test_crash_points,
    "kill9": test_kill9,
    "dir_kill9": test_dir_kill9,
    "gap": test_gap,
    "second_runner": test_second_runner,
    "sink_failures": test_sink_failures,
    "inputs": test_inputs,
    "watch": test_watch,
    "observability": test_observability,
}


def main():
    global PERSONA, SMALL
    if len(sys.argv) < 3 or sys.argv[2] not in TESTS:
        print("usage: run_tests.py PATH/TO/persona {%s} [--small]" % ",".join(TESTS), file=sys.stderr)
        return 2
    PERSONA = os.path.abspath(sys.argv[1])
    SMALL = "--small" in sys.argv[3:]
    os.environ["TZ"] = os.environ.get("TZ", "Asia/Shanghai")
    with tempfile.TemporaryDirectory(prefix="persona-run-") as work:
        TESTS[sys.argv[2]](work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
