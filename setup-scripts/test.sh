#!/usr/bin/env bash
# Set up if needed (venv, models, Chromium for the browser tests), then run the whole test suite.
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
step "pytest"
cd "$REPO_ROOT"
set +e
"$PY" -m pytest "$@"
STATUS=$?
set -e
info "tests finished in $(( $(now) - START ))s (exit $STATUS)"
exit $STATUS
