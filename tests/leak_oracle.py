"""Differential leak oracle (issue 15, "What to build" item 7). No tests live here.

Two copies of one world are served by two in-process Datasette instances and asked the same thing by the
same anonymous actor. The copies agree on everything the actor may see and differ in everything it may
not: every hidden table's rows (values and row count), hidden index names, hidden view definitions, the
hidden database's name, and (in the "renamed" copy) hidden table and column names too, with the visible
foreign key that points at one of them. A statement whose answer differs between the copies therefore
depends on something hidden: that difference is a leak, whatever the attack was. No guessing of the
attack is needed; the inputs only have to reach far enough (the hostile corpus, one statement per class
of issue 15, and a grammar-based generator that mixes visible and hidden names).

The world also has names only SQLite's own rule tells apart: it folds the case of ASCII letters alone, so
the visible table "Élan" and the hidden "élan" are two tables (as are the visible column "\u212aelvin",
KELVIN SIGN, and the hidden "kelvin"), and the generator spells any name in other cases. A wall that compares
names otherwise than SQLite does (str.lower() did, session 23) then answers differently too.

Pieces: the fixture databases (`build_world`), the generator (`Grammar`, driven by a seeded `random.Random`
through `RandomChooser` or by Hypothesis through `statements()`), and the comparison (`Oracle`, with the
synchronous `OracleRunner` for tests and the benchmark).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datasette.app import Datasette

VISIBLE_DB = "fixture"

# ----------------------------------------------------------------------------------------------------------
# The world: one visible database (visible and hidden objects) and one hidden database
# ----------------------------------------------------------------------------------------------------------

# Every hidden name, by the key used in the DDL templates. The original copy uses the keys themselves.
ORIGINAL_NAMES = {
    # hidden tables and views
    "staff": "staff",  # the target of the visible pub.author_id foreign key
    "pub_secret": "pub_secret",  # starts with a visible table's name and "_" (like an FTS shadow table)
    "totals": "totals",  # a plausible CTE name
    "pins": "pins",  # one column: readable with `x IN pins`
    "staff_view": "staff_view",
    "staff_fts": "staff_fts",  # a hidden FTS5 table: its shadow tables hold hidden text
    # The visible table "Élan" has a hidden twin that only a non-ASCII letter's case tells apart: SQLite folds
    # ASCII letters alone, so "élan" is another table (str.lower() once made them one, session 23).
    "elan": "élan",
    # hidden columns
    "salary": "salary",
    "note": "note",
    "n": "n",
    "code": "code",
    "kelvin": "kelvin",  # a column of "élan": the visible "Élan" has "\u212aelvin" (KELVIN SIGN), lower() "kelvin"
    # hidden indexes
    "staff_salary_idx": "staff_salary_idx",
    "pub_secret_note_idx": "pub_secret_note_idx",
    "totals_n_idx": "totals_n_idx",
    "pins_code_idx": "pins_code_idx",
    "elan_idx": "élan_idx",  # beside the visible index "Élan_idx"
    # the hidden database
    "vault": "vault",
}
# Same tables and columns; new rows, index names, view definition and database name.
MUTATED_NAMES = {
    **ORIGINAL_NAMES,
    "staff_salary_idx": "staff_pay_index",
    "pub_secret_note_idx": "psn_index",
    "totals_n_idx": "tn_index",
    "pins_code_idx": "pc_index",
    "elan_idx": "élan_index",
    "vault": "strongbox",
}
# ...and every hidden table, view and column renamed too (the visible foreign key follows).
RENAMED_NAMES = {
    **MUTATED_NAMES,
    "staff": "crew",
    "pub_secret": "pub_hush",
    "totals": "counts",
    "pins": "tokens",
    "staff_view": "crew_view",
    "staff_fts": "crew_fts",
    "elan": "éclat",
    "salary": "pay",
    "note": "remark",
    "n": "amount",
    "code": "token",
    "kelvin": "celsius",
}
VARIANTS = {"original": ORIGINAL_NAMES, "mutated": MUTATED_NAMES, "renamed": RENAMED_NAMES}
HIDDEN_TABLE_KEYS = ("staff", "pub_secret", "totals", "pins", "staff_view", "staff_fts", "elan")
HIDDEN_INDEX_KEYS = ("staff_salary_idx", "pub_secret_note_idx", "totals_n_idx", "pins_code_idx", "elan_idx")

VISIBLE_DDL = """
create table owners (id integer primary key, name text, city text);
create table dogs (id integer primary key, name text, age integer, owner_id integer references owners(id));
create table "my table" (id integer primary key, "Name With Space" text);
create table "my.table" (id integer primary key, value real);
create table pub (id integer primary key, title text, body text, author_id integer references {staff}(id));
create table tags (tag text);
create table "Élan" (id integer primary key, label text, "\u212aelvin" integer);
create index pub_title_idx on pub(title);
create index "Élan_idx" on "Élan"("\u212aelvin");
create index dogs_name_idx on dogs(name);
create virtual table pub_fts using fts5(title, body, content='pub', content_rowid='id');
create virtual table docs_fts using fts5(title, body);
create view pub_titles as select id, title from pub;
insert into owners values (1, 'Ann', 'Leeds'), (2, 'Bob', 'York'), (3, 'Cy', 'Hull');
insert into dogs values (1, 'Rex', 3, 1), (2, 'Fido', 5, 2), (3, 'Bo', 1, 2), (4, 'Max', 7, null);
insert into "my table" values (1, 'first'), (2, 'second');
insert into "my.table" values (1, 1.5), (2, 2.5);
insert into pub values (1, 'Alpha report', 'the quick brown fox', 1), (2, 'Beta notes', 'lazy dogs sleep', 2),
                       (3, 'Gamma', 'alpha beta gamma', 1);
insert into tags values ('red'), ('green'), ('blue');
insert into "Élan" values (1, 'public', 10), (2, 'open', 20);
insert into pub_fts(rowid, title, body) select id, title, body from pub;
insert into docs_fts(title, body) values ('Fox facts', 'the fox is quick'), ('Owls', 'alpha owls hunt');
"""

HIDDEN_DDL = """
create table {staff} (id integer primary key, name text, {salary} integer);
create table {pub_secret} (id integer primary key, pub_id integer references pub(id), {note} text);
create table {totals} (id integer primary key autoincrement, {n} integer);
create table {pins} ({code} text);
create index {staff_salary_idx} on {staff}({salary});
create index {pub_secret_note_idx} on {pub_secret}({note});
create index {totals_n_idx} on {totals}({n});
create index {pins_code_idx} on {pins}({code});
create table "{elan}" (id integer primary key, label text, "{kelvin}" integer);
create index "{elan_idx}" on "{elan}"("{kelvin}");
create virtual table {staff_fts} using fts5(name, {note});
create view staff_names as select name from {staff};
"""
HIDDEN_VIEW = {
    "original": "create view {staff_view} as select name, {salary} from {staff} where {salary} > 1000",
    "mutated": "create view {staff_view} as select name || '!' as name, -{salary} as {salary} from {staff}",
}


def hidden_rows(copy: str) -> dict[str, list[tuple]]:
    """Rows of every hidden table: the original copy and the changed one differ in values and count."""
    rng = random.Random(1 if copy == "original" else 2)
    count = 4 if copy == "original" else 7
    words = ["hunter2", "alpha", "Rex", "red", "zeta", "omega", "Ann", "sigma", "blue", "1"]
    if copy != "original":
        words = [w[::-1] + "~" for w in words]
    staff = [(i + 1, rng.choice(words), rng.randrange(500, 5000)) for i in range(count)]
    return {
        "staff": staff,
        "pub_secret": [(i + 1, 1 + i % 3, rng.choice(words)) for i in range(count + 1)],
        "totals": [(i + 1, rng.randrange(0, 10)) for i in range(count - 1)],
        "pins": [(str(rng.randrange(1, 5)),) for _ in range(count)] + [("hunter2" if copy == "original" else "x",)],
        "staff_fts": [(name, rng.choice(words) + " fox") for _, name, _ in staff],
        "elan": [(i + 1, rng.choice(words), rng.randrange(0, 100)) for i in range(count + 2)],
        "keys": [(i + 1, rng.choice(words)) for i in range(count)],
    }


@dataclass(frozen=True)
class Scenario:
    """Who asks, and which of the hidden objects that actor may see (those stay the same in every copy)."""

    name: str
    actor: dict | None
    shown: frozenset[str] = frozenset()  # keys of ORIGINAL_NAMES, with the columns and indexes that go with them

    def names(self, variant: str) -> dict[str, str]:
        return {key: ORIGINAL_NAMES[key] if key in self.shown else name for key, name in VARIANTS[variant].items()}


ANONYMOUS = Scenario("anonymous", None)
# A signed-in actor allowed two of the hidden objects: staff (with its salary column and index) and the
# view over it; everything else stays hidden from them too.
STAFFER = Scenario("staffer", {"id": "staffer"}, frozenset({"staff", "staff_view", "salary", "staff_salary_idx"}))
SCENARIOS = {scenario.name: scenario for scenario in (ANONYMOUS, STAFFER)}


def build_world(directory: Path, variant: str, scenario: Scenario = ANONYMOUS) -> tuple[list[Path], dict]:
    """Write the visible database and the hidden one for `variant`; return their paths and the metadata."""
    names = scenario.names(variant)
    copy = "original" if variant == "original" else "mutated"
    directory.mkdir(parents=True, exist_ok=True)
    main_path = directory / f"{VISIBLE_DB}.db"
    vault_path = directory / f"{names['vault']}.db"
    for path in (main_path, vault_path):
        path.unlink(missing_ok=True)
    original_rows, changed_rows = hidden_rows("original"), hidden_rows(copy)
    rows = {key: original_rows[key] if key in scenario.shown else changed_rows[key] for key in original_rows}
    conn = sqlite3.connect(main_path)
    # Visible objects first, so that they take the same pages in every copy.
    conn.executescript(VISIBLE_DDL.format(**names))
    conn.executescript(HIDDEN_DDL.format(**names))
    conn.execute(HIDDEN_VIEW["original" if "staff_view" in scenario.shown else copy].format(**names))
    for key, table_rows in rows.items():
        if key == "keys":
            continue
        marks = ", ".join("?" * len(table_rows[0]))
        conn.executemany(f'insert into "{names[key]}" values ({marks})', table_rows)
    conn.commit()
    conn.close()
    conn = sqlite3.connect(vault_path)
    conn.execute("create table keys (id integer primary key, k text)")
    conn.executemany("insert into keys values (?, ?)", rows["keys"])
    conn.commit()
    conn.close()
    allow = {"id": scenario.actor["id"]} if scenario.actor else False
    metadata = {
        "databases": {
            VISIBLE_DB: {
                "tables": {
                    names[key]: {"allow": allow if key in scenario.shown else False} for key in HIDDEN_TABLE_KEYS
                }
            },
            names["vault"]: {"allow": False},
        }
    }
    return [main_path, vault_path], metadata


# ----------------------------------------------------------------------------------------------------------
# Surfaces and the comparison
# ----------------------------------------------------------------------------------------------------------

MCP_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-06-18",
    "Content-Type": "application/json",
}
TIMING_KEYS = frozenset({"seconds"})
SURFACES = ("query.json", "mcp")


def without_timing(value):
    """A JSON value with timing fields removed (recursively) and JSON held in MCP text content decoded."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in TIMING_KEYS:
                continue
            if key == "text" and isinstance(item, str) and value.get("type") == "text":
                try:
                    item = json.loads(item)
                except ValueError:
                    pass
            out[key] = without_timing(item)
        return out
    if isinstance(value, list):
        return [without_timing(item) for item in value]
    return value


@dataclass(frozen=True)
class Response:
    status: int
    body: Any  # decoded JSON without timing fields, or the raw text when the body is not JSON

    def to_json(self) -> dict:
        return {"status": self.status, "body": self.body}


async def _decoded(response) -> Response:
    try:
        body = without_timing(response.json())
    except ValueError:
        body = response.text
    return Response(response.status_code, body)


def actor_cookies(ds: Datasette, actor: dict | None) -> dict:
    return {"ds_actor": ds.sign({"a": actor}, "actor")} if actor else {}


async def ask_query_json(ds: Datasette, database: str | None, sql: str, actor: dict | None = None) -> Response:
    return await _decoded(
        await ds.client.post(
            "/-/llm/query.json", json={"database": database, "sql": sql}, cookies=actor_cookies(ds, actor)
        )
    )


async def ask_mcp(ds: Datasette, database: str | None, sql: str, actor: dict | None = None) -> Response:
    message = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "query", "arguments": {"database": database, "sql": sql}},
    }
    return await _decoded(
        await ds.client.post(
            "/-/mcp", content=json.dumps(message).encode(), headers=MCP_HEADERS, cookies=actor_cookies(ds, actor)
        )
    )


SURFACE_CALLS: dict[str, Callable] = {"query.json": ask_query_json, "mcp": ask_mcp}


@dataclass(frozen=True)
class Leak:
    sql: str
    database: str | None
    variant: str  # which changed copy answered differently
    surface: str
    original: Response
    changed: Response
    scenario: str = ANONYMOUS.name

    def to_json(self) -> dict:
        return {
            "sql": self.sql,
            "database": self.database,
            "scenario": self.scenario,
            "variant": self.variant,
            "surface": self.surface,
            "original": self.original.to_json(),
            "changed": self.changed.to_json(),
        }

    def __str__(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False)[:1500]


@dataclass(frozen=True)
class Outcome:
    sql: str
    database: str | None
    verdict: str  # ran | rejected (guard) | failed (SQLite or authorizer) | other (any other status)
    leaks: tuple[Leak, ...]
    unstable: bool = False  # the original copy answered differently twice: not counted as a leak


def verdict_of(response: Response) -> str:
    if response.status == 200:
        return "ran"
    code = response.body.get("code") if isinstance(response.body, dict) else None
    if code == "sql_rejected":
        return "rejected"
    if code in ("query_failed", "query_timeout"):
        return "failed"
    return "other"


class Oracle:
    """Datasette for the original world and for each changed copy; `check` runs one statement on all."""

    def __init__(
        self,
        directory: Path,
        variants: Sequence[str] = ("mutated", "renamed"),
        metadata_override: Callable[[str, dict], dict] | None = None,
        surfaces: Sequence[str] = SURFACES,
        scenario: Scenario = ANONYMOUS,
    ):
        from datasette.app import Datasette

        self.instances: dict[str, Datasette] = {}
        self.surfaces = tuple(surfaces)
        self.scenario = scenario
        for variant in ("original", *variants):
            paths, metadata = build_world(directory / variant, variant, scenario)
            if metadata_override:
                metadata = metadata_override(variant, metadata)
            self.instances[variant] = Datasette([str(p) for p in paths], metadata=metadata)

    async def answers(
        self, variant: str, sql: str, database: str | None, surfaces: Sequence[str] | None = None
    ) -> dict[str, Response]:
        ds = self.instances[variant]
        surfaces = tuple(surfaces or self.surfaces)
        answers = await asyncio.gather(*(self._answer(surface, ds, database, sql) for surface in surfaces))
        return dict(zip(surfaces, answers))

    async def _answer(self, surface: str, ds, database, sql) -> Response:
        """One surface's answer, asked again, as a client is told to, while this client holds its share of the
        guard's places (the oracle asks every surface of every world at once from one address)."""
        for _ in range(200):
            response = await SURFACE_CALLS[surface](ds, database, sql, self.scenario.actor)
            if "too_many_requests" not in json.dumps(response.body, default=str):
                return response
            await asyncio.sleep(0.05)
        return response

    async def check(
        self, sql: str, database: str | None = VISIBLE_DB, surfaces: Sequence[str] | None = None
    ) -> Outcome:
        surfaces = tuple(surfaces or self.surfaces)
        variants = list(self.instances)
        answers = dict(
            zip(
                variants,
                await asyncio.gather(*(self.answers(variant, sql, database, surfaces) for variant in variants)),
            )
        )
        original = answers["original"]
        leaks = [
            Leak(sql, database, variant, surface, original[surface], changed[surface], self.scenario.name)
            for variant, changed in answers.items()
            if variant != "original"
            for surface in surfaces
            if original[surface] != changed[surface]
        ]
        unstable = False
        if leaks and await self.answers("original", sql, database, surfaces) != original:
            unstable, leaks = True, []
        return Outcome(sql, database, verdict_of(original[surfaces[0]]), tuple(leaks), unstable)


class OracleRunner:
    """A synchronous face for the Oracle (its own event loop): for Hypothesis tests and the benchmark."""

    def __init__(self, directory: Path, **kwargs):
        self.loop = asyncio.new_event_loop()
        self.oracle = Oracle(directory, **kwargs)

    def check(self, sql: str, database: str | None = VISIBLE_DB, surfaces: Sequence[str] | None = None) -> Outcome:
        return self.loop.run_until_complete(self.oracle.check(sql, database, surfaces))

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def close(self) -> None:
        self.loop.close()


@dataclass
class Tally:
    """Counts of a run: statements, verdicts on the original copy, leaks (and unstable answers)."""

    statements: int = 0
    verdicts: Counter = field(default_factory=Counter)
    leaks: list[Leak] = field(default_factory=list)
    leaking_statements: int = 0
    unstable: int = 0

    def add(self, outcome: Outcome) -> None:
        self.statements += 1
        self.verdicts[outcome.verdict] += 1
        self.unstable += outcome.unstable
        if outcome.leaks:
            self.leaking_statements += 1
            self.leaks.extend(outcome.leaks)


# ----------------------------------------------------------------------------------------------------------
# Inputs: one statement per class of issue 15 ("What was found" 1-5 and 7)
# ----------------------------------------------------------------------------------------------------------

CLASS_STATEMENTS: list[tuple[str, str]] = [
    # 1. a hidden table's name as a CTE in one scope and as the real table in another; pub_secret as if an
    #    FTS shadow table of pub
    (
        "1-cte-scope",
        "select * from (with pub_secret as (select 1 as id, 1 as pub_id, 'x' as note) "
        "select * from pub_secret) as a union all select * from pub_secret",
    ),
    (
        "1-cte-scope",
        "select s.* from (with staff as (select 1 as id, 'x' as name, 2 as salary) "
        "select * from staff) as a, staff as s",
    ),
    (
        "1-cte-scope",
        "select (select group_concat(note) from pub_secret) as leak "
        "from (with pub_secret as (select 1 as note) select note from pub_secret)",
    ),
    ("1-cte-scope", "with x as (select * from pub_secret) select * from x"),
    # ...and a CTE that only shares a hidden table's name (or the changed copy's name for it) must answer the
    #    same whether or not such a table exists (found by the generator: count(*) and EXISTS over it)
    ("1-cte-named-like-hidden", "with staff as (select 1 as c0) select count(*) from staff"),
    ("1-cte-named-like-hidden", "with pins as (select 'a' as c0) select exists (select 1 from pins) as e"),
    ("1-cte-named-like-hidden", "with crew as (select 1 as c0) select (select count(*) from crew) as n"),
    ("1-cte-named-like-hidden", "select (with totals as (select 1 as n) select count(*) from totals) as n"),
    ("1-shadow-prefix", "select * from pub_secret"),
    ("1-shadow-prefix", "select note from pub_fts, pub_secret"),
    # 2. existence and row count: count(*), EXISTS, INDEXED BY reach the authorizer with no table
    ("2-count", "select (select count(*) from staff) as n from (with staff as (select 1 as id) select id from staff)"),
    ("2-count", "select (select count(*) from totals) as n from (with totals as (select 1 as n) select n from totals)"),
    ("2-exists", "select exists (select 1 from staff) as e from (with staff as (select 1 as id) select id from staff)"),
    (
        "2-indexed-by",
        "select (select count(*) from staff indexed by staff_salary_idx where salary > 0) as n "
        "from (with staff as (select 1 as salary) select salary from staff)",
    ),
    ("2-count", "select count(*) from staff"),
    ("2-exists", "select exists (select 1 from pins) as e"),
    ("2-indexed-by", "select count(*) from pub indexed by staff_salary_idx"),
    # 3. a string literal in table position
    ("3-string-table", "select * from dogs where name in 'pins'"),
    ("3-string-table", "select 'hunter2' in 'pins' as found"),
    ("3-string-table", "select count(*) from dogs where id not in 'pins'"),
    ("3-string-table", "select * from 'staff'"),
    ("3-string-table", "select 1 in pins as found"),
    # 4. hidden schema through pragma_*() table functions
    ("4-pragma", "select * from pragma_index_info('staff_salary_idx')"),
    ("4-pragma", "select * from pragma_index_xinfo('pub_secret_note_idx')"),
    ("4-pragma", "select * from pragma_foreign_key_list('pub')"),
    ("4-pragma", "select * from pragma_index_list('staff')"),
    ("4-pragma", "select * from pragma_table_info('staff_view')"),
    ("4-pragma", "select * from pragma_table_xinfo('staff_fts')"),
    ("4-pragma", "select * from pragma_index_list('pub_secret')"),
    ("4-pragma", "select count(*) from pragma_index_info('totals_n_idx')"),
    ("4-pragma", "select \"table\" from pragma_foreign_key_list('pub')"),
    # 5. a visible table's REFERENCES to a hidden table (also checked on the listings and the prompt)
    ("5-references", "select author_id from pub"),
    ("5-references", "select * from pub join staff on staff.id = pub.author_id"),
    # 7. a hidden view read (the search side of class 7 needs an embedding model and is not run here)
    ("7-hidden-view", "select * from staff_view"),
    ("7-hidden-view", "select * from staff_names"),
    ("7-hidden-view", "select count(*) from staff_names"),
    (
        "7-hidden-view",
        "select v.* from (with staff_view as (select 1 as name, 2 as salary) "
        "select * from staff_view) as a, staff_view as v",
    ),
    # names SQLite tells apart by a non-ASCII letter's case (session 23): "élan" is hidden, "Élan" (= "ÉLAN") not
    ("names-case", 'select * from "élan"'),
    ("names-case", "select label, kelvin from élan"),
    ("names-case", "select count(*) from élan"),
    ("names-case", "select * from pragma_index_info('élan_idx')"),
    ("names-case", 'select * from "ÉLAN"'),
    # the hidden database, by its name and as a schema
    ("hidden-db", "select * from vault.keys"),
    # hidden FTS shadow tables
    ("hidden-fts", "select * from staff_fts_content"),
    ("hidden-fts", "select count(*) from staff_fts_data"),
    ("hidden-fts", "select * from staff_fts where staff_fts match 'fox'"),
]

# Databases a statement is addressed to: the visible one, the hidden one by either copy's name, one that
# never existed, and none (the only visible database is used).
DATABASE_NAMES = (VISIBLE_DB, "vault", "strongbox", "nowhere", None)


def corpus_statements() -> list[tuple[str, str]]:
    """(category, sql) of tests/hostile_sql.py: written for dogs/owners, which the fixture also has."""
    try:
        from hostile_sql import HOSTILE_SQL
    except ImportError:  # imported as tests.leak_oracle
        from tests.hostile_sql import HOSTILE_SQL
    return [(category, sql) for category, sql, _ in HOSTILE_SQL]


# ----------------------------------------------------------------------------------------------------------
# The generator: SELECTs that mix visible and hidden names, CTEs at several scopes, every quoting style
# ----------------------------------------------------------------------------------------------------------

VISIBLE_COLUMNS = {
    "owners": ("id", "name", "city"),
    "dogs": ("id", "name", "age", "owner_id"),
    "my table": ("id", "Name With Space"),
    "my.table": ("id", "value"),
    "pub": ("id", "title", "body", "author_id"),
    "tags": ("tag",),
    "pub_titles": ("id", "title"),
    "Élan": ("id", "label", "\u212aelvin"),
}
# Datasette 0.65 hides every FTS table; their rows are the same in every copy, so reading them is no leak.
FTS_COLUMNS = {"pub_fts": ("title", "body"), "docs_fts": ("title", "body")}
# Columns as the actor would guess them from the original copy.
HIDDEN_COLUMNS = {
    "staff": ("id", "name", "salary"),
    "pub_secret": ("id", "pub_id", "note"),
    "totals": ("id", "n"),
    "pins": ("code",),
    "staff_view": ("name", "salary"),
    "staff_fts": ("name", "note"),
    "staff_names": ("name",),  # not denied by the metadata, but it reads staff
    "élan": ("id", "label", "kelvin"),
}
RENAMED_COLUMNS = {
    "crew": ("id", "name", "pay"),
    "pub_hush": ("id", "pub_id", "remark"),
    "counts": ("id", "amount"),
    "tokens": ("token",),
    "crew_view": ("name", "pay"),
    "crew_fts": ("name", "remark"),
    "éclat": ("id", "label", "celsius"),
}
SHADOW_COLUMNS = {
    "pub_fts_data": ("id", "block"),
    "pub_fts_idx": ("segid", "term", "pgno"),
    "pub_fts_config": ("k", "v"),
    "pub_fts_docsize": ("id", "sz"),
    "docs_fts_data": ("id", "block"),
    "docs_fts_content": ("id", "c0", "c1"),
    "docs_fts_idx": ("segid", "term", "pgno"),
    "staff_fts_data": ("id", "block"),
    "staff_fts_idx": ("segid", "term", "pgno"),
    "staff_fts_content": ("id", "c0", "c1"),
    "staff_fts_docsize": ("id", "sz"),
    "staff_fts_config": ("k", "v"),
}
SYSTEM_COLUMNS = {
    "sqlite_master": ("type", "name", "tbl_name", "rootpage", "sql"),
    "sqlite_schema": ("name", "sql"),
    "sqlite_temp_master": ("name",),
    "sqlite_sequence": ("name", "seq"),
    "sqlite_stat1": ("tbl", "idx", "stat"),
    "dbstat": ("name", "pageno"),
}
MISSING_COLUMNS = {"nothere": ("id", "x"), "staff2": ("id",), "pub_": ("id",)}
ALL_TABLE_COLUMNS = {
    **VISIBLE_COLUMNS,
    **FTS_COLUMNS,
    **HIDDEN_COLUMNS,
    **RENAMED_COLUMNS,
    **SHADOW_COLUMNS,
    **SYSTEM_COLUMNS,
    **MISSING_COLUMNS,
}

VISIBLE_INDEXES = ("pub_title_idx", "dogs_name_idx", "Élan_idx")
INDEXES_OF = {
    "pub": "pub_title_idx",
    "dogs": "dogs_name_idx",
    "staff": "staff_salary_idx",
    "pub_secret": "pub_secret_note_idx",
    "totals": "totals_n_idx",
    "pins": "pins_code_idx",
    "Élan": "Élan_idx",
    "élan": "élan_idx",
    "crew": "staff_pay_index",
    "pub_hush": "psn_index",
    "counts": "tn_index",
    "tokens": "pc_index",
    "éclat": "élan_index",
}
HIDDEN_INDEXES = tuple(ORIGINAL_NAMES[k] for k in HIDDEN_INDEX_KEYS)
CHANGED_INDEXES = tuple(MUTATED_NAMES[k] for k in HIDDEN_INDEX_KEYS)
# Table names used as CTE names: hidden and visible ones (shadowing) and plain ones.
CTE_NAMES = ("staff", "pub_secret", "totals", "pins", "staff_view", "x", "pub", "dogs", "t", "crew", "élan", "Élan")
PRAGMA_FUNCTIONS = {
    "table_info": ("cid", "name", "type", "notnull", "dflt_value", "pk"),
    "table_xinfo": ("cid", "name", "type", "notnull", "dflt_value", "pk", "hidden"),
    "index_info": ("seqno", "cid", "name"),
    "index_xinfo": ("seqno", "cid", "name", "desc", "coll", "key"),
    "index_list": ("seq", "name", "unique", "origin", "partial"),
    "foreign_key_list": ("id", "seq", "table", "from", "to", "on_update", "on_delete", "match"),
}
LITERALS = ("1", "2", "0", "-1", "'Rex'", "'hunter2'", "'alpha'", "'red'", "NULL", "1.5", "'x'", "'%a%'")
SCALAR_FUNCTIONS = ("upper", "lower", "length", "typeof", "hex", "quote", "abs", "trim", "unicode")
AGGREGATES = ("count", "max", "min", "sum", "total", "group_concat", "avg")
COMPARISONS = ("=", "<>", ">", "<", ">=", "like", "is not", "glob")


class RandomChooser:
    """The generator's choices from a seeded random.Random (the benchmark)."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def pick(self, options: Sequence):
        return self.rng.choice(list(options))

    def chance(self, percent: int) -> bool:
        return self.rng.randrange(100) < percent

    def number(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)


class HypothesisChooser:
    """The same choices drawn by Hypothesis; each shrinks towards the first option and towards "no"."""

    def __init__(self, draw):
        from hypothesis import strategies as st

        self.draw, self.st = draw, st

    def pick(self, options: Sequence):
        return self.draw(self.st.sampled_from(list(options)))

    def chance(self, percent: int) -> bool:
        return self.draw(self.st.integers(0, 99)) >= 100 - percent

    def number(self, low: int, high: int) -> int:
        return self.draw(self.st.integers(low, high))


def quote(name: str, style: str) -> str:
    """`name` in table position, written as SQLite would read it in `style` (bare: any character past ASCII is
    one of an identifier's, as in SQLite's tokenizer)."""
    if style == "bare" and BARE_NAME.fullmatch(name) and name.lower() not in KEYWORDS:
        return name
    if style == "brackets" and "]" not in name:
        return f"[{name}]"
    if style == "backticks":
        return "`" + name.replace("`", "``") + "`"
    if style == "string":
        return "'" + name.replace("'", "''") + "'"
    return '"' + name.replace('"', '""') + '"'


BARE_NAME = re.compile(r"[A-Za-z_\u0080-\U0010ffff][A-Za-z0-9_\u0080-\U0010ffff]*")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# Ways to spell a name in another case. SQLite ignores the case of ASCII letters only: the first ones name the
# same object; Python's own case mappings also change other letters (`Élan` -> `élan`, KELVIN SIGN -> `k`,
# `ß` -> `ss`), which SQLite takes for another name.
SAME_NAME_SPELLINGS: dict[str, Callable[[str], str]] = {
    "ascii upper": lambda name: name.translate(_ASCII_UPPER),
    "ascii lower": lambda name: name.translate(_ASCII_LOWER),
}
SPELLINGS: dict[str, Callable[[str], str]] = {
    **SAME_NAME_SPELLINGS,
    "upper": str.upper,
    "lower": str.lower,
    "swapcase": str.swapcase,
    "casefold": str.casefold,
}
KEYWORDS = frozenset({"notnull", "unique", "table", "to", "from", "match", "desc", "key", "partial", "seq"})
FTS_TABLES = frozenset({"pub_fts", "docs_fts", "staff_fts", "crew_fts"})
QUOTE_STYLES = ("bare", "double", "brackets", "backticks", "string")


@dataclass(frozen=True)
class Source:
    text: str  # the FROM item
    name: str  # how its columns are qualified
    columns: tuple[str, ...]
    fts: bool = False  # an FTS5 table: `name MATCH ...` works


class Grammar:
    """Random SELECT statements: `statement()` returns SQL text. Scopes track which CTE names are visible."""

    MAX_DEPTH = 2

    def __init__(self, chooser):
        self.c = chooser
        self.aliases = 0
        self.declared: set[str] = set()  # CTE names declared anywhere in the statement so far
        # How often a name is not a visible table (or CTE in scope): some statements only ever name what the
        # actor may see (they run, and test the walls from inside), others mix in hidden and odd names.
        self.hostility = chooser.pick((0, 10, 25, 50))

    def alias(self) -> str:
        self.aliases += 1
        return f"a{self.aliases}"

    # names ------------------------------------------------------------------------------------------------

    def table_name(self, ctes: dict, one_column: bool = False) -> str:
        """A visible table or a CTE in scope; with `hostility` percent, any other name."""
        kind = "visible"
        if self.c.chance(self.hostility):
            if self.declared and self.c.chance(50):
                # A name some WITH clause declared: out of that clause's scope it is the real table.
                return self.c.pick(sorted(self.declared))
            kind = self.c.pick(("hidden",) * 5 + ("renamed", "shadow", "fts", "system", "missing"))
        elif ctes and self.c.chance(35):
            names = sorted(n for n, cols in ctes.items() if len(cols) == 1 or not one_column)
            if names:
                return self.c.pick(names)
        pool = {
            "hidden": HIDDEN_COLUMNS,
            "renamed": RENAMED_COLUMNS,
            "shadow": SHADOW_COLUMNS,
            "fts": FTS_COLUMNS,
            "system": SYSTEM_COLUMNS,
            "missing": MISSING_COLUMNS,
        }.get(kind, VISIBLE_COLUMNS)
        names = sorted(n for n, cols in pool.items() if len(cols) == 1 or not one_column) or sorted(pool)
        return self.c.pick(names)

    def spell(self, name: str) -> str:
        """`name`, sometimes in another case; only in a way SQLite reads as the same name when the statement
        should name nothing but visible tables."""
        if not self.c.chance(20):
            return name
        spellings = SPELLINGS if self.hostility else SAME_NAME_SPELLINGS
        return spellings[self.c.pick(sorted(spellings))](name)

    def table_ref(self, name: str) -> str:
        style = "bare" if not self.c.chance(35) else self.c.pick(QUOTE_STYLES)
        text = quote(name, style)
        if self.c.chance(self.hostility // 4):
            text = self.c.pick(("temp.", "vault.", "strongbox.", "[main].")) + text
        elif self.c.chance(6):
            text = self.c.pick(("main.", '"main".')) + text
        return text

    def index_name(self, table: str) -> str:
        own = INDEXES_OF.get(table)
        if not (own and self.c.chance(60)):
            own = self.c.pick(VISIBLE_INDEXES + HIDDEN_INDEXES + CHANGED_INDEXES + ("no_such_idx",))
        return quote(self.spell(own), "bare" if self.c.chance(70) else self.c.pick(QUOTE_STYLES[:4]))

    def object_name(self, function: str) -> str:
        """An argument for a pragma function: a visible table or index; with `hostility`, any name at all."""
        if self.c.chance(self.hostility):
            return self.c.pick(sorted(ALL_TABLE_COLUMNS) + list(VISIBLE_INDEXES + HIDDEN_INDEXES + CHANGED_INDEXES))
        return self.c.pick(VISIBLE_INDEXES if function in ("index_info", "index_xinfo") else sorted(VISIBLE_COLUMNS))

    # sources ------------------------------------------------------------------------------------------------

    def source(self, ctes: dict, depth: int) -> Source:
        kind = self.c.pick(("table", "table", "table", "subquery", "pragma", "json_each"))
        if kind == "subquery" and depth < self.MAX_DEPTH:
            sql, columns = self.select(ctes, depth + 1, named=True)
            alias = self.alias()
            return Source(f"({sql}) as {alias}", alias, columns)
        if kind == "pragma":
            function = self.c.pick(sorted(PRAGMA_FUNCTIONS))
            argument = quote(self.spell(self.object_name(function)), "string")
            if self.c.chance(self.hostility // 3):
                argument += ", " + self.c.pick(("'main'", "'temp'", "'vault'"))
            alias = self.alias()
            return Source(f"pragma_{function}({argument}) as {alias}", alias, PRAGMA_FUNCTIONS[function])
        if kind == "json_each":
            alias = self.alias()
            return Source(f"json_each('[1, 2, \"Rex\"]') as {alias}", alias, ("key", "value", "type"))
        name = self.table_name(ctes)
        columns = ctes.get(name) or ALL_TABLE_COLUMNS.get(name, ("id",))
        fts = name not in ctes and name in FTS_TABLES
        spelled = self.spell(name)
        text = self.table_ref(spelled)
        alias = self.alias() if self.c.chance(50) else None
        if alias:
            text += f" as {alias}"
        if name not in ctes and self.c.chance(12):
            text += " indexed by " + self.index_name(name) if self.c.chance(85) else " not indexed"
        return Source(text, alias or quote(spelled, "double"), columns, fts)

    # expressions -------------------------------------------------------------------------------------------

    def column(self, sources: Sequence[Source]) -> str:
        source = self.c.pick(sources)
        column = quote(self.spell(self.c.pick(source.columns)), "double") if self.c.chance(30) else self.bare(source)
        if len(sources) > 1 or self.c.chance(30):
            return f"{source.name}.{column}"
        return column

    def bare(self, source: Source) -> str:
        return quote(self.spell(self.c.pick(source.columns)), "bare")

    def subquery(self, ctes: dict, depth: int, ncols: int = 1) -> str:
        sql, _ = self.select(ctes, depth + 1, named=True, ncols=ncols)
        return sql

    def expression(self, sources, ctes: dict, depth: int) -> str:
        kind = self.c.pick(
            ("column", "column", "literal", "function", "aggregate", "scalar", "exists", "count", "case")
        )
        if kind == "literal":
            return self.c.pick(LITERALS)
        if kind == "function":
            return f"{self.c.pick(SCALAR_FUNCTIONS)}({self.column(sources)})"
        if kind == "aggregate":
            return f"{self.c.pick(AGGREGATES)}({self.column(sources)})"
        if kind == "case":
            return f"case when {self.condition(sources, ctes, depth)} then 1 else 0 end"
        if depth < self.MAX_DEPTH:
            if kind == "scalar":
                return f"({self.subquery(ctes, depth)})"
            if kind == "exists":
                return f"exists ({self.subquery(ctes, depth)})"
            if kind == "count":
                source = self.source(ctes, depth + 1)
                return f"(select count(*) from {source.text})"
        return self.column(sources)

    def condition(self, sources, ctes: dict, depth: int) -> str:
        kind = self.c.pick(("compare", "compare", "in_select", "in_table", "exists", "and", "match", "in_list"))
        left = self.column(sources)
        if kind == "in_select" and depth < self.MAX_DEPTH:
            return f"{left} {self.c.pick(('in', 'not in'))} ({self.subquery(ctes, depth)})"
        if kind == "in_table":
            name = self.table_name(ctes, one_column=True)
            return f"{left} {self.c.pick(('in', 'not in'))} {self.table_ref(self.spell(name))}"
        if kind == "exists" and depth < self.MAX_DEPTH:
            return f"{self.c.pick(('', 'not '))}exists ({self.subquery(ctes, depth)})"
        if kind == "and":
            return f"({self.compare(sources)} {self.c.pick(('and', 'or'))} {self.compare(sources)})"
        fts = [source for source in sources if source.fts]
        if kind == "match" and fts:
            source = self.c.pick(fts)
            return f"{source.name} match {self.c.pick(('fox', 'alpha', 'hunter2', 'x*'))!r}"
        if kind == "in_list":
            return f"{left} in ({self.c.pick(LITERALS)}, {self.c.pick(LITERALS)})"
        return self.compare(sources)

    def compare(self, sources) -> str:
        return f"{self.column(sources)} {self.c.pick(COMPARISONS)} {self.c.pick(LITERALS)}"

    # statements --------------------------------------------------------------------------------------------

    def with_clause(self, ctes: dict, depth: int) -> tuple[str, dict]:
        """A WITH clause of one or two CTEs; returns its text and the CTE names in scope after it."""
        inner = dict(ctes)
        parts = []
        for _ in range(self.c.number(1, 2)):
            name = self.c.pick(CTE_NAMES)
            body, columns = self.select(inner, depth + 1, named=True)
            inner[name] = columns
            self.declared.add(name)
            parts.append(f"{quote(name, 'bare' if self.c.chance(70) else self.c.pick(QUOTE_STYLES[:4]))} as ({body})")
        return "with " + ", ".join(parts) + " ", inner

    def select(
        self, ctes: dict, depth: int, *, named: bool = False, ncols: int | None = None
    ) -> tuple[str, tuple[str, ...]]:
        """One SELECT (possibly WITH and compound); returns its text and output column names."""
        prefix = ""
        if depth < self.MAX_DEPTH and self.c.chance(30 if depth == 0 else 20):
            prefix, ctes = self.with_clause(ctes, depth)
        if ncols is None:
            ncols = self.c.number(1, 3)
        core, columns = self.core(ctes, depth, named=named, ncols=ncols)
        if columns and self.c.chance(15):
            other, _ = self.core(ctes, depth, named=named, ncols=len(columns))
            core += f" {self.c.pick(('union', 'union all', 'except', 'intersect'))} {other}"
        if not named and self.c.chance(25):
            core += " order by 1"
        if self.c.chance(20):
            core += f" limit {self.c.number(0, 3)}"
        return prefix + core, columns

    def core(self, ctes: dict, depth: int, *, named: bool, ncols: int | None) -> tuple[str, tuple[str, ...]]:
        sources = [self.source(ctes, depth)]
        join = ""
        if self.c.chance(25):
            other = self.source(ctes, depth)
            sources.append(other)
            how = self.c.pick(("join", "left join", ","))
            if how == ",":
                join = f", {other.text}"
            else:
                join = (
                    f" {how} {other.text} on {sources[0].name}.{self.bare(sources[0])} = "
                    f"{other.name}.{self.bare(other)}"
                )
        if ncols is None:  # the other side of a compound with `select *`: any width will do
            ncols = 1
        if not named and self.c.chance(20):
            results, columns = ["*"], ()
        elif self.c.chance(10) and ncols == 1:
            results, columns = ["count(*) as c0"], ("c0",)
        else:
            results = [f"{self.expression(sources, ctes, depth)} as c{i}" for i in range(ncols)]
            columns = tuple(f"c{i}" for i in range(ncols))
        sql = f"select {'distinct ' if self.c.chance(10) else ''}{', '.join(results)} from {sources[0].text}{join}"
        if self.c.chance(45):
            sql += f" where {self.condition(sources, ctes, depth)}"
        if self.c.chance(8) and not any(f"{a}(" in results[0] for a in AGGREGATES):
            sql += " group by 1"
        return sql, columns

    def statement(self) -> str:
        sql, _ = self.select({}, 0)
        return sql


def random_statements(seed: int, count: int) -> list[tuple[str | None, str]]:
    """(database, sql) pairs drawn from the grammar with random.Random(seed)."""
    rng = random.Random(seed)
    chooser = RandomChooser(rng)
    out = []
    for _ in range(count):
        database = VISIBLE_DB if rng.randrange(100) < 95 else rng.choice(DATABASE_NAMES)
        out.append((database, Grammar(chooser).statement()))
    return out


def statements():
    """A Hypothesis strategy of (database, sql) pairs from the same grammar."""
    from hypothesis import strategies as st

    @st.composite
    def draw_statement(draw):
        chooser = HypothesisChooser(draw)
        database = VISIBLE_DB if not chooser.chance(5) else chooser.pick(DATABASE_NAMES)
        return database, Grammar(chooser).statement()

    return draw_statement()
