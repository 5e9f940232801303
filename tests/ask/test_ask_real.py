"""Ask end to end with the real default local model, through the Python API and the CLI."""

import json
import sqlite3

import pytest
import sqlite_utils
from click.testing import CliRunner
from datasette.app import Datasette
from datasette.cli import cli

from datasette_llm.ask.pipeline import ask


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    path = tmp_path_factory.mktemp("zoo") / "zoo.db"
    db = sqlite_utils.Database(path)
    db["keepers"].insert_all([{"id": 1, "name": "Maria"}, {"id": 2, "name": "Tom"}], pk="id")
    db["animals"].insert_all(
        [
            {"id": 1, "name": "Leo", "species": "lion", "age": 12, "keeper_id": 1},
            {"id": 2, "name": "Ellie", "species": "elephant", "age": 30, "keeper_id": 2},
            {"id": 3, "name": "Zara", "species": "zebra", "age": 7, "keeper_id": 1},
            {"id": 4, "name": "Gina", "species": "giraffe", "age": 15, "keeper_id": 2},
            {"id": 5, "name": "Pip", "species": "penguin", "age": 3, "keeper_id": 1},
        ],
        pk="id",
        foreign_keys=[("keeper_id", "keepers", "id")],
    )
    db.close()
    return path


@pytest.mark.one_leg  # what the real model writes: the 1.0 leg only (the CLI tests run in both)
@pytest.mark.asyncio
async def test_real_model_counts(zoo, chat_model):
    result = await ask(Datasette([str(zoo)]), "zoo", "How many animals are there?", model=chat_model)
    assert result.ok, result.error
    assert result.rows == ((5,),)
    assert "5" in result.answer or "five" in result.answer.lower()
    assert result.timings["total"] > 0 and result.tokens["sql_completion"] > 0


@pytest.mark.one_leg  # what the real model writes: the 1.0 leg only (the CLI tests run in both)
@pytest.mark.asyncio
async def test_real_model_join(zoo, chat_model):
    # Accuracy is measured by benchmarks/spider.py; this checks a join works end to end on real output.
    result = await ask(
        Datasette([str(zoo)]),
        "zoo",
        "List each keeper's name with the number of animals they look after.",
        model=chat_model,
    )
    assert result.ok, result.error
    assert "join" in result.sql.lower()
    assert sorted(result.rows) == [("Maria", 3), ("Tom", 2)]
    assert "Maria" in result.answer and "Tom" in result.answer


@pytest.mark.model  # the real model, through the CLI
def test_cli_ask_prints_sql_rows_answer(zoo):
    result = CliRunner().invoke(cli, ["llm", "ask", str(zoo), "How many animals are there?"])
    assert result.exit_code == 0, result.output
    assert "SQL:" in result.output and "count(" in result.output.lower()
    assert "Answer: " in result.output


@pytest.mark.model
def test_cli_ask_json_and_sql_only(zoo):
    result = CliRunner().invoke(cli, ["llm", "ask", str(zoo), "List the names of all lions", "--json", "--sql-only"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ok"] and data["answer"] is None and data["rows"] == [["Leo"]]
    assert set(data) >= {
        "question",
        "sql",
        "attempts",
        "columns",
        "rows",
        "row_count",
        "truncated",
        "notes",
        "answer",
        "timings",
        "tokens",
    }
    with sqlite3.connect(zoo) as conn:
        assert conn.execute("select count(*) from animals").fetchone() == (5,)


def test_cli_ask_errors_are_one_line(zoo, tmp_path):
    result = CliRunner().invoke(cli, ["llm", "ask", str(zoo), "   "])
    assert result.exit_code == 1 and "Error: Please enter a question." in result.output
    assert "Traceback" not in result.output


@pytest.mark.asyncio
async def test_a_question_asked_again_is_answered_from_the_replies_kept(zoo, chat_model):
    """The same prompts are not read twice (models/reply_cache.py): the second asking reads and writes nothing."""
    datasette = Datasette([str(zoo)])
    question = "Which keeper looks after the oldest animal?"
    first = await ask(datasette, "zoo", question, model=chat_model, actor={"id": "reply-cache-test"})
    again = await ask(datasette, "zoo", question, model=chat_model, actor={"id": "reply-cache-test"})
    assert first.ok and again.ok, (first.error, again.error)
    assert first.tokens["cached_replies"] == 0 and first.tokens["sql_prompt"] > 0
    assert (again.sql, again.rows, again.answer) == (first.sql, first.rows, first.answer)
    assert again.tokens["cached_replies"] >= 2
    assert again.tokens["sql_prompt"] == again.tokens["answer_prompt"] == again.tokens["sql_completion"] == 0
