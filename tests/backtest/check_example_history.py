#!/usr/bin/env python3
"""check_example_history.py - the shipped example's planted history
(examples/gen_profiles.py --history) is found by `persona backtest`.

    check_example_history.py PERSONA_BINARY SOURCE_DIR WORK_DIR

The generator plants deals driven by budget, decision makers and company
size (strongly, clearly, barely) and not by the region. The backtest of
examples/b2b_lead.persona over that history, as scripts/example.sh runs
it, must say so: the rules' conversion differences and the suggested
weights come back in the planted order, and the suggested weights do
better than the written ones on the held-out part for `fit`. Also: the
generator without --history still writes examples/profiles.jsonl byte for
byte (the history draws from a random stream of its own).
Standard library only.
"""
import json
import os
import subprocess
import sys


def main():
    persona, src, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    gen = os.path.join(src, "examples", "gen_profiles.py")
    failures = []
    plain = subprocess.run([sys.executable, gen], check=True, capture_output=True).stdout
    with open(os.path.join(src, "examples", "profiles.jsonl"), "rb") as fh:
        if plain != fh.read():
            failures.append("gen_profiles.py no longer writes examples/profiles.jsonl")
    history = os.path.join(work, "history.jsonl")
    subprocess.run([sys.executable, gen, "--history", "-o", history], check=True)
    p = subprocess.run([persona, "backtest", os.path.join(src, "examples", "b2b_lead.persona"), history,
                        "--as-of", "2025-11-01", "--as-of", "2025-12-01", "--horizon", "60d", "--format", "json",
                        "--outcome", 'exists(events where type == "deal_won" and at > cutoff)'],
                       capture_output=True, text=True)
    if p.returncode != 0:
        print(f"FAIL backtest exit {p.returncode}: {p.stderr}")
        return 1
    fit = json.loads(p.stdout)["scores"]["fit"]
    rules = {r["rule"].split(" when ")[1]: r for r in fit["rules"]}
    diff = {k: r["difference"] for k, r in rules.items()}
    sug = {k: r["suggested"] for k, r in rules.items()}
    # Planted log-odds: budget 1.6, decision maker 0.9, enterprise 0.4, region 0.
    if not diff["budget_confirmed"] > diff["decision_maker"] > diff["enterprise"] > diff["east_china"]:
        failures.append(f"rule differences not in the planted order: {diff}")
    if not sug["budget_confirmed"] > sug["decision_maker"] > sug["enterprise"]:
        failures.append(f"suggested weights not in the planted order: {sug}")
    if not abs(sug["east_china"]) < sug["decision_maker"] / 2:
        failures.append(f"the region, planted without effect, keeps weight {sug['east_china']}")
    s = fit["suggestion"]
    if not s["auc_suggested"] > s["auc_current"]:
        failures.append(f"suggested weights no better on the held-out part: {s}")
    for f in failures:
        print("FAIL", f)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
