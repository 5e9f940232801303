"""embed_table / enable_fts on a path that does not exist: NotFound, and no empty database file left behind (SQLite
would create one at the path, a typo's file that later commands open as an empty database)."""

import pytest
from search_helpers import FakeEmbeddingModel

from datasette_llm.embeddings import embed_table, enable_fts
from datasette_llm.errors import NotFound

pytestmark = pytest.mark.no_datasette


def test_no_file_is_made_for_a_path_that_does_not_exist(tmp_path):
    path = tmp_path / "typo.db"
    with pytest.raises(NotFound, match="does not exist"):
        embed_table(str(path), "docs", model=FakeEmbeddingModel())
    with pytest.raises(NotFound, match="does not exist"):
        enable_fts(str(path), "docs")
    assert not path.exists()
