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
# Two legs: the suite on Datasette 0.65.x (.venv), then on the newest 1.0 alpha (.venv-datasette1, built by
# test-datasette1.sh from the same cached llama-cpp-python wheel). Both always run; either failing fails this.
# DATASETTE_LLM_LEGS=065 or =1 runs only one of them. Extra arguments go to pytest in both legs.
LEGS="${DATASETTE_LLM_LEGS:-065 1}"
mkdir -p "$REPO_ROOT/test-artifacts"
cd "$REPO_ROOT"
SUMMARY=()
OVERALL=0
summary_line() {  # the last line of pytest's summary ("== 700 passed, 3 skipped in 400.1s ==")
  grep -E '^=+ .*(passed|failed|error|skipped|no tests ran).* in [0-9.]+s' "$1" | tail -1 | tr -d '='
}
if [[ " $LEGS " == *" 065 "* ]]; then
  step "pytest on Datasette $("$PY" -c 'import datasette; print(datasette.__version__)') (.venv)"
  LEG_START=$(now)
  LOG065="$REPO_ROOT/test-artifacts/pytest-datasette065.log"
  set +e
  "$PY" -m pytest "$@" 2>&1 | tee "$LOG065"
  STATUS=${PIPESTATUS[0]}
  set -e
  [ "$STATUS" = 0 ] || OVERALL=1
  SUMMARY+=("Datasette 0.65 leg: exit $STATUS, $(summary_line "$LOG065"), $(( $(now) - LEG_START ))s")
fi
if [[ " $LEGS " == *" 1 "* ]]; then
  LEG_START=$(now)
  LOG1="$REPO_ROOT/test-artifacts/pytest-datasette1.log"
  set +e
  DATASETTE_LLM_SETUP_DONE=1 bash "$REPO_ROOT/setup-scripts/test-datasette1.sh" "$@" 2>&1 | tee "$LOG1"
  STATUS=${PIPESTATUS[0]}
  set -e
  [ "$STATUS" = 0 ] || OVERALL=1
  SUMMARY+=("Datasette 1.0 leg: exit $STATUS, $(summary_line "$LOG1"), $(( $(now) - LEG_START ))s (with its venv check)")
fi
step "Summary"
for line in "${SUMMARY[@]}"; do info "$line"; done
info "tests finished in $(( $(now) - START ))s (exit $OVERALL)"
exit $OVERALL
