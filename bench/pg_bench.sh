#!/usr/bin/env bash
# Scoring N profiles (default 1 000 000) stored as jsonb in PostgreSQL 15:
# serially, with parallel workers, through JSON text as before the jsonb
# reader (persona.jsonb_direct off), and the same profiles as JSON Lines
# through `persona eval` (one thread and -j 2), in one table with ratios.
# It also checks that persona.eval_json over the table gives the bytes of
# `persona eval` on the exported JSON Lines.
#
#   bench/pg_bench.sh                 # N=1000000 RUNS=3
#   N=200000 RUNS=1 bench/pg_bench.sh
#
# It builds libpersona and persona.so like pg/run-tests.sh (Release, into
# bench/build/pg unless PERSONA_BUILD is set), installs the extension into
# a staging directory and starts a throw-away cluster with pg_virtualenv
# (port 54339), dropped at the end. The profiles are generated inside
# PostgreSQL (generate_series and jsonb_build_object: ~600 bytes each,
# eight events) and exported once to JSONL for the CLI. Every SQL query
# consumes the result (an IMMUTABLE call whose result is unused would be
# optimised away). Output: bench/results/pg_table.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

if [ -z "${PERSONA_PG_BENCH_INSIDE:-}" ]; then
  export PERSONA_BUILD=${PERSONA_BUILD:-$here/build/pg}
  export PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
  [ -x "$PG_CONFIG" ] || { echo "pg_bench: PostgreSQL 15 is not installed (pg/run-tests.sh installs it)" >&2; exit 2; }
  command -v pg_virtualenv >/dev/null || { echo "pg_bench: pg_virtualenv (postgresql-common) is missing" >&2; exit 2; }
  source "$root/pg/lib.sh"
  pg_build "$PERSONA_BUILD"
  stage=$(mktemp -d -t persona-pg-bench.XXXXXX)
  work=$(mktemp -d -t persona-pg-bench-data.XXXXXX)
  trap 'rm -rf "$stage" "$work"' EXIT
  pg_stage "$PERSONA_BUILD" "$stage"
  export PERSONA_PG_BENCH_INSIDE=1 PERSONA_PG_BENCH_WORK=$work
  PGPORT=54339 exec pg_virtualenv -t -v 15 -o extension_destdir="$stage" \
    -o shared_buffers=512MB -o max_parallel_workers_per_gather=2 "$0" "$@"
fi

# ---- inside pg_virtualenv: PGHOST, PGPORT, PGUSER, PGPASSWORD are set ----------
N=${N:-1000000}
RUNS=${RUNS:-3}
NOW=2026-02-01T00:00:00Z
MODEL=$root/examples/b2b_lead.persona
CLI=$PERSONA_BUILD/persona
work=$PERSONA_PG_BENCH_WORK
jsonl=$work/profiles.jsonl
out=$here/results/pg_table.md
mkdir -p "$here/results"
export PGOPTIONS="-c jit=off" # JIT compiles the query for seconds and does not touch the C calls

sql() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

echo "== pg_bench: $N profiles into PostgreSQL"
sql -v n="$N" -v src="$(cat "$MODEL")" <<'EOF'
CREATE EXTENSION persona;
CREATE TABLE models (name text PRIMARY KEY, code bytea NOT NULL);
INSERT INTO models VALUES ('lead', persona.compile(:'src'));
CREATE TABLE profiles (id bigint PRIMARY KEY, profile jsonb NOT NULL);
INSERT INTO profiles
SELECT g, jsonb_build_object(
  'id', 'p' || lpad(g::text, 7, '0'),
  'industry', (ARRAY['manufacturing', 'energy', 'retail', 'software', 'logistics', 'healthcare'])[1 + g % 6],
  'region', (ARRAY['上海', '北京', '江苏', '广东', '浙江', '四川', '山东'])[1 + (g / 7) % 7],
  'employees', (g * 37) % 3000,
  'title', (ARRAY['CTO', 'IT Manager', 'Engineer', 'VP Sales', '采购经理', 'Director of IT', 'Marketing Manager'])[1 + (g / 11) % 7],
  'budget_confirmed', g % 3 = 0,
  'unsubscribed', g % 17 = 0,
  'events', (SELECT jsonb_agg(jsonb_build_object(
                 'type', (ARRAY['page_view', 'email_open', 'email_click', 'download', 'webinar', 'visit', 'page_view', 'page_view'])[1 + (g + k) % 8],
                 'url', (ARRAY['/pricing', '/docs/getting-started', '/', '/product'])[1 + (g * k) % 4],
                 'campaign', 'c-' || ((g + k) % 5),
                 'at', '2026-01-' || lpad((1 + (g + 3 * k) % 31)::text, 2, '0') || 'T10:00:00Z') ORDER BY k)
             FROM generate_series(1, 8) k))
FROM generate_series(1, :n) g;
VACUUM ANALYZE profiles;
VACUUM ANALYZE models;
EOF
sql -At -c "SELECT pg_size_pretty(pg_table_size('profiles')), round(avg(length(profile::text))) FROM profiles" |
  { IFS='|' read -r size avg; echo "   table $size, $avg bytes of JSON per profile"; echo "$size|$avg" > "$work/size"; }

echo "== pg_bench: export to JSON Lines for persona eval"
sql -c "\\copy (SELECT profile::text FROM profiles ORDER BY id) TO '$jsonl'"
if grep -q '\\' "$jsonl"; then echo "pg_bench: backslashes in the export (COPY would have escaped them)" >&2; exit 1; fi

# "WALL_MS CPU_MS" of one psql query, consuming its result: \timing, and
# the CPU time (user + system) of the backend that ran it, from
# /proc/PID/stat before and after (the leader's only: with parallel
# workers it leaves out theirs). On a machine shared with other work the
# CPU time is the steadier of the two.
time_sql() {
  local workers=$1 query=$2 wall t0 t1
  wall=$(sql <<EOF2 |
SET max_parallel_workers_per_gather = $workers;
SELECT pg_backend_pid() AS pid \gset
\setenv PERSONA_BENCH_PID :pid
\! awk '{print \$14 + \$15}' /proc/\$PERSONA_BENCH_PID/stat > $work/cpu0
\timing on
$query;
\timing off
\! awk '{print \$14 + \$15}' /proc/\$PERSONA_BENCH_PID/stat > $work/cpu1
EOF2
    sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)
  t0=$(cat "$work/cpu0"); t1=$(cat "$work/cpu1")
  echo "$wall $(( (t1 - t0) * 1000 / $(getconf CLK_TCK) ))"
}
time_cmd() { # "WALL_MS CPU_MS" of a shell command (user + system of its processes)
  local t0 t1 cpu
  t0=$(date +%s%N)
  cpu=$( { TIMEFORMAT='%U %S'; time bash -c "$1" >/dev/null 2>&1; } 2>&1 | awk '{printf "%d", ($1 + $2) * 1000}')
  t1=$(date +%s%N)
  echo "$(( (t1 - t0) / 1000000 )) $cpu"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

MODEL_Q="(SELECT code FROM models WHERE name = 'lead')"
Q_EVAL="SELECT count(*), sum((persona.eval($MODEL_Q, profile, '$NOW')->'scores'->>'total')::numeric) FROM profiles"
Q_JSON="SELECT count(*), sum(length(persona.eval_json($MODEL_Q, profile, '$NOW')::text)) FROM profiles"
Q_SCORE="SELECT count(*), sum(persona.score($MODEL_Q, profile, '$NOW', 'total')) FROM profiles"
Q_SCAN="SELECT count(*), sum(length(profile::text)) FROM profiles"
Q_FLOOR="SELECT count(*), sum(pg_column_size(profile)) FROM profiles"

# id | what | how
CASES=(
  "floor0|SQL: read every profile's size, no evaluation (the floor of a scan)|sql:0:$Q_FLOOR"
  "scan0|SQL: read and print every profile, no evaluation|sql:0:$Q_SCAN"
  "eval0|SQL: persona.eval, serial|sql:0:$Q_EVAL"
  "text0|SQL: persona.eval, serial, through JSON text both ways (persona.jsonb_direct off)|sql:0:SET persona.jsonb_direct = off; $Q_EVAL"
  "eval2|SQL: persona.eval, 2 parallel workers|sql:2:$Q_EVAL"
  "json0|SQL: persona.eval_json (json, no jsonb result), serial|sql:0:$Q_JSON"
  "jtext0|SQL: persona.eval_json, serial, the profile through JSON text (persona.jsonb_direct off)|sql:0:SET persona.jsonb_direct = off; $Q_JSON"
  "json2|SQL: persona.eval_json, 2 parallel workers|sql:2:$Q_JSON"
  "score0|SQL: persona.score (no result object), serial|sql:0:$Q_SCORE"
  "score2|SQL: persona.score, 2 parallel workers|sql:2:$Q_SCORE"
  "cli1|persona eval on JSONL, 1 thread|cmd:$CLI eval $MODEL --now $NOW < $jsonl"
  "cli2|persona eval -j 2 on JSONL|cmd:$CLI eval -j 2 $MODEL --now $NOW < $jsonl"
)

declare -A ms cpu
for c in "${CASES[@]}"; do
  IFS='|' read -r id what how <<<"$c"
  times=() cpus=()
  for ((r = 0; r < RUNS; r++)); do
    case $how in
      sql:*) rest=${how#sql:}; read -r t u < <(time_sql "${rest%%:*}" "${rest#*:}") ;;
      cmd:*) read -r t u < <(time_cmd "${how#cmd:}") ;;
    esac
    times+=("$t") cpus+=("$u")
  done
  ms[$id]=$(printf '%s\n' "${times[@]}" | median)
  cpu[$id]=$(printf '%s\n' "${cpus[@]}" | median)
  printf '   %-8s %10s ms  (%s)  CPU %s ms (%s)\n' "$id" "${ms[$id]}" "${times[*]}" "${cpu[$id]}" "${cpus[*]}"
done

# The jsonb profiles read in place give the CLI's bytes on the same
# profiles as JSON Lines: every result, in order (a differential test of
# the jsonb reader on the bench data).
"$CLI" eval "$MODEL" --now $NOW < "$jsonl" > "$work/cli.jsonl" || [ $? -eq 3 ]
sql -At -c "SELECT persona.eval_json($MODEL_Q, profile, '$NOW') FROM profiles ORDER BY id" > "$work/sql.jsonl"
if cmp -s "$work/cli.jsonl" "$work/sql.jsonl"; then same_as_cli="the same bytes as persona eval"
else echo "pg_bench: persona.eval_json differs from persona eval on the same profiles" >&2; exit 1; fi

# The workers really ran: EXPLAIN ANALYZE of the parallel aggregate.
plan=$(sql -At -c "SET max_parallel_workers_per_gather = 2" -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $Q_EVAL")
launched=$(sed -n 's/.*Workers Launched: \([0-9]*\).*/\1/p' <<<"$plan" | head -1)
# One INSERT … SELECT (serial on PostgreSQL 15) and one CREATE TABLE AS (parallel).
read -r ins _ < <(time_sql 0 "CREATE TABLE scores (id bigint, result jsonb); INSERT INTO scores SELECT id, persona.eval($MODEL_Q, profile, '$NOW') FROM profiles")
read -r ctas _ < <(time_sql 2 "CREATE TABLE scores2 AS SELECT id, persona.eval($MODEL_Q, profile, '$NOW') AS result FROM profiles")
check=$(sql -At -c "SELECT count(*) FILTER (WHERE a.result = b.result) FROM scores a JOIN scores2 b USING (id)")

IFS='|' read -r size avg < "$work/size"
{
  echo "PostgreSQL $(psql -XAt -c 'SHOW server_version'), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "$N profiles generated in PostgreSQL ($avg bytes of JSON each, table $size), model examples/b2b_lead.persona,"
  echo "now = $NOW; median of $RUNS runs (bench/pg_bench.sh, N=$N RUNS=$RUNS). Parallel runs launched $launched workers."
  echo
  echo "| id | what | median s | profiles/s | x serial persona.eval | CPU s | CPU x cli1 |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  for c in "${CASES[@]}"; do
    IFS='|' read -r id what how <<<"$c"
    # CPU of the serial cases only: a parallel query's workers are not counted.
    case $id in *2) c_s="–" ;; *) c_s=${cpu[$id]} ;; esac
    awk -v id="$id" -v what="$what" -v t="${ms[$id]}" -v base="${ms[eval0]}" -v n="$N" -v c="$c_s" -v cli="${cpu[cli1]}" \
      'BEGIN { printf "| %s | %s | %.2f | %\047d | %.2f | ", id, what, t / 1000, n / (t / 1000), base / t;
               if (c == "–") print "– | – |"; else printf "%.2f | %.2f |\n", c / 1000, c / cli }'
  done
  awk -v t="$ins" -v base="${ms[eval0]}" -v n="$N" \
    'BEGIN { printf "| insert0 | SQL: INSERT INTO scores SELECT id, persona.eval(…) (serial in PostgreSQL 15) | %.2f | %\047d | %.2f | | |\n", t / 1000, n / (t / 1000), base / t }'
  awk -v t="$ctas" -v base="${ms[eval0]}" -v n="$N" \
    'BEGIN { printf "| ctas2 | SQL: CREATE TABLE scores2 AS SELECT id, persona.eval(…), 2 workers | %.2f | %\047d | %.2f | | |\n", t / 1000, n / (t / 1000), base / t }'
  echo
  echo "Both tables hold the same $check results; persona.eval_json over the table gave $same_as_cli on the JSON Lines."
  echo "x serial persona.eval: how many times faster than row eval0. CPU s: the backend's CPU time (user + system) for"
  echo "the serial queries, the process's for the CLI; CPU x cli1: that CPU time over the CLI's with one thread."
} > "$out"
echo
cat "$out"
