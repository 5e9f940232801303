"""A JOIN on a column the joined table lacks, mended through the one table that links the two."""

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.ask.repairs.join_mends import bridge_join
from datasette_llm.sql.guard import check_select
from datasette_llm.sql.join_links import Link
from datasette_llm.sql.results import Rejection, SchemaInfo

TABLES = {
    "Artist": ("ArtistId", "Name"),
    "Album": ("AlbumId", "Title", "ArtistId"),
    "Track": ("TrackId", "Name", "AlbumId"),
}
LINKS = (Link("Album", "ArtistId", "Artist", "ArtistId"), Link("Track", "AlbumId", "Album", "AlbumId"))
SCHEMA = SchemaInfo(tables=TABLES, links=LINKS)


def mend(sql, schema=SCHEMA):
    rejection = check_select(sql, schema, max_rows=100, allowed_tables=set(schema.tables))
    assert isinstance(rejection, Rejection)
    return bridge_join(sql, rejection, schema)


def test_the_table_between_is_joined_on_its_keys():
    fixed, change = mend("SELECT T1.Name FROM Artist AS T1 JOIN Track AS T2 ON T1.ArtistId = T2.ArtistId")
    assert fixed == (
        "SELECT T1.Name FROM Artist AS T1 JOIN Album ON Album.ArtistId = T1.ArtistId "
        "JOIN Track AS T2 ON T2.AlbumId = Album.AlbumId"
    )
    assert change == (
        "Track has no ArtistId: joined it to Artist through Album "
        "(Track.AlbumId = Album.AlbumId, Album.ArtistId = Artist.ArtistId)"
    )


def test_either_order_of_tables_and_sides():
    fixed, _ = mend("SELECT a.Name FROM Track AS t JOIN Artist AS a ON t.ArtistId = a.ArtistId")
    assert fixed == (
        "SELECT a.Name FROM Track AS t JOIN Album ON Album.AlbumId = t.AlbumId "
        "JOIN Artist AS a ON a.ArtistId = Album.ArtistId"
    )


@pytest.mark.parametrize(
    "sql",
    [
        # the two columns differ: not the same name copied across
        "SELECT T1.Name FROM Artist AS T1 JOIN Track AS T2 ON T1.Name = T2.ArtistId",
        # the table between is already in the query: the model can say how it meant to use it
        "SELECT T1.Name FROM Artist AS T1 JOIN Album ON Album.ArtistId = T1.ArtistId "
        "JOIN Track AS T2 ON T1.ArtistId = T2.ArtistId",
        # more than a plain equality
        "SELECT T1.Name FROM Artist AS T1 JOIN Track AS T2 ON T1.ArtistId = T2.ArtistId AND T2.TrackId > 1",
    ],
)
def test_left_alone_when_the_intent_is_not_plain(sql):
    assert mend(sql) is None


def test_left_alone_when_two_tables_could_be_between():
    tables = {**TABLES, "Single": ("SingleId", "ArtistId", "TrackId")}
    links = (*LINKS, Link("Single", "ArtistId", "Artist", "ArtistId"), Link("Single", "TrackId", "Track", "TrackId"))
    schema = SchemaInfo(tables=tables, links=links)
    assert mend("SELECT T1.Name FROM Artist AS T1 JOIN Track AS T2 ON T1.ArtistId = T2.ArtistId", schema) is None


@pytest.mark.asyncio
async def test_the_pipeline_mends_it_without_asking_again(tmp_path):
    import sqlite3

    path = tmp_path / "music.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE Artist (ArtistId INTEGER PRIMARY KEY, Name TEXT);
        CREATE TABLE Album (AlbumId INTEGER PRIMARY KEY, Title TEXT, ArtistId INTEGER REFERENCES Artist(ArtistId));
        CREATE TABLE Track (TrackId INTEGER PRIMARY KEY, Name TEXT, AlbumId INTEGER REFERENCES Album(AlbumId));
        INSERT INTO Artist VALUES (1, 'AC/DC'), (2, 'Accept');
        INSERT INTO Album VALUES (1, 'For Those About To Rock', 1), (2, 'Balls to the Wall', 2);
        INSERT INTO Track VALUES (1, 'a', 1), (2, 'b', 1), (3, 'c', 2);
        """
    )
    conn.commit()
    conn.close()
    wrong = (
        "SELECT T1.Name, COUNT(T2.TrackId) AS n FROM Artist AS T1 JOIN Track AS T2 ON T1.ArtistId = T2.ArtistId "
        "GROUP BY T1.Name ORDER BY n DESC"
    )
    model = ScriptedModel([sql_reply(wrong)])
    result = await ask(Datasette([str(path)]), "music", "Tracks per artist?", model=model, sql_only=True)
    assert result.ok and [list(r) for r in result.rows] == [["AC/DC", 2], ["Accept", 1]]
    assert len(model.calls) == 1 and len(result.attempts) == 1
    assert any("joined it to Artist through Album" in note for note in result.notes)
