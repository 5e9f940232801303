"""Two questions on a schema cut to fit name one saved prefix, its shared part (ask/schema.py, session 60), and
each prompt describes its own question's table after it."""

import pytest
import sqlite_utils
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask


@pytest.mark.asyncio
async def test_two_questions_on_a_cut_schema_save_and_share_one_start(tmp_path):
    """Through Ask: 30 tables whose example rows do not fit the window's schema share. Both questions' SQL
    requests name the same saved prefix, the start of their schema, and each prompt describes its own table."""
    path = tmp_path / "many.db"
    db = sqlite_utils.Database(path)
    for n in range(30):
        rows = [{"id": i, **{f"field_{n}_{c}": f"value {i} {c} " * 8 for c in range(8)}} for i in range(3)]
        db[f"table_{n}"].insert_all(rows, pk="id")
    datasette = Datasette([str(path)])
    model = ScriptedModel(
        [sql_reply("select count(*) from table_4"), sql_reply("select count(*) from table_27")], context=4096
    )
    for n in (4, 27):
        result = await ask(datasette, "many", f"How many rows has table_{n}?", model=model, sql_only=True)
        assert result.ok and result.rows == ((3,),)
    first, second = (options.prefix for options in model.options)
    assert first and first == second
    for n, call in zip((4, 27), model.calls):
        schema = call[1]["content"]
        assert schema.startswith(first)
        assert f"SELECT * FROM table_{n} LIMIT" in schema[len(first) :]
