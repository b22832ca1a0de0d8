# Every way a model can change under live state, each on a copy of the
# same database (t1, t2 wait in onboarding at @first_pause until 02-03, t2
# is in tier gold, t3 ended journey paying): accepted when nothing stored
# is lost, refused (exit 1, nothing evaluated) until --migrate otherwise.
set -u
run() { $PERSONA run "$@" --once --now 2026-02-02T00:00:00Z --sink none; echo "exit $?"; }
$PERSONA run model.persona --db base.db p.jsonl --once --now 2026-02-01T00:00:00Z --sink none
variant() { # NAME SED-SCRIPT
  sed -e "$2" model.persona > "$1.persona"
  cp base.db "$1.db"
  echo "--- $1"
  run "$1.persona" --db "$1.db"
}
variant comment 's/^# The model.*/# edited: a comment/'
variant version 's/version "1"/version "2"/'
variant added_journey '$a journey churn {\n  enter when plan == "none"\n  send email "bye"\n}'
variant longer_wait 's/wait 2d/wait 4d/'
variant renamed 's/^model trial/model trial_v2/'
variant no_onboarding '/^journey onboarding/,/^}/d'
variant no_paying '/^journey paying/,/^}/d'
variant no_tier '/^lifecycle tier/,/^}/d'
variant no_gold 's/  basic -> gold when level == "gold"//'
variant step_gone 's/@first_pause wait 2d/wait 2d/'
variant wait_to_send 's/@first_pause wait 2d/@first_pause send email "pause"/'
echo "--- renamed, --migrate keep: accepted, then checked like any new version"
run renamed.persona --db renamed.db --migrate keep
echo "--- no_onboarding, --migrate keep: the journey's state is carried along; the model put back resumes it"
run no_onboarding.persona --db no_onboarding.db --migrate keep
sqlite3 no_onboarding.db "SELECT key, json_extract(state, '\$.journeys[0].step') FROM profile ORDER BY key"
$PERSONA run model.persona --db no_onboarding.db --once --now 2026-02-04T00:00:00Z --sink stdout | sed -E 's/,"profile".*(,"at":)/ …\1/'
echo "--- no_tier, --migrate exit: the lifecycle's state is removed, each profile recorded"
run no_tier.persona --db no_tier.db --migrate exit
$PERSONA run --db no_tier.db --errors
sqlite3 no_tier.db "SELECT key, json_array_length(state, '\$.lifecycles') FROM profile ORDER BY key"
