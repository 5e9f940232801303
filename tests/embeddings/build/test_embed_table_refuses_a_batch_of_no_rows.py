"""embed_table(batch_size=0) is a caller's mistake, said as one: BadRequest before the database is touched (not a
ValueError from range() deep in the model once the first row is read)."""

import pytest
from search_helpers import FakeEmbeddingModel, make_table

from datasette_llm.embeddings import embed_table
from datasette_llm.errors import BadRequest

pytestmark = pytest.mark.no_datasette


@pytest.mark.parametrize("size", [0, -1])
def test_a_batch_size_below_one_is_a_bad_request(tmp_path, size):
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": 1, "body": "walrus"}])
    before = path.read_bytes()
    with pytest.raises(BadRequest, match="batch_size"):
        embed_table(str(path), "docs", model=FakeEmbeddingModel(), batch_size=size)
    assert path.read_bytes() == before
