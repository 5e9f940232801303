#!/usr/bin/env bash
# Set up if needed (venvs, models, Chromium for the browser tests), then run the whole test suite twice:
# on Datasette 0.65.x and on the newest Datasette 1.0 alpha.
source "$(dirname "$0")/common.sh"
START=$(now)
bash "$REPO_ROOT/setup-scripts/install.sh"
bash "$REPO_ROOT/setup-scripts/models.sh"
step "Chromium for the browser tests"
if [ -x /usr/bin/chromium ]; then
  info "present: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
elif [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
    || die "could not install Chromium with apt-get"
  info "installed: $(/usr/bin/chromium --version)"
else
  die "Chromium is missing: run 'sudo apt-get install chromium chromium-driver' (Debian), then run this again."
fi
step "Demo databases (used by the end-to-end tests)"
"$PY" "$REPO_ROOT/setup-scripts/build_demo_db.py"
# Two legs: the suite on Datasette 0.65.x (.venv) and on the newest 1.0 alpha (.venv-datasette1, built by
# test-datasette1.sh from the same cached llama-cpp-python wheel). Both always run; either failing fails this.
# DATASETTE_LLM_LEGS=065 or =1 runs only one of them. Extra arguments go to pytest in both legs. Each leg's log
# ends with its 20 slowest tests (CI's time is kept well under 20 minutes).
# The two legs run at the same time (the 1.0 leg's venv is set up in the background too): the 0.65 leg's output
# is shown as it comes, the 1.0 leg's when it ends, and each has its own temporary directory and test-artifacts/
# folder. DATASETTE_LLM_PARALLEL_LEGS=0 runs them one after the other. The gain is small on 2 cores (session 29:
# 1,263 and 1,333 s in all, against 1,273-1,437 s one after the other): each leg's real-model tests, servers and
# browser use both cores already. With both legs, each runs some tests the other leaves out, which evens out their
# times: tests marked no_datasette (no Datasette code runs in them) run in this leg only, tests marked one_leg
# (what the real model writes, which Datasette's version does not change) in the 1.0 leg only (see
# test-datasette1.sh). A leg run alone runs both kinds.
LEGS="${DATASETTE_LLM_LEGS:-065 1}"
PARALLEL="${DATASETTE_LLM_PARALLEL_LEGS:-1}"
mkdir -p "$REPO_ROOT/test-artifacts"
cd "$REPO_ROOT"
SUMMARY=()
OVERALL=0
TEMP_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/datasette-llm-tests.XXXXXX")"
LEG1_PID=
trap '[ -n "$LEG1_PID" ] && pkill -TERM -P "$LEG1_PID" 2>/dev/null; rm -rf "$TEMP_ROOT"' EXIT
LOG065="$REPO_ROOT/test-artifacts/pytest-datasette065.log"
LOG1="$REPO_ROOT/test-artifacts/pytest-datasette1.log"
summary_line() {  # the last line of pytest's summary ("== 700 passed, 3 skipped in 400.1s ==")
  grep -E '^=+ .*(passed|failed|error|skipped|no tests ran).* in [0-9.]+s' "$1" | tail -1 | tr -d '='
}
run_065() {
  # Beside the 1.0 leg, tests marked one_leg run there only (test-datasette1.sh).
  local marks=()
  [ "$HAS_1" = 1 ] && marks=(-m "not one_leg")
  "$PY" -m pytest --durations=20 --basetemp "$TEMP_ROOT/datasette065" "${marks[@]}" "$@"
}
run_1() {
  # Alone, the 1.0 leg runs the tests marked no_datasette too.
  [ "$HAS_065" = 1 ] || export DATASETTE1_MARKS="${DATASETTE1_MARKS-}"
  DATASETTE_LLM_SETUP_DONE=1 DATASETTE_LLM_LEG1=run DATASETTE_LLM_ARTIFACTS="$REPO_ROOT/test-artifacts/datasette1" \
    bash "$REPO_ROOT/setup-scripts/test-datasette1.sh" --durations=20 --basetemp "$TEMP_ROOT/datasette1" "$@"
}
HAS_065=0; HAS_1=0
[[ " $LEGS " == *" 065 "* ]] && HAS_065=1
[[ " $LEGS " == *" 1 "* ]] && HAS_1=1
prepare_1() {
  DATASETTE_LLM_SETUP_DONE=1 DATASETTE_LLM_LEG1=prepare bash "$REPO_ROOT/setup-scripts/test-datasette1.sh"
}
LEGS_START=$(now)
if [ "$HAS_1" = 1 ] && [ "$HAS_065" = 1 ] && [ "$PARALLEL" = 1 ]; then
  # Its venv is set up in the background too (pip, a minute or two on a clean clone), beside the 0.65 leg.
  step "the Datasette 1.0 leg in the background: its venv, then pytest (its log: test-artifacts/pytest-datasette1.log)"
  set +e
  (prepare_1 && run_1 "$@") > "$LOG1" 2>&1 &
  LEG1_PID=$!
  set -e
elif [ "$HAS_1" = 1 ]; then
  prepare_1
  LEGS_START=$(now)
fi
if [ "$HAS_065" = 1 ]; then
  step "pytest on Datasette $("$PY" -c 'import datasette; print(datasette.__version__)') (.venv)"
  set +e
  run_065 "$@" 2>&1 | tee "$LOG065"
  STATUS=${PIPESTATUS[0]}
  set -e
  [ "$STATUS" = 0 ] || OVERALL=1
  SUMMARY+=("Datasette 0.65 leg: exit $STATUS, $(summary_line "$LOG065"), $(( $(now) - LEGS_START ))s")
fi
if [ "$HAS_1" = 1 ]; then
  set +e
  if [ -n "$LEG1_PID" ]; then
    step "the Datasette 1.0 leg (ran beside the 0.65 leg)"
    wait "$LEG1_PID"
    STATUS=$?
    LEG1_PID=
    cat "$LOG1"
  else
    LEGS_START=$(now)
    run_1 "$@" 2>&1 | tee "$LOG1"
    STATUS=${PIPESTATUS[0]}
  fi
  set -e
  [ "$STATUS" = 0 ] || OVERALL=1
  SUMMARY+=("Datasette 1.0 leg: exit $STATUS, $(summary_line "$LOG1"), $(( $(now) - LEGS_START ))s")
fi
step "Summary"
for line in "${SUMMARY[@]}"; do info "$line"; done
info "tests finished in $(( $(now) - START ))s (exit $OVERALL)"
exit $OVERALL
