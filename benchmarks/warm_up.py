"""What the Ask page's warm-up buys: the first question on a database, cold vs after warm_up().

    .venv/bin/python benchmarks/warm_up.py [--db concert_singer --db car_1 ...]

For each Spider database: a fresh local model answers the database's first dev question (SQL only) cold;
then another fresh model is warmed (as the page does when it opens) and answers the same question. The
warm-up itself is timed too: it is the part the visitor's typing hides.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPIDER = ROOT.parent / "shared" / "eval" / "spider"
DEFAULT_DBS = ["concert_singer", "car_1", "student_transcripts_tracking", "cre_Doc_Template_Mgt"]


async def first_question(db_id: str, warm: bool) -> dict:
    from datasette.app import Datasette

    from datasette_llm.ask.pipeline import ask
    from datasette_llm.ask.warm_up import warm_up
    from datasette_llm.config import load_settings
    from datasette_llm.models.llama_cpp import LlamaCppChatModel
    from datasette_llm.models.provision import CHAT_GGUF

    settings = load_settings({"model_timeout": 600}, {})
    model = LlamaCppChatModel(
        f"{db_id}-{warm}", settings.models_dir / CHAT_GGUF.relative_path, n_ctx=settings.n_ctx, timeout=600
    )
    model._model("sql")  # load time is not what is measured here
    question = next(q for q in json.loads((SPIDER / "dev.json").read_text()) if q["db_id"] == db_id)["question"]
    path = SPIDER / "database" / db_id / f"{db_id}.sqlite"
    datasette = Datasette(immutables=[str(path)])
    warm_seconds = None
    if warm:
        started = time.perf_counter()
        assert await warm_up(datasette, db_id, model=model)
        warm_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result = await ask(datasette, db_id, question, model=model, settings=settings, sql_only=True)
    return {
        "db": db_id,
        "warm": warm,
        "warm_up_s": warm_seconds,
        "question_s": time.perf_counter() - started,
        "sql": result.sql,
        "prompt_tokens": result.tokens["sql_prompt"],
    }


async def run(dbs) -> list[dict]:
    rows = []
    for db_id in dbs:
        for warm in (False, True):
            row = await first_question(db_id, warm)
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append")
    args = parser.parse_args()
    rows = asyncio.run(run(args.db or DEFAULT_DBS))
    cold = [r["question_s"] for r in rows if not r["warm"]]
    warm = [r["question_s"] for r in rows if r["warm"]]
    print(
        f"first question, cold: mean {statistics.mean(cold):.1f} s; after warm-up: mean {statistics.mean(warm):.1f}"
        f" s ({statistics.mean(cold) / statistics.mean(warm):.1f}x faster); warm-up itself mean "
        f"{statistics.mean(r['warm_up_s'] for r in rows if r['warm']):.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
