#!/usr/bin/env bash
# Check datasette_llm/permissions.py against the newest Datasette 1.0 alpha, in a separate venv
# (.venv-datasette1/) so the main .venv keeps Datasette 0.65. Only the permissions layer is tested there:
# the package is imported from the checkout through PYTHONPATH, not installed.
# DATASETTE_SPEC overrides what is installed, e.g. DATASETTE_SPEC='datasette==1.0a41'. Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "$0")/common.sh"
VENV1="$REPO_ROOT/.venv-datasette1"
PY1="$VENV1/bin/python"
SPEC="${DATASETTE_SPEC:-datasette>=1.0a20}"

step "Virtual environment at .venv-datasette1/"
if [ -x "$PY1" ] && "$PY1" -c 'import sys' 2>/dev/null; then
  info "present, reusing"
else
  BASE_PY=""
  for candidate in python3.12 python3.11 python3.10 python3; do
    if command -v "$candidate" >/dev/null 2>&1 \
        && "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
      BASE_PY="$(command -v "$candidate")"; break
    fi
  done
  [ -n "$BASE_PY" ] || die "Python 3.10 or newer is required (none found on PATH)."
  "$BASE_PY" -m venv "$VENV1"
  info "created with $BASE_PY"
fi

step "Datasette pre-release ($SPEC) and test dependencies"
"$PY1" -m pip install --quiet --upgrade --pre "$SPEC" pytest pytest-asyncio sqlite-utils
info "datasette $("$PY1" -c 'import datasette; print(datasette.__version__)')"

step "pytest tests/test_permissions_datasette1.py"
cd "$REPO_ROOT"
# --noconftest: tests/conftest.py loads the local models, which this venv does not have (or need).
PYTHONPATH="$REPO_ROOT${PYTHONPATH:+:$PYTHONPATH}" \
  "$PY1" -m pytest -p no:cacheprovider --noconftest tests/test_permissions_datasette1.py "$@"
