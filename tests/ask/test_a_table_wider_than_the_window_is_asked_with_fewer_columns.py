"""A database whose one table is alone too wide for the model's window can still be asked: the table is described
by its key, the columns the question names and then its first others, as many as fit, with a note of how many
were left out. Schema fitting dropped whole tables but always kept one whole, so 500 columns of long names made
every question a 400 `context_overflow` blaming the client for the server's schema (an outside tester, session 59).

Oracle, for generated widths, name lengths and windows: the question is answered with the rows SQLite returns;
the first prompt and its reply fit the window; the prompt names the key and the column the question names, and
exactly the columns it says it shows (the note's count is the table's width less those); a table that fits is
described whole, with no such note."""

import re
import sqlite3

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.config import Settings

CASES = [(c, n, w) for c in (5, 60, 300) for n in (8, 60, 250) for w in (1024, 2048, 4096)]


def make(path, columns: int, name_length: int) -> list[str]:
    names = [f"c{i:03d}_" + "w" * name_length for i in range(columns)]
    names[columns // 2] = "population_" + "w" * name_length  # the one the question names
    conn = sqlite3.connect(path)
    conn.execute("create table wide (id integer primary key, " + ", ".join(f"{n} integer" for n in names) + ")")
    conn.execute(f"insert into wide (id, {names[columns // 2]}) values (1, 42), (2, 58)")
    conn.commit()
    conn.close()
    return ["id", *names]


@pytest.mark.asyncio
@pytest.mark.parametrize(("columns", "name_length", "window"), CASES)
async def test_a_table_too_wide_for_the_window_is_described_by_the_columns_that_fit(
    tmp_path, columns, name_length, window
):
    path = tmp_path / "wide.db"
    names = make(path, columns, name_length)
    asked = names[columns // 2 + 1]
    sql = f"select sum({asked}) from wide"
    model = ScriptedModel([sql_reply(sql), "The total population is 100."], context=window)
    question = "What is the total population?"
    result = await ask(Datasette([str(path)]), "wide", question, model=model, settings=Settings(warm_up=False))
    assert result.error is None and result.rows == ((100,),), (result.error, result.notes)
    first = model.calls[0]
    assert model.count_message_tokens(first) + model.options[0].max_tokens <= window
    prompt = "\n".join(message["content"] for message in first)
    shown = [name for name in names if re.search(rf"\b{name}\b", prompt)]
    note = [n for n in result.notes if "columns of wide left out" in n]
    if len(shown) == len(names):
        assert not note and "more columns not shown" not in prompt
        return
    assert "id" in shown and asked in shown, shown[:5]
    assert note == [
        f"schema: {len(names) - len(shown):,} of {len(names):,} columns of wide left out of the prompt "
        "to fit its budget"
    ], result.notes
    assert f"-- {len(names) - len(shown):,} more columns not shown" in prompt
