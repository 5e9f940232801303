"""Tests for the SQL guard (datasette_llm.sql): hostile SQL, Spider gold SQL, properties, extraction."""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datasette_llm.errors import SQLRejected
from datasette_llm.sql.functions import ALLOWED_PRAGMA_FUNCTIONS, FORBIDDEN_FUNCTIONS
from datasette_llm.sql.guard import check_select, validate_select
from datasette_llm.sql.join_links import Link
from datasette_llm.sql.policy import ReadPolicy
from datasette_llm.sql.replies import close_fence, extract_sql, statement_written
from datasette_llm.sql.results import REJECTION_KINDS, GuardedSQL, Rejection, SchemaInfo, SQLRejectedError

try:
    from .hostile_sql import HOSTILE_SQL
except ImportError:  # tests/ is not a package
    from hostile_sql import HOSTILE_SQL

SPIDER = Path(__file__).resolve().parent.parent.parent.parent / "shared" / "eval" / "spider"

FIXTURE_DDL = """
create table owners (id integer primary key, name text, city text);
create table dogs (id integer primary key, name text, age integer,
                   owner_id integer references owners(id));
create table "my table" (id integer primary key, "Name With Space" text);
create table "my.table" (id integer primary key, value real);
insert into owners values (1, 'Ann', 'Leeds'), (2, 'Bob', 'York'), (3, 'Cy', 'Hull');
insert into dogs values (1, 'Rex', 3, 1), (2, 'Fido', 5, 2), (3, 'Bo', 1, 2), (4, 'Max', 7, null);
insert into "my table" values (1, 'first'), (2, 'second');
insert into "my.table" values (1, 1.5), (2, 2.5);
"""

SCHEMA = SchemaInfo(
    tables={
        "owners": ("id", "name", "city"),
        "dogs": ("id", "name", "age", "owner_id"),
        "my table": ("id", "Name With Space"),
        "my.table": ("id", "value"),
    },
    policy=ReadPolicy(
        tables=frozenset({"owners", "dogs", "my table", "my.table"}),
        indexes=frozenset({"sqlite_autoindex_dogs_1"}),
        closed_keys=frozenset({"owners", "dogs", "my table", "my.table"}),
    ),
)


@pytest.fixture(autouse=True)
def _quiet_sqlglot():
    # sqlglot logs a warning whenever it falls back to an opaque Command: expected here.
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("guard") / "fixture.db"
    conn = sqlite3.connect(path)
    conn.executescript(FIXTURE_DDL)
    conn.commit()
    conn.close()
    return path


def read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------------


def test_schema_from_connection_matches_fixture(fixture_db):
    conn = read_only(fixture_db)
    conn.execute("create temp view dog_names as select name from dogs")  # temp: not listed
    schema = SchemaInfo.from_connection(conn)
    assert schema.tables == SCHEMA.tables
    assert schema.views == frozenset()


def test_schema_from_connection_include_and_views():
    conn = sqlite3.connect(":memory:")
    conn.executescript(FIXTURE_DDL + "create view dog_names as select name as dog from dogs;")
    schema = SchemaInfo.from_connection(conn, include={"dogs", "DOG_NAMES"})
    assert schema.tables == {"dog_names": ("dog",), "dogs": ("id", "name", "age", "owner_id")}
    assert schema.views == {"dog_names"}
    assert isinstance(validate_select("select dog from dog_names", schema), GuardedSQL)
    # Views have no rowid.
    assert check_select("select rowid from dog_names", schema).kind == "unknown_column"
    assert isinstance(check_select("select rowid, oid, _rowid_ from dogs", schema), GuardedSQL)


def test_allowed_pragmas_are_a_subset_of_datasettes():
    # Never broader than Datasette's own SQL page; narrower on purpose: database_list names files, and the
    # remaining ones describe one object that the policy checks against the actor's visible tables.
    datasette_utils = pytest.importorskip("datasette.utils")
    expected = {f"pragma_{name}" for name in datasette_utils.allowed_pragmas}
    assert expected >= ALLOWED_PRAGMA_FUNCTIONS
    assert "pragma_database_list" not in ALLOWED_PRAGMA_FUNCTIONS


# --------------------------------------------------------------------------------------------
# Hostile corpus
# --------------------------------------------------------------------------------------------


def test_hostile_corpus_is_big_and_well_formed():
    assert len(HOSTILE_SQL) >= 220
    assert {kind for _, _, kind in HOSTILE_SQL} <= set(REJECTION_KINDS)
    categories = Counter(category for category, _, _ in HOSTILE_SQL)
    assert len(categories) >= 15


@pytest.mark.parametrize(
    "category, sql, kind",
    HOSTILE_SQL,
    ids=[f"{i:03d}-{category}" for i, (category, _, _) in enumerate(HOSTILE_SQL)],
)
def test_hostile_sql_is_rejected(category, sql, kind):
    result = check_select(sql, SCHEMA)
    assert isinstance(result, Rejection), f"accepted: {result.sql!r}"
    assert result.kind == kind, result.reason
    assert result.reason
    with pytest.raises(SQLRejectedError) as raised:
        validate_select(sql, SCHEMA)
    assert raised.value.rejection == result


# --------------------------------------------------------------------------------------------
# Accepted SQL
# --------------------------------------------------------------------------------------------

GOOD_SQL = [
    "select * from dogs",
    "SELECT name, age FROM dogs WHERE age > 2 ORDER BY age DESC",
    "select d.name, o.name from dogs d join owners o on d.owner_id = o.id",
    "select dogs.name, owners.city from dogs left join owners on owners.id = dogs.owner_id",
    'select * from "my table"',
    'select "Name With Space" from "my table"',
    "select [Name With Space] from [my table]",
    "select `Name With Space` from `my table`",
    'select value from "my.table" where value > 2',
    'select t.value from "my.table" as t',
    "select * from main.dogs",
    "select main.dogs.name from main.dogs",
    "select rowid, oid, _rowid_, * from dogs",
    "select d.* from dogs d",
    "select NAME, Age from DOGS",
    "select name, count(*) as n from dogs group by name having n > 0 order by n desc",
    "select age * 2 as double_age from dogs where double_age > 4",
    "select name from dogs union select name from owners order by name",
    "select name from dogs intersect select name from owners",
    "select name from dogs except select name from owners",
    "select name from dogs union all select city from owners limit 3",
    "with old as (select * from dogs where age > 3) select name from old",
    "with x(n) as (select name from dogs) select n from x",
    "with a as (select id from owners), b as (select * from a) select id from b",
    "with recursive r(n) as (select 1 union all select n + 1 from r where n < 5) select n from r",
    "select * from (select name as nm, age from dogs) s where s.nm like 'R%'",
    "select name from dogs where owner_id in (select id from owners where city = 'York')",
    "select name from dogs d where exists (select 1 from owners o where o.id = d.owner_id)",
    "select name from dogs where owner_id = (select max(id) from owners)",
    "select (select count(*) from owners) as owners_count",
    "select count(distinct owner_id), avg(age), max(age) from dogs",
    "select name, rank() over (order by age desc) from dogs",
    "select name, sum(age) over w from dogs window w as (partition by owner_id)",
    "select case when age > 3 then 'old' else 'young' end as band from dogs",
    "select coalesce(owner_id, 0), ifnull(name, '?'), cast(age as text) from dogs",
    "select strftime('%Y', 'now'), date('now'), upper(name) from dogs",
    "select name from dogs where name glob 'R*' or name like '%o%' escape '\\'",
    "select name from dogs where age between 1 and 5",
    "select name from dogs where name is not null and age is not 3",
    "select json_extract('{\"a\": 1}', '$.a')",
    "select key, value from json_each('[1, 2]')",
    "select j.value from dogs, json_each('[1]') as j",
    "select * from pragma_table_info('dogs')",
    "select name from pragma_table_info('dogs') where pk = 1",
    "select * from pragma_index_list('dogs')",
    "select * from pragma_foreign_key_list('dogs')",
    "select 1",
    "select 1 + 1 as two",
    "select x'00ff', 1e3, 0x10, -1, null, true",
    "select * from dogs limit 2 offset 1",
    "select * from dogs limit 1, 2",
    "select * from dogs limit 100000",
    "select * from dogs;",
    "select * from dogs; ;",
    "select * from dogs -- a comment; drop table dogs",
    "/* leading comment */ select * from dogs",
    "select /* inline ; comment */ name from dogs",
    "  \n select name\n   from dogs\n  where age > 1\n",
    "select 'it''s; fine' as s, 'a\\' as backslash",
    'select * from dogs where name = "Rex"',
    'select * from dogs where name in ("Rex", "Bo") and name != "x"',
    'select count(*) from owners where city like "%or%"',
    "select * from dogs order by 1 desc, 2",
    "select distinct owner_id from dogs",
    "select dogs.name as dog, owners.name as owner from dogs, owners where dogs.owner_id = owners.id",
    "select * from dogs natural join owners",
    "select * from dogs join owners using (id)",
    "select * from dogs cross join owners",
    "select name collate nocase from dogs order by name collate nocase",
    "select * from dogs indexed by sqlite_autoindex_dogs_1",
    "select * from dogs not indexed",
    "select typeof(age), length(name), substr(name, 1, 2), replace(name, 'R', 'r') from dogs",
    "select group_concat(name, ', ') from dogs",
    "select printf('%d dogs', count(*)) from dogs",
    "select iif(age > 3, 'old', 'young') from dogs",
    "select sqlite_version()",
]


@pytest.mark.parametrize("sql", GOOD_SQL)
def test_good_sql_is_accepted_and_runs(sql, fixture_db):
    result = check_select(sql, SCHEMA)
    assert isinstance(result, GuardedSQL), result.reason
    conn = read_only(fixture_db)
    try:
        conn.execute(result.sql).fetchall()
    except sqlite3.OperationalError as error:
        # The guard does not know which indexes exist; everything else must run.
        assert "no such index" in str(error)


def test_result_lists_real_tables_in_order():
    result = validate_select("select * from DOGS d join owners o on d.owner_id = o.id", SCHEMA)
    assert result.tables == ("dogs", "owners")
    assert validate_select("with x as (select 1) select * from x", SCHEMA).tables == ()
    assert validate_select('select * from "MY.TABLE"', SCHEMA).tables == ("my.table",)


# --------------------------------------------------------------------------------------------
# LIMIT handling
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql, expected",
    [
        ("select * from dogs", "select * from dogs LIMIT 1000"),
        ("select * from dogs;", "select * from dogs LIMIT 1000"),
        ("select * from dogs; ; -- bye", "select * from dogs LIMIT 1000"),
        ("select * from dogs -- trailing comment", "select * from dogs LIMIT 1000"),
        ("select * from dogs /* c */\n", "select * from dogs LIMIT 1000"),
        (
            "select name from dogs union select name from owners order by 1",
            "select name from dogs union select name from owners order by 1 LIMIT 1000",
        ),
        (
            "with x as (select * from dogs limit 2) select * from x",
            "with x as (select * from dogs limit 2) select * from x LIMIT 1000",
        ),
        (
            "select * from dogs where id in (select id from dogs limit 1)",
            "select * from dogs where id in (select id from dogs limit 1) LIMIT 1000",
        ),
    ],
)
def test_limit_is_appended(sql, expected, fixture_db):
    result = validate_select(sql, SCHEMA)
    assert result.sql == expected
    assert result.limit_added
    read_only(fixture_db).execute(result.sql).fetchall()


@pytest.mark.parametrize(
    "sql",
    [
        "select * from dogs limit 2",
        "select * from dogs limit 5000",
        "select * from dogs limit -1",
        "select * from dogs limit 2 offset 1",
        "select name from dogs union select name from owners limit 2",
    ],
)
def test_existing_limit_is_kept(sql):
    result = validate_select(sql, SCHEMA)
    assert result.sql == sql
    assert not result.limit_added


def test_limit_caps_rows(fixture_db):
    result = validate_select("select * from dogs, owners", SCHEMA, max_rows=5)
    assert result.sql.endswith("LIMIT 5")
    assert len(read_only(fixture_db).execute(result.sql).fetchall()) == 5


def test_formatting_is_kept():
    sql = "SELECT name\n  FROM dogs\n WHERE age > 1\n ORDER BY name LIMIT 3"
    assert validate_select(sql, SCHEMA).sql == sql


def test_double_quoted_values_become_strings(fixture_db):
    result = validate_select('select * from dogs where name = "Rex"', SCHEMA)
    assert result.sql == "select * from dogs where name = 'Rex' LIMIT 1000"
    tricky = validate_select('select * from dogs where name = "a\'; drop table dogs; --" limit 1', SCHEMA)
    assert tricky.sql == "select * from dogs where name = 'a''; drop table dogs; --' limit 1"
    assert not tricky.limit_added
    assert read_only(fixture_db).execute(tricky.sql).fetchall() == []
    # A double-quoted name that is a column stays a column.
    assert validate_select('select * from dogs where "name" = "Rex" limit 1', SCHEMA).sql == (
        "select * from dogs where \"name\" = 'Rex' limit 1"
    )


# --------------------------------------------------------------------------------------------
# Rejection content
# --------------------------------------------------------------------------------------------


def test_unknown_column_suggests_close_names():
    rejection = check_select("select nmae from dogs", SCHEMA)
    assert rejection.kind == "unknown_column"
    assert rejection.identifier == "nmae"
    assert rejection.suggestions[0] == "name"
    assert "dogs.name" in rejection.suggestions
    assert rejection.reason == 'no such column "nmae" in table "dogs"'


def test_unknown_column_suggestions_span_joined_tables():
    rejection = check_select("select nmae from dogs d join owners o on d.owner_id = o.id", SCHEMA)
    assert rejection.suggestions[:3] == ("name", "d.name", "o.name")
    qualified = check_select("select o.citty from dogs d join owners o on 1", SCHEMA)
    assert qualified.identifier == "o.citty"
    assert qualified.suggestions == ("city", "o.city")
    assert check_select('select "Name with spaces" from "my table"', SCHEMA).suggestions[0] == ("Name With Space")


def test_unknown_column_names_the_tables_that_hold_it():
    rejection = check_select("select city from dogs", SCHEMA)
    assert rejection.reason == (
        'no such column "city" in table "dogs"; "city" is a column of owners (join it through the foreign keys)'
    )
    qualified = check_select("select d.CITY from dogs d", SCHEMA)
    assert '"CITY" is a column of owners' in qualified.reason
    assert isinstance(check_select("select city from dogs join owners on 0", SCHEMA), GuardedSQL)
    hidden = check_select("select city from dogs", SCHEMA, allowed_tables={"dogs"})
    assert "owners" not in hidden.reason  # tables the actor may not use are never named


def test_unknown_column_hint_writes_the_join_with_the_querys_aliases():
    links = (Link("dogs", "owner_id", "owners", "id"), Link("owners", "id", "clubs", "owner_id"))
    schema = SchemaInfo(tables={**SCHEMA.tables, "clubs": ("owner_id", "club")}, links=links)
    assert check_select("select d.city from dogs d", schema).reason == (
        'no such column "city" in table "dogs"; "city" is a column of owners: add JOIN owners ON d.owner_id = owners.id'
    )
    assert check_select("select club from dogs", schema).reason.endswith(
        '"club" is a column of clubs: add JOIN owners ON dogs.owner_id = owners.id '
        "JOIN clubs ON owners.id = clubs.owner_id"
    )


def test_unknown_column_case_insensitive_suggestion():
    rejection = check_select("select AGEE from dogs", SCHEMA)
    assert rejection.suggestions[0] == "age"


def test_unknown_table_suggests_close_names():
    rejection = check_select("select * from dog", SCHEMA)
    assert rejection.kind == "unknown_table"
    assert rejection.identifier == "dog"
    assert rejection.suggestions == ("dogs",)
    assert check_select("select * from Owner", SCHEMA).suggestions == ("owners",)
    assert check_select("select * from mytable", SCHEMA).suggestions[0] in ("my table", "my.table")


def test_allowed_tables_hides_other_tables():
    allowed = {"dogs"}
    rejection = check_select("select * from owners", SCHEMA, allowed_tables=allowed)
    # Exactly what it says for a table that does not exist at all.
    assert rejection == check_select("select * from owners", SchemaInfo({"dogs": ("id",)}))
    assert rejection.kind == "unknown_table"
    assert rejection.reason == 'no such table "owners"'
    assert rejection.suggestions == ()
    near = check_select("select * from owner", SCHEMA, allowed_tables=allowed)
    assert near.kind == "unknown_table"
    assert near.suggestions == ()
    assert "owners" not in near.reason
    assert isinstance(check_select("select * from dogs", SCHEMA, allowed_tables=allowed), GuardedSQL)
    # A hidden table cannot be reached through a join, a subquery or a CTE either.
    for sql in (
        "select * from dogs join owners on 1",
        "select * from dogs where owner_id in (select id from owners)",
        "with x as (select * from owners) select * from x",
        "select * from main.owners",
    ):
        assert check_select(sql, SCHEMA, allowed_tables=allowed).kind == "unknown_table"
    dotted = check_select("select * from my.table", SCHEMA, allowed_tables=allowed)
    assert '"my.table"' not in dotted.reason
    assert dotted.suggestions == ()


def test_dotted_table_name_hint():
    rejection = check_select("select * from my.table", SCHEMA)
    assert rejection.kind == "forbidden_table"
    assert rejection.suggestions == ('"my.table"',)


def test_rejection_to_json_and_error():
    rejection = check_select("select nmae from dogs", SCHEMA)
    data = rejection.to_json()
    assert data == {
        "reason": rejection.reason,
        "kind": "unknown_column",
        "identifier": "nmae",
        "suggestions": list(rejection.suggestions),
    }
    json.dumps(data)
    with pytest.raises(SQLRejected) as raised:
        validate_select("select nmae from dogs", SCHEMA)
    error = raised.value
    assert isinstance(error, SQLRejectedError)
    assert error.status == 400
    assert error.message == rejection.reason
    assert error.details["kind"] == "unknown_column"
    assert error.details["suggestions"] == list(rejection.suggestions)
    assert error.to_json()["code"] == "sql_rejected"


def test_forbidden_function_names_the_function():
    rejection = check_select("select name, readfile('/etc/passwd') from dogs", SCHEMA)
    assert rejection.kind == "forbidden_function"
    assert rejection.identifier == "readfile"


def test_statement_kind_is_named():
    assert check_select("delete from dogs", SCHEMA).identifier == "DELETE"


@pytest.mark.parametrize(
    "value",
    [
        "(" * 3000 + "1" + ")" * 3000,
        "select " + " + ".join(["1"] * 3000),
        "select " + "'" * 10001,
        "\x00",
        "select * from dogs where name = '" + "\ud800" + "'",
        "select 1 " + "union select 1 " * 300,
    ],
)
def test_never_crashes(value):
    result = check_select(value, SCHEMA)
    assert isinstance(result, (Rejection, GuardedSQL))


def test_a_parse_error_reads_as_plain_text():
    # sqlglot underlines the unexpected token with terminal codes; they reached Ask's JSON error (outside tester)
    result = check_select("SELECT SUM(stock) FROM products WHERE category = 'x' - SUM(stock) FROM products", SCHEMA)
    assert result.kind == "parse_error" and "FROM" in result.reason
    assert not any(ord(c) < 32 or ord(c) == 127 for c in result.reason), repr(result.reason)


def test_non_string_input_is_rejected():
    assert check_select(None, SCHEMA).kind == "parse_error"  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Spider gold SQL
# --------------------------------------------------------------------------------------------


def _spider_cases() -> list[tuple[int, str, str]]:
    path = SPIDER / "dev.json"
    if not path.exists():
        return []
    return [(i, item["db_id"], item["query"]) for i, item in enumerate(json.loads(path.read_text()))]


SPIDER_CASES = _spider_cases()
_spider_schemas: dict[str, SchemaInfo] = {}


def _spider_connection(db_id: str) -> sqlite3.Connection:
    return read_only(SPIDER / "database" / db_id / f"{db_id}.sqlite")


@pytest.mark.skipif(not SPIDER_CASES, reason="Spider dev set not available")
def test_spider_gold_count():
    assert len(SPIDER_CASES) == 523


@pytest.mark.skipif(not SPIDER_CASES, reason="Spider dev set not available")
@pytest.mark.parametrize("index, db_id, gold", SPIDER_CASES, ids=[f"spider{i:03d}" for i, _, _ in SPIDER_CASES])
def test_spider_gold_is_accepted_and_returns_same_rows(index, db_id, gold):
    conn = _spider_connection(db_id)
    if db_id not in _spider_schemas:
        _spider_schemas[db_id] = SchemaInfo.from_connection(conn)
    result = check_select(gold, _spider_schemas[db_id], max_rows=1000)
    assert isinstance(result, GuardedSQL), result.to_json()
    expected = conn.execute(gold).fetchall()
    if result.limit_added:
        expected = expected[:1000]
    got = conn.execute(result.sql).fetchall()
    assert got == expected or sorted(map(repr, got)) == sorted(map(repr, expected))


# --------------------------------------------------------------------------------------------
# Property: anything accepted cannot change the database
# --------------------------------------------------------------------------------------------

# Mostly valid names, with a few wrong ones mixed in: the grammar should produce plenty of
# queries the guard accepts (those are the ones the property is about).
TABLE_COLUMNS = {
    "dogs": ["id", "name", "age", "owner_id", "rowid", "dogs.name", "d2.age"],
    "owners": ["id", "name", "city", "oid", "owners.city"],
    '"my table"': ['"Name With Space"', "id", '"my table".id'],
    '"my.table"': ["value", "id", '"my.table".value'],
}
WRONG_TABLES = ["sqlite_master", "cats", "temp.dogs"]
WRONG_COLUMNS = ["nmae", "breed", '"Name"', "x.id"]
FUNCTIONS = ["upper", "lower", "length", "abs", "typeof", "quote", "hex", "coalesce"] * 3 + [
    "load_extension", "readfile", "writefile", "edit", "fts3_tokenizer", "pragma_user_version",
]  # fmt: skip
LITERALS = ["1", "0", "-1", "'x'", '"Rex"', "NULL", "x'00'", "'a;b'", "'--'", "'/*'"]
OPERATORS = ["=", "<>", "<", ">=", "like", "glob", "is", "is not", "||", "+"]
JUNK = [";", "--", "/*", "*/", "'", '"', "[", "]", "`", "\n", " ", "drop table dogs",
        "delete from dogs", "attach 'x.db' as x", "pragma writable_schema=1", "vacuum",
        "insert into dogs default values", "returning *", "select", "from", "(", ")", ",",
        "\uff1b", "\u200b", "union select 1", "limit 1"]  # fmt: skip


@st.composite
def select_statements(draw) -> str:
    table = draw(st.sampled_from(sorted(TABLE_COLUMNS) * 5 + WRONG_TABLES))
    columns = TABLE_COLUMNS.get(table, ["id"]) * 4 + WRONG_COLUMNS
    column = st.sampled_from(columns)
    value = st.one_of(column, st.sampled_from(LITERALS))
    expression = st.one_of(
        value,
        st.builds(lambda f, v: f"{f}({v})", st.sampled_from(FUNCTIONS), value),
        st.builds(lambda a, op, b: f"{a} {op} {b}", value, st.sampled_from(OPERATORS), value),
    )
    projections = draw(st.lists(expression, min_size=1, max_size=3))
    alias = draw(st.sampled_from(["", " as d2"])) if table == "dogs" else ""
    sql = f"select {', '.join(projections)} from {table}{alias}"
    if draw(st.booleans()):
        sql += f" where {draw(expression)}"
    if draw(st.booleans()):
        sql += f" order by {draw(column)}"
    if draw(st.booleans()):
        sql += f" limit {draw(st.integers(-1, 5))}"
    wrapper = draw(st.sampled_from(["plain", "cte", "union", "subquery", "suffix"]))
    if wrapper == "cte":
        sql = f"with q as ({sql}) select * from q"
    elif wrapper == "union":
        sql = f"{sql} union all select {draw(expression)} from {table}"
    elif wrapper == "subquery":
        sql = f"select * from ({sql}) as s"
    elif wrapper == "suffix":
        sql = f"{sql}{draw(st.sampled_from(JUNK))}{draw(st.sampled_from(JUNK))}"
    return sql


@st.composite
def mutated_hostile(draw) -> str:
    sql = draw(st.sampled_from([sql for _, sql, _ in HOSTILE_SQL] + [sql for sql in GOOD_SQL]))
    for _ in range(draw(st.integers(1, 3))):
        position = draw(st.integers(0, len(sql)))
        action = draw(st.sampled_from(["insert", "delete", "upper"]))
        if action == "insert":
            sql = sql[:position] + draw(st.sampled_from(JUNK)) + sql[position:]
        elif action == "delete":
            sql = sql[:position] + sql[position + draw(st.integers(1, 8)) :]
        else:
            sql = sql.upper()
    return sql


ANY_SQL = st.one_of(
    select_statements(),
    mutated_hostile(),
    st.lists(st.sampled_from(JUNK + LITERALS + ["dogs", "name", "*"]), max_size=12).map(" ".join),
    st.text(max_size=60),
)


READ_ONLY_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE}


def _is_read_only_action(action: int, arg1, arg2) -> bool:
    if action in READ_ONLY_ACTIONS:
        return True
    if action == sqlite3.SQLITE_FUNCTION:
        return arg2.lower() not in FORBIDDEN_FUNCTIONS and not arg2.lower().startswith("pragma_")
    if action == sqlite3.SQLITE_PRAGMA:
        return f"pragma_{arg1}".lower() in ALLOWED_PRAGMA_FUNCTIONS
    # First use of an eponymous virtual table (json_each, pragma_*) registers it in the
    # in-memory schema, which the authorizer reports as an UPDATE of sqlite_master.
    return action == sqlite3.SQLITE_UPDATE and arg1 == "sqlite_master"


@pytest.fixture(scope="module")
def writable_db(tmp_path_factory, fixture_db) -> Path:
    path = tmp_path_factory.mktemp("writable") / "copy.db"
    path.write_bytes(fixture_db.read_bytes())
    return path


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(sql=ANY_SQL)
def test_accepted_sql_never_changes_the_database(sql, writable_db):
    before = sha256(writable_db)
    result = check_select(sql, SCHEMA, max_rows=50)
    if isinstance(result, Rejection):
        assert result.kind in REJECTION_KINDS
        return
    conn = sqlite3.connect(writable_db)  # read-write on purpose: the guard is the only defence
    steps = Counter()
    actions: list[tuple] = []

    def stop_runaway_queries() -> int:
        steps["n"] += 1
        return int(steps["n"] > 20_000)

    def record(action, arg1, arg2, database, trigger) -> int:
        actions.append((action, arg1, arg2))
        return sqlite3.SQLITE_OK

    conn.set_progress_handler(stop_runaway_queries, 100)
    conn.set_authorizer(record)
    try:
        try:
            conn.execute(result.sql).fetchmany(100)
        except sqlite3.Error:
            pass
        try:  # executescript would run every statement, if the guard let several through
            conn.executescript(result.sql)
        except sqlite3.Error:
            pass
        conn.commit()
        assert conn.total_changes == 0
    finally:
        conn.close()
    # SQLite's own account of what the statement does: reads and harmless functions only.
    assert [a for a in actions if not _is_read_only_action(*a)] == [], sql
    assert sha256(writable_db) == before, sql


# --------------------------------------------------------------------------------------------
# extract_sql
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("```sql\nSELECT name FROM dogs;\n```", "SELECT name FROM dogs"),
        (
            "Here is the query:\n```sql\nSELECT name\nFROM dogs\nWHERE age > 3;\n```\nIt lists names.",
            "SELECT name\nFROM dogs\nWHERE age > 3",
        ),
        ("```SQL\nselect 1;\n```\nor\n```sql\nselect 2\n```", "select 1"),
        ("```python\nprint('SELECT 1')\n```\n```sql\nselect 2\n```", "select 2"),
        ("```\nselect * from dogs\n```", "select * from dogs"),
        ("```\nselect 1\n```\n```sql\nselect 2\n```", "select 2"),
        ("```sqlite\nSELECT 1\n```", "SELECT 1"),
        ("```sql\nSELECT name\nFROM dogs", "SELECT name\nFROM dogs"),
        ("```sql\n-- all names\nSELECT name FROM dogs -- done\n```", "SELECT name FROM dogs"),
        ("SQL: SELECT count(*) FROM dogs;", "SELECT count(*) FROM dogs"),
        ("sql: select 1", "select 1"),
        ("Query: select * from dogs", "select * from dogs"),
        ("SELECT name FROM dogs;;", "SELECT name FROM dogs"),
        (
            "The answer is SELECT name FROM dogs WHERE age > 2; it lists the names.",
            "SELECT name FROM dogs WHERE age > 2",
        ),
        (
            "Here's a query that will select the names:\nSELECT name FROM dogs\n\nThis works.",
            "SELECT name FROM dogs",
        ),
        ("DROP TABLE dogs; SELECT 1;", "SELECT 1"),
        ("drop table dogs; select 1", "select 1"),
        (
            "```sql\nDELETE FROM dogs;\nSELECT name FROM dogs;\nSELECT 2;\n```",
            "SELECT name FROM dogs",
        ),
        (
            "select name from dogs where name = 'a;b'; select 2",
            "select name from dogs where name = 'a;b'",
        ),
        ("WITH x AS (SELECT 1 AS a) SELECT a FROM x;", "WITH x AS (SELECT 1 AS a) SELECT a FROM x"),
        (
            "With this query you can find it:\nWITH x AS (SELECT 1 AS a) SELECT a FROM x",
            "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
        ),
        ("I cannot answer that question.", ""),
        ("To find dogs, select the name column.", ""),
        ("delete from dogs", ""),
        ("", ""),
        ("```sql\n\n```", ""),
    ],
)
def test_extract_sql(reply, expected):
    assert extract_sql(reply) == expected


@pytest.mark.parametrize(
    "written, done",
    [
        ("SELECT 1;\n", True),
        ("SELECT a\nFROM t;  \n", True),
        ("SELECT 1\n```", True),
        ("SELECT 1;", False),  # the line may go on
        ("SELECT ';\n", False),  # inside a string
        ('SELECT "a;\n', False),  # inside a quoted name
        ("SELECT a -- b;\n", False),  # inside a comment
        ("SELECT 1; SELECT 2;\n", False),
        ("DELETE FROM t;\n", False),  # extract_sql would look past it for a query
        ("SELEC a FROM;\n", False),
        (";\n", False),
    ],
)
def test_a_reply_is_complete_once_its_query_is_written(written, done):
    assert statement_written(written) is done


_REPLY_PIECES = [
    "SELECT ",
    "WITH x AS (SELECT 1) SELECT * FROM x",
    "name",
    " FROM dogs",
    "'a;b'",
    '"n;"',
    "[c;]",
    " -- note;\n",
    "/* ; */",
    ";",
    "\n",
    " WHERE age > 2",
    "```",
    "DELETE FROM dogs",
    "\nIt lists.",
    ", ",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_REPLY_PIECES), max_size=14))
def test_stopping_once_the_query_is_written_never_changes_the_query(pieces):
    # Oracle: extract_sql of the whole reply. The model stops at the first token after which statement_written()
    # holds; every character boundary stands in for a token boundary.
    reply = "".join(pieces)
    for end in range(1, len(reply) + 1):
        if statement_written(reply[:end]):
            stopped = close_fence("```sql\n" + reply[:end])
            assert extract_sql(stopped) == extract_sql("```sql\n" + reply), reply[:end]
            break


@pytest.mark.parametrize(
    "reply",
    [
        "SELECT 1;\n" * 4000,  # an outside attacker's model server: 54 s of one thread before
        "select broken (( from;\n" * 3000,
        "Here: SELECT " * 20000,
        "```sql\n" + "SELECT a FROM t WHERE x = 'it''s';\n" * 5000 + "```",
    ],
)
def test_a_huge_reply_is_read_in_bounded_time(reply):
    import time

    # CPU time: 0.2 s at most here, where the clock on the wall took over 2 s with other processes on both cores
    started = time.process_time()
    assert extract_sql(reply).lower().startswith("select")
    assert time.process_time() - started < 2.0


def test_extracted_sql_validates():
    reply = "Sure!\n```sql\nSELECT name FROM dogs WHERE age > 2;\n```\nThis lists old dogs."
    assert validate_select(extract_sql(reply), SCHEMA).sql == ("SELECT name FROM dogs WHERE age > 2 LIMIT 1000")
