#!/usr/bin/env bash
# COST of the evaluating functions against PostgreSQL's JIT: with COST
# 1000, a scan of N profiles costs 2.5 * N planner units per call, so
# from about 40 000 rows a query passes jit_above_cost (100 000), and from
# 200 000 jit_optimize_above_cost and jit_inline_above_cost (500 000). JIT
# then compiles the query's expressions; the persona calls inside stay
# opaque C calls it cannot speed up. This measures, for N profiles, one
# query with jit on (the server's defaults) and off, serially: the
# execution time and the JIT time that EXPLAIN ANALYZE reports.
#
#   N=200000 bench/pg_jit.sh           # prints a table (docs/postgresql.md)
#
# Built and run like bench/pg_bench.sh: a throw-away cluster (port 54341).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

if [ -z "${PERSONA_PG_JIT_INSIDE:-}" ]; then
  export PERSONA_BUILD=${PERSONA_BUILD:-$here/build/pg}
  export PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
  [ -x "$PG_CONFIG" ] || { echo "pg_jit: PostgreSQL 15 is not installed (pg/run-tests.sh installs it)" >&2; exit 2; }
  source "$root/pg/lib.sh"
  pg_build "$PERSONA_BUILD"
  stage=$(mktemp -d -t persona-pg-jit.XXXXXX)
  trap 'rm -rf "$stage"' EXIT
  pg_stage "$PERSONA_BUILD" "$stage"
  export PERSONA_PG_JIT_INSIDE=1
  PGPORT=${PGPORT:-54341} exec pg_virtualenv -t -v 15 -o extension_destdir="$stage" \
    -o max_parallel_workers_per_gather=0 "$0" "$@"
fi

N=${N:-200000}
RUNS=${RUNS:-3}
sql() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
sql -v n="$N" -v src="$(cat "$root/examples/b2b_lead.persona")" <<'SQL'
CREATE EXTENSION persona;
CREATE TABLE models (name text PRIMARY KEY, code bytea NOT NULL);
INSERT INTO models VALUES ('lead', persona.compile(:'src'));
CREATE TABLE profiles (id bigint PRIMARY KEY, profile jsonb NOT NULL);
INSERT INTO profiles
SELECT g, jsonb_build_object('id', 'p' || g, 'industry', (ARRAY['energy', 'retail', 'software'])[1 + g % 3],
  'employees', (g * 37) % 3000, 'title', (ARRAY['CTO', 'Engineer', 'VP Sales'])[1 + g % 3],
  'events', (SELECT jsonb_agg(jsonb_build_object('type', (ARRAY['page_view', 'email_open', 'download'])[1 + (g + k) % 3],
             'url', '/pricing', 'at', '2026-01-' || lpad((1 + (g + k) % 28)::text, 2, '0') || 'T10:00:00Z'))
             FROM generate_series(1, 8) k))
FROM generate_series(1, :n) g;
VACUUM ANALYZE profiles;
SQL
Q="SELECT count(*), sum(length(persona.eval_json((SELECT code FROM models WHERE name = 'lead'), profile, '2026-02-01T00:00:00Z')::text)) FROM profiles"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
echo "N=$N, load average $(cut -d' ' -f1-3 /proc/loadavg), PostgreSQL $(psql -XAt -c 'SHOW server_version')"
echo "| jit | plan cost | JIT functions | JIT time (ms) | execution (ms, median of $RUNS) |"
echo "|---|---|---|---|---|"
for jit in on off; do
  exec_ms=() jit_ms=0 nfun=0 cost=0
  for ((r = 0; r < RUNS; r++)); do
    plan=$(sql -At -c "SET jit = $jit" -c "EXPLAIN (ANALYZE, FORMAT TEXT) $Q")
    exec_ms+=("$(sed -n 's/^Execution Time: \([0-9.]*\) ms/\1/p' <<<"$plan")")
    cost=$(head -1 <<<"$plan" | sed -n 's/.*cost=[0-9.]*\.\.\([0-9.]*\) .*/\1/p')
    nfun=$(sed -n 's/^ *Functions: \([0-9]*\)/\1/p' <<<"$plan" | head -1)
    jit_ms=$(sed -n 's/.*Total \([0-9.]*\) ms.*/\1/p' <<<"$plan" | head -1)
  done
  echo "| $jit | $cost | ${nfun:-0} | ${jit_ms:-0} | $(printf '%s\n' "${exec_ms[@]}" | median) |"
done
