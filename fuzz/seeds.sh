#!/usr/bin/env bash
# fuzz/seeds.sh PERSONA OUT - writes the generated seed corpora of the fuzz
# targets into OUT/TARGET/ (one input per file, named by its SHA-1),
# replacing what an earlier run wrote. PERSONA is the `persona` binary.
#
#   compile   every .persona file of examples/, tests/ and fuzz/seeds/, and
#             every ```persona block of the docs
#   decode    each line of examples/profiles.jsonl (the first 300) and of
#             the JSON Lines files of tests/golden/
#   bytecode  every model above that compiles, compiled by `persona compile`
#             (.pbc files are not committed: they follow the format)
#   state     the state files of tests/golden/, and the states that
#             `persona eval --state` writes for the fixed model of
#             fuzz_common.c and for examples/b2b_journeys.persona, at
#             several times: each whole file (the state-file loader) and
#             each line's state object (the state decoder)
#
# The small hand-written seeds in fuzz/seeds/TARGET/ are committed and
# passed to the fuzzers beside OUT/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."
persona=$(realpath "$1")
out=$2
# Written afresh each time: a .pbc holds its source's path, and the docs'
# models are compiled from a new temporary directory each run.
rm -rf "${out:?}"/{compile,decode,bytecode,state}
mkdir -p "$out"/{compile,decode,bytecode,state}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# add TARGET FILE: FILE's bytes as a seed of TARGET.
add() {
  local sum
  sum=$(sha1sum <"$2" | cut -c1-40)
  cp "$2" "$out/$1/$sum"
}

# add_lines TARGET FILE [MAX]: each non-empty line of FILE as a seed.
add_lines() {
  local n=0 line
  while IFS= read -r line || [ -n "$line" ]; do
    if [ -z "$line" ]; then continue; fi
    printf '%s' "$line" >"$tmp/line"
    add "$1" "$tmp/line"
    n=$((n + 1))
    if [ -n "${3:-}" ] && [ "$n" -ge "$3" ]; then break; fi
  done <"$2"
}

# ---- models ---------------------------------------------------------------------
models=$(find examples tests fuzz/seeds/compile -name '*.persona' | sort)
for m in $models; do add compile "$m"; done
i=0
for doc in README.md docs/*.md; do
  awk -v dir="$tmp" -v base="doc$i" '
    /^```persona/ { n++; file = sprintf("%s/%s_%d.persona", dir, base, n); inside = 1; next }
    /^```/ { inside = 0; next }
    inside { print > file }' "$doc"
  i=$((i + 1))
done
for m in "$tmp"/doc*.persona; do if [ -e "$m" ]; then add compile "$m"; fi; done

# ---- profiles -------------------------------------------------------------------
add_lines decode examples/profiles.jsonl 300
for f in tests/golden/*/*.jsonl; do
  case $f in */start.jsonl) continue ;; esac
  add_lines decode "$f"
done

# ---- bytecode: every model that compiles (quietly: many are meant to fail) ------
for m in $models "$tmp"/doc*.persona; do
  [ -e "$m" ] || continue
  if "$persona" compile "$m" -o "$tmp/model.pbc" >/dev/null 2>&1; then add bytecode "$tmp/model.pbc"; fi
done

# ---- states ---------------------------------------------------------------------
for f in tests/golden/*/start.jsonl; do add state "$f"; done
head -n 200 examples/profiles.jsonl >"$tmp/profiles.jsonl"
for f in fuzz/seeds/decode/*; do if [ -f "$f" ]; then cat "$f" >>"$tmp/profiles.jsonl"; echo >>"$tmp/profiles.jsonl"; fi; done
for model in fuzz/seeds/compile/schema.persona examples/b2b_journeys.persona; do
  rm -f "$tmp/state.jsonl"
  for now in 2026-02-01T00:00:00Z 2026-02-04T00:00:00Z 2026-02-20T00:00:00Z 2026-06-01T00:00:00Z; do
    # Exit status 3 (some records failed) is expected: the profiles are
    # for other schemas too.
    "$persona" eval "$model" "$tmp/profiles.jsonl" --now "$now" --state "$tmp/state.jsonl" \
      >/dev/null 2>&1 || [ $? -eq 3 ]
    head -n 20 "$tmp/state.jsonl" >"$tmp/head.jsonl"
    add state "$tmp/head.jsonl"
  done
  # Each state object alone: the value of "state" on each line.
  head -n 100 "$tmp/state.jsonl" | sed -n 's/^{"id":[^,]*,"state":\(.*\)}$/\1/p' >"$tmp/objects"
  add_lines state "$tmp/objects"
done

for t in compile decode bytecode state insns; do
  echo "seeds: $t: $(find "$out/$t" -type f | wc -l) generated, $(find "fuzz/seeds/$t" -type f 2>/dev/null | wc -l) committed"
done
