#!/usr/bin/env bash
# Persona beside the peers and floors of ../shared/bench, in one run.
#
#   bench/run.sh              all steps: data build check bench report
#   bench/run.sh STEP...      some of them (data build check bench report)
#
# The peers' code stays in ../shared/bench; this script generates the same
# data there describes (its gen.py, checked against its data.sha256) into
# bench/data/, builds Persona (Release) and the parse floors into
# bench/build/, checks Persona's results against the oracle (ref.py's
# recorded results) on the edge file and on 1 000 and N profiles, then
# times every command with hyperfine and measures peak memory, and prints
# one table (results/table.md): profiles/s, MB/s, peak RSS, the ratio to
# the simdjson floor, and how many times faster Persona is than each peer.
#
# Settings (environment): N=100000, RUNS=5, WARMUP=1, MEM_RUNS=3,
# ONLY="id id …" (time only these), SKIP_PEERS=1 (time only Persona and
# the floors), PYTHON=python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
peers=$(cd "$root/../shared/bench" 2>/dev/null && pwd) || {
  echo "bench: ../shared/bench (the peers) is not beside this checkout" >&2; exit 2; }
cd "$here"
export TZ=UTC LC_ALL=C.UTF-8

NOW=2026-02-01T00:00:00Z
N=${N:-100000}
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
MEM_RUNS=${MEM_RUNS:-3}
PYTHON=${PYTHON:-python3}
BIG=$here/data/profiles_$N.jsonl
SMALL=$here/data/profiles_1000.jsonl
EDGE=$here/data/edge.jsonl
RES=$here/results
PERSONA=$here/build/persona/persona

# id | kind | command; @IN@ is the input file. Peers run in ../shared/bench.
COMMANDS=(
  "persona|persona|$PERSONA eval $here/model.persona --now $NOW < @IN@"
  "persona_j2|persona|$PERSONA eval -j 2 $here/model.persona --now $NOW < @IN@"
  "py_ref|peer|$PYTHON ref.py --now $NOW < @IN@"
  "py_model|peer|$PYTHON model.py --now $NOW < @IN@"
  "jq|peer|jq -c --arg now $NOW -f model.jq < @IN@"
  "lua54|peer|lua5.4 model.lua --now $NOW < @IN@"
  "luajit|peer|luajit model.lua --now $NOW < @IN@"
  "node|peer|node model.js --now $NOW < @IN@"
  "cat|floor|cat @IN@"
  "simdjson|floor|$here/build/floor_simdjson < @IN@"
  "jansson|floor|$here/build/floor_jansson < @IN@"
)

field() { local IFS='|'; read -r -a f <<<"$1"; echo "${f[$2]}"; }
cmd_for() { local c; c=$(field "$1" 2); echo "${c//@IN@/$2}"; }
has_j() { "$PERSONA" eval --help 2>/dev/null | grep -q -- '--jobs'; }

step_data() {
  mkdir -p data
  echo "== data: $N profiles, 1000 profiles, edge cases (../shared/bench/gen.py)"
  "$PYTHON" "$peers/gen.py" -n "$N" > "$BIG"
  "$PYTHON" "$peers/gen.py" -n 1000 > "$SMALL"
  "$PYTHON" "$peers/gen.py" --edge > "$EDGE"
  if [[ $N == 100000 ]]; then
    (cd data && sed 's|data/||' "$peers/data.sha256" | sha256sum -c -) ||
      { echo "generated data differ from ../shared/bench/data.sha256" >&2; exit 1; }
  fi
  ls -l "$BIG" "$SMALL" "$EDGE"
}

step_build() {
  echo "== build: Persona (Release) and the parse floors"
  cmake -S "$root" -B build/persona -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build/persona -j"$(nproc)" --target persona_cli >/dev/null
  g++ -O2 -std=c++17 -Wall -Wextra "$peers/floors/floor_simdjson.cpp" -lsimdjson -o build/floor_simdjson
  gcc -O2 -Wall -Wextra "$peers/floors/floor_jansson.c" -ljansson -o build/floor_jansson
}

# Persona's results against the oracle's: the recorded files for the small
# inputs (cmp.py), the recorded SHA-256 for all three.
step_check() {
  echo "== check: Persona against ref.py's recorded results"
  mkdir -p "$RES/check"
  local ok=1 f base want got
  for f in "$EDGE" "$SMALL" "$BIG"; do
    base=$(basename "$f" .jsonl)
    "$PERSONA" eval model.persona "$f" --now "$NOW" > "$RES/check/persona.$base.jsonl"
    if [[ -f $peers/expected/$base.jsonl ]]; then
      "$PYTHON" "$peers/cmp.py" "$peers/expected/$base.jsonl" "$RES/check/persona.$base.jsonl" || ok=0
    fi
    want=$(awk -v f="$base.jsonl" '$2 == f {print $1}' "$peers/expected/SHA256SUMS")
    got=$(sha256sum < "$RES/check/persona.$base.jsonl" | cut -d' ' -f1)
    if [[ -z $want ]]; then echo "-- no recorded SHA-256 for $base"
    elif [[ $want == "$got" ]]; then echo "OK persona is byte-identical to ref.py on $base ($got)"
    else echo "FAIL persona differs from ref.py on $base"; ok=0; fi
    if has_j; then
      "$PERSONA" eval -j 2 model.persona "$f" --now "$NOW" | cmp -s - "$RES/check/persona.$base.jsonl" &&
        echo "OK -j 2 gives the same bytes as -j 1 on $base" || { echo "FAIL -j 2 differs on $base"; ok=0; }
    fi
  done
  rm -f "$RES/check/persona.profiles_$N.jsonl"
  ((ok)) || { echo "check FAILED" >&2; exit 1; }
}

step_bench() {
  echo "== bench: hyperfine --warmup $WARMUP --runs $RUNS, output to /dev/null, all in this one run"
  mkdir -p "$RES"
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "persona: $("$PERSONA" --version) (Release build)"
    echo "input: $BIG, $(wc -c < "$BIG") bytes, $(wc -l < "$BIG") profiles"
  } | tee "$RES/machine.txt"
  local c id kind cmd i
  for c in "${COMMANDS[@]}"; do
    id=$(field "$c" 0); kind=$(field "$c" 1)
    [[ -n ${ONLY:-} && " $ONLY " != *" $id "* ]] && continue
    [[ ${SKIP_PEERS:-0} == 1 && $kind == peer ]] && continue
    [[ $id == persona_j2 ]] && ! has_j && continue
    cmd="$(cmd_for "$c" "$BIG") > /dev/null"
    echo "-- $id: $cmd"
    (cd "$peers" && hyperfine --warmup "$WARMUP" --runs "$RUNS" --export-json "$RES/$id.json" -n "$id" "$cmd")
    : > "$RES/$id.mem"
    for ((i = 0; i < MEM_RUNS; i++)); do
      (cd "$peers" && command time -f '%M' -a -o "$RES/$id.mem" sh -c "$cmd")
    done
  done
}

step_report() {
  echo "== report"
  local args=()
  for c in "${COMMANDS[@]}"; do args+=("$(field "$c" 0)|$(field "$c" 1)"); done
  "$PYTHON" report.py --results "$RES" --input "$BIG" --profiles "$N" "${args[@]}" | tee "$RES/table.md"
}

steps=("$@")
((${#steps[@]})) || steps=(data build check bench report)
for s in "${steps[@]}"; do
  case $s in
    data|build|check|bench|report) "step_$s" ;;
    *) echo "unknown step '$s' (data build check bench report)" >&2; exit 2 ;;
  esac
done
