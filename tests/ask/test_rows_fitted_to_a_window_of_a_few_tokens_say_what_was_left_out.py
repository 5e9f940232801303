"""Ask end to end (a real Datasette, the pipeline, a scripted model) with the answer's window swept down to a few
tokens of rows: every Ask ends (no fitting loop without end), the answer prompt fits the window, and its notes state
the true row count and how many rows the model was shown; with none shown, the numbers of the answer are flagged.

Generated rows of long text; the oracle is SQLite's own count over the query (sqlite3) and the rows in the answer
prompt the model received."""

import asyncio
import random
import re
import sqlite3

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.answer import answer_messages
from datasette_llm.ask.pipeline import ask

SQL = "select label, body from notes order by id"


def make_notes(path, seed):
    rng = random.Random(seed)
    con = sqlite3.connect(path)
    con.execute("create table notes (id integer primary key, label text, body text)")
    for i in range(rng.randint(2, 6)):
        con.execute("insert into notes values (?, ?, ?)", (i + 1, f"n{i}", "word " * rng.randint(20, 200)))
    con.commit()
    total = con.execute(f"select count(*) from ({SQL})").fetchone()[0]
    labels = [label for label, _ in con.execute(SQL)]
    con.close()
    return total, labels


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(2))
async def test_a_window_of_a_few_tokens_of_rows_ends_and_its_notes_tell_the_truth(tmp_path, seed):
    path = tmp_path / f"notes{seed}.db"
    total, labels = make_notes(path, seed)
    probe = ScriptedModel([sql_reply(SQL), "Nothing."])
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}})
    ran = await ask(ds, f"notes{seed}", "What do the notes say?", model=probe)
    # The tokens of the answer prompt without rows (as answer.py reserves them, 64 beside): the window left for rows
    # is swept from nothing to a few clipped rows by the answer's own budget (answer_max_tokens).
    overhead = probe.count_message_tokens(answer_messages("What do the notes say?", ran.sql)) + 64
    for room in range(-4, 160, 3):
        settings = {"warm_up": False, "answer_max_tokens": 8192 - overhead - room}
        ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": settings}})
        model = ScriptedModel([sql_reply(SQL), "There are 4242 notes."])
        result = await asyncio.wait_for(ask(ds, f"notes{seed}", "What do the notes say?", model=model), 20)
        assert result.ok and result.row_count == total
        if len(model.calls) < 2:  # the table answered: no model read the rows
            assert result.answer == f"The query returned {total:,} rows; they are listed in the results.", result
            continue
        messages = model.calls[1]
        assert model.count_message_tokens(messages) + model.options[1].max_tokens <= 8192
        content = messages[1]["content"]
        shown = int(re.search(r"\nResult \(([\d,]+) of ([\d,]+) rows\):", content).group(1))
        assert re.search(rf"\nResult \({shown:,} of {total:,} rows\):", content), content[-400:]
        rows = re.search(r"\nResult \(.*?\):\n(.*?)\n(?:Notes: .*\n)?\nAnswer the question", content, re.S).group(1)
        header, *lines = rows.split("\n")
        assert len(lines) == shown and header.startswith("label")  # the header, then one line a row
        for line, label in zip(lines, labels):  # the rows SQLite returned, in order, each with its first cell
            assert line.split(" | ")[0] == label, (line[:60], label)
        if shown < total:
            assert any(note.startswith(f"{shown:,} of {total:,} rows shown;") for note in result.notes), result.notes
        assert any("4242" in w for w in result.warnings), result.warnings
