"""Build demo-db/build/: working copies of the shipped demo databases with full-text search and embeddings.

Idempotent: copies are refreshed only when a shipped database changed; embedding is incremental.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import time
from pathlib import Path

import sqlite_utils

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "demo-db"
BUILD = SOURCE / "build"
DATABASES = {
    "simonw_releases.db": {
        "fts": {"repos": ["name", "description", "readme"]},
        "embed": {"repos": ["name", "description", "readme"]},
    },
    "chinook.db": {},
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(name: str, plan: dict) -> None:
    source, target = SOURCE / name, BUILD / name
    stamp = BUILD / f".{name}.source-sha256"
    digest = sha256(source)
    if not target.exists() or not stamp.exists() or stamp.read_text() != digest:
        shutil.copyfile(source, target)
        stamp.write_text(digest)
        print(f"    copied {name}")
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


def main() -> int:
    BUILD.mkdir(exist_ok=True)
    for name, plan in DATABASES.items():
        build(name, plan)
    return 0


if __name__ == "__main__":
    sys.exit(main())
