#!/usr/bin/env bash
# The main job on the shipped example: install what is missing, build,
# then score examples/profiles.jsonl with examples/b2b_lead.persona as of
# 2026-02-01 and show a summary.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

./build/persona check examples/b2b_lead.persona
out=build/example-results.jsonl
./build/persona eval examples/b2b_lead.persona examples/profiles.jsonl \
  --now 2026-02-01T00:00:00Z -o "$out"

echo "== first three results ($out) =="
head -n 3 "$out"
echo "== profiles per funnel stage =="
grep -o '"funnel":"[a-z]*"' "$out" | sort | uniq -c | sort -rn
