"""The one read policy (datasette_llm/sql/policy.py): both walls agree on it, and each wall holds on its own.

The guard is checked against the authorizer entry by entry (functions, table-valued pragmas and their
arguments, tables), and every attack class of issue 15 is run past the authorizer alone (no guard), so a guard
bug cannot be what keeps it out.
"""

from __future__ import annotations

import asyncio
import sqlite3
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sql_helpers import FakeDatabase

from datasette_llm.ask.schema_tables import _table_details
from datasette_llm.sql.authorizer import make_authorizer, read_policy
from datasette_llm.sql.execute import run_select
from datasette_llm.sql.failures import QueryFailed
from datasette_llm.sql.functions import FORBIDDEN_FUNCTIONS
from datasette_llm.sql.guard import check_select
from datasette_llm.sql.policy import (
    ALLOWED_FUNCTIONS,
    MAX_RESULT_COLUMNS,
    MAX_VALUE_BYTES,
    PRAGMA_ARGUMENT,
    ReadPolicy,
)
from datasette_llm.sql.results import GuardedSQL, SchemaInfo

DDL = """
create table pub (id integer primary key, name text, sid integer references secret(id));
create table dogs (id integer primary key, name text, owner text);
create index dogs_name on dogs(name);
create table secret (id integer primary key, pw text);
create index secret_pw on secret(pw);
create table pub_secret (id integer, v text);
create virtual table dogs_fts using fts5(name, content=dogs, content_rowid=id);
create view dogs_view as select id, name from dogs;
create view secret_view as select * from secret;
insert into pub values (1, 'a', 1), (2, 'b', 2);
insert into dogs values (1, 'Rex', 'Ann'), (2, 'Fido', 'Bob');
insert into dogs_fts(rowid, name) select id, name from dogs;
insert into secret values (1, 'hunter2'), (2, 'swordfish');
insert into pub_secret values (1, 'LEAK');
"""
VISIBLE = {"pub", "dogs", "dogs_fts", "dogs_view", "secret_view"}


@pytest.fixture(scope="module")
def conn():
    connection = sqlite3.connect(":memory:", check_same_thread=False)
    connection.executescript(DDL)
    return connection


@pytest.fixture(scope="module")
def policy(conn) -> ReadPolicy:
    return ReadPolicy.from_connection(conn, VISIBLE)


@pytest.fixture(scope="module")
def schema(conn) -> SchemaInfo:
    return SchemaInfo.from_connection(conn, include=VISIBLE)


def guard_accepts(sql: str, schema: SchemaInfo) -> bool:
    return isinstance(check_select(sql, schema), GuardedSQL)


def run(conn, sql: str, allowed=VISIBLE):
    return asyncio.run(
        run_select(FakeDatabase(conn), sql, allowed_tables=set(allowed), max_rows=100, time_limit_ms=2000)
    )


# -- the policy itself ---------------------------------------------------------------------------------------


def test_policy_reads_shadow_tables_and_indexes_from_the_schema(policy):
    assert policy.shadow_tables == {"dogs_fts_data", "dogs_fts_idx", "dogs_fts_docsize", "dogs_fts_config"}
    assert "pub_secret" not in policy.shadow_tables  # a name prefix is not a shadow table
    assert policy.indexes == {"dogs_name"}
    assert "pub" not in policy.closed_keys  # pub references the hidden secret table
    assert {"dogs", "dogs_fts"} <= policy.closed_keys


def test_a_view_over_a_hidden_table_is_not_readable(policy, schema):
    assert policy.may_read("dogs_view")
    assert not policy.may_read("secret_view")
    assert "secret_view" not in schema.tables


# -- the two walls agree ---------------------------------------------------------------------------------------


def _function_names(conn) -> set[str]:
    builtin = {row[0] for row in conn.execute("select name from pragma_function_list")}
    return {name for name in builtin | set(ALLOWED_FUNCTIONS) | set(FORBIDDEN_FUNCTIONS) if name.isidentifier()}


def test_guard_and_authorizer_agree_on_every_function(conn, policy, schema):
    authorize = make_authorizer(policy)
    disagreements, unparsed = [], []
    for name in sorted(_function_names(conn)):
        by_authorizer = authorize(sqlite3.SQLITE_FUNCTION, None, name, None, None) == sqlite3.SQLITE_OK
        verdicts = [
            check_select(f"select {name}({args}) from dogs", schema)
            for args in ("", "name", "name, 1", "name, 1, 2", "name, 1, 2, 3", "'x'", "'x', 1")
        ]
        if not any(isinstance(v, GuardedSQL) or v.kind == "forbidden_function" for v in verdicts):
            unparsed.append(name)
            continue
        by_guard = any(isinstance(v, GuardedSQL) for v in verdicts)
        if by_guard != by_authorizer:
            disagreements.append((name, by_guard, by_authorizer))
    assert disagreements == []
    assert unparsed == ["match"]  # sqlglot reads match(...) as a column; x MATCH 'q' is the form SQL uses


@pytest.mark.parametrize("pragma", sorted(PRAGMA_ARGUMENT))
@pytest.mark.parametrize(
    "argument",
    [
        "dogs",
        "pub",
        "secret",
        "pub_secret",
        "dogs_name",
        "secret_pw",
        "nothing",
        "dogs_view",
        "secret_view",
        "dogs_fts_data",
    ],
)
def test_guard_and_authorizer_agree_on_every_pragma_argument(pragma, argument, policy, schema):
    authorize = make_authorizer(policy)
    by_authorizer = authorize(sqlite3.SQLITE_PRAGMA, pragma, argument, None, None) == sqlite3.SQLITE_OK
    assert guard_accepts(f"select * from pragma_{pragma}('{argument}')", schema) == by_authorizer


def test_guard_and_authorizer_agree_on_every_stored_table(conn, policy, schema):
    authorize = make_authorizer(policy)
    for (name,) in conn.execute("select name from sqlite_master where type in ('table', 'view')"):
        quoted = '"' + name.replace('"', '""') + '"'
        by_guard = guard_accepts(f"select * from {quoted}", schema)
        by_authorizer = authorize(sqlite3.SQLITE_READ, name, "id", "main", None) == sqlite3.SQLITE_OK
        # The guard is stricter in one place only: shadow tables are read by their FTS table, not by queries.
        assert by_guard == (by_authorizer and name.lower() not in policy.shadow_tables), name
        if name.lower() in ("secret", "pub_secret", "secret_view"):
            assert not by_guard and not by_authorizer


# -- every class of issue 15, past the authorizer alone ----------------------------------------------------------

ATTACKS = [
    # 1. a CTE named like the hidden table in one scope, the real table in another; a prefix-named table
    "select * from (with secret as (select 1 as id) select * from secret), secret",
    "with secret as (select 1) select * from (select * from main.secret)",
    "with dogs_view as (select * from secret) select * from dogs_view",
    "select * from pub_secret",
    # 2. existence and row counts
    "select count(*) from secret",
    "select exists(select 1 from secret)",
    "select count(*) from secret indexed by secret_pw",
    "select count(*) from secret_view",
    # 3. a table named by a string literal
    "select 1 from dogs where 1 in 'secret'",
    "select * from 'secret'",
    # 4. hidden schema through pragma functions
    "select * from pragma_index_info('secret_pw')",
    "select * from pragma_foreign_key_list('pub')",
    "select * from pragma_table_info('secret')",
    "select p.* from dogs, pragma_table_info(dogs.owner || 'x') p",
    "select * from pragma_table_info((select 'sec' || 'ret'))",
    "select count(*) from sqlite_master",
    "select name from sqlite_master",
]


@pytest.mark.parametrize("sql", ATTACKS)
def test_the_authorizer_alone_refuses_every_attack(conn, sql):
    conn.execute("update dogs set owner = 'secr' where id = 1")
    try:
        rows = run(conn, sql).rows
    except QueryFailed as error:
        assert "secret" not in str(error).lower().replace(sql.lower(), "")
        return
    raise AssertionError(f"ran: {rows}")


@pytest.mark.parametrize("sql", ATTACKS)
def test_the_guard_refuses_every_attack(schema, sql):
    assert not guard_accepts(sql, schema)


def test_refusals_do_not_name_what_was_refused(conn):
    with pytest.raises(QueryFailed) as hidden:
        run(conn, "select pw from secret")
    with pytest.raises(QueryFailed) as missing:
        run(conn, "select pw from no_such_table")
    assert str(hidden.value) == str(missing.value)


def test_visible_reads_still_work_past_the_authorizer(conn):
    assert run(conn, "select count(*) from dogs").rows == ((2,),)
    assert run(conn, "select name from dogs_fts where dogs_fts match 'rex'").rows == (("Rex",),)
    assert run(conn, "select count(*) from dogs_view").rows == ((2,),)
    assert run(
        conn, "with recursive c(n) as (select 1 union all select n + 1 from c where n < 5) select count(*) from c"
    ).rows == ((5,),)
    assert run(conn, "select name from pragma_table_info('dogs')").rows == (("id",), ("name",), ("owner",))


# -- bounds ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "select randomblob(1000000000)",
        "select hex(zeroblob(600000))",
        "select length(group_concat(hex(randomblob(1000)))) from (with recursive r(i) as "
        "(select 1 union all select i + 1 from r where i < 2000) select i from r)",
    ],
)
def test_no_value_may_exceed_the_length_limit(conn, sql):
    with pytest.raises(QueryFailed, match="longer than"):
        run(conn, sql)
    # ...and the connection's own limit is restored for Datasette's queries
    assert conn.getlimit(sqlite3.SQLITE_LIMIT_LENGTH) > MAX_VALUE_BYTES


def test_long_cells_are_clipped_as_they_are_fetched(conn):
    result = run(conn, "select hex(zeroblob(200000))")
    assert len(result.rows[0][0]) < 110_000 and result.clipped_cells == 1


def test_a_select_may_not_return_too_many_columns(schema):
    wide = "select " + ", ".join(["name"] * (MAX_RESULT_COLUMNS + 1)) + " from dogs"
    assert not guard_accepts(wide, schema)
    assert guard_accepts("select " + ", ".join(["name"] * MAX_RESULT_COLUMNS) + " from dogs", schema)


# -- prompts ------------------------------------------------------------------------------------------------------


def test_a_visible_tables_reference_to_a_hidden_one_never_reaches_the_schema_text(conn):
    described = _table_details(conn, "pub", False, frozenset(n.lower() for n in VISIBLE))
    assert "secret" not in described.create_sql.lower()
    assert described.foreign_keys == ()
    assert described.columns == ("id", "name", "sid")


def test_read_policy_is_cached_until_the_schema_changes(conn):
    db = FakeDatabase(conn)
    first = read_policy(conn, db, VISIBLE)
    assert read_policy(conn, db, VISIBLE) is first
    conn.execute("create table later (x)")
    try:
        assert read_policy(conn, db, VISIBLE) is not first
    finally:
        conn.execute("drop table later")


def test_a_stored_table_named_like_a_table_function_is_a_table(tmp_path):
    connection = sqlite3.connect(":memory:", check_same_thread=False)
    connection.executescript(
        "create table dogs (id); create table json_each (secret); insert into json_each values ('LEAK')"
    )
    with pytest.raises(QueryFailed):
        run(connection, "select * from json_each", allowed={"dogs"})
    assert run(connection, "select count(*) from dogs", allowed={"dogs"}).rows == ((0,),)


@pytest.mark.parametrize(
    "sql, accepted",
    [
        ("select printf('%.*c', 1000000000, 'x')", False),
        ("select printf('%1000000c', 'x')", False),
        ("select format('%.2000000f', 1.5)", False),
        ("select printf(name, 1) from dogs", False),
        ("select printf('%.2f and %5d%%', 1.5, 3)", True),
        ("select format('%s-%s', name, id) from dogs", True),
    ],
)
def test_printf_formats_are_literal_and_small(schema, sql, accepted):
    assert guard_accepts(sql, schema) == accepted


@pytest.mark.parametrize(
    "sql, accepted",
    [
        ("select trim(name) from dogs", True),
        ("select trim(name, ' .') from dogs", True),
        ("select ltrim(name, 'x'), rtrim(name, '0') from dogs", True),
        ("select trim(name, name) from dogs", False),
        ("select ltrim(name, 'b' || 'a') from dogs", False),
        ("select rtrim(name, (select name from dogs)) from dogs", False),
        ("select \"TRIM\"(name, replace(hex(zeroblob(10000)), '0', 'b')) from dogs", False),
        ("select trim(name, '" + "x" * 101 + "') from dogs", False),
    ],
)
def test_the_characters_trim_removes_are_a_short_literal(schema, sql, accepted):
    """An outside tester's generated SQL (session 35): trim(X, Y) tests X's ends against every character of Y in
    one call SQLite cannot interrupt; 100,000 characters against a computed set of 20,000 took 3.8 s, and the
    length limit allows 1,000,000 against 500,000."""
    assert guard_accepts(sql, schema) == accepted


@pytest.mark.parametrize(
    "sql, accepted",
    [
        ("select instr(name, 'x'), replace(name, 'R', 'r') from dogs", True),
        ("select instr(name, name) from dogs", True),
        ("select replace(name, char(10) || ' ', ' ') from dogs", True),
        ("select instr(upper(name), upper(name)) from dogs", True),
        ("select replace(name, 'x', name) from dogs", True),  # the replacement: bounded by the length limit
        ("with r(x) as (select 1) select instr(name, 'x') from dogs", True),
        ("select instr(name, replace(hex(zeroblob(250000)), '0', 'a')) from dogs", False),
        ("select replace(name, substr(name, 1, 2), '') from dogs", False),
        ("select instr(name, (select name from dogs limit 1)) from dogs", False),
        (
            "with recursive r(s) as (select 'a' union all select s || s from r limit 20) "
            "select instr(name, s) from dogs, r",
            False,
        ),
        ("select instr(d.name, d.name) from (select name from dogs) d", False),
        ("select instr(name, value) from dogs, json_each('[1]')", False),
        ('select "INSTR"(name, hex(name)) from dogs', False),
    ],
)
def test_the_text_instr_and_replace_look_for_is_short_by_construction(schema, sql, accepted):
    """An outside tester's generated SQL (session 35): instr() and replace() compare the text to find at every
    position, in one call SQLite cannot interrupt; a computed needle of 500,000 characters in 1,000,000 took
    3.4-3.6 s, past a 1 s time limit."""
    assert guard_accepts(sql, schema) == accepted


@pytest.mark.asyncio
async def test_listings_leave_out_a_view_that_reads_a_hidden_table(tmp_path):
    from datasette.app import Datasette

    path = tmp_path / "data.db"
    with sqlite3.connect(path) as connection:
        connection.executescript(DDL)
    tables = {name: {"allow": False} for name in ("secret", "pub_secret")}
    ds = Datasette([str(path)], metadata={"databases": {"data": {"tables": tables}}})
    listed = await ds.client.get("/-/llm/schema.json?database=data")
    names = {table["name"] for table in listed.json()["databases"][0]["tables"]}
    assert "dogs_view" in names and "dogs" in names
    assert "secret_view" not in names and "secret" not in names


CTE_NAMED_LIKE_HIDDEN = [
    "with secret as (select 1 as c) select count(*) from secret",
    "with secret as (select 'a' as c) select exists (select 1 from secret) as e",
    "select (with secret as (select 1 as n) select count(*) from secret) as n",
    "with secret_view as (select 1 as c) select count(*) from secret_view",
]


@pytest.mark.parametrize("sql", CTE_NAMED_LIKE_HIDDEN)
def test_a_cte_named_like_a_hidden_table_answers_as_if_no_such_table_existed(conn, sql):
    assert run(conn, sql).rows == run(conn, sql.replace("secret", "nothing_here")).rows == ((1,),)


def test_a_hidden_virtual_tables_rows_are_not_counted(tmp_path):
    connection = sqlite3.connect(":memory:", check_same_thread=False)
    connection.executescript(
        "create table dogs (id); create virtual table hidden_fts using fts5(x); "
        "insert into hidden_fts values ('LEAK'), ('LEAK2')"
    )
    for sql in ("select count(*) from hidden_fts", "select exists (select 1 from hidden_fts)"):
        with pytest.raises(QueryFailed):
            run(connection, sql, allowed={"dogs"})
    assert run(connection, "with hidden_fts as (select 1) select count(*) from hidden_fts", allowed={"dogs"}).rows == (
        (1,),
    )


# -- names as SQLite compares them ---------------------------------------------------------------------------------

_TWINS = [("Élan", "élan"), ("\u212aelvin", "kelvin"), ("Straße", "strasse"), ("İd", "i\u0307d")]


@settings(max_examples=300, deadline=None)
@given(
    first=st.text(alphabet="aAzZéÉßẞıIİi\u212akK\u0307_", min_size=1, max_size=4),
    second=st.text(alphabet="aAzZéÉßẞıIİi\u212akK\u0307_", min_size=1, max_size=4),
)
def test_fold_calls_two_names_one_exactly_when_sqlite_does(first, second):
    """The oracle is SQLite itself: a second table whose name SQLite takes for the first one's cannot be created.
    str.lower() called `Élan` and `élan` one name, where SQLite keeps two tables (an outside tester, session 23)."""
    from datasette_llm.sql.names import fold

    conn = sqlite3.connect(":memory:")
    conn.execute(f'create table "{first}" (x)')
    try:
        conn.execute(f'create table "{second}" (x)')
        same = False
    except sqlite3.OperationalError as error:
        assert "already exists" in str(error)
        same = True
    assert (fold(first) == fold(second)) == same


@pytest.mark.parametrize(("visible", "hidden"), _TWINS)
def test_a_hidden_table_named_like_a_visible_one_but_for_a_non_ascii_case_stays_hidden(tmp_path, visible, hidden):
    """SQLite folds ASCII letters only: `élan` is another table than `Élan`, and neither wall may read it for an
    actor who may see `Élan` (an outside tester read its rows through Ask, session 23)."""
    conn = sqlite3.connect(tmp_path / "twins.db", check_same_thread=False)
    conn.execute(f'create table "{visible}" (id integer primary key, label text)')
    conn.execute(f'create table "{hidden}" (id integer primary key, label text)')
    conn.execute(f"insert into \"{visible}\" values (1, 'public')")
    conn.execute(f"insert into \"{hidden}\" values (1, 'TOPSECRET')")
    conn.commit()
    policy = ReadPolicy.from_connection(conn, [visible])
    assert policy.may_read(visible) and not policy.may_read(hidden)
    schema = SchemaInfo.from_connection(conn, include=[visible])
    assert list(schema.tables) == [visible]
    assert not isinstance(check_select(f'select label from "{hidden}"', schema, allowed_tables={visible}), GuardedSQL)
    with pytest.raises(QueryFailed):
        run(conn, f'select label from "{hidden}"', allowed=[visible])
    shouted = visible.translate(str.maketrans(string.ascii_lowercase, string.ascii_uppercase))  # SQLite's own case
    assert run(conn, f'select label from "{shouted}"', allowed=[visible]).rows == (("public",),)
    conn.close()


def test_only_tables_sqlite_calls_shadow_tables_are_read_for_a_visible_table(tmp_path):
    """An outside tester (session 23): `USING fts5` in an ordinary visible table's DEFAULT made a hidden
    `notes_content` a shadow table the authorizer let through, and a view over it read its rows."""
    conn = sqlite3.connect(tmp_path / "fake.db", check_same_thread=False)
    conn.executescript(
        """
        create table notes (id integer primary key, body text default 'USING fts5');
        create table notes_content (id integer primary key, secret text);
        insert into notes_content values (1, 'TOPSECRET');
        create view v as select secret from notes_content;
        create virtual table real_fts using fts5(body);
        """
    )
    policy = ReadPolicy.from_connection(conn, ["notes", "v", "real_fts"])
    assert "notes_content" not in policy.shadow_tables and "real_fts_content" in policy.shadow_tables
    assert not policy.may_read("v")  # a view over a hidden table
    with pytest.raises(QueryFailed):
        run(conn, "select * from v", allowed=["notes", "v", "real_fts"])
    conn.close()


@pytest.mark.parametrize("content", ["content=''", "content='docs'", "content=docs, content_rowid=id"])
def test_an_fts_table_with_its_content_elsewhere_has_no_content_table_of_its_own(tmp_path, content):
    """An outside tester (session 23): SQLite's `pragma table_list` calls any `<fts>_content` a shadow table, so
    a hidden `notes_content` beside a contentless or external-content `notes` was read as one."""
    conn = sqlite3.connect(tmp_path / "content.db", check_same_thread=False)
    conn.executescript(
        f"""
        create table docs (id integer primary key, body text);
        create virtual table notes using fts5(body, {content});
        create table notes_content (id integer primary key, secret text);
        insert into notes_content values (1, 'TOPSECRET');
        """
    )
    policy = ReadPolicy.from_connection(conn, ["docs", "notes"])
    assert "notes_content" not in policy.shadow_tables and "notes_data" in policy.shadow_tables
    with pytest.raises(QueryFailed):
        run(conn, "select secret from notes_content", allowed=["docs", "notes"])
    conn.close()


def test_content_inside_another_options_value_keeps_the_content_table(tmp_path):
    """The fourth outside tester (session 23): `content=` inside the tokenize option's value took the visible FTS
    table's own content table away, and its queries failed."""
    conn = sqlite3.connect(tmp_path / "tokenize.db", check_same_thread=False)
    conn.execute("create virtual table notes using fts5(body, tokenize = \"unicode61 tokenchars 'content='\")")
    conn.execute("insert into notes (body) values ('hello world')")
    conn.commit()
    policy = ReadPolicy.from_connection(conn, ["notes"])
    assert "notes_content" in policy.shadow_tables
    assert run(conn, "select body from notes where notes match 'hello'", allowed=["notes"]).rows == (("hello world",),)
    conn.close()


# -- functions someone else defined ------------------------------------------------------------------------------


def _connection_with_foreign_functions(names):
    """A connection as another plugin's prepare_connection leaves it: a Python function under each of `names`."""
    connection = sqlite3.connect(":memory:", check_same_thread=False)
    connection.executescript(DDL)
    for name in names:
        connection.create_function(name, -1, lambda *args: "FOREIGN")
        connection.create_function(name, 2, lambda *args: 1)  # REGEXP calls regexp(pattern, text)
    return connection


def test_no_function_another_plugin_defines_is_called():
    """Generated, not guessed: every name on the allow-list, defined again by "another plugin" on the connection,
    is refused by the authorizer, whether SQLite has its own (a Python `lower` over SQLite's) or not (`regexp`,
    `median`: an outside tester's plugin REGEXP held a request 64 s, its `median` read /etc/hostname; session
    26). The plugin's own functions stay callable; so does every function nobody else touched."""
    from datasette_llm.sql.policy import PLUGIN_FUNCTIONS, sqlite_functions

    names = sorted(name for name in ALLOWED_FUNCTIONS if name.isidentifier() and name not in PLUGIN_FUNCTIONS)
    half = set(names[::2])
    connection = _connection_with_foreign_functions(half)
    policy = ReadPolicy.from_connection(connection, VISIBLE)
    authorize = make_authorizer(policy)
    allowed = {name for name in names if authorize(sqlite3.SQLITE_FUNCTION, None, name, None, None) == 0}
    assert allowed & half == set()
    assert allowed == (set(names) - half) & sqlite_functions()
    assert all(policy.may_call(name) for name in PLUGIN_FUNCTIONS)


def test_a_foreign_regexp_or_median_never_runs(schema):
    connection = _connection_with_foreign_functions({"regexp", "median", "lower"})
    for sql in (
        "select name from dogs where name regexp 'R'",
        "select median(id) from dogs",
        "select lower(name) from dogs",
    ):
        with pytest.raises(QueryFailed):
            run(connection, sql)
    assert run(connection, "select upper(name) from dogs order by id").rows == (("REX",), ("FIDO",))
    # SQLite 3.40 has neither: the guard refuses them as it refuses any unknown function
    for sql in (
        "select name from dogs where name regexp 'R'",
        "select median(id) from dogs",
        "select string_agg(name, ',') from dogs",  # parsed as group_concat, called by its written name
        "select \"string_agg\"(name, ',') from dogs",
    ):
        verdict = check_select(sql, schema)
        assert not isinstance(verdict, GuardedSQL) and verdict.kind == "forbidden_function", verdict


@pytest.mark.parametrize("spelling", ["natsort", "NATSORT", '"natsort"', "'natsort'", "[natsort]", "`natsort`"])
def test_only_sqlites_own_collations(spelling, schema):
    """A collation runs code for every comparison and SQLite's authorizer never sees one: another plugin's Python
    collation ran 61 s past the time limit through the query API (a second outside tester, session 26)."""
    for sql in (
        f"select name from dogs order by name collate {spelling}",
        f"select name from dogs where name = 'a' collate {spelling}",
        f"select min(name collate {spelling}) from dogs",
    ):
        verdict = check_select(sql, schema)
        assert not isinstance(verdict, GuardedSQL) and verdict.kind in ("forbidden_function", "parse_error"), sql
    for builtin in ("binary", "NOCASE", '"rtrim"'):
        assert isinstance(check_select(f"select name from dogs order by name collate {builtin}", schema), GuardedSQL)


def test_views_that_take_seconds_to_compile_are_unreadable_and_read_once(tmp_path):
    """A chain of 30 views that each join the one before twice (a 600-byte schema) takes SQLite time that doubles
    with each view to compile, outside any time limit, and `pragma table_list` compiles every view: every surface
    that works out what a view reads hung for ever (an outside tester, session 36). A view that takes too long is
    unreadable, the views of a schema are compiled once for every actor, and shadow tables come from the schema."""
    import time

    conn = sqlite3.connect(tmp_path / "chain.db")
    conn.executescript(
        "create table t (id integer primary key, v text); create view v0 as select * from t;"
        + "".join(f"create view v{i} as select a.* from v{i - 1} a join v{i - 1} b using (id);" for i in range(1, 30))
        + "create virtual table f using fts5(v);"
    )
    visible = {"t", "f", *(f"v{i}" for i in range(30))}
    started = time.monotonic()
    chain = ReadPolicy.from_connection(conn, visible)
    took = time.monotonic() - started
    assert took < 5, took
    assert {"t", "v0", "v1", "v2", "f"} <= chain.tables and "v29" not in chain.tables
    assert {"f_data", "f_idx", "f_content", "f_docsize", "f_config"} <= chain.shadow_tables
    started = time.monotonic()
    again = ReadPolicy.from_connection(conn, visible - {"t"})  # another actor: the views' reads are known
    assert time.monotonic() - started < 0.5 and "v0" not in again.tables


@pytest.mark.parametrize(
    "create",
    [
        "create virtual table notes_fts using fts5(body)",
        'create virtual table notes_fts using "fts5"(body)',
        "create virtual table notes_fts using [fts5](body)",
        "create virtual table notes_fts /* a note */ using -- why\n `fts5`(body)",
        'create virtual table "notes_fts" using/**/fts5(body)',
    ],
)
def test_shadow_tables_whatever_way_the_module_is_written(tmp_path, create):
    """`USING "fts5"` hid an FTS table's shadow tables from the schema's reading, so on Datasette 1.0 (which shows
    shadow tables to no one) an admin no longer counted as seeing every table (an outside tester, session 36)."""
    from datasette_llm.sql.policy import shadow_table_names

    conn = sqlite3.connect(tmp_path / "fts.db")
    conn.execute(create)
    assert shadow_table_names(conn) == {f"notes_fts_{s}" for s in ("data", "idx", "content", "docsize", "config")}
    assert ReadPolicy.from_connection(conn, {"notes_fts"}).shadow_tables == shadow_table_names(conn)


def test_views_that_flatten_into_copies_are_stopped_by_the_memory_budget_and_verdicts_repeat(tmp_path):
    """Views that each compute `a+a+a+a` from the one before take SQLite memory, not authorizer calls, to compile:
    11 of them took 4 GB and 5 s (the second tester of session 36). They compile under the statements' memory
    budget. And the verdicts are counted in calls, not seconds, for every view in the schema's order, so they are
    the same every time (a verdict in time listed 315, 360 and 359 of 401 views on three starts)."""
    import time
    from types import SimpleNamespace

    from datasette_llm.sql import policy as policies
    from datasette_llm.sql.memory import memory_used

    path = tmp_path / "flat.db"
    conn = sqlite3.connect(path)
    conn.execute("create table t (a integer)")
    conn.execute("create view v0 as select a from t")
    for i in range(1, 12):
        conn.execute(f"create view v{i} as select a+a+a+a as a from v{i - 1}")
    conn.execute("create view plain as select a from t")
    conn.commit()
    visible = {"t", "plain", *(f"v{i}" for i in range(12))}
    started = time.monotonic()
    built = read_policy(conn, SimpleNamespace(name="flat", path=str(path)), visible)
    assert time.monotonic() - started < 5
    assert {"t", "plain", "v0", "v1", "v2"} <= built.tables
    if memory_used() is not None:
        assert "v11" not in built.tables
    from datasette_llm.sql import authorizer

    policies._VIEW_READS.clear()
    authorizer._POLICIES.clear()
    again = read_policy(conn, SimpleNamespace(name="flat", path=str(path)), visible)
    assert again.tables == built.tables  # worked out again from nothing: the same verdicts
