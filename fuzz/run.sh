#!/usr/bin/env bash
# fuzz/run.sh TARGET|all SECONDS - runs the fuzz targets (fuzz/README.md).
#
# Builds build-fuzz (clang, -DPERSONA_FUZZ=ON) when needed, writes the
# generated seeds (fuzz/seeds.sh), then runs each target for SECONDS with
# its committed seeds, generated seeds and past crashes as the starting
# corpus. New interesting inputs go to build-fuzz/corpus/TARGET/ (kept
# between runs), crashing inputs to fuzz/crashes/TARGET/ (not committed:
# fix the bug, then copy the input to fuzz/regressions/TARGET/).
#
# Prints "TARGET: N execs in S s" per target; exits 1 when a target
# crashed, timed out or ran out of memory (its log is printed), 2 on a
# usage error.
set -euo pipefail
cd "$(dirname "$0")/.."

all=(compile decode bytecode state insns)
usage() { echo "usage: fuzz/run.sh compile|decode|bytecode|state|insns|all SECONDS" >&2; exit 2; }
[ $# -eq 2 ] || usage
case $1 in
  all) targets=("${all[@]}") ;;
  compile | decode | bytecode | state | insns) targets=("$1") ;;
  *) usage ;;
esac
[[ $2 =~ ^[1-9][0-9]*$ ]] || usage
seconds=$2

# clang and its libFuzzer runtime, with the build dependencies, when
# missing (a fresh Debian 12 has neither).
bash scripts/deps.sh clang libclang-rt-14-dev

build=build-fuzz
jobs=$(nproc)
if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPERSONA_FUZZ=ON >/dev/null
fi
if ! cmake --build "$build" -j"$jobs" --target persona_cli "${all[@]/#/fuzz_}" >"$build/fuzz-build.log" 2>&1; then
  cat "$build/fuzz-build.log" >&2
  exit 1
fi
bash fuzz/seeds.sh "$build/persona" "$build/seeds"

# The largest input per target: a model, a bytecode file, a state file
# of a few profiles; one profile record.
max_len() {
  case $1 in
    compile | bytecode | state) echo 65536 ;;
    decode) echo 16384 ;;
  esac
}
dict() {
  case $1 in
    compile) echo "-dict=fuzz/persona.dict" ;;
    decode | state) echo "-dict=fuzz/json.dict" ;;
    bytecode) echo "" ;;
  esac
}

export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for t in "${targets[@]}"; do
  corpus=$build/corpus/$t
  crashes=fuzz/crashes/$t
  log=$build/fuzz-$t.log
  mkdir -p "$corpus" "$crashes"
  inputs=("$corpus")
  # Generated seeds (fuzz/seeds.sh writes none for insns, whose committed
  # seeds are enough), committed seeds and kept regressions.
  for d in "$build/seeds/$t" fuzz/seeds/$t fuzz/regressions/$t; do
    if [ -d "$d" ]; then inputs+=("$d"); fi
  done
  start=$(date +%s)
  rc=0
  # shellcheck disable=SC2046 # the dictionary option is one word or none
  "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" $(dict "$t") \
    "${inputs[@]}" >"$log" 2>&1 || rc=$?
  elapsed=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  echo "$t: ${execs:-?} execs in $elapsed s"
  if [ "$rc" -ne 0 ]; then
    echo "$t: the fuzzer stopped with status $rc; input in $crashes/, log $log:" >&2
    tail -n 60 "$log" >&2
    status=1
  fi
done
exit "$status"
