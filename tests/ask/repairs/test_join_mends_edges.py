"""Edges of the JOIN mends (ask/repairs/join_mends.py) that no test reached: rejections that are not about a
column, ON clauses that are not a plain equality between two tables of the query, a bridge whose foreign keys use
other column names than the rejected one, joins that cannot be read or dropped. Written by an outside tester
(attack57m) against mutants of join_mends.py that survived the repo's tests. Every mended query is also run on
SQLite (the schema built empty, so a wrong name fails) and, for the bridge, against the rows the join means."""

import sqlite3

import pytest

from datasette_llm.ask.repairs.join_mends import bridge_join, drop_broken_join, join_missing_table
from datasette_llm.sql.join_links import Link
from datasette_llm.sql.results import Rejection, SchemaInfo

pytestmark = pytest.mark.no_datasette

# The bridge's foreign keys reach the two tables through columns named otherwise than the rejected one
# (Track.album_ref -> Album.AlbumId), so the wrong table's column name would show.
MUSIC = SchemaInfo(
    tables={
        "Artist": ("ArtistId", "Name"),
        "Album": ("AlbumId", "Title", "ArtistId"),
        "Track": ("TrackId", "Name", "album_ref"),
    },
    links=(Link("Album", "ArtistId", "Artist", "ArtistId"), Link("Track", "album_ref", "Album", "AlbumId")),
)
CONCERTS = SchemaInfo(
    tables={
        "stadium": ("Stadium_ID", "Name"),
        "concert": ("concert_ID", "Stadium_ID", "Year"),
        "singer_in_concert": ("concert_ID", "Singer_ID"),
    },
    links=(
        Link("concert", "Stadium_ID", "stadium", "Stadium_ID"),
        Link("singer_in_concert", "concert_ID", "concert", "concert_ID"),
    ),
)
CARS = SchemaInfo(
    tables={
        "cars_data": ("Id", "MPG", "Horsepower"),
        "car_names": ("MakeId", "Model"),
        "model_list": ("ModelId", "Maker", "Model"),
    },
    links=(Link("cars_data", "Id", "car_names", "MakeId"), Link("car_names", "Model", "model_list", "Model")),
)


def column(identifier):
    return Rejection(f"no such column: {identifier}", "unknown_column", identifier)


def sqlite_of(schema, rows=None):
    conn = sqlite3.connect(":memory:")
    for table, columns in schema.tables.items():
        conn.execute(f"create table {table} ({', '.join(columns)})")
    for table, values in (rows or {}).items():
        conn.executemany(f"insert into {table} values ({', '.join('?' * len(values[0]))})", values)
    return conn


MUSIC_ROWS = {
    "Artist": [(1, "Ann"), (2, "Bob")],
    "Album": [(10, "First", 1), (11, "Second", 2)],
    "Track": [(100, "a", 10), (101, "b", 10), (102, "c", 11)],
}
MEANT = (
    "SELECT Artist.Name, Track.Name FROM Artist JOIN Album ON Album.ArtistId = Artist.ArtistId "
    "JOIN Track ON Track.album_ref = Album.AlbumId ORDER BY 1, 2"
)


@pytest.mark.parametrize(
    "sql, bad",
    [
        (
            "SELECT T1.Name, T2.Name FROM Artist AS T1 JOIN Track AS T2 ON T1.ArtistId = T2.ArtistId ORDER BY 1, 2",
            "T2.ArtistId",
        ),
        (
            "SELECT a.Name, t.Name FROM Track AS t JOIN Artist AS a ON t.ArtistId = a.ArtistId ORDER BY 1, 2",
            "t.ArtistId",
        ),
    ],
)
def test_the_bridge_is_joined_on_each_links_own_columns(sql, bad):
    fixed, change = bridge_join(sql, column(bad), MUSIC)
    assert "album_ref" in fixed and "Track has no ArtistId: joined it to Artist through Album" in change
    conn = sqlite_of(MUSIC, MUSIC_ROWS)
    assert conn.execute(fixed).fetchall() == conn.execute(MEANT).fetchall()


@pytest.mark.parametrize(
    "mend, sql, schema",
    [
        (bridge_join, "SELECT T1.Name FROM Artist AS T1 JOIN Track AS T2 ON T1.ArtistId = T2.ArtistId", MUSIC),
        (
            drop_broken_join,
            "SELECT S.Name FROM stadium AS S JOIN singer_in_concert AS T ON S.Stadium_ID = T.Stadium_ID "
            "JOIN concert AS C ON C.Stadium_ID = S.Stadium_ID",
            CONCERTS,
        ),
    ],
)
def test_a_rejection_that_names_no_column_is_not_mended(mend, sql, schema):
    assert mend(sql, Rejection("one statement only", "multiple_statements"), schema) is None
    assert mend(sql, Rejection("no such column", "unknown_column", None), schema) is None


@pytest.mark.parametrize(
    "sql",
    [
        # no JOIN at all in the SELECT
        "SELECT T2.ArtistId FROM Track AS T2",
        # the ON clause compares with a constant, or with a table the query does not have
        "SELECT T1.Name FROM Artist AS T1 JOIN Track AS T2 ON T2.ArtistId = 1",
        "SELECT T1.Name FROM Artist AS T1 JOIN Track AS T2 ON T2.ArtistId = X.ArtistId",
        # the columns compared are not both the rejected name
        "SELECT T1.Name FROM Artist AS T1 JOIN Track AS T2 ON T2.ArtistId = T1.Name",
        # a table compared with itself
        "SELECT T1.Name FROM Artist AS T1 JOIN Track AS T2 ON T2.ArtistId = T2.ArtistId",
    ],
)
def test_a_join_that_is_not_a_plain_equality_of_two_tables_gets_no_bridge(sql):
    assert bridge_join(sql, column("T2.ArtistId"), MUSIC) is None


def test_an_on_clause_between_two_tables_neither_of_them_the_joined_one_gets_no_bridge():
    sql = (
        "SELECT T1.Name FROM Artist AS T1 JOIN Track AS T2 ON T2.TrackId = T1.ArtistId "
        "JOIN Album AS T3 ON T1.ArtistId = T2.ArtistId"
    )
    assert bridge_join(sql, column("T2.ArtistId"), MUSIC) is None


def test_no_bridge_when_the_table_qualified_has_the_column():
    # The rejection is about another SELECT's T1: this T1 (Album) has ArtistId
    sql = "SELECT T2.Name FROM Album AS T1 JOIN Artist AS T2 ON T1.ArtistId = T2.ArtistId"
    assert bridge_join(sql, column("T1.ArtistId"), MUSIC) is None


def test_a_subquerys_column_of_that_name_is_left_to_its_own_select():
    # both SELECTs lack Horsepower: the outer one is joined to cars_data; the inner one's reference is its own
    # (mended on the next pass, with its own JOIN), not turned into a correlated read of the outer row
    sql = "SELECT ModelId FROM model_list WHERE Horsepower > (SELECT max(Horsepower) FROM car_names)"
    fixed, _ = join_missing_table(sql, column("Horsepower"), CARS)
    assert "WHERE cars_data.Horsepower > (SELECT MAX(Horsepower) FROM car_names)" in fixed


def test_a_table_only_readable_by_others_is_not_joined():
    sql = "SELECT Model FROM model_list WHERE Horsepower > 150"
    assert join_missing_table(sql, column("Horsepower"), CARS, allowed={"model_list", "car_names"}) is None
    assert join_missing_table(sql, column("Horsepower"), CARS, allowed={"model_list", "car_names", "cars_data"})


def test_an_alias_that_is_the_home_tables_name_is_not_joined_again():
    sql = "SELECT cars_data.Model FROM model_list AS cars_data WHERE cars_data.Horsepower > 150"
    assert join_missing_table(sql, column("cars_data.Horsepower"), CARS) is None


@pytest.mark.parametrize(
    "sql",
    [
        # no JOIN at all
        "SELECT S.Name FROM stadium AS S WHERE S.Stadium_ID = 1",
        # the broken JOIN has no ON clause (USING), or joins a subquery
        "SELECT S.Name FROM stadium AS S JOIN singer_in_concert AS T USING (Stadium_ID) "
        "JOIN concert AS C ON C.Stadium_ID = S.Stadium_ID",
        "SELECT S.Name FROM stadium AS S JOIN (SELECT 1 AS x) AS T ON S.Stadium_ID = T.Stadium_ID "
        "JOIN concert AS C ON C.Stadium_ID = S.Stadium_ID",
    ],
)
def test_a_join_that_cannot_be_read_is_not_dropped(sql):
    assert drop_broken_join(sql, column("T.Stadium_ID"), CONCERTS) is None


def test_a_broken_join_is_dropped_and_the_rest_runs():
    sql = (
        "SELECT S.Name FROM stadium AS S JOIN singer_in_concert AS T ON S.Stadium_ID = T.Stadium_ID "
        "JOIN concert AS C ON C.Stadium_ID = S.Stadium_ID"
    )
    fixed, _ = drop_broken_join(sql, column("T.Stadium_ID"), CONCERTS)
    assert "singer_in_concert" not in fixed
    sqlite_of(CONCERTS).execute(fixed)


# -- more shapes the bridge must leave alone ----------------------------------------------------------------------


def _music(extra_tables=None, extra_links=()):
    return SchemaInfo(tables={**MUSIC.tables, **(extra_tables or {})}, links=MUSIC.links + tuple(extra_links))


BASE = "SELECT T1.Name FROM Artist AS T1 JOIN Track AS T2 ON T1.ArtistId = T2.ArtistId"


@pytest.mark.parametrize(
    "sql, bad",
    [
        # the qualifier rejected is no table of the query
        (BASE, "T9.ArtistId"),
        # the qualifier's side of the ON clause is another column
        ("SELECT T1.Name FROM Artist AS T1 JOIN Track AS T2 ON T1.ArtistId = T2.Name", "T2.ArtistId"),
        # an ON clause that is no equality, or none at all
        ("SELECT T1.Name FROM Artist AS T1 JOIN Track AS T2 ON T1.ArtistId < T2.ArtistId", "T2.ArtistId"),
        ("SELECT T1.Name FROM Artist AS T1 JOIN Track AS T2 USING (ArtistId)", "T2.ArtistId"),
    ],
)
def test_no_bridge_for_a_rejection_the_on_clause_does_not_make(sql, bad):
    assert bridge_join(sql, column(bad), MUSIC) is None


def test_no_bridge_for_an_on_clause_of_two_tables_before_the_joined_one():
    schema = _music({"Genre": ("GenreId", "Name")})
    sql = (
        "SELECT T1.Name FROM Artist AS T1 JOIN Track AS T2 ON T2.TrackId = T1.ArtistId "
        "JOIN Genre AS T3 ON T1.ArtistId = T2.ArtistId"
    )
    assert bridge_join(sql, column("T2.ArtistId"), schema) is None


def test_no_bridge_when_the_qualified_table_has_the_column():
    # Album has ArtistId: the rejection does not fit this SELECT, though Single would link Album and Artist
    schema = _music(
        {"Single": ("SingleId", "ArtistId", "AlbumId")},
        (Link("Single", "ArtistId", "Artist", "ArtistId"), Link("Single", "AlbumId", "Album", "AlbumId")),
    )
    sql = "SELECT T2.Name FROM Album AS T1 JOIN Artist AS T2 ON T1.ArtistId = T2.ArtistId"
    assert bridge_join(sql, column("T1.ArtistId"), schema) is None


def test_no_bridge_through_a_table_with_two_keys_to_the_good_side_or_none_through_the_name():
    two = SchemaInfo(
        tables={**MUSIC.tables, "Album": ("AlbumId", "Title", "ArtistId", "ProducerId")},
        links=MUSIC.links + (Link("Album", "ProducerId", "Artist", "ArtistId"),),
    )
    assert bridge_join(BASE, column("T2.ArtistId"), two) is None
    other = SchemaInfo(
        tables={**MUSIC.tables, "Album": ("AlbumId", "Title", "ArtistId", "OwnerId")},
        links=(Link("Album", "OwnerId", "Artist", "ArtistId"), Link("Track", "album_ref", "Album", "AlbumId")),
    )
    assert bridge_join(BASE, column("T2.ArtistId"), other) is None


# -- join_missing_table: which references are the rejected one ----------------------------------------------------

CARS_TWO_HOMES = SchemaInfo(
    tables={**CARS.tables, "car_names": ("MakeId", "Model", "Horsepower")},  # car_names has one too
    links=CARS.links,
)


def test_only_the_rejected_tables_references_are_moved():
    sql = (
        "SELECT T1.Model FROM model_list AS T1 JOIN car_names AS T2 ON T1.Model = T2.Model "
        "WHERE T1.Horsepower > T2.Horsepower"
    )
    fixed, _ = join_missing_table(sql, column("T1.Horsepower"), CARS_TWO_HOMES)
    assert "WHERE cars_data.Horsepower > T2.Horsepower" in fixed
    sqlite_of(CARS_TWO_HOMES).execute(fixed)
    # a table of the query that has the column is not the rejected one
    assert join_missing_table(sql, column("T2.Horsepower"), CARS_TWO_HOMES) is None


def test_a_correlated_reference_to_the_rejected_alias_is_not_read_as_the_subquerys():
    sql = "SELECT T1.Model FROM model_list AS T1 WHERE EXISTS (SELECT 1 FROM car_names WHERE T1.Horsepower > 1)"
    assert join_missing_table(sql, column("T1.Horsepower"), CARS) is None


# -- drop_broken_join: which JOIN is the broken one ------------------------------------------------------------------


def test_a_join_whose_on_clause_does_not_read_the_rejected_column_is_kept():
    sql = (
        "SELECT S.Name FROM stadium AS S JOIN singer_in_concert AS T ON S.Stadium_ID = T.Singer_ID "
        "JOIN concert AS C ON C.Stadium_ID = S.Stadium_ID"
    )
    assert drop_broken_join(sql, column("T.Stadium_ID"), CONCERTS) is None


def test_a_subquerys_own_alias_does_not_keep_the_broken_join():
    sql = (
        "SELECT S.Name FROM stadium AS S JOIN singer_in_concert AS T ON S.Stadium_ID = T.Stadium_ID "
        "JOIN concert AS C ON C.Stadium_ID = S.Stadium_ID WHERE S.Name IN (SELECT T.Name FROM stadium AS T)"
    )
    fixed, _ = drop_broken_join(sql, column("T.Stadium_ID"), CONCERTS)
    assert "singer_in_concert" not in fixed
    sqlite_of(CONCERTS).execute(fixed)
