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
# The default build uses -march=native, which turns on AMX kernels that segfault on CPUs that advertise
# AMX without supporting it. Build explicitly for the instruction sets we detect, never with AMX.
CPU_FLAGS="$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)"
CMAKE_ARGS_LLAMA="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
if [[ " $CPU_FLAGS " == *" avx512f "* && " $CPU_FLAGS " == *" avx512bw "* && " $CPU_FLAGS " == *" avx512vl "* ]]; then
  CMAKE_ARGS_LLAMA="$CMAKE_ARGS_LLAMA -DGGML_AVX512=ON"
  [[ " $CPU_FLAGS " == *" avx512_vbmi "* ]] && CMAKE_ARGS_LLAMA="$CMAKE_ARGS_LLAMA -DGGML_AVX512_VBMI=ON"
  [[ " $CPU_FLAGS " == *" avx512_vnni "* ]] && CMAKE_ARGS_LLAMA="$CMAKE_ARGS_LLAMA -DGGML_AVX512_VNNI=ON"
  [[ " $CPU_FLAGS " == *" avx512_bf16 "* ]] && CMAKE_ARGS_LLAMA="$CMAKE_ARGS_LLAMA -DGGML_AVX512_BF16=ON"
  [[ " $CPU_FLAGS " == *" avx_vnni "* ]] && CMAKE_ARGS_LLAMA="$CMAKE_ARGS_LLAMA -DGGML_AVX_VNNI=ON"
elif [[ " $CPU_FLAGS " != *" avx2 "* ]]; then
  CMAKE_ARGS_LLAMA="-DGGML_NATIVE=OFF -DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF"
fi
info "CMAKE_ARGS: $CMAKE_ARGS_LLAMA"
BUILD_KEY="$(printf '%s|%s|%s' "$LLAMA_CPP_VERSION" "$CMAKE_ARGS_LLAMA" "$("$PY" -c 'import sys,platform; print(sys.version_info[:2], platform.machine())')" | sha256sum | cut -c1-16)"
STAMP="$VENV/.llama-cpp-build"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$BUILD_KEY" ] && "$PY" -c 'import llama_cpp' 2>/dev/null; then
  info "installed with these flags, reusing"
else
  # Our own wheel cache is keyed by version + flags + Python; pip's wheel cache ignores CMAKE_ARGS and would
  # silently reinstall a crashing native build, so it is never used (--no-cache-dir).
  WHEEL_DIR="$CACHE_ROOT/wheels/llama-cpp-python-$BUILD_KEY"
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
DEPS_KEY="$(cat "$REPO_ROOT/pyproject.toml" | sha256sum | cut -c1-16)"
DEPS_STAMP="$VENV/.deps"
if [ -f "$DEPS_STAMP" ] && [ "$(cat "$DEPS_STAMP")" = "$DEPS_KEY" ] && "$PY" -c 'import datasette_llm, datasette, sqlglot, pytest' 2>/dev/null; then
  info "up to date, reusing"
else
  "$PY" -m pip install --quiet -e "$REPO_ROOT[test]"
  # The server extra must not have replaced our build.
  [ "$(cat "$STAMP")" = "$BUILD_KEY" ] || die "llama-cpp-python build stamp changed unexpectedly"
  echo "$DEPS_KEY" > "$DEPS_STAMP"
fi
"$PY" -c 'import llama_cpp; print("    llama-cpp-python", llama_cpp.__version__)'
info "install done in $(( $(now) - START ))s"
