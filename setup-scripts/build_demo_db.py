"""Build demo-db/build/: working copies of the shipped demo databases with full-text search and embeddings.

Idempotent: copies are refreshed only when a shipped database changed; embedding is incremental. A database
built with embeddings is kept in the user's cache (datasette-llm/demo-db), under a key of everything its build
reads (the shipped file, this script, the embeddings code, the embedding model's pins): a fresh clone starts from
it instead of embedding 779 READMEs again (50-80 s of every CI run), and the incremental build still checks every
row against it (about a second).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

import sqlite_utils

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "demo-db"
BUILD = SOURCE / "build"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "datasette-llm" / "demo-db"
# What a build's result depends on besides the shipped file and its plan.
BUILD_INPUTS = [
    Path(__file__),
    *sorted((ROOT / "datasette_llm" / "embeddings").glob("*.py")),
    *(ROOT / "datasette_llm" / "models" / name for name in ("base.py", "onnx.py", "provision.py")),
]
DATABASES = {
    "simonw_releases.db": {
        "fts": {"repos": ["name", "description", "readme"]},
        "embed": {"repos": ["name", "description", "readme"]},
    },
    "chinook.db": {},
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cache_file(name: str, plan: dict, digest: str) -> Path | None:
    """Where a build of `name` with embeddings is kept (None: nothing to keep, no embeddings)."""
    if not plan.get("embed"):
        return None
    key = hashlib.sha256(digest.encode() + json.dumps(plan, sort_keys=True).encode())
    for path in BUILD_INPUTS:
        key.update(path.read_bytes() if path.exists() else b"")
    return CACHE / f"{key.hexdigest()[:24]}-{name}"


def build(name: str, plan: dict) -> None:
    source, target = SOURCE / name, BUILD / name
    stamp = BUILD / f".{name}.source-sha256"
    digest = sha256(source)
    cached = cache_file(name, plan, digest)
    if not target.exists() or not stamp.exists() or stamp.read_text() != digest:
        if cached is not None and cached.exists():
            shutil.copyfile(cached, target)
            print(f"    copied {name} as built before ({cached})")
        else:
            shutil.copyfile(source, target)
            print(f"    copied {name}")
        stamp.write_text(digest)
    db = sqlite_utils.Database(target)
    for table, columns in plan.get("fts", {}).items():
        if not db[table].detect_fts():
            db[table].enable_fts(columns, fts_version="FTS5", create_triggers=True)
            print(f"    full-text search on {name}:{table} ({', '.join(columns)})")
    for table, columns in plan.get("embed", {}).items():
        try:
            from datasette_llm.embeddings import embed_table
        except ImportError:
            print("    (embeddings module not available yet: skipped)")
            continue
        started = time.monotonic()
        summary = embed_table(target, table, columns=columns)
        print(f"    embeddings for {name}:{table}: {summary} ({time.monotonic() - started:.1f}s)")
    db.close()
    if cached is not None and not cached.exists():
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(".partial")
            shutil.copyfile(target, partial)
            partial.replace(cached)  # whole or not at all
        except OSError as error:  # a read-only cache: the next clone builds again
            print(f"    (not kept in {CACHE}: {error})")


def main() -> int:
    BUILD.mkdir(exist_ok=True)
    for name, plan in DATABASES.items():
        build(name, plan)
    return 0


if __name__ == "__main__":
    sys.exit(main())
