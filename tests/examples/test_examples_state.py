"""Where the plugin's state directory is (setting, then environment, then XDG), and what is wrong with a bad one."""

import os

import pytest
from datasette.app import Datasette

from datasette_llm.config import Settings, load_settings, settings_for
from datasette_llm.errors import ConfigError
from datasette_llm.examples import STATE_DIR_ENV, ExampleStore, make_state_dir, state_dir


def test_state_dir_precedence_setting_then_environment_then_xdg(tmp_path, monkeypatch):
    monkeypatch.delenv(STATE_DIR_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert state_dir(load_settings()) == tmp_path / "home" / ".local" / "share" / "datasette-llm"

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert state_dir(load_settings()) == tmp_path / "xdg" / "datasette-llm"

    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path / "env"))
    assert state_dir(load_settings()) == tmp_path / "env"
    assert state_dir(Settings()) == tmp_path / "env"  # Settings built without load_settings

    assert state_dir(load_settings({"state_dir": str(tmp_path / "setting")})) == tmp_path / "setting"
    assert state_dir(load_settings({"state_dir": "~/mine"})) == tmp_path / "home" / "mine"
    with pytest.raises(ConfigError, match="directory path"):
        load_settings({"state_dir": " "})


def test_the_server_reads_the_same_state_dir_as_the_cli(tmp_path, monkeypatch):
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path / "env"))
    served = Datasette(memory=True, metadata={"plugins": {"datasette-llm": {"state_dir": str(tmp_path / "s")}}})
    assert ExampleStore.for_settings(settings_for(served)).path == tmp_path / "s" / "examples.db"
    assert ExampleStore.for_settings(settings_for(Datasette(memory=True))).path == tmp_path / "env" / "examples.db"


def test_a_file_in_place_of_the_state_dir_is_a_config_error(tmp_path):
    (tmp_path / "taken").write_text("not a directory")
    for path in (tmp_path / "taken", tmp_path / "taken" / "below"):
        store = ExampleStore(path / "examples.db")
        with pytest.raises(ConfigError) as error:
            store.add("db", "q", "select 1", added_by=None, schema_hash="h")
        assert str(path) in error.value.message and STATE_DIR_ENV in error.value.message
    with pytest.raises(ConfigError, match="not a directory"):
        ExampleStore(tmp_path / "taken" / "examples.db").examples("db")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to any directory")
def test_a_read_only_state_dir_is_a_config_error(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(ConfigError, match="not writable"):
        make_state_dir(locked)
