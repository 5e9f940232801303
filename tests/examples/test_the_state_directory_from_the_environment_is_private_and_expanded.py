"""The state directory (docs/examples.md): "It is created with mode 0700 (only its owner can read it)", and
DATASETTE_LLM_STATE_DIR may start with `~`. The suite checked the file's 0600 and a `--state-dir ~/...`; an outside
tester's mutation run (session 53) found the directory's own mode unchecked (0755 passed): a directory every local
user may list, holding the store of feedback and hidden tables' SQL. The variable's `~` (expanded by the settings,
not only by state.state_dir) had no test either: unexpanded, a directory named `~` is made wherever the server runs.

Oracle: the file system after the first write, through the command line and a served Datasette's JSON endpoint.
"""

import stat

import pytest
from click.testing import CliRunner
from datasette.app import Datasette
from examples_helpers import TEACHER, signed_in, teaching_metadata

from datasette_llm.cli import llm
from datasette_llm.examples import STATE_DIR_ENV


def test_the_state_directory_made_by_the_first_write_is_its_owners_only(db_path, tmp_path, monkeypatch):
    state = tmp_path / "deep" / "state"
    monkeypatch.setenv(STATE_DIR_ENV, str(state))
    result = CliRunner().invoke(llm, ["examples", "add", db_path, "How many cats?", "select count(*) from cats"])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE((state / "examples.db").stat().st_mode) == 0o600


@pytest.mark.asyncio
async def test_a_state_directory_variable_starting_with_a_tilde_is_under_home(db_path, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(STATE_DIR_ENV, "~/st")
    ds = Datasette([db_path], metadata=teaching_metadata())
    pair = {"question": "How many cats?", "sql": "select count(*) from cats"}
    response = await ds.client.post("/-/llm/db/examples", json=pair, **signed_in(ds, TEACHER))
    assert response.status_code == 201, response.text
    assert (tmp_path / "home" / "st" / "examples.db").exists() and not (tmp_path / "~").exists()
    assert stat.S_IMODE((tmp_path / "home" / "st").stat().st_mode) == 0o700
