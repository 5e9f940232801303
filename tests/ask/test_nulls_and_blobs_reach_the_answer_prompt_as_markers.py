"""Ask end to end (a real Datasette, the pipeline, a scripted model): a NULL reaches the answer prompt as NULL, distinct
from the text 'NULL' and the text 'None'; a blob as "<binary, N bytes>" with N its length in the database, never its
bytes. So a number that only a blob's bytes hold was never shown: an answer quoting it is flagged.

Generated rows; the oracle is SQLite's own result (typeof() and length() of each cell, run here with sqlite3)."""

import random
import sqlite3

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask

SQL = "select name, note, data from items order by id"


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(4))
async def test_nulls_and_blobs_are_shown_as_markers_and_a_blobs_digits_are_no_number_shown(tmp_path, seed):
    rng = random.Random(seed)
    path = tmp_path / f"items{seed}.db"
    con = sqlite3.connect(path)
    con.execute("create table items (id integer primary key, name text, note, data)")
    hidden = rng.randint(100_000, 999_999)  # only a blob's bytes hold it
    notes = [None, "NULL", "None", rng.choice([None, "null", " NULL "])]
    for i, note in enumerate(notes):
        blob = f"{hidden}".encode() * rng.randint(1, 3) if i % 2 == 0 else None
        con.execute("insert into items values (?, ?, ?, ?)", (i + 1, f"item{i}", note, blob))
    con.commit()
    oracle = con.execute(
        "select name, typeof(note), note, typeof(data), length(data) from items order by id"
    ).fetchall()
    con.close()

    model = ScriptedModel([sql_reply(SQL), f"The data of item0 is {hidden}."])
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}})
    result = await ask(ds, f"items{seed}", "What data does each item hold?", model=model)
    prompt = model.calls[1][1]["content"]
    lines = {line.split(" | ")[0]: line.split(" | ")[1:] for line in prompt.splitlines() if line.startswith("item")}
    for name, note_type, note, data_type, length in oracle:
        note_cell, data_cell = lines[name]
        if note_type == "null":
            assert note_cell == "NULL", (name, note_cell)
        else:
            assert note_cell != "NULL" and note.strip() in note_cell, (name, note, note_cell)
        if data_type == "blob":
            assert data_cell == f"<binary, {length} bytes>", (name, data_cell)
        else:
            assert data_cell == "NULL", (name, data_cell)
    assert str(hidden) not in prompt
    assert any(w.startswith("The answer mentions") and str(hidden) in w for w in result.warnings), result.warnings
