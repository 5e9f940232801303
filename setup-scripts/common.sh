# Shared helpers for the set-up scripts. Source it; do not run it.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"
PY="$VENV/bin/python"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/datasette-llm"
LLAMA_CPP_VERSION="0.3.36"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }
now() { date +%s; }
