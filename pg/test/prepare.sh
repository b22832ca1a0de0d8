#!/usr/bin/env bash
# Writes what the regression tests compare with, into DIR: `persona eval`
# of this build on the same profiles (examples/profiles.jsonl and
# test/data/edge.jsonl), the journeys model and a crafted one as bytecode
# (hex, for psql),
# and the journeys over three evaluation times with a state file.
#
#   prepare.sh PERSONA_CLI DIR
set -euo pipefail
cli=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
profiles=$root/examples/profiles.jsonl
mkdir -p "$out"
[ -x "$cli" ] || { echo "prepare.sh: $cli is missing (cmake --build BUILD --target persona_cli)" >&2; exit 2; }

# Exit status 3: some records could not be evaluated (the edge cases).
eval_ok() { "$@" || [ $? -eq 3 ]; }

NOW=2026-02-01T00:00:00Z
eval_ok "$cli" eval "$root/examples/b2b_lead.persona" --now $NOW < "$profiles" > "$out/lead.jsonl"
eval_ok "$cli" eval "$root/examples/b2b_lead.persona" --now $NOW < "$here/data/edge.jsonl" > "$out/edge.jsonl" 2>/dev/null

# persona.compile names its source "source": compile the same text under
# that name to compare the bytecode.
mkdir -p "$out/src"
cp "$root/examples/b2b_lead.persona" "$out/src/source"
(cd "$out/src" && "$cli" compile source -o ../lead.pbc)
od -An -v -tx1 "$out/lead.pbc" | tr -d ' \n' > "$out/lead.hex"

# Issue 16's attack as a file (tests/golden/eval_crafted_kinds): a global
# made a record, read by len() as a string; the verifier refuses it.
crafted=$root/tests/golden/eval_crafted_kinds
"$cli" compile "$crafted/model.persona" -o "$out/crafted-src.pbc" 2>/dev/null
python3 "$crafted/craft.py" "$out/crafted-src.pbc" "$out/crafted.pbc"
od -An -v -tx1 "$out/crafted.pbc" | tr -d ' \n' > "$out/crafted.hex"

"$cli" compile "$root/examples/b2b_journeys.persona" -o "$out/journeys.pbc"
od -An -v -tx1 "$out/journeys.pbc" | tr -d ' \n' > "$out/journeys.hex"
rm -f "$out/journeys.state.jsonl"
i=0
for t in 2026-02-01T00:00:00Z 2026-02-04T00:00:00Z 2026-02-20T00:00:00Z; do
  i=$((i + 1))
  eval_ok "$cli" eval "$out/journeys.pbc" --now "$t" --state "$out/journeys.state.jsonl" < "$profiles" > "$out/journeys-$i.jsonl"
done
