#!/usr/bin/env bash
# Scoring N profiles (default 200 000) on one PostgreSQL node and on a
# Citus cluster of a coordinator and two workers (docs/postgresql.md,
# "Citus"), on this machine: the cluster of pg/citus/run-tests.sh, the
# profiles of bench/pg_bench.sh, the model examples/b2b_lead.persona.
#
#   bench/citus_bench.sh              # N=200000 RUNS=3
#   N=50000 RUNS=1 bench/citus_bench.sh
#
# The same profiles are in a plain table on the coordinator ("one node")
# and in a table distributed over the two workers (32 shards); each query
# runs on both. On one machine the workers share its cores, so this shows
# what distribution costs and that the work is spread, not what more
# machines would give. Output: bench/results/citus_table.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
N=${N:-200000}
RUNS=${RUNS:-3}
NOW=2026-02-01T00:00:00Z
build=${PERSONA_BUILD:-$here/build/pg}
port=${CITUS_PORT:-57640}
export PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
[ -x "$PG_CONFIG" ] || { echo "citus_bench: PostgreSQL 15 is not installed (pg/run-tests.sh installs it)" >&2; exit 2; }
source "$root/pg/lib.sh"
source "$root/pg/citus/cluster.sh"

citus_stage=$build/citus-$CITUS_VERSION
citus_build "$citus_stage"
pg_build "$build"
work=$(mktemp -d -t persona-citus-bench.XXXXXX)
chmod 755 "$work"
trap 'cluster_stop; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
pg_stage "$build" "$work/persona-stage"
citus_overlay "$work/root" "$citus_stage" "$work/persona-stage"
cluster_start "$work/root" "$work/cluster" "$port"
out=$here/results/citus_table.md
mkdir -p "$here/results"

sql() { cluster_psql "$port" "$@"; }

echo "== citus_bench: $N profiles, one node and two workers"
sql -v n="$N" -v src="$(cat "$root/examples/b2b_lead.persona")" <<'EOF'
SET client_min_messages = warning;
CREATE EXTENSION persona;
CREATE TABLE models (name text PRIMARY KEY, code bytea NOT NULL);
SELECT create_reference_table('models');
INSERT INTO models VALUES ('lead', persona.compile(:'src'));
CREATE TABLE local_profiles (id bigint PRIMARY KEY, profile jsonb NOT NULL);
INSERT INTO local_profiles
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
CREATE TABLE profiles (id bigint PRIMARY KEY, profile jsonb NOT NULL);
SELECT create_distributed_table('profiles', 'id');
INSERT INTO profiles SELECT * FROM local_profiles;
CREATE TABLE local_scores (id bigint, result jsonb);
CREATE TABLE scores (id bigint, result jsonb);
SELECT create_distributed_table('scores', 'id', colocate_with => 'profiles');
VACUUM ANALYZE local_profiles;
VACUUM ANALYZE profiles;
EOF

MODEL_Q="(SELECT code FROM models WHERE name = 'lead')"
q_eval() { echo "SELECT count(*), sum((persona.eval($MODEL_Q, profile, '$NOW')->'scores'->>'total')::numeric) FROM $1"; }
q_insert() { echo "TRUNCATE $1; INSERT INTO $1 SELECT id, persona.eval($MODEL_Q, profile, '$NOW') FROM $2"; }

time_sql() { # milliseconds of one statement ($2) with max_parallel_workers_per_gather = $1
  sql -c "SET max_parallel_workers_per_gather = $1" -c '\timing on' -c "$2" |
    sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

# id | what | workers per gather | statement
CASES=(
  "node0|one node: persona.eval over a plain table, serial|0|$(q_eval local_profiles)"
  "node2|one node: the same with 2 parallel workers|2|$(q_eval local_profiles)"
  "citus|Citus: persona.eval over the distributed table (32 tasks on 2 workers)|0|$(q_eval profiles)"
  "nodeins|one node: INSERT INTO scores SELECT id, persona.eval(…) (serial)|0|$(q_insert local_scores local_profiles)"
  "citusins|Citus: the same INSERT … SELECT, pushed down to the workers|0|$(q_insert scores profiles)"
)
declare -A ms
for c in "${CASES[@]}"; do
  IFS='|' read -r id what workers query <<<"$c"
  times=()
  for ((r = 0; r < RUNS; r++)); do times+=("$(time_sql "$workers" "$query")"); done
  ms[$id]=$(printf '%s\n' "${times[@]}" | median)
  printf '   %-8s %10s ms  (%s)\n' "$id" "${ms[$id]}" "${times[*]}"
done
same=$(sql -At -c "SELECT count(*) FROM local_scores l JOIN (SELECT * FROM scores) d USING (id) WHERE l.result = d.result")

{
  echo "Citus $CITUS_VERSION on PostgreSQL $(sql -At -c 'SHOW server_version'), one machine with $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg). $N profiles as in bench/pg_bench.sh, model examples/b2b_lead.persona,"
  echo "now = $NOW; median of $RUNS runs (bench/citus_bench.sh, N=$N RUNS=$RUNS)."
  echo
  echo "| id | what | median s | profiles/s | x one node serial |"
  echo "|---|---|---:|---:|---:|"
  for c in "${CASES[@]}"; do
    IFS='|' read -r id what workers query <<<"$c"
    awk -v id="$id" -v what="$what" -v t="${ms[$id]}" -v base="${ms[node0]}" -v n="$N" \
      'BEGIN { printf "| %s | %s | %.2f | %\047d | %.2f |\n", id, what, t / 1000, n / (t / 1000), base / t }'
  done
  echo
  echo "The local and the distributed results tables hold the same $same results."
  echo
  echo "EXPLAIN (COSTS OFF) of the distributed SELECT and INSERT … SELECT (one task of 32 shown):"
  echo
  echo '```'
  sql -At -c "EXPLAIN (COSTS OFF) $(q_eval profiles)"
  echo
  sql -At -c "EXPLAIN (COSTS OFF) INSERT INTO scores SELECT id, persona.eval($MODEL_Q, profile, '$NOW') FROM profiles"
  echo '```'
} > "$out"
echo
cat "$out"
