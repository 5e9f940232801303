"""A `--sql` query may name one id twice (a join, a UNION): the first row wins, as a primary key would, and the later
one is neither embedded nor allowed to replace it; a rebuild of the same query then finds it unchanged."""

import sqlite3

import pytest
from search_helpers import FakeEmbeddingModel, make_table

from datasette_llm.embeddings import content_hash, embed_table

pytestmark = pytest.mark.no_datasette

SQL = "select id, body from docs union all select id, 'later ' || body from docs order by 1"


def test_the_first_row_of_an_id_wins(tmp_path):
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": 1, "body": "walrus"}, {"id": 2, "body": "mango"}])
    model = FakeEmbeddingModel()
    with sqlite3.connect(path) as conn:
        first = {}
        for id_, body in conn.execute(SQL):
            first.setdefault(str(id_), body)
    conn.close()
    summary = embed_table(str(path), "docs", sql=SQL, model=model, store=True)
    assert summary.embedded == 2 and model.texts_embedded == 2
    with sqlite3.connect(path) as conn:
        stored = {row[0]: (row[1], row[2]) for row in conn.execute("select id, content, content_hash from embeddings")}
    conn.close()
    assert stored == {id_: (body, content_hash(body)) for id_, body in first.items()}
    again = embed_table(str(path), "docs", sql=SQL, model=model)
    assert (again.embedded, again.unchanged, model.texts_embedded) == (0, 2, 2)
