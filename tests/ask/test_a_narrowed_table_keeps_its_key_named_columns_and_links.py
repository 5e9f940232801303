"""A table alone too wide for the window is described by its key, the columns the question names and its first
others, as many as fit (session 59). Oracle, for generated wide tables, budgets and questions (the table's own
columns): the prompt names only real columns, in the table's order; its key while any column is kept; every column
the question names while others are kept; the true number left out; at least one column however small the budget;
a kept column's link to another table (outside tester 60a: mutants putting the named columns before the key, the
columns in the order chosen, no column at all, and no link all survived)."""

import random
import re

from datasette_llm.ask.schema import _words, question_words, render_schema
from datasette_llm.ask.schema_tables import TableSchema
from datasette_llm.sql.names import quote_name

WORDS = ["price", "country", "population", "year", "name", "city", "amount", "total", "code", "status", "score"]


def count(text: str) -> int:
    return (len(text) + 3) // 4


def wide(rng, columns: int, key_at: int | None, links=()) -> TableSchema:
    names = [f"{rng.choice(WORDS)}_{rng.choice(WORDS)}_{j}" + "é" * rng.randrange(0, 30) for j in range(columns)]
    types = tuple(rng.choice(["TEXT", "INTEGER", ""]) for _ in names)
    create = "CREATE TABLE wide (\n" + ",\n".join(f"  {quote_name(c)} {t}" for c, t in zip(names, types)) + "\n)"
    key = (names[key_at],) if key_at is not None else ()
    fks = tuple((names[i], "other", "id") for i in links)
    return TableSchema("wide", tuple(names), create, (), fks, 10, False, key, (), types)


def shown_columns(text: str) -> list[str]:
    body = text.split("(", 1)[1]
    found = [n.rstrip(",") for n in re.findall(r'^  ("(?:[^"]|"")+"|\S+)', body, re.M)]
    return [n[1:-1].replace('""', '"') if n.startswith('"') else n for n in found if n != "--"]


def test_a_narrowed_table_keeps_its_key_and_named_columns_in_order():
    """Real columns in the table's order; the key kept; named columns kept while others are; the count true."""
    rng = random.Random(59)
    for _ in range(150):
        columns = rng.choice([40, 300, 1500])
        table = wide(rng, columns, rng.choice([None, 0, columns - 1, columns // 2]))
        asked = rng.sample(table.columns, rng.randrange(0, 4))
        question = "What is the " + " and ".join(c.replace("_", " ") for c in asked) + "?"
        budget = rng.choice([200, 800, 3000])
        if count(table.create_sql) <= budget:
            continue
        text = render_schema("db", [table], count, budget, question).text
        shown = shown_columns(text)
        assert shown == [c for c in table.columns if c in shown], "in the table's order"
        assert not table.primary_key or table.primary_key[0] in shown
        left = int(re.search(r"-- ([\d,]+) more columns not shown", text).group(1).replace(",", ""))
        assert left == columns - len(shown)
        _, words = question_words(question)
        wanted = [c for c in table.columns if _words(c) & words]
        if len(shown) > 1 + len(wanted):
            assert all(c in shown for c in wanted), question


def test_at_least_one_column_is_kept_however_small_the_budget():
    """A budget too small for any column still describes the table by one column, its key."""
    table = wide(random.Random(1), 50, 0)
    text = render_schema("db", [table], count, 5, "how many?").text
    assert shown_columns(text) == [table.columns[0]]


def test_a_kept_columns_link_is_described():
    """A kept column that references another table says so (REFERENCES), as the table's own CREATE does."""
    table = wide(random.Random(2), 300, 0, links=(0, 1))
    text = render_schema("db", [table], count, 400, "how many?").text
    assert table.columns[1] in shown_columns(text)
    assert f"{quote_name(table.columns[1])} {table.column_types[1]} REFERENCES other(id)".replace("  ", " ") in text
