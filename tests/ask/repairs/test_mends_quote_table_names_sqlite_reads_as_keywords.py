"""A mend that writes a table's name or alias writes it so SQLite reads it as a name: `"order".id`, not
`order.id`, which is a syntax error in SQL the model never wrote (an outside tester, session 56: the ambiguous-column
and outer-aggregate mends wrote keyword-named tables bare, and a JOIN relinked through an alias `"select"` failed the
guard, so a cross join ran without a word). Oracle: SQLite itself, for every keyword SQLite lists and plain words."""

import sqlite3

import pytest

from datasette_llm.ask.repairs.sql_fix import fix_ambiguous
from datasette_llm.sql.join_links import column_ref, name_node

pytestmark = pytest.mark.no_datasette

# SQLite's keywords (https://sqlite.org/lang_keywords.html), and names that are no keyword
KEYWORDS = """abort action add after all alter always analyze and as asc attach autoincrement before begin between by
cascade case cast check collate column commit conflict constraint create cross current current_date current_time
current_timestamp database default deferrable deferred delete desc detach distinct do drop each else end escape
except exclude exclusive exists explain fail filter first following for foreign from full generated glob group groups
having if ignore immediate in index indexed initially inner insert instead intersect into is isnull join key last
left like limit match materialized natural no not nothing notnull null nulls of offset on or order others outer over
partition plan pragma preceding primary query raise range recursive references regexp reindex release rename replace
restrict returning right rollback row rows savepoint select set table temp temporary then ties to transaction trigger
unbounded union unique update using vacuum values view virtual when where window with without""".split()
PLAIN = ["owners", "T1", "_x", "Order2", "café", "two words", 'say "hi"', "1st"]


@pytest.mark.parametrize("name", KEYWORDS + [k.upper() for k in KEYWORDS[:20]] + PLAIN)
def test_sqlite_reads_every_name_a_mend_writes_as_that_name(name):
    written = column_ref(name, "a").sql(dialect="sqlite")
    quoted = '"' + name.replace('"', '""') + '"'
    conn = sqlite3.connect(":memory:")
    try:
        assert conn.execute(f"select {written} from (select 7 as a) as {quoted}").fetchall() == [(7,)], written
    finally:
        conn.close()


def test_plain_names_stay_bare():
    assert [name_node(n).sql(dialect="sqlite") for n in ("owners", "T1", "key", "action")] == [
        "owners",
        "T1",
        "key",
        "action",
    ]


@pytest.mark.parametrize("table", ["order", "group", "select", "values", "limit", "table"])
def test_the_ambiguous_column_mend_runs_on_a_keyword_named_table(table):
    conn = sqlite3.connect(":memory:")
    conn.execute(f'create table "{table}" (id integer primary key, name text)')
    conn.execute("create table b (id integer primary key, x text)")
    conn.execute(f"insert into \"{table}\" values (1, 'one')")
    conn.execute("insert into b values (1, 'p')")
    sql = f'SELECT id, name FROM "{table}" JOIN b ON "{table}".id = b.id'
    mended = fix_ambiguous(sql, "id", {table: ("id", "name"), "b": ("id", "x")})
    assert mended is not None
    assert conn.execute(mended[0]).fetchall() == [(1, "one")], mended[0]
    conn.close()
