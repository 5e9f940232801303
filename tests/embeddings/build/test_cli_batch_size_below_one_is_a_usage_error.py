"""`--batch-size 0` is a usage error (exit 2, click's message naming the option and its range), caught before the
database is opened."""

import pytest
from click.testing import CliRunner
from search_helpers import make_table, use_fake_model

from datasette_llm.cli import llm


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


@pytest.mark.parametrize("size", ["0", "-3", "4097"])
def test_batch_sizes_out_of_range(tmp_path, fake_model, size):
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": 1, "body": "walrus"}])
    before = path.read_bytes()
    result = CliRunner().invoke(llm, ["embed", str(path), "docs", "--batch-size", size])
    assert result.exit_code == 2, result.output
    assert "--batch-size" in result.output and "1<=x<=4096" in result.output
    assert path.read_bytes() == before
