#!/usr/bin/env bash
# Create .venv, build llama-cpp-python for this CPU, install datasette-llm (editable) with test extras.
# Idempotent: a second run checks what is there and skips it.
source "$(dirname "$0")/common.sh"
START=$(now)

step "Python"
BASE_PY=""
for candidate in python3.12 python3.11 python3.10 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
    BASE_PY="$(command -v "$candidate")"; break
  fi
done
[ -n "$BASE_PY" ] || die "Python 3.10 or newer is required (none found on PATH)."
info "using $BASE_PY ($("$BASE_PY" --version))"

step "Virtual environment at .venv/"
if [ -x "$PY" ] && "$PY" -c 'import sys' 2>/dev/null; then
  info "present, reusing"
else
  "$BASE_PY" -m venv "$VENV"
  "$PY" -m pip install --quiet --upgrade pip setuptools wheel
  info "created"
fi

step "llama-cpp-python $LLAMA_CPP_VERSION built for this CPU"
llama_build_settings "$PY"
info "CMAKE_ARGS: $CMAKE_ARGS_LLAMA"
STAMP="$VENV/.llama-cpp-build"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$BUILD_KEY" ] && "$PY" -c 'import llama_cpp' 2>/dev/null; then
  info "installed with these flags, reusing"
else
  # Our own wheel cache is keyed by version + flags + Python; pip's wheel cache ignores CMAKE_ARGS and would
  # silently reinstall a crashing native build, so it is never used (--no-cache-dir).
  if ! ls "$WHEEL_DIR"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    info "compiling (about 5 minutes on 2 cores)..."
    mkdir -p "$WHEEL_DIR.tmp"
    CMAKE_ARGS="$CMAKE_ARGS_LLAMA" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
      "$PY" -m pip wheel --no-cache-dir --no-deps --no-binary llama-cpp-python \
      "llama-cpp-python==$LLAMA_CPP_VERSION" -w "$WHEEL_DIR.tmp"
    rm -rf "$WHEEL_DIR"; mv "$WHEEL_DIR.tmp" "$WHEEL_DIR"
  else
    info "using the wheel built earlier with the same flags: $WHEEL_DIR"
  fi
  "$PY" -m pip install --quiet --no-cache-dir --force-reinstall --no-deps "$WHEEL_DIR"/llama_cpp_python-*.whl
  echo "$BUILD_KEY" > "$STAMP"
  printf '%s\n' "$CMAKE_ARGS_LLAMA" > "$VENV/.llama-cpp-cmake-args"
fi

step "datasette-llm (editable) with test dependencies"
# pyproject.toml admits Datasette 1.0 alphas for those who install one; this venv is the 0.65 leg and keeps
# the newest 0.65.x (test-datasette1.sh builds the 1.0 leg in .venv-datasette1/).
DEPS_KEY="$( (cat "$REPO_ROOT/pyproject.toml"; echo "$DATASETTE_065_SPEC") | sha256sum | cut -c1-16)"
DEPS_STAMP="$VENV/.deps"
if [ -f "$DEPS_STAMP" ] && [ "$(cat "$DEPS_STAMP")" = "$DEPS_KEY" ] && "$PY" -c 'import datasette_llm, datasette, sqlglot, pytest' 2>/dev/null; then
  info "up to date, reusing"
else
  "$PY" -m pip install --quiet -e "$REPO_ROOT[test]" "$DATASETTE_065_SPEC"
  # The server extra must not have replaced our build.
  [ "$(cat "$STAMP")" = "$BUILD_KEY" ] || die "llama-cpp-python build stamp changed unexpectedly"
  echo "$DEPS_KEY" > "$DEPS_STAMP"
fi
"$PY" -c 'import llama_cpp, datasette; print("    llama-cpp-python", llama_cpp.__version__, "/ datasette", datasette.__version__)'

step "schemathesis $SCHEMATHESIS_VERSION in .venv-tools/ (a test tool, kept out of .venv)"
# It brings rich, and with rich installed Datasette 0.65's own error handler raises on every 404 page that has
# no exception behind it: each wrong URL of the demo was a 500 (an outside tester, session 15). An older .venv
# that still has them loses them here.
without_schemathesis "$PY"
if [ -x "$TOOLS_VENV/bin/schemathesis" ] && "$TOOLS_VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  info "present, reusing"
else
  rm -rf "$TOOLS_VENV"
  "$BASE_PY" -m venv "$TOOLS_VENV"
  "$TOOLS_VENV/bin/python" -m pip install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
  info "installed"
fi
info "install done in $(( $(now) - START ))s"
