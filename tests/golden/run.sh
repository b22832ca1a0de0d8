#!/usr/bin/env bash
# run.sh - runs one golden test: a command line and its expected output.
#
#   bash tests/golden/run.sh PATH/TO/persona tests/golden/NAME
#
# NAME/cmd     one shell command line, run in NAME/ with $PERSONA set to
#              the binary, e.g. `$PERSONA eval model.persona p.jsonl --now 2026-02-01`
# NAME/stdin   optional: fed to the command's standard input (default: empty)
# NAME/stdout  expected standard output, exactly (absent: must be empty)
# NAME/stderr  optional: expected standard error, exactly (absent: not compared)
# NAME/exit    optional: expected exit status (default 0)
#
# On a mismatch it prints a unified diff and exits 1. With UPDATE_GOLDEN=1
# it rewrites the expectations from the actual run instead: stdout always,
# stderr if the file exists, exit if it exists or the status is not 0.
# See tests/golden/README.md.
set -u

if [ $# -ne 2 ]; then
  echo "usage: run.sh PATH/TO/persona TEST_DIR" >&2
  exit 2
fi

persona=$1
dir=$2
case $persona in /*) ;; *) persona=$PWD/$persona ;; esac
if [ ! -x "$persona" ]; then
  echo "run.sh: '$persona' is not an executable" >&2
  exit 2
fi
if [ ! -f "$dir/cmd" ]; then
  echo "run.sh: '$dir/cmd' is missing" >&2
  exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/persona-golden.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

# A fixed environment: the output must not depend on the caller's locale,
# colours or search path. TZ is left as given (ctest sets one that is not
# UTC, so that any dependence on it shows).
export PERSONA=$persona
export LC_ALL=C.UTF-8
export NO_COLOR=1
unset PERSONA_PATH

stdin=/dev/null
[ -f "$dir/stdin" ] && stdin=$dir/stdin
cmd=$(cat "$dir/cmd")
(cd "$dir" && bash -c "$cmd") <"$stdin" >"$tmp/stdout" 2>"$tmp/stderr"
status=$?

if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
  cp "$tmp/stdout" "$dir/stdout"
  [ -f "$dir/stderr" ] && cp "$tmp/stderr" "$dir/stderr"
  if [ -f "$dir/exit" ] || [ "$status" -ne 0 ]; then
    echo "$status" >"$dir/exit"
  fi
  echo "updated $dir"
  exit 0
fi

failed=0
name=$(basename "$dir")

# compare EXPECTED_FILE ACTUAL_FILE LABEL
compare() {
  if ! cmp -s "$1" "$2"; then
    diff -u --label "$name/$3 (expected)" --label "$name/$3 (actual)" "$1" "$2"
    failed=1
  fi
}

expected_stdout=$dir/stdout
[ -f "$expected_stdout" ] || expected_stdout=/dev/null
compare "$expected_stdout" "$tmp/stdout" stdout
[ -f "$dir/stderr" ] && compare "$dir/stderr" "$tmp/stderr" stderr

expected_status=0
[ -f "$dir/exit" ] && expected_status=$(tr -d ' \n' <"$dir/exit")
if [ "$status" != "$expected_status" ]; then
  echo "$name: exit status $status, expected $expected_status"
  if [ ! -f "$dir/stderr" ] && [ -s "$tmp/stderr" ]; then
    echo "--- stderr:"
    cat "$tmp/stderr"
  fi
  failed=1
fi

if [ $failed -ne 0 ]; then
  echo "FAIL $name: $cmd"
  exit 1
fi
exit 0
