"""Which rows' text an answer reads: with a table chosen (`table=` over HTTP), only that table's; in mode both, the
rows the query returned, or all of them with a note when none of its rows has embeddings. Two mutants of an outside
tester (session 56) survived: the tables with embeddings not cut to the chosen one, and no note when the query's
rows matched no row with embeddings."""

import pytest
import sqlite_utils
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask

TOOLS = [
    {"id": "shot-scraper", "readme": "A command-line utility for taking automated screenshots of websites."},
    {"id": "ttok", "readme": "Count and truncate text based on tokens."},
]
NOTES = [
    {"id": "n1", "body": "Screenshots of websites are taken every night by the screenshot robot."},
    {"id": "n2", "body": "The screenshot robot stores websites' screenshots in a bucket."},
]
UNMATCHED = "the query's rows could not be matched to rows with embeddings; searched all of them instead"


@pytest.fixture(scope="module")
def two_texts(tmp_path_factory, embedding_model):
    from datasette_llm.embeddings import embed_table

    path = tmp_path_factory.mktemp("two") / "two.db"
    db = sqlite_utils.Database(path)
    db["tools"].insert_all(TOOLS, pk="id")
    db["notes"].insert_all(NOTES, pk="id")
    db.close()
    embed_table(path, "tools", columns=["readme"], model=embedding_model)
    embed_table(path, "notes", columns=["body"], model=embedding_model)
    return path


def passage_tables(result) -> set[str]:
    return {passage["table"] for passage in result.passages}


@pytest.mark.asyncio
async def test_a_chosen_table_is_the_only_text_read(two_texts):
    question = "Who takes screenshots of websites?"
    model = ScriptedModel(["It is done [1]."])
    everything = await ask(Datasette([str(two_texts)]), "two", question, model=model, mode="text")
    assert passage_tables(everything) == {"tools", "notes"}, everything.passages  # both hold the words
    for table in ("tools", "notes"):
        model = ScriptedModel(["It is done [1]."])
        result = await ask(Datasette([str(two_texts)]), "two", question, model=model, mode="text", tables=[table])
        assert result.error is None and passage_tables(result) == {table}, result.passages


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("sql", "matched"), [("select id from tools where id = 'ttok'", True), ("select 42 as answer", False)]
)
async def test_both_reads_the_rows_the_query_returned_or_says_it_searched_all(two_texts, sql, matched):
    model = ScriptedModel([sql_reply(sql), "It counts tokens [1]."])
    result = await ask(Datasette([str(two_texts)]), "two", "What does ttok do?", model=model, mode="both")
    assert result.error is None and result.path == "both", result.error
    assert (UNMATCHED in result.notes) is not matched, result.notes
    if matched:
        assert [(p["table"], p["pk"]) for p in result.passages] == [("tools", ["ttok"])], result.passages
