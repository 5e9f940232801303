"""A schema over its budget keeps first the table a question names outright.

Session 57 found that a question naming `table_1` ranked `table_number_1` above it: the words "of" and "1" of
the question counted as shared with `table_number_1`'s columns `c_1`, `c_2`... Generated schemas here mix names
that hold each other's words and digits, columns that share words and digits with the question; the oracle
needs no ranking of its own: the name, written out in the question, is the one table that must come first.
"""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datasette_llm.ask.schema import rank_tables, render_schema
from datasette_llm.ask.schema_tables import TableSchema

WORDS = ("table", "number", "order", "item", "city", "price", "data", "log", "of", "the")
TEMPLATES = (
    "How many rows are in {}?",
    "Show 1 row of {}",
    "What is the largest value of 2 in the {} table?",
    "list everything of {} by 1",
)


def _name(words, digit):
    return "_".join(words) + (f"_{digit}" if digit is not None else "")


names = st.tuples(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=3), st.one_of(st.none(), st.integers(0, 3))
).map(lambda t: _name(*t))


def _table(name, columns):
    return TableSchema(
        name=name,
        columns=columns,
        create_sql=f"CREATE TABLE {name} ({', '.join(columns)})",
        example_rows=(),
    )


def _written_in(name, question):
    said = " " + " ".join("".join(c if c.isalnum() else " " for c in question.lower()).split()) + " "
    return f" {name.replace('_', ' ')} " in said


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    table_names=st.lists(names, min_size=2, max_size=12, unique=True),
    column_words=st.lists(st.sampled_from(WORDS + tuple(string.digits[:4])), max_size=40),
    target=st.integers(0, 11),
    template=st.sampled_from(TEMPLATES),
    spaced=st.booleans(),
)
def test_the_table_a_question_names_is_kept_before_the_others(table_names, column_words, target, template, spaced):
    target_name = table_names[target % len(table_names)]
    if set(target_name.split("_")) <= {"of", "the"}:
        return  # a table called `of` or `the_of` is "named" by nearly every question: none counts as named
    question = template.format(target_name.replace("_", " ") if spaced else target_name)
    # The target is named outright; a name written out in full in the question by accident as well
    # (`order` in "the order_item") is a named table too, and the longer name counts first.
    named_too = [n for n in table_names if n != target_name and _written_in(n, question)]
    if any(len(n.split("_")) >= len(target_name.split("_")) for n in named_too):
        return
    columns = {n: tuple(f"c{i}_{w}" for i, w in enumerate(column_words)) or ("id",) for n in table_names}
    # Every other table is wider than the target and shares more of the question's words through its columns.
    tables = [_table(n, columns[n] if n != target_name else ("id",)) for n in table_names]

    ranked = rank_tables(tables, question)
    assert ranked[0].name == target_name, [t.name for t in ranked]

    def count(text):
        return len(text)

    budget = count(tables[table_names.index(target_name)].render())
    schema = render_schema("g", tables, count, budget, question=question)
    assert schema.tables == (target_name,)


def test_table_1_is_kept_before_table_number_1():
    """Session 57's case, as it was seen."""
    wide = tuple(f"c_{i}" for i in range(30))
    tables = [_table("table_number_1", wide), _table("table_1", ("id", "value"))]
    assert rank_tables(tables, "How many rows of table_1 have a value of 1?")[0].name == "table_1"
