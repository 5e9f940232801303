"""Ask on a database whose schema is too large for the model's window: time and execution accuracy.

    PYTHONPATH=TREE .venv/bin/python benchmarks/large_schema.py [--per-db 2] [-v] [--out FILE]

The ten open Spider dev databases hold 44 tables and no two share a name, so they make one database of 44
tables whose gold SQL runs on it unchanged. Its schema with example rows is larger than the share of the default
8,192-token window the schema may take, so every question is asked of a cut schema: what this measures is what a
cut costs a question (time, the prompt tokens it reads) and what it keeps (EX, scored as benchmarks/spider.py
scores). The questions are the first --per-db of each Spider database, asked one after the other as a server
would take them, after the same warm-up a `datasette serve` runs at start-up (its seconds reported apart).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from spider import SPIDER, pct, score  # noqa: E402


def merged_database(target: Path) -> Path:
    """Every table of the open Spider databases, with its rows, in one SQLite file (CREATE statements as written)."""
    if target.exists():
        target.unlink()
    merged = sqlite3.connect(target)
    for db_dir in sorted((SPIDER / "database").iterdir()):
        source = db_dir / f"{db_dir.name}.sqlite"
        if not source.exists():
            continue
        merged.execute("ATTACH DATABASE ? AS src", (str(source),))
        rows = merged.execute(
            "SELECT name, sql FROM src.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        for name, sql in rows:
            merged.execute(sql)
            merged.execute(f'INSERT INTO main."{name}" SELECT * FROM src."{name}"')
        merged.commit()
        merged.execute("DETACH DATABASE src")
    merged.close()
    return target


async def run(args) -> dict:
    from datasette.app import Datasette
    from spider import warm_prefix

    from datasette_llm.ask import ask
    from datasette_llm.ask.few_shot import ShotPool
    from datasette_llm.config import load_settings
    from datasette_llm.models import chat_model_for

    questions = json.loads((SPIDER / "dev.json").read_text())
    dbs = sorted({q["db_id"] for q in questions if (SPIDER / "database" / q["db_id"]).exists()})
    chosen = []
    for db in dbs:
        chosen += [(i, q) for i, q in enumerate(questions) if q["db_id"] == db][: args.per_db]
    workdir = Path(tempfile.mkdtemp(prefix="large-schema-"))
    try:
        path = merged_database(workdir / "spider_open.db")
        settings = load_settings({"max_rows": 100000, "model_timeout": 600}, {})
        model = chat_model_for(settings)
        datasette = Datasette(immutables=[str(path)], settings={"sql_time_limit_ms": 10000})
        await datasette.invoke_startup()
        db_id = path.stem
        none = ShotPool([])
        warm = await warm_prefix(datasette, db_id, model, settings, none)
        if args.verbose:
            print(f"warm-up {warm:.1f} s", flush=True)
        records = []
        for index, q in chosen:
            started = time.perf_counter()
            try:
                result = await ask(
                    datasette, db_id, q["question"], model=model, settings=settings, sql_only=True, examples=none
                )
                sql, tokens, notes, error = result.sql, result.tokens, list(result.notes), result.error
            except Exception as exc:  # a crash is a failure to answer, and must be visible
                sql, tokens, notes, error = None, {}, [], f"{type(exc).__name__}: {exc}"
            record = {
                "index": index,
                "db": q["db_id"],
                "question": q["question"],
                "gold": q["query"],
                "sql": sql,
                "ok": score(path, q["query"], sql),
                "s": round(time.perf_counter() - started, 2),
                "sql_prompt_tokens": tokens.get("sql_prompt", 0),
                "schema_notes": [note for note in notes if note.startswith("schema:")],
                "error": error,
            }
            records.append(record)
            if args.verbose:
                print(
                    f"[{len(records)}] {q['db_id']} ok={int(record['ok'])} {record['s']:.1f}s "
                    f"prompt={record['sql_prompt_tokens']} | {q['question'][:60]}",
                    flush=True,
                )
        return {"warm_up_s": round(warm, 2), "records": records}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def report(data: dict) -> str:
    records = data["records"]
    seconds = [r["s"] for r in records]
    right = sum(r["ok"] for r in records)
    lines = [
        f"questions: {len(records)} over one database of the 44 open Spider tables",
        f"warm-up (as at start-up): {data['warm_up_s']:.1f} s",
        f"EX: {right}/{len(records)} ({100 * right / max(1, len(records)):.1f}%)",
        f"seconds a question: p50 {statistics.median(seconds):.2f}, p95 {pct(seconds, 95):.2f}, max {max(seconds):.2f}",
        f"SQL prompt tokens a question: p50 {statistics.median(r['sql_prompt_tokens'] for r in records):.0f}",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-db", type=int, default=2, help="the first N questions of each Spider database")
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.add_argument("--out", help="write the records as JSON here")
    args = parser.parse_args()
    data = asyncio.run(run(args))
    if args.out:
        Path(args.out).write_text(json.dumps(data, indent=1))
    print(report(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
