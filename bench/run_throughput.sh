#!/usr/bin/env bash
# Persisted evaluations per second of `persona run` (docs/runtime.md,
# "Throughput"): N profiles (default 1 000 000) through one SQLite file,
# at each batch size and durability, in two phases:
#
#   ingest  a new database, N new profile records: each is stored,
#           evaluated once (every profile enters the onboarding journey),
#           its state and next_wake written, its first action put in the
#           outbox;
#   wake    the same database two days later: every profile's wait has
#           ended, so N due profiles are read in next_wake order,
#           evaluated, their states rewritten and their next actions added.
#
# Actions stay in the outbox (--sink none): this measures the store and the
# evaluator, not a sink. The model is tests/run/model.persona.
#
#   bench/run_throughput.sh [PERSONA]        default: build/persona
#
# Settings (environment): N=1000000, BATCHES="1 100 1000 10000",
# DURABILITY="full normal", DIR=bench/data/run (databases, removed after
# each measurement). Prints a Markdown table and writes it to
# bench/results/run_throughput.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
persona=${1:-$root/build/persona}
persona=$(cd "$(dirname "$persona")" && pwd)/$(basename "$persona")
N=${N:-1000000}
BATCHES=${BATCHES:-"1 100 1000 10000"}
DURABILITY=${DURABILITY:-"full normal"}
DIR=${DIR:-$here/data/run}
model=$root/tests/run/model.persona
export TZ=UTC LC_ALL=C.UTF-8
mkdir -p "$DIR" "$here/results"

input=$DIR/profiles-$N.jsonl
if [ ! -s "$input" ]; then
  # Small trial profiles, a third with a login event, a few already paying.
  python3 - "$N" >"$input" <<'EOF'
import sys
n = int(sys.argv[1])
for i in range(n):
    ev = '{"type":"login","at":"2026-02-01T08:00:00Z"}' if i % 3 == 0 else ''
    plan = ',"plan":"pro"' if i % 50 == 0 else ''
    sys.stdout.write('{"id":"c%07d"%s,"events":[%s]}\n' % (i, plan, ev))
EOF
fi

# seconds COMMAND…: the wall time of one run, in seconds.
seconds() {
  local start end
  start=$(date +%s.%N)
  "$@"
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}

out=$here/results/run_throughput.md
{
  echo "| batch | durability | ingest: evaluations/s | wake: evaluations/s | database |"
  echo "|---:|---|---:|---:|---:|"
} >"$out"
cat "$out"
for batch in $BATCHES; do
  for dur in $DURABILITY; do
    db=$DIR/bench.db
    rm -f "$db" "$db"-wal "$db"-shm "$db".lock
    t1=$(seconds "$persona" run "$model" --db "$db" "$input" --once --now 2026-02-01T00:00:00Z \
           --sink none --batch "$batch" --durability "$dur")
    t2=$(seconds "$persona" run "$model" --db "$db" "$input" --once --now 2026-02-03T00:00:00Z \
           --sink none --batch "$batch" --durability "$dur")
    evals=$(sqlite3 "$db" "SELECT sum(evals) FROM profile")
    size=$(du -m "$db" | cut -f1)
    r1=$(awk -v n="$N" -v t="$t1" 'BEGIN { printf "%d", n / t }')
    r2=$(awk -v n="$evals" -v m="$N" -v t="$t2" 'BEGIN { printf "%d", (n - m) / t }')
    printf '| %s | %s | %s | %s | %s MB |\n' "$batch" "$dur" "$r1" "$r2" "$size" | tee -a "$out"
    rm -f "$db" "$db"-wal "$db"-shm "$db".lock
  done
done
