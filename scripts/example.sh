#!/usr/bin/env bash
# The main job on the shipped example: install what is missing, build,
# then score examples/profiles.jsonl with examples/b2b_lead.persona as of
# 2026-02-01 and show a summary, run the journeys over three dates, and
# write the report of the set (build/example-report.html).
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

# Journeys move over several evaluations: run the model with the welcome
# and nurture journeys three times, keeping every profile's state in a file
# between runs. Each run emits only what became due since the last one,
# stamped with the time it was due.
state=build/example-state.jsonl
rm -f "$state"
for now in 2026-02-01T00:00:00Z 2026-02-04T00:00:00Z 2026-02-20T00:00:00Z; do
  ./build/persona eval examples/b2b_journeys.persona examples/profiles.jsonl \
    --now "$now" --state "$state" -o build/journeys.jsonl
  echo "== journeys evaluated at $now: actions emitted =="
  grep -o '"kind":"[a-z]*","[a-z]*":"[^"]*","[a-z]*":"[^"]*"' build/journeys.jsonl \
    | sed 's/"kind":"\([a-z]*\)","[a-z]*":"\([^"]*\)","[a-z]*":"\([^"]*\)"/\1 \2 "\3"/' \
    | sort | uniq -c | sort -rn
  echo "   profile p00003: $(grep '"id":"p00003"' build/journeys.jsonl | grep -o '"actions":\[[^]]*\]')"
done
echo "== profile states after the last run: $state ($(wc -l < "$state") profiles)"

# Do the weights predict conversion? Score every profile as of two monthly
# origins (the model sees no later event) and check who won a deal within
# 60 days of each (docs/backtest.md).
echo "== backtest: deals won within 60 days of 2025-11-01 and 2025-12-01 =="
./build/persona backtest examples/b2b_lead.persona examples/profiles.jsonl \
  --as-of 2025-11-01 --as-of 2025-12-01 --horizon 60d \
  --outcome 'exists(events where type == "deal_won" and at > cutoff)'
# One report of the whole set, for people: the funnel, time in stage, score
# distributions, tag prevalence, journeys and data quality, as one HTML file
# that opens in any browser (no network needed), and the same numbers as
# Markdown and JSON.
report=build/example-report.html
./build/persona report examples/b2b_journeys.persona examples/profiles.jsonl \
  --now 2026-02-20T00:00:00Z --state "$state" -o "$report"
./build/persona report examples/b2b_journeys.persona examples/profiles.jsonl \
  --now 2026-02-20T00:00:00Z --state "$state" -o build/example-report.md
./build/persona report examples/b2b_journeys.persona examples/profiles.jsonl \
  --now 2026-02-20T00:00:00Z --state "$state" -o build/example-report.json
echo "== the report: file://$(pwd)/$report (also build/example-report.md and .json) =="
sed -n '/^## Funnel/,/^## Scores/p' build/example-report.md | head -n 20
