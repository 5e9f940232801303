"""`examples export` writes every example, those over a table the metadata hides from anonymous visitors too, and
`import` (which checks as an anonymous visitor) reads its own export back: such an example is already present, not
refused (an outside tester, session 56: exit 1, "refused ... no such table"). A new pair over the hidden table is
still refused, and nothing is written."""

import asyncio
import json

import pytest
from click.testing import CliRunner
from datasette.app import Datasette
from examples_helpers import make_database, signed_in, teaching_metadata

import datasette_llm.models
from datasette_llm.cli import llm
from datasette_llm.errors import DatasetteLLMError


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.setenv("DATASETTE_LLM_STATE_DIR", str(tmp_path / "state"))

    def no_embedder(*args, **kwargs):
        raise DatasetteLLMError("no embedding model in this test")

    monkeypatch.setattr(datasette_llm.models, "embedding_model_for", no_embedder)
    db = make_database(tmp_path / "db.db")
    metadata = teaching_metadata()  # `secret` is the admin's alone; anonymous (the command line) does not see it
    (tmp_path / "metadata.json").write_text(json.dumps(metadata))

    async def admin_adds():
        ds = Datasette([str(db)], metadata=metadata, secret="s56")
        for pair in (
            {"question": "How many cats?", "sql": "select count(*) from cats"},
            {"question": "How many codes?", "sql": "select count(*) from secret"},
        ):
            response = await ds.client.post("/-/llm/db/examples", json=pair, **signed_in(ds, {"id": "admin"}))
            assert response.status_code == 201, response.text

    asyncio.run(admin_adds())
    return tmp_path, db


def listed(cli, db, tmp_path):
    result = cli.invoke(llm, ["examples", "list", str(db), "--json", "-m", str(tmp_path / "metadata.json")])
    return sorted(entry["sql"] for entry in json.loads(result.stdout))


def test_the_export_imports_back(setup):
    tmp_path, db = setup
    cli = CliRunner()
    out = tmp_path / "export.json"
    exported = cli.invoke(llm, ["examples", "export", str(db), "-o", str(out), "-m", str(tmp_path / "metadata.json")])
    assert exported.exit_code == 0, exported.output
    assert len(json.loads(out.read_text())) == 2
    before = listed(cli, db, tmp_path)
    again = cli.invoke(llm, ["examples", "import", str(db), str(out), "-m", str(tmp_path / "metadata.json")])
    assert again.exit_code == 0, again.output
    assert "0 added, 2 already present, 0 refused." in again.stdout
    assert listed(cli, db, tmp_path) == before


def test_a_new_pair_over_the_hidden_table_is_still_refused(setup):
    tmp_path, db = setup
    cli = CliRunner()
    new = tmp_path / "new.json"
    new.write_text(json.dumps([{"question": "Which codes?", "sql": "select code from secret"}]))
    before = listed(cli, db, tmp_path)
    result = cli.invoke(llm, ["examples", "import", str(db), str(new), "-m", str(tmp_path / "metadata.json")])
    assert result.exit_code == 1 and "0 added, 0 already present, 1 refused." in result.stdout, result.output
    assert listed(cli, db, tmp_path) == before
