"""The differential leak oracle of issue 15 (item 7), fixed-seed share: any answer that differs between the
original world and a copy whose hidden objects changed is a leak. See tests/leak_oracle.py for the design and
benchmarks/leak_oracle.py for the 10,000-statement run.
"""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from datasette_versions import DATASETTE_1
from hypothesis import HealthCheck, given, settings
from leak_oracle import (
    CLASS_STATEMENTS,
    FTS_COLUMNS,
    HIDDEN_INDEX_KEYS,
    HIDDEN_TABLE_KEYS,
    MCP_HEADERS,
    ORIGINAL_NAMES,
    STAFFER,
    VARIANTS,
    VISIBLE_COLUMNS,
    VISIBLE_DB,
    OracleRunner,
    Tally,
    corpus_statements,
    random_statements,
    statements,
    verdict_of,
    without_timing,
)

GENERATED_EXAMPLES = 150
HEALTH_SAMPLE = 150
STAFFER_SAMPLE = 30


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    runner = OracleRunner(tmp_path_factory.mktemp("leak_oracle"))
    yield runner
    runner.close()


def report(leaks) -> str:
    return f"{len(leaks)} leaks:\n" + "\n".join(str(leak) for leak in leaks)


def dump(path, sql: str) -> list:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


# The fixture itself ----------------------------------------------------------------------------------------


def test_copies_agree_on_every_visible_object_and_differ_in_every_hidden_one(runner):
    files = {variant: ds.databases[VISIBLE_DB].path for variant, ds in runner.oracle.instances.items()}
    original = files["original"]
    for variant, path in files.items():
        names = VARIANTS[variant]
        for table in [*VISIBLE_COLUMNS, *FTS_COLUMNS]:
            quoted = '"' + table + '"'
            assert dump(path, f"select * from {quoted} order by 1") == dump(
                original, f"select * from {quoted} order by 1"
            ), table
        assert dump(path, "select rowid, * from pub_fts where pub_fts match 'alpha'") == [
            (1, "Alpha report", "the quick brown fox"),
            (3, "Gamma", "alpha beta gamma"),
        ]
        visible_sql = (
            "select type, name, sql from sqlite_master where name in "
            "('owners', 'dogs', 'my table', 'my.table', 'tags', 'pub_title_idx', 'dogs_name_idx', "
            "'pub_fts', 'pub_titles', 'docs_fts', 'Élan', 'Élan_idx') order by name"
        )
        assert dump(path, visible_sql) == dump(original, visible_sql)
        if variant == "original":
            continue
        for key in HIDDEN_TABLE_KEYS:
            before = dump(original, f'select * from "{ORIGINAL_NAMES[key]}"')
            after = dump(path, f'select * from "{names[key]}"')
            assert before != after and (len(before) != len(after) or key == "staff_view"), key
        for key in HIDDEN_INDEX_KEYS:
            assert dump(path, f"select 1 from sqlite_master where name = '{ORIGINAL_NAMES[key]}'") == []
            assert dump(path, f"select 1 from sqlite_master where name = '{names[key]}'") == [(1,)]
        view_sql = "select sql from sqlite_master where name = '{}'"
        assert dump(path, view_sql.format(names["staff_view"])) != dump(original, view_sql.format("staff_view"))
        assert names["vault"] != "vault" and names["vault"] in runner.oracle.instances[variant].databases
        target = dump(path, "select \"table\" from pragma_foreign_key_list('pub')")
        assert target == [("crew",)] if variant == "renamed" else target == [("staff",)]


# The tables a schema listing names: Datasette 0.65 hides every FTS table; 1.0 hides only the shadow tables
# and FTS tables over another table's content (`content=`), so it lists docs_fts, which holds its own rows.
LISTED = set(VISIBLE_COLUMNS) | ({"docs_fts"} if DATASETTE_1 else set())


def test_the_actor_sees_the_visible_tables_only(runner):
    for variant, ds in runner.oracle.instances.items():
        response = runner.run(ds.client.get("/-/llm/schema.json"))
        assert response.status_code == 200
        databases = response.json()["databases"]
        assert [d["name"] for d in databases] == [VISIBLE_DB]
        assert {t["name"] for t in databases[0]["tables"]} == LISTED, variant


def test_the_oracle_reports_a_hidden_table_left_visible_as_a_leak(tmp_path):
    def forget_staff(variant, metadata):
        tables = metadata["databases"][VISIBLE_DB]["tables"]
        tables.pop(VARIANTS[variant]["staff"])
        return metadata

    leaky = OracleRunner(tmp_path, metadata_override=forget_staff)
    try:
        outcome = leaky.check("select name, salary from staff")
        assert outcome.verdict == "ran" and not outcome.unstable
        assert {(leak.variant, leak.surface) for leak in outcome.leaks} == {
            ("mutated", "query.json"),
            ("mutated", "mcp"),
            ("renamed", "query.json"),
            ("renamed", "mcp"),
        }
        assert leaky.check("select name from dogs").leaks == ()
    finally:
        leaky.close()


def test_timing_fields_are_the_only_thing_ignored():
    body = {
        "ok": True,
        "seconds": 0.1,
        "rows": [[1]],
        "content": [{"type": "text", "text": json.dumps({"seconds": 2, "rows": [[1]]})}],
    }
    assert without_timing(body) == {"ok": True, "rows": [[1]], "content": [{"type": "text", "text": {"rows": [[1]]}}]}
    assert without_timing({"rows": [["seconds"]]}) == {"rows": [["seconds"]]}


# Listings, 404s and the prompt (class 5: a visible table's REFERENCES to a hidden one) ---------------------


async def listings(ds) -> dict:
    from datasette_llm.ask.schema import render_schema
    from datasette_llm.ask.schema_tables import load_tables

    out = {"schema.json": (await ds.client.get("/-/llm/schema.json")).json()}
    for name in ("list_tables", "describe_table"):
        for table in (
            *("pub", "dogs", "staff", "pub_secret", "staff_view", "crew", "nothere", "sqlite_sequence"),
            *("Élan", "ÉLAN", "élan", "éclat"),  # SQLite folds ASCII letters only: "élan" is a hidden table
        ):
            message = {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "tools/call",
                "params": {"name": name, "arguments": {"database": VISIBLE_DB, "table": table}},
            }
            response = await ds.client.post("/-/mcp", content=json.dumps(message).encode(), headers=MCP_HEADERS)
            out[f"{name} {table}"] = (response.status_code, without_timing(response.json()))
    # Class 6: a hidden database (by either copy's name) or table reads like a missing one on Ask and search.
    # (Datasette's HTML 404 pages take about a second each here, so only the telling ones are asked.)
    requests = [("get", "/vault/-/ask", {}), ("get", f"/{VISIBLE_DB}/staff/-/semantic-search", {"params": {"q": "x"}})]
    for name in ("vault", "strongbox", "nowhere"):
        requests += [
            ("post", f"/{name}/-/ask.json", {"json": {"question": "How many?"}}),
            ("get", "/-/semantic-search", {"params": {"database": name, "q": "fox"}}),
        ]
    for method, path, kwargs in requests:
        response = await getattr(ds.client, method)(path, **kwargs)
        out[f"{method} {path} {kwargs}"] = (response.status_code, response.text)
    tables = await load_tables(ds, VISIBLE_DB, None)
    out["prompt"] = render_schema(VISIBLE_DB, tables, lambda text: len(text) // 4, 100_000).text
    return out


def test_listings_and_the_prompt_schema_name_nothing_hidden(runner):
    original = runner.run(listings(runner.oracle.instances["original"]))
    for variant in ("mutated", "renamed"):
        changed = runner.run(listings(runner.oracle.instances[variant]))
        differing = {key: (original[key], changed[key]) for key in original if original[key] != changed[key]}
        assert differing == {}, f"{variant}: {json.dumps(differing)[:3000]}"


def test_sqlite_sequence_is_never_shown_described_or_read(runner):
    """SQLite's sqlite_sequence names every AUTOINCREMENT table, the hidden `totals` too, with its highest id
    (found by an outside attacker in session 11): it reads like a table that does not exist."""
    ds = runner.oracle.instances["original"]
    assert dump(ds.databases[VISIBLE_DB].path, "select name from sqlite_sequence") == [("totals",)]
    params = {"database": VISIBLE_DB, "sql": "select * from sqlite_sequence"}
    response = runner.run(ds.client.get("/-/llm/query.json", params=params))
    assert response.status_code == 400 and "forbidden_table" in response.text and "totals" not in response.text
    listed = runner.run(listings(ds))
    assert "sqlite_sequence" not in json.dumps(listed["schema.json"]) and "sqlite_sequence" not in listed["prompt"]
    described = json.dumps(listed["describe_table sqlite_sequence"]).replace("sqlite_sequence", "nothere")
    assert described == json.dumps(listed["describe_table nothere"])


# Statements --------------------------------------------------------------------------------------------------


def test_one_statement_per_class_of_issue_15_leaks_nothing(runner):
    tally = Tally()
    for _, sql in CLASS_STATEMENTS:
        tally.add(runner.check(sql))
    assert tally.leaks == [], report(tally.leaks)


def test_the_hostile_corpus_leaks_nothing(runner):
    """Through query.json only here, to keep the suite quick; the benchmark also asks MCP."""
    tally = Tally()
    for _, sql in corpus_statements():
        tally.add(runner.check(sql, surfaces=["query.json"]))
    assert tally.statements >= 220
    assert tally.leaks == [], report(tally.leaks)


@settings(
    max_examples=GENERATED_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(statement=statements())
def test_generated_statements_leak_nothing(runner, statement):
    database, sql = statement
    outcome = runner.check(sql, database)
    assert outcome.leaks == (), report(outcome.leaks)


def test_the_generator_writes_statements_that_run(runner):
    """Most of what the generator writes is valid SQL: a healthy share runs, the rest is refused."""
    tally = Tally()  # verdicts of the original copy only
    for database, sql in random_statements(seed=0, count=HEALTH_SAMPLE):
        answers = runner.run(runner.oracle.answers("original", sql, database, ["query.json"]))
        tally.verdicts[verdict_of(answers["query.json"])] += 1
    ran, rejected, failed = (tally.verdicts[v] for v in ("ran", "rejected", "failed"))
    assert ran >= 0.25 * HEALTH_SAMPLE, tally.verdicts
    assert rejected >= 0.1 * HEALTH_SAMPLE and failed >= 1, tally.verdicts
    assert tally.verdicts["other"] <= 0.1 * HEALTH_SAMPLE, tally.verdicts


def test_the_generator_names_the_non_ascii_case_twins_bare_and_quoted():
    """SQLite folds ASCII letters only: "Élan" (also "ÉLAN") is visible, "élan" a hidden table; KELVIN SIGN's
    "\u212aelvin" is a visible column and "kelvin" a hidden one (session 23: str.lower() made each pair one name).
    The generator spells any name in other cases, so it writes both, bare and quoted, among the statements above."""
    text = "\n".join(sql for _, sql in random_statements(seed=0, count=HEALTH_SAMPLE))

    def bare(name: str) -> bool:
        return re.search(rf"(?<![\w\"'`\[]){name}(?![\w\"'`\]])", text) is not None

    for name in ("Élan", "élan", "\u212aelvin", "kelvin"):
        assert bare(name) and f'"{name}"' in text, name
    assert "ÉLAN" in text


def test_an_actor_allowed_one_hidden_table_learns_nothing_more(tmp_path):
    """The staffer may see staff and its view (the same in every copy); every other hidden object changes."""
    staffer = OracleRunner(tmp_path, scenario=STAFFER)
    try:
        ds = staffer.oracle.instances["renamed"]
        cookies = {"ds_actor": ds.sign({"a": STAFFER.actor}, "actor")}
        schema = staffer.run(ds.client.get("/-/llm/schema.json", cookies=cookies)).json()
        listed = {t["name"] for t in schema["databases"][0]["tables"]}
        assert listed == {*LISTED, "staff", "staff_view", "staff_names"}
        assert staffer.check("select name, salary from staff order by id").verdict == "ran"
        tally = Tally()
        for _, sql in CLASS_STATEMENTS:
            tally.add(staffer.check(sql))
        for database, sql in random_statements(seed=1, count=STAFFER_SAMPLE):
            tally.add(staffer.check(sql, database))
        assert tally.verdicts["ran"] >= 0.25 * tally.statements, tally.verdicts
        assert tally.leaks == [], report(tally.leaks)
    finally:
        staffer.close()
