"""What examples an asker may not see cost their questions: Ask (a scripted model, no LLM) over a store holding
one example the asker may see and N over a table hidden from them.

    .venv/bin/python benchmarks/examples_hidden.py [--hidden 0 1000 4990] [--questions 12]

Each N gets its own throwaway state directory and pets database (tests/ask_helpers.py), examples stored already
checked against the schema (no re-check runs), a keyword embedder (no model). Prints, for each N, the median
time of a question (the first two left out) and of its `examples` stage, and the examples the asker was shown.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


class KeywordEmbedder:
    name = "keywords"

    async def aembed(self, texts):
        return np.array([[1.0, 0.0] if "age" in text else [0.0, 1.0] for text in texts], dtype=np.float32)


async def measure(hidden: int, questions: int) -> None:
    from ask_helpers import ScriptedModel, make_pets_db, sql_reply
    from datasette.app import Datasette

    from datasette_llm.ask import pipeline
    from datasette_llm.config import load_settings
    from datasette_llm.examples.check import database_schema, schema_hash
    from datasette_llm.examples.store import ExampleStore

    folder = Path(tempfile.mkdtemp(prefix="examples-hidden-"))
    os.environ["DATASETTE_LLM_STATE_DIR"] = str(folder / "state")
    pipeline.embedding_model_for = lambda settings: KeywordEmbedder()
    db = make_pets_db(folder / "pets.db")
    with sqlite3.connect(db) as conn:
        current = schema_hash(database_schema(conn))
    conn.close()
    store = ExampleStore.for_settings(load_settings({}))
    fields = {"schema_hash": current}
    store.add("pets", "What is the age of Rex?", "select age from dogs where name = 'Rex'", added_by="t",
              names='["age", "dogs", "name"]', reads='["dogs"]', **fields)  # fmt: skip
    for n in range(hidden):
        store.add("pets", f"What is secret code number {n} of the age?", f"select code from secret where id = {n}",
                  added_by="admin", names='["code", "id", "secret"]', reads='["secret"]', **fields)  # fmt: skip
    metadata = {
        "databases": {"pets": {"tables": {"secret": {"allow": {"id": "admin"}}}}},
        "plugins": {"datasette-llm": {"warm_up": False}},
    }
    datasette = Datasette([str(db)], metadata=metadata)
    totals, stages = [], []
    for _ in range(questions):
        model = ScriptedModel([sql_reply("select age from dogs where name = 'Fido'")] * 3)
        started = time.perf_counter()
        result = await pipeline.ask(
            datasette, "pets", "What is the age of Fido?", model=model, sql_only=True, actor={"id": "bob"}
        )
        totals.append(time.perf_counter() - started)
        stages.append(result.to_json()["timings"]["examples"])
    shown = [example["id"] for example in result.examples]
    print(
        f"hidden {hidden:>5}: question p50 {statistics.median(totals[2:]) * 1000:7.1f} ms, "
        f"examples stage p50 {statistics.median(stages[2:]) * 1000:6.1f} ms, examples shown {shown}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, nargs="+", default=[0, 1000, 4990])
    parser.add_argument("--questions", type=int, default=12)
    args = parser.parse_args()
    for hidden in args.hidden:
        asyncio.run(measure(hidden, args.questions))


if __name__ == "__main__":
    main()
