# Shared helpers for the set-up scripts. Source it; do not run it.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"
TOOLS_VENV="$REPO_ROOT/.venv-tools"  # test tools run as programs (schemathesis), apart from the plugin's venvs
SCHEMATHESIS_VERSION="4.32.5"
PY="$VENV/bin/python"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/datasette-llm"
LLAMA_CPP_VERSION="0.3.36"
# The two Datasette lines the suite runs on: .venv keeps 0.65.x, .venv-datasette1 the newest 1.0 alpha.
DATASETTE_065_SPEC="datasette>=0.65.5,<0.66"
DATASETTE_1_SPEC="${DATASETTE_SPEC:-datasette>=1.0a39}"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }
now() { date +%s; }

# llama_build_settings PYTHON: sets CMAKE_ARGS_LLAMA (the build flags for this CPU), BUILD_KEY and WHEEL_DIR
# (our wheel cache for that build, shared by .venv and .venv-datasette1).
# The default build uses -march=native, which turns on AMX kernels that segfault on CPUs that advertise
# AMX without supporting it. Build explicitly for the instruction sets we detect, never with AMX.
llama_build_settings() {
  local python="$1" cpu_flags
  cpu_flags="$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)"
  CMAKE_ARGS_LLAMA="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
  if [[ " $cpu_flags " == *" avx512f "* && " $cpu_flags " == *" avx512bw "* && " $cpu_flags " == *" avx512vl "* ]]; then
    CMAKE_ARGS_LLAMA="$CMAKE_ARGS_LLAMA -DGGML_AVX512=ON"
    [[ " $cpu_flags " == *" avx512_vbmi "* ]] && CMAKE_ARGS_LLAMA="$CMAKE_ARGS_LLAMA -DGGML_AVX512_VBMI=ON"
    [[ " $cpu_flags " == *" avx512_vnni "* ]] && CMAKE_ARGS_LLAMA="$CMAKE_ARGS_LLAMA -DGGML_AVX512_VNNI=ON"
    [[ " $cpu_flags " == *" avx512_bf16 "* ]] && CMAKE_ARGS_LLAMA="$CMAKE_ARGS_LLAMA -DGGML_AVX512_BF16=ON"
    [[ " $cpu_flags " == *" avx_vnni "* ]] && CMAKE_ARGS_LLAMA="$CMAKE_ARGS_LLAMA -DGGML_AVX_VNNI=ON"
  elif [[ " $cpu_flags " != *" avx2 "* ]]; then
    CMAKE_ARGS_LLAMA="-DGGML_NATIVE=OFF -DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF"
  fi
  BUILD_KEY="$(printf '%s|%s|%s' "$LLAMA_CPP_VERSION" "$CMAKE_ARGS_LLAMA" \
    "$("$python" -c 'import sys,platform; print(sys.version_info[:2], platform.machine())')" | sha256sum | cut -c1-16)"
  WHEEL_DIR="$CACHE_ROOT/wheels/llama-cpp-python-$BUILD_KEY"
}

# schemathesis lives in .venv-tools (install.sh): it brings rich, and with rich installed Datasette 0.65's own
# error handler raises on every 404 page that has no exception behind it. A venv from before that loses both.
without_schemathesis() {
  local python="$1"
  if "$python" -m pip show --quiet schemathesis >/dev/null 2>&1; then
    "$python" -m pip uninstall --quiet --yes schemathesis
    if [ -z "$("$python" -m pip show rich 2>/dev/null | sed -n 's/^Required-by: *//p')" ]; then
      "$python" -m pip uninstall --quiet --yes rich
    fi
    info "removed schemathesis (and rich) from $(dirname "$(dirname "$python")")"
  fi
}
