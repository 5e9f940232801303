"""The schema for the prompt: layout, quoting, what is hidden, and what a budget keeps and records."""

import asyncio
import sqlite3

import pytest
import sqlite_utils
from datasette.app import Datasette
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datasette_llm.ask.schema import rank_tables, render_schema
from datasette_llm.ask.schema_tables import load_tables
from datasette_llm.sql.names import quote_name


def count(text):
    return (len(text) + 3) // 4


@pytest.fixture
def wide_db(tmp_path):
    """120 filler tables plus customers <- invoices -> employees, a table called "order" and long cells."""
    path = tmp_path / "wide.db"
    db = sqlite_utils.Database(path)
    for i in range(120):
        db[f"filler_{i:03d}"].insert({"id": 1, "alpha": "a", "beta": "b", "gamma": "g"}, pk="id")
    db["customers"].insert_all([{"id": 1, "name": "Ana", "bio": "x" * 5000}], pk="id")
    db["employees"].insert({"id": 1, "name": "Eve"}, pk="id")
    db["invoices"].insert(
        {"id": 1, "customer_id": 1, "employee_id": 1, "total": 9.5},
        pk="id",
        foreign_keys=[("customer_id", "customers", "id"), ("employee_id", "employees", "id")],
    )
    db["order"].insert({"id": 1, "group": "g", "select": 2}, pk="id")
    db["docs"].insert({"id": 1, "body": "hello"}, pk="id")
    db["docs"].enable_fts(["body"])
    db.close()
    return Datasette([str(path)])


def test_keywords_and_odd_names_are_quoted():
    assert quote_name("customers") == "customers"
    assert quote_name("order") == '"order"' and quote_name("Group") == '"Group"'
    assert quote_name("my table") == '"my table"' and quote_name('a"b') == '"a""b"'


@pytest.mark.asyncio
async def test_layout_examples_clipping_and_hidden_tables(wide_db):
    tables = await load_tables(wide_db, "wide", None)
    names = [t.name for t in tables]
    assert "order" in names and "customers" in names and "docs" in names
    assert not any(n.startswith("docs_") for n in names)  # FTS shadow tables are left out
    schema = render_schema("wide", tables, count, 10**9)
    assert schema.notes == () and schema.omitted_tables == ()
    assert 'SELECT * FROM "order" LIMIT 3;' in schema.text
    customers = next(t for t in tables if t.name == "customers").render()
    assert "/*\n1 example rows:\nSELECT * FROM customers LIMIT 3;\nid\tname\tbio\n1\tAna\t" in customers
    assert "x" * 60 + "…" in customers and "x" * 61 not in customers
    assert 'REFERENCES "customers"("id")' in next(t for t in tables if t.name == "invoices").render()


@pytest.mark.asyncio
async def test_fitting_schema_does_not_depend_on_the_question(wide_db):
    tables = await load_tables(wide_db, "wide", None)
    first = render_schema("wide", tables, count, 10**9, question="How many invoices?")
    second = render_schema("wide", tables, count, 10**9, question="Who is the oldest employee?")
    assert first.text == second.text


@pytest.mark.asyncio
async def test_over_budget_keeps_relevant_tables_and_their_neighbours_and_says_what_was_left_out(wide_db):
    tables = await load_tables(wide_db, "wide", None)
    budget = 600
    schema = render_schema("wide", tables, count, budget, question="What is the total of all invoices?")
    assert count(schema.text) <= budget
    assert {"invoices", "customers", "employees"} <= set(schema.tables)
    assert len(schema.omitted_tables) >= 90 and all(
        n.startswith("filler_") or n in ("docs", "order") for n in schema.omitted_tables
    )
    assert any(f"{len(schema.omitted_tables)} of {len(tables)} tables left out" in n for n in schema.notes)
    assert set(schema.tables) | set(schema.omitted_tables) == {t.name for t in tables}


@pytest.mark.asyncio
async def test_hidden_tables_never_reach_the_prompt(wide_db):
    ds = Datasette(
        [str(wide_db.databases["wide"].path)],
        metadata={"databases": {"wide": {"tables": {"customers": {"allow": {"id": "admin"}}}}}},
    )
    anonymous = [t.name for t in await load_tables(ds, "wide", None)]
    admin = [t.name for t in await load_tables(ds, "wide", {"id": "admin"})]
    assert "customers" not in anonymous and "customers" in admin


# -- what is hidden changes nothing the actor is shown ------------------------------------------------------------

_NAME_WORDS = ["age", "owner", "text", "check", "integer", "notes", "id", "city", "pk_cats", "payroll", "cats_x"]
# Names SQLite tells from the visible ones and str.lower() did not (SQLite folds ASCII letters only): `élan` beside
# a visible `Élan`, `kelvin` beside a visible column `\u212aelvin` (KELVIN SIGN); an outside tester, session 23.
_UNICODE_TWINS = ["élan", "kelvin", "ñotes"]


@st.composite
def _hidden_pair(draw):
    """(the visible table's CREATE statement, hidden table names): the hidden names are drawn from the words of that
    statement (its columns, types, keywords, a constraint's and a referenced table's names) and others."""
    table = draw(st.sampled_from(["cats", "Élan"]))
    columns = draw(
        st.lists(
            st.sampled_from(["age", "owner", "city", "name", "notes", "\u212aelvin", "Ñotes"]), min_size=1, unique=True
        )
    )
    kind = draw(st.sampled_from(["integer", "text", "varchar(20)", ""]))
    parts = ["id integer primary key"] + [f'"{column}" {kind}'.strip() for column in columns]
    if draw(st.booleans()):
        parts.append(f"check ({columns[0]} <> '{draw(st.sampled_from(['', 'secret']))}')")  # a hidden column's name
    if draw(st.booleans()):
        parts.append(f"constraint {draw(st.sampled_from(['pk_cats', 'owner', 'payroll']))} unique (id)")
    target = draw(st.sampled_from([None, "owner", "payroll", "people", *_UNICODE_TWINS]))
    if target:
        parts.append(f'foreign key ("{columns[0]}") references "{target}"(id)')
    comment = draw(st.sampled_from(["", " -- see payroll", " /* age */"]))
    create = f'create table "{table}" ({", ".join(parts)}){comment}'
    hidden = draw(st.lists(st.sampled_from(_NAME_WORDS + _UNICODE_TWINS), min_size=1, max_size=4, unique=True))
    return create, [name for name in hidden if name not in ("id",)], table


def _world(path, create: str, hidden: list[str], table: str = "cats") -> Datasette:
    conn = sqlite3.connect(path)
    conn.execute(create)
    conn.execute(f'insert into "{table}" (id) values (1)')
    for name in hidden:
        conn.execute(f'create table "{name}" (id integer primary key, secret text)')
    conn.commit()
    conn.close()
    deny = {name: {"allow": {"id": "admin"}} for name in hidden}
    return Datasette([str(path)], metadata={"databases": {"w": {"tables": deny}}})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pair=_hidden_pair())
def test_the_prompt_schema_is_the_same_whatever_hidden_tables_exist(tmp_path_factory, pair):
    """Differential: one database without and one with hidden tables named like words of the visible table's
    CREATE statement; an actor who may not see them is shown the same tables, text and keys (a hidden table named
    like a visible column once made the CREATE statement rebuilt from its columns: outside tester, session 22)."""
    create, hidden, table = pair
    folder = tmp_path_factory.mktemp("pair")

    async def described(name, names):
        ds = _world(folder / name / "w.db", create, names, table)
        return [(t.name, t.create_sql, t.foreign_keys, t.columns) for t in await load_tables(ds, "w", None)]

    (folder / "plain").mkdir()
    (folder / "hidden").mkdir()
    plain = asyncio.run(described("plain", []))
    with_hidden = asyncio.run(described("hidden", hidden))
    assert plain == with_hidden
    assert [name for name, *_ in plain] == [table]


@pytest.mark.asyncio
async def test_a_create_statement_with_a_name_nobody_may_see_is_rebuilt_from_its_columns(tmp_path):
    """Shown as written when every word is a keyword, type or visible name (a constraint's name aside); rebuilt,
    with only visible keys, when it names anything else, hidden or missing alike."""
    ds = _world(
        tmp_path / "w.db", "create table cats (id integer primary key, age integer, constraint pk_x unique (id))", []
    )
    (cats,) = await load_tables(ds, "w", None)
    assert cats.create_sql == "CREATE TABLE cats (id integer primary key, age integer, constraint pk_x unique (id))"
    for create in (
        "create table cats (id integer primary key, age integer references payroll(id))",
        "create table cats (id integer primary key, -- payroll\n age integer)",
    ):
        for hidden in ([], ["payroll"]):
            folder = tmp_path / f"{len(hidden)}-{'--' in create}"
            folder.mkdir()
            ds = _world(folder / "w.db", create, hidden)
            (cats,) = await load_tables(ds, "w", None)
            assert cats.create_sql == "CREATE TABLE cats (id INTEGER PRIMARY KEY, age INTEGER)"
            assert cats.foreign_keys == ()


def _linear_fit(tables, count_tokens, budget, ranked):
    """What render_schema chose before session 28 (the text counted again after each drop): the oracle."""

    def text_of(chosen, with_examples):
        return "\n\n".join(t.render(t.name in with_examples) for t in chosen)

    chosen = list(ranked)
    with_examples = {t.name for t in chosen}
    for t in reversed(ranked):
        if count_tokens(text_of(chosen, with_examples)) <= budget:
            break
        with_examples.discard(t.name)
    while len(chosen) > 1 and count_tokens(text_of(chosen, with_examples)) > budget:
        chosen.pop()
    return {t.name for t in chosen}, with_examples & {t.name for t in chosen}


def _generated_tables(draw_sizes):
    from datasette_llm.ask.schema_tables import TableSchema

    tables = []
    for i, (columns, rows, width) in enumerate(draw_sizes):
        names = tuple(f"c{j}" for j in range(columns))
        foreign = ((names[0], f"t{i - 1}", "c0"),) if i and columns > 1 and i % 3 == 0 else ()
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


_COUNTERS = {
    "chars/4": count,
    "words": lambda text: len(text.split()),
    "bytes/3, rounded per line": lambda text: sum((len(line.encode()) + 2) // 3 for line in text.splitlines()),
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sizes=st.lists(st.tuples(st.integers(1, 6), st.integers(0, 3), st.integers(0, 70)), min_size=1, max_size=40),
    budget=st.integers(0, 3_000),
    counter=st.sampled_from(sorted(_COUNTERS)),
    question=st.sampled_from(["", "c0 of t3", "t1 t2 and c4", "nothing here"]),
)
def test_a_budget_keeps_what_dropping_one_at_a_time_kept(sizes, budget, counter, question):
    """Differential: the tables and example rows kept are those of the linear definition (drop the least
    relevant example rows one at a time until the text fits, then the least relevant tables), for generated
    schemas, budgets and token counters, where the schema is cut for its question alone (since session 60, when
    no shared part can be kept beside what the question needs most)."""
    tables = _generated_tables(sizes)
    count_tokens = _COUNTERS[counter]
    schema = render_schema("g", tables, count_tokens, budget, question=question)
    if count_tokens("\n\n".join(t.render(True) for t in tables)) <= budget:
        assert schema.tables == tuple(t.name for t in tables)
        return
    if schema.shared:  # cut in a shared part and the question's: test_a_cut_schema_shares_its_start.py
        return
    ranked = rank_tables(tables, question)
    kept, with_examples = _linear_fit(tables, count_tokens, budget, ranked)
    assert set(schema.tables) == kept
    assert set(schema.examples_omitted) == kept - with_examples


def test_fitting_a_schema_of_thousands_of_tables_reads_its_text_a_few_times():
    """Counting the whole text again after each dropped table was quadratic: 1,000 tables took 388 s of the
    default model's tokenizer in every question (session 28). What is tokenized in all is now a few times the
    whole text, whatever the number of tables."""
    for n in (40, 2_000):
        tables = _generated_tables([(4, 2, 10)] * n)
        whole = len("\n\n".join(t.render(True) for t in tables))
        calls = []

        def counting(text, calls=calls):
            calls.append(len(text))
            return count(text)

        budget = (whole // 4) // 20  # a twentieth of the whole text's tokens
        schema = render_schema("g", tables, counting, budget, question="c1 of t5")
        assert count(schema.text) <= budget and 0 < len(schema.tables) < n
        assert sum(calls) <= 6 * whole, (n, sum(calls) / whole, len(calls))


@pytest.mark.parametrize("seed", range(4))
def test_example_rows_show_what_the_whole_rows_clipped_show(tmp_path, seed):
    """Example rows are cut by SQLite to what they show (three rows of megabytes were read whole for every
    question, session 28). Differential: the rendered rows equal the whole rows read with `select *` and clipped
    in Python, for generated cells (long, astral, control characters, blobs, numbers, NULL)."""
    import random

    from datasette_llm.ask.schema_tables import EXAMPLE_CELL_CHARS, _table_details, clip_cell

    rng = random.Random(seed)

    def value():
        kind = rng.randrange(7)
        if kind == 0:
            return None
        if kind == 1:
            return rng.randrange(-(10**15), 10**15)
        if kind == 2:
            return rng.random()
        if kind == 3:
            return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300)))
        alphabet = "ab \n\t\r" + "é😀" * (kind == 4)
        return "".join(rng.choice(alphabet) for _ in range(rng.choice([0, 59, 60, 61, 62, 5_000])))

    conn = sqlite3.connect(tmp_path / "g.db")
    conn.execute('create table t (id integer primary key, "a b" text, c, "select" blob)')
    conn.execute('create view v as select c, "a b" from t')
    for _ in range(3):
        conn.execute("insert into t values (null, ?, ?, ?)", [value(), value(), value()])
    for name in ("t", "v"):
        table = _table_details(conn, name, name == "v")
        whole = conn.execute(f'select * from "{name}" limit 3').fetchall()
        expected = [[clip_cell(cell, EXAMPLE_CELL_CHARS) for cell in row] for row in whole]
        assert [[clip_cell(cell, EXAMPLE_CELL_CHARS) for cell in row] for row in table.example_rows] == expected


def test_example_rows_of_megabytes_are_not_held(tmp_path):
    import tracemalloc

    from datasette_llm.ask.schema_tables import _table_details

    conn = sqlite3.connect(tmp_path / "big.db")
    conn.execute("create table t (id integer primary key, body text, picture blob)")
    for _ in range(3):
        conn.execute("insert into t values (null, ?, zeroblob(3000000))", ["x" * 3_000_000])
    _table_details(conn, "t", False)
    tracemalloc.start()
    table = _table_details(conn, "t", False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert table.example_rows[0][2] == "<3000000 bytes>" and len(table.example_rows[0][1]) == 61
    assert peak < 1_000_000, peak  # the rows are 18 MB


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), st.sampled_from(["a", "b"]), st.integers(0, 9)),
        st.tuples(st.just("update"), st.sampled_from(["a", "b"]), st.integers(0, 9)),
        st.tuples(st.just("delete"), st.sampled_from(["a", "b"]), st.integers(0, 9)),
        st.tuples(st.just("view"), st.sampled_from(["a", "b"]), st.integers(0, 9)),
        st.tuples(st.just("column"), st.sampled_from(["a", "b"]), st.integers(0, 9)),
        st.tuples(st.just("ask"), st.sampled_from([None, {"id": "root"}]), st.integers(0, 0)),
    ),
    min_size=1,
    max_size=12,
)


def _write(path, operation, step):
    kind, table, value = operation
    with sqlite3.connect(path) as conn:  # another connection, as a writer beside Datasette would be
        if kind == "insert":
            conn.execute(f"insert into {table} (v) values (?)", [f"{table}{value}-{step}"])
        elif kind == "update":
            conn.execute(f"update {table} set v = ? where rowid = (select min(rowid) from {table})", [f"u{value}"])
        elif kind == "delete":
            conn.execute(f"delete from {table} where rowid = (select min(rowid) from {table})")
        elif kind == "view":
            conn.execute("drop view if exists latest")
            conn.execute(f"create view latest as select * from {table} order by rowid desc limit {value}")
        elif kind == "column":
            conn.execute(f"alter table {table} add column c{step} integer default {value}")
    conn.close()


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(operations=OPERATIONS)
def test_tables_read_again_only_when_the_database_changed_are_what_a_fresh_read_gives(tmp_path_factory, operations):
    """Differential: after every write by another connection (rows, a view, a column), the tables Ask describes
    through one Datasette, which keeps what it read, equal those a new Datasette reads from scratch; for an
    anonymous actor and for root, who also sees the table `secret`."""
    path = tmp_path_factory.mktemp("changing") / "changing.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "create table a (v text); create table b (v text); create table secret (v text);"
            "insert into a values ('a0'); insert into secret values ('s0');"
        )
    conn.close()
    metadata = {"databases": {"changing": {"tables": {"secret": {"allow": {"id": "root"}}}}}}
    kept = Datasette([str(path)], metadata=metadata, settings={"num_sql_threads": 1})

    async def run():
        for step, operation in enumerate(operations):
            actors = [operation[1]] if operation[0] == "ask" else [None, {"id": "root"}]
            if operation[0] != "ask":
                _write(path, operation, step)
            fresh = Datasette([str(path)], metadata=metadata, settings={"num_sql_threads": 1})
            for actor in actors:
                assert await load_tables(kept, "changing", actor) == await load_tables(fresh, "changing", actor)
            getattr(fresh, "close", lambda: None)()  # (Datasette 1.0 has close(); 0.65 closes nothing)

    asyncio.run(run())


@pytest.mark.asyncio
async def test_a_view_is_not_run_again_for_each_question(tmp_path, monkeypatch):
    from datasette_llm.ask import schema_tables

    path = tmp_path / "views.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "create table t (v int); insert into t values (1), (2); create view totals as select sum(v) s from t"
        )
    conn.close()
    calls = []
    original = schema_tables._table_details
    monkeypatch.setattr(
        schema_tables, "_table_details", lambda conn, name, *rest: calls.append(name) or original(conn, name, *rest)
    )
    ds = Datasette([str(path)], settings={"num_sql_threads": 1})
    first = await load_tables(ds, "views", None)
    assert sorted(calls) == ["t", "totals"]
    assert await load_tables(ds, "views", None) == first and len(calls) == 2  # nothing read again
    with sqlite3.connect(path) as conn:
        conn.execute("insert into t values (40)")
    conn.close()
    again = await load_tables(ds, "views", None)
    assert len(calls) == 4 and [t.example_rows for t in again] == [((1,), (2,), (40,)), ((43,),)]


@pytest.mark.parametrize(
    "body",
    [
        "select i from n where i < 0",  # scans for ever, yields nothing
        "select i from n order by i desc",  # sorts an endless set (temporary files grow without end)
        "select json_group_array(i) as a from n",  # aggregates an endless set (memory grows without end)
    ],
)
def test_a_view_that_never_finishes_shows_no_example_rows_in_time(tmp_path, body):
    """A view's example rows were read with no time limit: the first question held for ever (an outside tester,
    session 36). They are read within EXAMPLE_ROWS_MS; such a view is described without rows."""
    import time

    from datasette_llm.ask.schema_tables import _table_details

    limit_ms = 200  # EXAMPLE_ROWS_MS

    conn = sqlite3.connect(tmp_path / "v.db")
    conn.execute(f"create view v as with recursive n(i) as (select 1 union all select i + 1 from n) {body}")
    started = time.monotonic()
    table = _table_details(conn, "v", True)
    assert time.monotonic() - started < limit_ms / 1000 + 1
    assert table.example_rows == () and table.columns in (("i",), ("a",))
