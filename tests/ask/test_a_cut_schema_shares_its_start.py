"""A schema over its budget is cut in two: a shared part the question does not choose, then the question's own part.

Until session 60 the question chose every table and example row of a cut schema, so no saved model state served
another question: on a database of 44 tables every question read its whole schema again (about 4,900 tokens, two
minutes at the measured 27 ms a token). The shared part is now the same for every question (its state is saved and
read once, `sql_prefix`), and the question's part after it holds the tables it names that the shared part lacks
and their example rows.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datasette_llm.ask.conversation import sql_messages, sql_prefix
from datasette_llm.ask.schema import QUESTION_SHARE, render_schema
from datasette_llm.ask.schema_tables import TableSchema

pytestmark = pytest.mark.no_datasette


def count(text):
    return (len(text) + 3) // 4


def _tables(sizes):
    """Generated tables: (columns, example rows, cell width, a link to an earlier table)."""
    tables = []
    for i, (columns, rows, width, link) in enumerate(sizes):
        names = tuple(f"c{i}_{j}" for j in range(columns))
        foreign = ((names[0], f"t{link % i}", f"c{link % i}_0"),) if i and link is not None else ()
        tables.append(
            TableSchema(
                name=f"t{i}",
                columns=names,
                create_sql=f"CREATE TABLE t{i} ({', '.join(names)})",
                example_rows=tuple(tuple("w" * width for _ in names) for _ in range(rows)),
                foreign_keys=foreign,
            )
        )
    return tables


def _linear_shared(tables, budget):
    """The shared part by its definition, one table at a time: every CREATE statement without example rows, the
    tables taking part in the fewest foreign keys (the last in the database among equals) dropped first until it
    fits the shared budget. None if not one fits."""
    links = {t.name: 0 for t in tables}
    for t in tables:
        for _, other, _ in t.foreign_keys:
            links[t.name] += 1
            if other != t.name:
                links[other] += 1
    kept = sorted(tables, key=lambda t: -links[t.name])
    position = {t.name: i for i, t in enumerate(tables)}

    def text(chosen):
        return "\n\n".join(t.render(False) for t in sorted(chosen, key=lambda t: position[t.name]))

    shared_budget = budget - int(budget * QUESTION_SHARE)
    while kept and count(text(kept)) > shared_budget:
        kept.pop()
    return text(kept) if kept else None


sizes = st.lists(
    st.tuples(st.integers(1, 6), st.integers(0, 3), st.integers(0, 40), st.one_of(st.none(), st.integers(0, 50))),
    min_size=2,
    max_size=40,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sizes=sizes, budget=st.integers(0, 3_000), picks=st.lists(st.integers(0, 39), min_size=1, max_size=4))
def test_every_question_shares_the_start_the_definition_gives(sizes, budget, picks):
    """Differential against the definition above, for generated schemas, budgets and questions naming tables; and
    what each question adds stays within the budget, after the shared part, and is recorded."""
    tables = _tables(sizes)
    if count("\n\n".join(t.render(True) for t in tables)) <= budget:
        return
    expected = _linear_shared(tables, budget)
    questions = ["", "nothing here"] + [f"How many rows has t{p % len(tables)}?" for p in picks]
    for question in questions:
        schema = render_schema("g", tables, count, budget, question=question)
        if expected is None:
            assert schema.shared == "", question  # cut for the question alone, as before
            continue
        named = f"CREATE TABLE {question[18:-1]} (" if question.startswith("How many rows has") else None
        if schema.shared == "":  # only when the table the question names found no room beside the shared part
            assert named and named not in expected, question
            continue
        assert schema.shared == expected, question
        assert named is None or named in schema.text, question
        assert schema.text.startswith(expected) and count(schema.text) <= budget
        assert "example rows" not in schema.shared
        described = set(schema.tables)
        assert described | set(schema.omitted_tables) == {t.name for t in tables}
        for t in tables:
            create = t.create_sql + ";"
            assert (create in schema.text) == (t.name in described), t.name
            rows_shown = f"SELECT * FROM {t.name} LIMIT" in schema.text
            assert rows_shown == (
                t.name in described and t.name not in schema.examples_omitted and bool(t.example_rows)
            )


def test_a_table_the_question_names_comes_with_its_rows_after_the_shared_part():
    """40 tables whose example rows do not all fit: the question's table, whichever it is, is described with its
    example rows, and the shared part before it is the same for each question."""
    tables = _tables([(4, 3, 30, None)] * 40)
    budget = count("\n\n".join(t.render(False) for t in tables)) * 2
    assert count("\n\n".join(t.render(True) for t in tables)) > budget
    schemas = [render_schema("g", tables, count, budget, question=f"How many rows has t{i}?") for i in (3, 17, 39)]
    assert len({schema.shared for schema in schemas}) == 1 and schemas[0].shared
    for i, schema in zip((3, 17, 39), schemas):
        part = schema.text[len(schema.shared) :]
        assert f"SELECT * FROM t{i} LIMIT" in part and f"t{i}" not in schema.examples_omitted
        assert "SELECT * FROM" not in schema.shared


def test_a_table_the_shared_part_lacks_is_described_for_the_question_that_names_it():
    """More tables than the shared part holds: one it left out is described, CREATE statement and all, for a
    question naming it, and only for such a question."""
    tables = _tables([(6, 0, 0, None)] * 60)
    budget = count("\n\n".join(t.render(False) for t in tables)) // 2
    unnamed = render_schema("g", tables, count, budget, question="How many rows are there?")
    left_out = unnamed.omitted_tables[-1]
    assert f"CREATE TABLE {left_out} (" not in unnamed.text
    named = render_schema("g", tables, count, budget, question=f"How many rows has {left_out}?")
    assert named.shared == unnamed.shared
    assert f"CREATE TABLE {left_out} (" in named.text[len(named.shared) :]
    assert left_out in named.tables and left_out not in named.omitted_tables


def test_the_saved_prefix_of_a_cut_schema_is_its_shared_part():
    """sql_prefix marks the shared part (the backend saves the state after it) and it starts the prompt's schema;
    a schema that fits is shared up to its question, as before; one cut for its question alone, not at all."""
    tables = _tables([(4, 3, 30, None)] * 40)
    budget = count("\n\n".join(t.render(False) for t in tables)) * 2
    schema = render_schema("g", tables, count, budget, question="How many rows has t5?")
    assert sql_prefix(schema) == schema.shared and not schema.fixed
    assert sql_messages(schema, "How many rows has t5?", ())[1]["content"].startswith(schema.shared)
    whole = render_schema("g", tables, count, 10**9, question="How many rows has t5?")
    assert whole.fixed and sql_prefix(whole).startswith(whole.text) and sql_prefix(whole).endswith("Question:")
    wide = _tables([(400, 0, 0, None), (400, 0, 0, None)])
    alone = render_schema("g", wide, count, 300, question="c0_1")
    assert alone.shared == "" and sql_prefix(alone) == ""
