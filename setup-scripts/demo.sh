#!/usr/bin/env bash
# Set up if needed, build demo-db/build/ (FTS + embeddings), then serve it at http://127.0.0.1:8001
source "$(dirname "$0")/common.sh"
bash "$REPO_ROOT/setup-scripts/install.sh"
bash "$REPO_ROOT/setup-scripts/models.sh"
step "Demo databases in demo-db/build/"
"$PY" "$REPO_ROOT/setup-scripts/build_demo_db.py"
step "Starting Datasette at http://127.0.0.1:${PORT:-8001}/ (Ctrl-C stops it)"
exec "$VENV/bin/datasette" serve "$REPO_ROOT"/demo-db/build/simonw_releases.db "$REPO_ROOT"/demo-db/build/chinook.db \
  -m "$REPO_ROOT/demo-db/metadata.yml" -h 127.0.0.1 -p "${PORT:-8001}" --setting sql_time_limit_ms 3000 "$@"
