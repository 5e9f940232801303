"""The table between (ask/repairs/join_mends.py bridge_join): the table between is joined "on its foreign keys" only
when it has exactly one link to each side. With two keys from the far table to it (Track.AlbumId and
Track.BonusAlbumId, both to Album) which one the model meant is not known, and the query is left to the model.
No test had two links on one side: a version that took the first link joined the bonus album's artist.
"""

import pytest

from datasette_llm.ask.repairs.join_mends import bridge_join
from datasette_llm.sql.guard import check_select
from datasette_llm.sql.join_links import Link
from datasette_llm.sql.results import Rejection, SchemaInfo

pytestmark = pytest.mark.no_datasette

TABLES = {
    "Artist": ("ArtistId", "Name"),
    "Album": ("AlbumId", "Title", "ArtistId"),
    "Track": ("TrackId", "Name", "BonusAlbumId", "AlbumId"),
}
ONE_KEY = (Link("Album", "ArtistId", "Artist", "ArtistId"), Link("Track", "AlbumId", "Album", "AlbumId"))
TWO_KEYS = (
    Link("Album", "ArtistId", "Artist", "ArtistId"),
    Link("Track", "BonusAlbumId", "Album", "AlbumId"),
    Link("Track", "AlbumId", "Album", "AlbumId"),
)
SQL = "SELECT T1.Name FROM Artist AS T1 JOIN Track AS T2 ON T1.ArtistId = T2.ArtistId"


def mend(links):
    schema = SchemaInfo(tables=TABLES, links=links)
    rejection = check_select(SQL, schema, max_rows=100, allowed_tables=set(TABLES))
    assert isinstance(rejection, Rejection)
    return bridge_join(SQL, rejection, schema)


def test_two_keys_from_the_far_table_to_the_table_between_leave_it_alone():
    assert mend(TWO_KEYS) is None


def test_one_key_each_side_is_mended():
    fixed, _ = mend(ONE_KEY)
    assert "JOIN Album ON" in fixed and "T2.AlbumId = Album.AlbumId" in fixed
