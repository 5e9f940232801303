"""Fitting a large schema into the SQL prompt's budget (ask/schema.py render_schema), with the default chat
model's own tokenizer: how long it takes and how many times the whole text is tokenized.

    .venv/bin/python benchmarks/schema_fit.py [--tables 100 300 1000] [--budget 3000]

Each table has 5 columns and 3 example rows (the shape load_tables gives). Compare two trees by running this
with PYTHONPATH on each: the numbers are only comparable within one run on this shared machine.
"""

from __future__ import annotations

import argparse
import statistics
import time


def tables_of(n: int):
    from datasette_llm.ask.schema_tables import TableSchema

    tables = []
    for i in range(n):
        columns = ("id", "name", "city", f"t{max(i - 1, 0)}_id", "amount")
        tables.append(
            TableSchema(
                name=f"t{i}",
                columns=columns,
                create_sql=f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name TEXT, city TEXT, "
                f"t{max(i - 1, 0)}_id INTEGER REFERENCES t{max(i - 1, 0)}(id), amount REAL)",
                example_rows=tuple((r, f"name {i}-{r}", "Lisbon", r, 1.5 * r) for r in range(3)),
                foreign_keys=((f"t{max(i - 1, 0)}_id", f"t{max(i - 1, 0)}", "id"),) if i else (),
            )
        )
    return tables


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--budget", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from datasette_llm.ask.schema import render_schema
    from datasette_llm.config import load_settings
    from datasette_llm.models import chat_model_for

    model = chat_model_for(load_settings())
    calls = []

    def count_tokens(text):
        calls.append(len(text))
        return model.count_tokens(text)

    count_tokens("warm up")  # loads the model
    for n in args.tables:
        tables = tables_of(n)
        seconds = []
        for _ in range(args.runs):
            calls.clear()
            started = time.perf_counter()
            schema = render_schema("big", tables, count_tokens, args.budget, question="total amount of t7 by city")
            seconds.append(time.perf_counter() - started)
        print(
            f"{n} tables, budget {args.budget}: {statistics.median(seconds):.3f} s (median of {args.runs}), "
            f"{len(calls)} tokenizations of {sum(calls):,} characters; kept {len(schema.tables)} tables, "
            f"{count_tokens(schema.text)} tokens",
            flush=True,
        )


if __name__ == "__main__":
    main()
