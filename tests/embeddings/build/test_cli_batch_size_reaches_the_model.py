"""`datasette llm embed --batch-size N` sends the model N texts at a time (a model server's request size, a local
model's memory), one committed batch each."""

import pytest
from click.testing import CliRunner
from search_helpers import make_table, use_fake_model

from datasette_llm.cli import llm


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


def test_the_model_gets_batches_of_the_size_asked(tmp_path, fake_model):
    path = str(tmp_path / "data.db")
    make_table(path, "docs", [{"id": i, "body": f"walrus {i}"} for i in range(5)])
    sizes = []
    real = fake_model._embed
    fake_model._embed = lambda texts: sizes.append(len(texts)) or real(texts)
    result = CliRunner().invoke(llm, ["embed", path, "docs", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert sizes == [2, 2, 1]
