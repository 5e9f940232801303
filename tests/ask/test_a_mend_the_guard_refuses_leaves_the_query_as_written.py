"""A mend the guard refuses is not run (mend.py run_mended: "Validate and run a mended query ... or None if it
fails either"). Dropping a JOIN the question never asked for (UNASKED_JOINS) can leave a query that no longer
validates: `(SELECT MAX(venue))` read the dropped table's column from a correlated subquery. The query then runs
as the model wrote it, with no mend listed. No test had a mend the guard refuses: a version that ran the refused
mend anyway failed the question with an exception.
"""

import sqlite3

import pytest
import sqlite_utils
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.ask.repairs.unasked_joins import drop_unasked_joins
from datasette_llm.sql.join_links import Link

SQL = "select title, (select max(venue)) as venue from songs join concerts on concerts.song_id = songs.id"
QUESTION = "List the song titles"


@pytest.fixture
def path(tmp_path):
    path = tmp_path / "music.db"
    db = sqlite_utils.Database(path)
    db["songs"].insert_all([{"id": 1, "title": "Aria"}, {"id": 2, "title": "Bolero"}], pk="id")
    db["concerts"].insert_all(
        [{"id": 1, "song_id": 1, "venue": "Hall"}, {"id": 2, "song_id": 1, "venue": "Park"}],
        pk="id",
        foreign_keys=[("song_id", "songs", "id")],
    )
    db.close()
    return path


def test_the_mend_itself_would_drop_the_join():
    columns = {"songs": ("id", "title"), "concerts": ("id", "song_id", "venue")}
    mended = drop_unasked_joins(SQL, QUESTION, columns, (Link("concerts", "song_id", "songs", "id"),))
    assert mended is not None and "JOIN" not in mended[0].upper()  # a mend the guard then refuses (venue)


@pytest.mark.asyncio
async def test_the_query_runs_as_written_when_the_guard_refuses_its_mend(path):
    # (the scripted model keeps its query if it is sent back with a doubt)
    model = ScriptedModel([sql_reply(SQL)] * 3 + ["Aria was played twice."] * 2)
    result = await ask(Datasette([str(path)]), "music", QUESTION, model=model)
    conn = sqlite3.connect(path)
    expected = conn.execute(SQL).fetchall()
    conn.close()
    assert "JOIN" in result.sql.upper()
    assert sorted(result.rows) == sorted(expected)
    assert all(attempt.fixes == () for attempt in result.attempts)
    assert not any("left out the JOIN" in note for note in result.notes)
