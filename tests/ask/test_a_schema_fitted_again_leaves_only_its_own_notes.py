"""A schema fitted again after a server said its window replaces the first schema's notes with its own: the result
says what the prompt that was answered left out, never also what a refused prompt left out ("2 of 60 tables left
out" beside "46 of 60"). ask/pipeline.py render_schema; an outside tester's gap P28, session 56 (the test of the
refit in test_ask_pipeline.py starts from a schema that needed no notes)."""

import pytest
import sqlite_utils
from ask_helpers import WindowLearningModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask


@pytest.mark.asyncio
async def test_the_refused_schemas_notes_are_gone(tmp_path):
    path = tmp_path / "wide.db"
    db = sqlite_utils.Database(path)
    for n in range(60):
        db[f"table_{n}"].insert_all([{"id": i, **{f"column_{c}": i * c for c in range(12)}} for i in range(3)], pk="id")
    model = WindowLearningModel([sql_reply("select count(*) from table_3"), "3."], slot="sql", context=8192)
    result = await ask(Datasette([str(path)]), "wide", "How many rows in table_3?", model=model, mode="sql")
    assert result.ok and result.rows == ((3,),)
    left_out = [note for note in result.notes if note.startswith("schema:") and "tables left out" in note]
    assert len(left_out) == 1 and left_out[0].startswith("schema: 46 of 60 tables left out"), left_out
    assert len([note for note in result.notes if note.startswith("schema: example rows left out")]) == 1
