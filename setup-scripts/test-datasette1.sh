#!/usr/bin/env bash
# The Datasette 1.0 leg: the test suite against the newest Datasette 1.0 alpha, in a separate venv
# (.venv-datasette1/) so the main .venv keeps Datasette 0.65.x. The package is installed there in editable
# mode with its test dependencies; llama-cpp-python comes from the wheel setup-scripts/install.sh built for
# this CPU (~/.cache/datasette-llm/wheels/), never compiled again.
# DATASETTE_SPEC overrides what is installed, e.g. DATASETTE_SPEC='datasette==1.0a41'. Extra arguments go to
# pytest. setup-scripts/test.sh runs this after the 0.65 leg; on its own it first runs install.sh and
# models.sh (seconds when they have run before).
source "$(dirname "$0")/common.sh"
START=$(now)
VENV1="$REPO_ROOT/.venv-datasette1"
PY1="$VENV1/bin/python"

if [ "${DATASETTE_LLM_SETUP_DONE:-}" != 1 ]; then
  bash "$REPO_ROOT/setup-scripts/install.sh"
  bash "$REPO_ROOT/setup-scripts/models.sh"
fi

# DATASETTE_LLM_LEG1=prepare sets up .venv-datasette1 and stops; =run skips that (test.sh prepared it first).
LEG1_MODE="${DATASETTE_LLM_LEG1:-}"
if [ "$LEG1_MODE" != run ]; then
  step "Virtual environment at .venv-datasette1/"
  if [ -x "$PY1" ] && "$PY1" -c 'import sys' 2>/dev/null; then
    info "present, reusing"
  else
    # The same interpreter as .venv, so the cached llama-cpp-python wheel (keyed by Python version) fits.
    BASE_PY="$("$PY" -c 'import sys; print(sys._base_executable)')"
    "$BASE_PY" -m venv "$VENV1"
    "$PY1" -m pip install --quiet --upgrade pip setuptools wheel
    info "created with $BASE_PY"
  fi

  step "llama-cpp-python $LLAMA_CPP_VERSION from the wheel install.sh built"
  llama_build_settings "$PY1"
  STAMP1="$VENV1/.llama-cpp-build"
  if [ -f "$STAMP1" ] && [ "$(cat "$STAMP1")" = "$BUILD_KEY" ] && "$PY1" -c 'import llama_cpp' 2>/dev/null; then
    info "installed, reusing"
  else
    ls "$WHEEL_DIR"/llama_cpp_python-*.whl >/dev/null 2>&1 \
      || die "no llama-cpp-python wheel in $WHEEL_DIR: run bash setup-scripts/install.sh first"
    "$PY1" -m pip install --quiet --no-cache-dir --force-reinstall --no-deps "$WHEEL_DIR"/llama_cpp_python-*.whl
    echo "$BUILD_KEY" > "$STAMP1"
    info "installed from $WHEEL_DIR"
  fi

  step "datasette-llm (editable) with test dependencies and $DATASETTE_1_SPEC"
  DEPS_KEY="$( (cat "$REPO_ROOT/pyproject.toml"; echo "$DATASETTE_1_SPEC") | sha256sum | cut -c1-16)"
  DEPS_STAMP1="$VENV1/.deps"
  if [ -f "$DEPS_STAMP1" ] && [ "$(cat "$DEPS_STAMP1")" = "$DEPS_KEY" ] \
      && "$PY1" -c 'import datasette_llm, datasette, sqlglot, pytest' 2>/dev/null; then
    # Still move to a newer alpha when the registry has one (a quick index look-up, nothing else changes).
    "$PY1" -m pip install --quiet --upgrade --upgrade-strategy only-if-needed "$DATASETTE_1_SPEC" \
      || info "could not check for a newer alpha; keeping the installed one"
  else
    # A pre-release in the specifier lets pip choose a 1.0 alpha for datasette alone (no --pre for the rest).
    "$PY1" -m pip install --quiet -e "$REPO_ROOT[test]" "$DATASETTE_1_SPEC"
    [ "$(cat "$STAMP1")" = "$BUILD_KEY" ] || die "llama-cpp-python build stamp changed unexpectedly"
    echo "$DEPS_KEY" > "$DEPS_STAMP1"
  fi
  without_schemathesis "$PY1"
  "$PY1" -c 'import datasette, llama_cpp; print("    datasette", datasette.__version__, "/ llama-cpp-python", llama_cpp.__version__)'
  "$PY1" -c 'import datasette, sys; sys.exit(0 if datasette.__version__.startswith("1.") else 1)' \
    || die "expected a Datasette 1.x in .venv-datasette1 ($DATASETTE_1_SPEC)"
fi
[ "$LEG1_MODE" = prepare ] && exit 0

# Tests marked `no_datasette` run none of Datasette's code and do not read its version (tests/datasette_use.py
# checks that wherever they run): with the same packages they run the same on either version, so the test
# command runs them once, in the 0.65 leg, and this leg runs the tests marked `one_leg` (what the real model
# writes, which Datasette's version does not change), which the 0.65 leg leaves out: the two legs' times even out
# (setup-scripts/test.sh). "The same packages" is checked here: when any package both venvs hold (every one but
# Datasette's own dependencies) differs in version, this leg runs every test.
# DATASETTE1_MARKS='' runs everything; a -m among the arguments overrides it (pytest keeps the last -m).
packages() {  # name==version of every installed distribution, one a line, sorted by name
  "$1" -c 'import importlib.metadata as m; print("\n".join(sorted({d.metadata["Name"].lower() + "==" + d.version for d in m.distributions()})))' \
    | sort -t= -k1,1
}
PACKAGES065="$(packages "$PY")"; PACKAGES1="$(packages "$PY1")"
[ -n "$PACKAGES065" ] && [ -n "$PACKAGES1" ] || die "could not list the packages of .venv and .venv-datasette1"
DIFFERING="$(join -t= -j1 <(echo "$PACKAGES065") <(echo "$PACKAGES1") \
  | awk -F= '$1 != "datasette" && $1 != "datasette-llm" && $3 != $5 {print $1 " " $3 " / " $5}')"
if [ -n "$DIFFERING" ]; then
  info "packages differ between .venv and .venv-datasette1, so every test marked no_datasette runs here too:"
  info "$(echo $DIFFERING)"
  MARKS="${DATASETTE1_MARKS-}"
else
  MARKS="${DATASETTE1_MARKS-not no_datasette}"
fi
MARK_ARGS=()
[ -n "$MARKS" ] && MARK_ARGS=(-m "$MARKS")
step "pytest on Datasette $("$PY1" -c 'import datasette; print(datasette.__version__)') (${MARKS:-all tests})"
cd "$REPO_ROOT"
set +e
"$PY1" -m pytest "${MARK_ARGS[@]}" "$@"
STATUS=$?
set -e
info "Datasette 1.0 leg finished in $(( $(now) - START ))s (exit $STATUS)"
exit $STATUS
