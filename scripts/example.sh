#!/usr/bin/env bash
# The main job on the shipped example: install what is missing, build,
# unify the four sources of examples/sources/ into one profile per person,
# score the profiles with the B2B lead model as of 2026-02-01 and show a
# summary, run the journeys over three dates, backtest the weights, and
# write the report of the set (build/example-report.html), and measure the
# content experiment (build/example-experiment.html).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

./build/persona check examples/b2b_sources.persona

# One profile per person from four sources (examples/gen_sources.py wrote
# them): the CRM export, web events, WeChat events and offline events are
# joined on the identifiers they share (examples/b2b_sources.persona). The
# example's sources hold three bad records on purpose: unify reports them
# with their file and line and exits 3, having unified the rest.
profiles=build/example-profiles.jsonl
status=0
./build/persona unify examples/b2b_sources.persona examples/sources/*.jsonl \
  -o "$profiles" --report build/example-unify-report.json --max-cluster 200 || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then exit "$status"; fi
echo "== unified: $(wc -l < "$profiles") profiles from $(cat examples/sources/*.jsonl | wc -l) source records =="
cat build/example-unify-report.json

out=build/example-results.jsonl
./build/persona eval examples/b2b_sources.persona "$profiles" \
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
first=$(head -n 1 "$profiles" | grep -o '"id":"[^"]*"' | cut -d'"' -f4)
for now in 2026-02-01T00:00:00Z 2026-02-04T00:00:00Z 2026-02-20T00:00:00Z; do
  ./build/persona eval examples/b2b_journeys.persona "$profiles" \
    --now "$now" --state "$state" -o build/journeys.jsonl
  echo "== journeys evaluated at $now: actions emitted =="
  grep -o '"kind":"[a-z]*","[a-z]*":"[^"]*","[a-z]*":"[^"]*"' build/journeys.jsonl \
    | sed 's/"kind":"\([a-z]*\)","[a-z]*":"\([^"]*\)","[a-z]*":"\([^"]*\)"/\1 \2 "\3"/' \
    | sort | uniq -c | sort -rn
  echo "   profile $first: $(grep "\"id\":\"$first\"" build/journeys.jsonl | grep -o '"actions":\[[^]]*\]')"
done
echo "== profile states after the last run: $state ($(wc -l < "$state") profiles)"

# Do the weights predict conversion? The example's profiles with a planted
# history of won deals (examples/gen_profiles.py --history: budget and
# pricing interest drive deals, company size barely, the region not at
# all). Score every profile as of two monthly origins (the model sees no
# later event), check who won a deal within 60 days of each, and see which
# rules earn their weight and what weights the history suggests
# (docs/backtest.md); also as a page, build/example-backtest.html.
history=build/example-history.jsonl
python3 examples/gen_profiles.py --history -o "$history"
backtest=(./build/persona backtest examples/b2b_lead.persona "$history"
  --as-of 2025-11-01 --as-of 2025-12-01 --horizon 60d
  --outcome 'exists(events where type == "deal_won" and at > cutoff)')
echo "== backtest: deals won within 60 days of 2025-11-01 and 2025-12-01 =="
"${backtest[@]}"
"${backtest[@]}" --format html > build/example-backtest.html
# One report of the whole set, for people: the funnel, time in stage, score
# distributions, tag prevalence, journeys and data quality, as one HTML file
# that opens in any browser (no network needed), and the same numbers as
# Markdown and JSON.
report=build/example-report.html
./build/persona report examples/b2b_journeys.persona "$profiles" \
  --now 2026-02-20T00:00:00Z --state "$state" -o "$report"
./build/persona report examples/b2b_journeys.persona "$profiles" \
  --now 2026-02-20T00:00:00Z --state "$state" -o build/example-report.md
./build/persona report examples/b2b_journeys.persona "$profiles" \
  --now 2026-02-20T00:00:00Z --state "$state" -o build/example-report.json
echo "== the report: file://$(pwd)/$report (also build/example-report.md and .json) =="
sed -n '/^## Funnel/,/^## Scores/p' build/example-report.md | head -n 20

# An experiment with a holdout (examples/b2b_experiment.persona): which
# first email makes new leads buy? Every contact gets its arm on its first
# evaluation (kept in its state); seven weeks later persona experiment
# counts the contacts whose 30-day window has passed, their deals won, and
# whether the arms differ more than chance would (docs/experiment.md).
exp_state=build/example-experiment-state.jsonl
rm -f "$exp_state"
./build/persona eval examples/b2b_experiment.persona examples/experiment_profiles.jsonl \
  --now 2026-02-01T00:00:00Z --state "$exp_state" -o /dev/null
echo "== experiment content_test as of 2026-03-20 (also build/example-experiment.html) =="
./build/persona experiment examples/b2b_experiment.persona examples/experiment_profiles.jsonl \
  --now 2026-03-20T00:00:00Z --state "$exp_state"
./build/persona experiment examples/b2b_experiment.persona examples/experiment_profiles.jsonl \
  --now 2026-03-20T00:00:00Z --state "$exp_state" --format html -o build/example-experiment.html
