#!/usr/bin/env bash
# The extension on a real Citus cluster (docs/postgresql.md, "Citus"): one
# coordinator and two workers on localhost, started for the test and
# stopped afterwards whatever happens.
#
#   1. builds Citus 13.2.2 from ../shared/vendor/citus-13.2.2.tar.gz (next
#      to the checkout; CITUS_TARBALL overrides) into BUILD/citus-13.2.2,
#      once (about 70 s on two cores), and persona.so as pg/run-tests.sh does;
#   2. starts the cluster (ports CITUS_PORT, default 57630, and the next two)
#      from a private overlay of the PostgreSQL installation (cluster.sh);
#   3. proves, each against `persona eval` of the same build on the same
#      3000 profiles (pg/test/prepare.sh):
#      a. SELECT id, persona.eval(…) FROM a distributed table runs as Citus
#         tasks on both workers (EXPLAIN) and gives the CLI's results, byte
#         for byte (eval_json) and as jsonb (eval);
#      b. INSERT INTO results SELECT … into a co-located table is pushed
#         down whole (no INSERT/SELECT method through the coordinator);
#      c. journeys advance over three times with their state in a
#         co-located column: results into a co-located table, then UPDATE
#         … SET state = … FROM it, and the one-statement UPDATE … SET
#         state = persona.eval(…)->'state'; both accepted and pushed down;
#      d. the same bytes with another TimeZone, DateStyle and IntervalStyle
#         on the workers (ALTER SYSTEM) and in the coordinator's session.
#
# PERSONA_BUILD as for pg/run-tests.sh (default build-pg). About 2 minutes
# with the Citus build, 40 s without.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${PERSONA_BUILD:-$root/build-pg}
case $build in /*) ;; *) build=$root/$build ;; esac
PG_MAJOR=15
port=${CITUS_PORT:-57630}
w1=$((port + 1))
w2=$((port + 2))
NOW=2026-02-01T00:00:00Z

bash "$root/scripts/deps.sh" postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR postgresql-common
export PG_CONFIG=/usr/lib/postgresql/$PG_MAJOR/bin/pg_config
source "$root/pg/lib.sh"
source "$here/cluster.sh"

# ---- 1. builds --------------------------------------------------------------------
citus_stage=$build/citus-$CITUS_VERSION
citus_build "$citus_stage"
echo "== citus: libpersona.a, the CLI and persona.so ($build)"
pg_build "$build"

work=$(mktemp -d -t persona-citus.XXXXXX)
chmod 755 "$work"
cleanup() {
  cluster_stop
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
pg_stage "$build" "$work/persona-stage"
citus_overlay "$work/root" "$citus_stage" "$work/persona-stage"
data=$work/expected
bash "$root/pg/test/prepare.sh" "$build/persona" "$data"

# ---- 2. the cluster -----------------------------------------------------------------
echo "== citus: coordinator on port $port, workers on $w1 and $w2"
cluster_start "$work/root" "$work/cluster" "$port"
PERSONA_ROOT=$root CITUS_TEST_DATA=$data cluster_psql "$port" -f "$here/setup.sql" >/dev/null

failures=0
fail() {
  echo "citus: FAIL: $*" >&2
  failures=$((failures + 1))
}
ok() { echo "   ok: $*"; }

# Rows of a query on the coordinator, unaligned (stdin: psql variables work).
rows() { cluster_psql "$port" -At "$@"; }

# Query ($2) output against a file ($3), byte for byte.
same_bytes() {
  local what=$1 query=$2 expected=$3
  rows <<<"$query" > "$work/got"
  if cmp -s "$work/got" "$expected"; then
    ok "$what: $(wc -l < "$expected") rows, the same bytes"
  else
    fail "$what differs from $(basename "$expected"):"
    diff "$expected" "$work/got" | head -5 >&2
  fi
}

# The plan of a statement with every task shown, and what it must show.
plan_of() { rows -c "SET citus.explain_all_tasks = on" -c "EXPLAIN (COSTS OFF, VERBOSE) $1"; }
tasks_on_workers() {
  local what=$1 plan=$2 on1 on2 on0
  on1=$(grep -c "Node: host=localhost port=$w1 " <<<"$plan" || true)
  on2=$(grep -c "Node: host=localhost port=$w2 " <<<"$plan" || true)
  on0=$(grep -c "Node: host=localhost port=$port " <<<"$plan" || true)
  if grep -q 'Custom Scan (Citus Adaptive)' <<<"$plan" && grep -q 'Task Count: 32' <<<"$plan" &&
     [ "$on1" -gt 0 ] && [ "$on2" -gt 0 ] && [ "$on0" -eq 0 ]; then
    ok "$what: 32 Citus tasks, $on1 on port $w1 and $on2 on port $w2"
  else
    fail "$what: not 32 Citus tasks on the two workers:"
    head -30 <<<"$plan" >&2
  fi
}
plan_has() {
  local what=$1 plan=$2 pattern=$3
  if grep -qE "$pattern" <<<"$plan"; then ok "$what"; else fail "$what (no /$pattern/ in the plan)"; head -30 <<<"$plan" >&2; fi
}
plan_lacks() {
  local what=$1 plan=$2 pattern=$3
  if grep -qE "$pattern" <<<"$plan"; then fail "$what (/$pattern/ in the plan)"; head -30 <<<"$plan" >&2; else ok "$what"; fi
}

# The CLI's lines as jsonb text, numbered like the table's rows.
rows <<EOF > "$data/lead.jsonb.txt"
\\set cli \`cat "$data/lead.jsonl"\`
SELECT n, line::jsonb FROM regexp_split_to_table(:'cli', E'\\n') WITH ORDINALITY AS t(line, n) WHERE line <> '' ORDER BY n
EOF
paste -d '|' <(seq "$(wc -l < "$data/lead.jsonl")") "$data/lead.jsonl" > "$data/lead.numbered.txt"

LEAD="(SELECT code FROM models WHERE name = 'lead')"
JOURNEYS="(SELECT code FROM models WHERE name = 'journeys')"

# ---- 3a. SELECT on a distributed table ---------------------------------------------
echo "== citus: (a) SELECT persona.eval(…) FROM a distributed table"
Q_EVAL="SELECT id, persona.eval($LEAD, profile, '$NOW') FROM profiles ORDER BY id"
Q_JSON="SELECT id, persona.eval_json($LEAD, profile, '$NOW') FROM profiles ORDER BY id"
plan=$(plan_of "$Q_EVAL")
tasks_on_workers "SELECT persona.eval" "$plan"
plan_has "the tasks call persona.eval on the workers' shards" "$plan" \
  "Output: profiles\.id, persona\.eval\([^)]*profiles\.profile"
echo "$plan" > "$work/select.plan"
same_bytes "persona.eval_json, as text" "$Q_JSON" "$data/lead.numbered.txt"
same_bytes "persona.eval, as jsonb" "$Q_EVAL" "$data/lead.jsonb.txt"

# ---- 3b. INSERT … SELECT into a co-located table -------------------------------------
echo "== citus: (b) INSERT INTO results SELECT … pushed down"
Q_INSERT="INSERT INTO results SELECT id, persona.eval($LEAD, profile, '$NOW') FROM profiles"
Q_INSERT_JSON="INSERT INTO results_json SELECT id, persona.eval_json($LEAD, profile, '$NOW') FROM profiles"
plan=$(plan_of "$Q_INSERT")
tasks_on_workers "INSERT … SELECT" "$plan"
plan_lacks "INSERT … SELECT runs whole on the workers (no data through the coordinator)" "$plan" \
  "INSERT/SELECT method|Citus INSERT \.\.\. SELECT"
plan_has "each task inserts into its results shard from its profiles shard" "$plan" \
  "Insert on public\.results_[0-9]+"
rows -c "$Q_INSERT" -c "$Q_INSERT_JSON" >/dev/null
same_bytes "results (jsonb)" "SELECT id, result FROM results ORDER BY id" "$data/lead.jsonb.txt"
# Again over the same rows, as an upsert (ON CONFLICT needs IMMUTABLE).
Q_UPSERT="$Q_INSERT ON CONFLICT (id) DO UPDATE SET result = excluded.result"
plan=$(plan_of "$Q_UPSERT")
tasks_on_workers "INSERT … SELECT … ON CONFLICT DO UPDATE" "$plan"
plan_lacks "the upsert runs whole on the workers" "$plan" "INSERT/SELECT method|Citus INSERT \.\.\. SELECT"
rows -c "UPDATE results SET result = '{}'" -c "$Q_UPSERT" >/dev/null
same_bytes "results after the upsert" "SELECT id, result FROM results ORDER BY id" "$data/lead.jsonb.txt"
same_bytes "results_json (json)" "SELECT id, result FROM results_json ORDER BY id" "$data/lead.numbered.txt"

# ---- 3c. journeys with the state in a co-located column -------------------------------
echo "== citus: (c) journeys over three times, state in a column"
Q_STEP="INSERT INTO journey_results SELECT :step, id, persona.eval_json($JOURNEYS, profile, state, :'t') FROM contacts"
Q_KEEP="UPDATE contacts c SET state = coalesce(r.result::jsonb->'state', c.state),
                              next_wake = r.result->>'next_wake'
        FROM journey_results r WHERE r.id = c.id AND r.step = :step"
Q_DIRECT="UPDATE contacts_direct SET state = coalesce(persona.eval($JOURNEYS, profile, state, :'t')->'state', state)"
explain_step() { rows -v step=1 -v t="$NOW" <<<"SET citus.explain_all_tasks = on; EXPLAIN (COSTS OFF, VERBOSE) $1"; }
plan=$(explain_step "$Q_STEP")
tasks_on_workers "journeys: INSERT … SELECT with the state" "$plan"
plan_lacks "journeys: the step's INSERT … SELECT is pushed down" "$plan" "INSERT/SELECT method|Citus INSERT \.\.\. SELECT"
plan=$(explain_step "$Q_KEEP")
tasks_on_workers "journeys: UPDATE … SET state = … FROM the results" "$plan"
plan_has "journeys: each task updates its contacts shard" "$plan" "Update on public\.contacts_[0-9]+"
plan=$(explain_step "$Q_DIRECT")
tasks_on_workers "journeys: UPDATE … SET state = persona.eval(…)->'state'" "$plan"
plan_has "journeys: each task evaluates and updates its own shard" "$plan" "Update on public\.contacts_direct_[0-9]+"
step=0
for t in 2026-02-01T00:00:00Z 2026-02-04T00:00:00Z 2026-02-20T00:00:00Z; do
  step=$((step + 1))
  rows -v step=$step -v t="$t" <<<"$Q_STEP; $Q_KEEP; $Q_DIRECT" >/dev/null
  paste -d '|' <(seq "$(wc -l < "$data/journeys-$step.jsonl")") "$data/journeys-$step.jsonl" > "$work/journeys-$step.txt"
  same_bytes "journeys step $step at $t" \
    "SELECT id, result FROM journey_results WHERE step = $step ORDER BY id" "$work/journeys-$step.txt"
done
n=$(rows -c "SELECT count(*) FROM contacts c JOIN contacts_direct d USING (id) WHERE c.state = d.state AND c.state <> '{}'")
total=$(rows -c "SELECT count(*) FROM contacts")
if [ "$n" = "$total" ]; then ok "the one-statement UPDATE left the same $n states"; else fail "the one-statement UPDATE: $n of $total states agree"; fi
n=$(rows -c "SELECT count(*) FROM contacts c JOIN journey_results r ON r.id = c.id AND r.step = 3
             WHERE c.next_wake IS NOT DISTINCT FROM r.result->>'next_wake'")
if [ "$n" = "$total" ]; then ok "next_wake kept for $n contacts"; else fail "next_wake: $n of $total"; fi

# ---- 3d. another TimeZone and DateStyle on the workers ---------------------------------
echo "== citus: (d) other TimeZone, DateStyle and IntervalStyle on the workers"
for p in $w1 $w2; do
  cluster_psql "$p" -c "ALTER SYSTEM SET TimeZone = 'Pacific/Chatham'" -c "ALTER SYSTEM SET DateStyle = 'SQL, DMY'" \
    -c "ALTER SYSTEM SET IntervalStyle = 'sql_standard'" -c "SELECT pg_reload_conf()" >/dev/null
done
settings=$(rows -c "SELECT string_agg(result, ' ' ORDER BY nodeport) FROM run_command_on_workers(\$\$SELECT current_setting('TimeZone') || '/' || current_setting('DateStyle')\$\$)")
if [ "$settings" = "Pacific/Chatham/SQL, DMY Pacific/Chatham/SQL, DMY" ]; then ok "workers now run with $settings"; else fail "the workers' settings: $settings"; fi
export PGOPTIONS="-c TimeZone=America/Los_Angeles -c DateStyle=German -c IntervalStyle=postgres_verbose"
LOCAL_NOW="2026-02-01 08:00:00+08"   # the same instant written in another zone
same_bytes "persona.eval_json with the workers in Pacific/Chatham, SQL/DMY" \
  "SELECT id, persona.eval_json($LEAD, profile, '$LOCAL_NOW') FROM profiles ORDER BY id" "$data/lead.numbered.txt"
rows -c "TRUNCATE results" -c "${Q_INSERT//$NOW/$LOCAL_NOW}" >/dev/null
same_bytes "INSERT … SELECT with the workers in Pacific/Chatham, SQL/DMY" \
  "SELECT id, result FROM results ORDER BY id" "$data/lead.jsonb.txt"
unset PGOPTIONS

if [ "$failures" -ne 0 ]; then
  echo "citus: $failures check(s) failed" >&2
  exit 1
fi
echo "== citus: all checks passed"
