"""A COUNT over rows pinned to one by a value no two rows share (ask/repairs/one_row_count.py).

The oracle of the generated test is Python's own reading of the rows: the doubt is raised exactly when the query
counts rows of one table whose WHERE pins a column every row holds a different, non-NULL value of (more than one
row), so the count can only be 1 or 0.
"""

import asyncio
import sqlite3

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette
from hypothesis import given, settings
from hypothesis import strategies as st
from schema_helpers import spider_gold, spider_probes

from datasette_llm.ask.pipeline import ask
from datasette_llm.ask.repairs.one_row_count import one_row_count, plan
from datasette_llm.ask.repairs.value_hints import Probe

COLUMNS = {"reports": ("id", "title", "region", "report"), "regions": ("code", "label")}
REPORTS = [
    (1, "Leror Mine", "north", "At most 417 miners worked there."),
    (2, "Lerror Mine", "north", "At most 789 miners worked there."),
    (3, "Kuorine Bridge", "south", "It rests on 5 stone arches."),
]


def _database(path, reports=REPORTS):
    conn = sqlite3.connect(path)
    conn.executescript(
        "create table reports (id integer primary key, title text, region text, report text);"
        "create table regions (code text primary key, label text);"
        "insert into regions values ('north', 'The North'), ('south', 'The South');"
    )
    conn.executemany("insert into reports values (?, ?, ?, ?)", reports)
    conn.commit()
    conn.close()
    return path


@pytest.fixture(scope="module")
def reports_db(tmp_path_factory):
    return _database(tmp_path_factory.mktemp("one_row") / "reports.db")


def doubts(path, sql, allowed=frozenset(COLUMNS), question="How many miners worked there?"):
    async def run():
        datasette = Datasette([str(path)])
        probe = Probe(datasette.get_database(path.stem), set(allowed), 5000)
        return await one_row_count(probe, sql, question, COLUMNS)

    return asyncio.run(run())


@pytest.mark.parametrize(
    "sql, doubted",
    [
        ("select count(*) from reports where title = 'Leror Mine'", True),
        ("SELECT COUNT(id) FROM reports AS r WHERE r.title = 'Leror Mine' AND region = 'north'", True),
        ("select count(*) from reports where 'Leror Mine' = title", True),
        ("select count(*) from reports where id = 2", True),
        ("select count(*) from reports where region = 'north'", False),  # two rows share a region
        ("select count(*) from reports where title like 'Le%'", False),  # not one value
        ("select count(*) from reports where title = 'Leror Mine' or region = 'south'", False),
        ("select count(*) from reports", False),
        ("select region, count(*) from reports where title = 'Leror Mine' group by region", False),
        ("select count(*) from reports r join regions g on g.code = r.region where r.title = 'Leror Mine'", False),
        ("select report from reports where title = 'Leror Mine'", False),  # no count: the text is read
        ("select (select count(*) from regions) from reports where title = 'Leror Mine'", False),  # not its rows
        ("select count(*) from regions where label = 'The North'", True),
        ("select count(*) from nowhere where title = 'x'", False),
    ],
)
def test_only_a_count_pinned_by_a_value_no_two_rows_share_is_doubted(reports_db, sql, doubted):
    assert bool(doubts(reports_db, sql)) == doubted, sql


def test_the_doubt_says_why_the_count_is_one_and_what_to_select(reports_db):
    (doubt,) = doubts(reports_db, "select count(*) from reports where title = 'Leror Mine'")
    assert doubt == (
        "COUNT counts the rows of reports whose title is 'Leror Mine', and no two rows of reports share a title: "
        "the count is 1 or 0 whatever the question asks. The number asked for is in that row's other columns or "
        "written in its text: select the row instead, SELECT * FROM reports WHERE title = 'Leror Mine'"
    )


@settings(max_examples=80, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d", "e"])), min_size=0, max_size=6),
    pinned=st.sampled_from(["a", "b", "zz"]),
    column=st.sampled_from(["title", "region"]),
)
def test_doubts_match_whether_the_rows_really_share_the_pinned_column(tmp_path_factory, values, pinned, column):
    rows = [(n, v, v, "text") for n, v in enumerate(values, 1)]
    path = _database(tmp_path_factory.mktemp("generated") / "reports.db", rows)
    held = [v for v in values]
    expected = len(held) > 1 and None not in held and len(set(held)) == len(held)
    assert bool(doubts(path, f"select count(*) from reports where {column} = '{pinned}'")) == expected, values


@pytest.mark.parametrize(
    "question, doubted",
    [
        ("How many miners worked at Leror Mine?", True),
        ("What is the number of stone arches of Kuorine Bridge?", True),
        ("How many reports are about Leror Mine?", False),  # the count of reports answers it
        ("how many REPORT rows name Leror Mine", False),
        ("Is there a report on Leror Mine?", False),  # a count of 1 or 0 answers a yes or no
        ("Does Leror Mine have a report?", False),
    ],
)
def test_only_a_question_counting_what_the_table_does_not_name_is_doubted(reports_db, question, doubted):
    sql = "select count(*) from reports where title = 'Leror Mine'"
    assert bool(doubts(reports_db, sql, question=question)) == doubted


def test_a_probe_that_fails_raises_no_doubt(reports_db):
    sql = "select count(*) from reports where title = 'Leror Mine'"
    assert doubts(reports_db, sql, allowed={"regions"}) == []  # reports is not allowed: the probe fails
    assert doubts(reports_db, "SELECT FROM WHERE") == []


@pytest.mark.asyncio
async def test_the_model_is_asked_once_and_a_kept_count_is_warned(reports_db):
    question = "How many miners worked at Leror Mine?"
    count = "select count(*) from reports where title = 'Leror Mine'"
    text = "SELECT * FROM reports WHERE title = 'Leror Mine'"
    model = ScriptedModel([sql_reply(count), sql_reply(text), "At most 417 miners worked at Leror Mine."])
    result = await ask(Datasette([str(reports_db)]), "reports", question, model=model)
    assert [a.error_kind for a in result.attempts] == ["doubtful_logic", None]
    assert result.attempts[0].error.startswith("COUNT counts the rows of reports whose title is 'Leror Mine'")
    assert result.rows == ((1, "Leror Mine", "north", "At most 417 miners worked there."),)
    model = ScriptedModel([sql_reply(count), sql_reply(count), "There is 1 miner."])
    result = await ask(Datasette([str(reports_db)]), "reports", question, model=model)
    assert any(note.startswith("warning: COUNT counts the rows of reports") for note in result.notes), result.notes


@pytest.mark.skipif(not spider_gold(), reason="Spider dev set not available")
@pytest.mark.asyncio
async def test_no_spider_gold_query_counts_one_pinned_row():
    flagged = []
    for probe, item, columns in await spider_probes():
        if await one_row_count(probe, item["query"], item["question"], columns):
            flagged.append(item["query"])
    assert flagged == []


def test_hostile_and_malformed_sql_never_breaks_the_plan():
    from hostile_sql import HOSTILE_SQL

    for _, sql, _ in HOSTILE_SQL:
        planned = plan(sql, COLUMNS)
        assert planned is None or planned[3].startswith("select count(*) > 1"), sql
