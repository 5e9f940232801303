import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
from datasette.app import Datasette
from hypothesis import given, settings
from hypothesis import strategies as st

from datasette_llm.config import MAXIMUM, Settings, load_settings, settings_for
from datasette_llm.errors import ConfigError


def test_defaults_work_with_nothing_set():
    settings = load_settings({}, {})
    assert settings.chat_model == "default" and settings.embedding_model == "default"
    assert settings.models_dir.name == "models" and "datasette-llm" in str(settings.models_dir)
    assert settings.openai_api_key is None and settings.databases is None


def test_environment_overrides_defaults(tmp_path):
    settings = load_settings(
        {}, {"DATASETTE_LLM_MODELS_DIR": str(tmp_path), "OPENAI_API_KEY": "sk-x", "DATASETTE_LLM_N_CTX": "4096"}
    )
    assert settings.models_dir == tmp_path and settings.openai_api_key == "sk-x" and settings.n_ctx == 4096


def test_plugin_settings_override_environment(tmp_path):
    settings = load_settings(
        {"models_dir": str(tmp_path / "a"), "queue_limit": "7", "databases": "one"},
        {"DATASETTE_LLM_MODELS_DIR": str(tmp_path / "b")},
    )
    assert settings.models_dir == tmp_path / "a"
    assert settings.queue_limit == 7
    assert settings.databases == ("one",) and settings.enabled_for("one") and not settings.enabled_for("two")


def test_unknown_setting_is_an_error():
    with pytest.raises(ConfigError) as info:
        load_settings({"chat_modle": "x"}, {})
    assert "chat_modle" in info.value.message and "chat_model" in info.value.message


def test_bad_number_is_an_error():
    with pytest.raises(ConfigError) as info:
        load_settings({"n_ctx": "big"}, {})
    assert "n_ctx" in info.value.message


def test_settings_from_datasette_metadata_with_env_secret(monkeypatch):
    monkeypatch.setenv("MY_KEY", "sk-secret")
    datasette = Datasette(
        memory=True,
        metadata={
            "plugins": {
                "datasette-llm": {
                    "chat_model": "openai:gpt-4o-mini",
                    "openai_api_key": {"$env": "MY_KEY"},
                    "max_rows": 50,
                }
            }
        },
    )
    settings = settings_for(datasette)
    assert isinstance(settings, Settings)
    assert settings.openai_api_key == "sk-secret" and settings.max_rows == 50
    assert settings_for(datasette) is settings  # read once
    assert Path(settings.models_dir)


@pytest.mark.parametrize("name", ["sql_candidates", "repair_attempts", "max_rows"])
def test_counts_below_one_are_an_error(name):
    with pytest.raises(ConfigError) as info:
        load_settings({name: 0}, {})
    assert name in info.value.message and "at least 1" in info.value.message
    assert getattr(load_settings({name: "3"}, {}), name) == 3


def test_cli_reads_a_datasette_yaml_on_either_version(tmp_path):
    """`datasette llm ... --config datasette.yaml`: Datasette 1.0 reads it as config, 0.65 as metadata."""
    from datasette_llm.cli.common import make_datasette

    config = tmp_path / "datasette.yaml"
    config.write_text(
        "settings:\n  sql_time_limit_ms: 1500\n"
        "plugins:\n  datasette-llm:\n    max_rows: 42\n"
        "databases:\n  other:\n    plugins:\n      datasette-llm:\n        allow_ask: false\n"
    )
    datasette = make_datasette(config=str(config))
    assert settings_for(datasette).max_rows == 42
    assert datasette.plugin_config("datasette-llm", database="other", fallback=False) == {"allow_ask": False}
    assert datasette.setting("sql_time_limit_ms") == 1500


def test_a_bad_setting_stops_datasette_serve_at_launch_with_its_message(tmp_path):
    """Checked by the startup hook: the server never starts, rather than failing on the first request."""
    from datasette_versions import DATASETTE_1

    config = tmp_path / "config.yml"
    config.write_text("plugins:\n  datasette-llm:\n    answer_max_tokens: many\n")
    datasette = Path(sys.executable).parent / "datasette"
    flag = "-c" if DATASETTE_1 else "-m"
    done = subprocess.run(
        [str(datasette), "serve", "--memory", flag, str(config), "--get", "/-/versions.json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Error: datasette-llm:" in done.stderr and "answer_max_tokens" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout and '"datasette"' not in done.stdout


@pytest.mark.asyncio
async def test_the_startup_hook_refuses_an_unknown_setting():
    from datasette_llm.config import SettingsRefused

    ds = Datasette(memory=True, metadata={"plugins": {"datasette-llm": {"no_such_setting": 1}}})
    with pytest.raises(SettingsRefused, match="no_such_setting"):
        await ds.invoke_startup()


@pytest.mark.parametrize(
    "version, refused",
    [("1.0a9", True), ("1.0a20", True), ("1.0a38", True), ("1.0a39", False), ("1.0a41", False), ("1.0b1", False)]
    + [("1.0", False), ("1.0rc2", False), ("0.65.5", False), ("1.1a1", False), ("0.65.12", False)]
    + [("1.0a38.post1", True), ("1.0a38.dev0", True), ("1.0a38+local", True), ("1.0a39.post1", False)]
    + [("0.65.4", True), ("0.64.8", True), ("0.65", True)],
)
def test_the_1_0_alphas_before_a39_are_refused(version, refused):
    """On 1.0a20-a38 every route that asks Datasette about a permission answered 500, and answers to signed-in
    requests were not private to shared caches (an outside tester, session 46)."""
    from datasette_llm.compat import unsupported_datasette

    problem = unsupported_datasette(version)
    assert bool(problem) is refused
    if refused:
        assert version in problem and "1.0a39" in problem and "0.65.5" in problem


@pytest.mark.asyncio
async def test_the_startup_hook_refuses_a_datasette_the_plugin_does_not_run_on(monkeypatch):
    from datasette_llm import compat
    from datasette_llm.config import SettingsRefused

    monkeypatch.setattr(compat, "DATASETTE_VERSION", "1.0a38")
    with pytest.raises(SettingsRefused, match="this is 1.0a38"):
        await Datasette(memory=True).invoke_startup()


@pytest.mark.parametrize("name", ["few_shot_kept_tokens", "few_shot_budget_tokens", "few_shot_examples", "max_rows"])
def test_a_null_for_a_setting_with_a_default_is_refused_with_its_name(name):
    """An outside tester (session 20): `few_shot_kept_tokens: null` made every Ask a 500 (TypeError)."""
    with pytest.raises(ConfigError, match=f"'{name}' may not be null"):
        load_settings({name: None})


def test_settings_unset_by_default_may_be_null():
    settings = load_settings({"n_threads": None, "databases": None, "warm_up_databases": None, "allow_ask": None})
    assert settings.n_threads is None and settings.databases is None


NUMBERS = [f.name for f in fields(Settings) if f.type in ("int", "int | None", "float")]
MAY_BE_ZERO = {"draft_tokens", "reply_cache_entries", "few_shot_examples", "few_shot_budget_tokens"}
MAY_BE_ZERO |= {"few_shot_kept_tokens", "few_shot_repeat"}  # each documented as "0: none"


@pytest.mark.parametrize("name", NUMBERS)
def test_every_number_is_refused_below_its_range_never_started_with(name):
    """Every numeric setting, drawn from the Settings class so a new one is covered: query_max_rows 0 (no rows from
    the query API), max_question_chars -1 (every question a 400) and model_timeout -5 (every question a 504)
    started and then quietly broke a surface (an outside tester, session 39). Below its range, a bool or a float
    that is not finite is refused with the setting's name."""
    for value in [-1, True, float("nan"), float("-inf")] + ([] if name in MAY_BE_ZERO else [0]):
        with pytest.raises(ConfigError) as info:
            load_settings({name: value}, {})
        assert repr(name) in info.value.message, (name, value)
    smallest = 0 if name in MAY_BE_ZERO else 1024 if name == "context_window" else 1
    assert getattr(load_settings({name: smallest}, {}), name) == smallest
    most = MAXIMUM.get(name, 2**31 - 1)  # past any use: sql_candidates 2^31 - 1 asked for that many queries
    assert getattr(load_settings({name: most}, {}), name) == most
    with pytest.raises(ConfigError, match=repr(name)):
        load_settings({name: most + 1}, {})


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "own, refused",
    [
        ({"max_rows": 5}, "max_rows"),  # was ignored: 10 rows came back
        ({"no_such_setting": 1}, "no_such_setting"),
        ({"allow_ask": "bob"}, "allow_ask"),
        ({"allow_ask": False, "allow_teach": {"id": "alice"}}, None),
        (True, "must be an object"),  # every Ask route of the database answered 500 (a second tester, session 39)
        (["allow_ask"], "must be an object"),
    ],
)
async def test_a_databases_own_block_holds_only_allow_blocks(own, refused):
    """Only allow_ask and allow_teach are read per database; any other setting there once started and was ignored
    (an outside tester, session 39). Now it stops start-up with its name, as an unknown instance setting does."""
    from datasette_llm.config import SettingsRefused

    ds = Datasette(memory=True, metadata={"databases": {"_memory": {"plugins": {"datasette-llm": own}}}})
    if refused is None:
        await ds.invoke_startup()
    else:
        with pytest.raises(SettingsRefused, match=refused):
            await ds.invoke_startup()


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["default", "openai:", "openai:m", "onnx:", "x.gguf", "nonsense:x", "5", "2.5", " "]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
SHAPES = {
    "int": int,
    "int | None": (int, type(None)),
    "float": float,
    "bool": bool,
    "str": str,
    "str | None": (str, type(None)),
    "Path": Path,
    "Path | None": (Path, type(None)),
    "dict": dict,
    "tuple[str, ...] | None": (tuple, type(None)),
    "dict | bool | None": (dict, bool, type(None)),
}


@settings(max_examples=400, deadline=None)
@given(st.sampled_from([f.name for f in fields(Settings)]), JSON_VALUES)
def test_any_value_of_any_setting_is_taken_in_its_shape_or_refused_by_name(name, value):
    """Generated values (YAML or JSON can hold any of them) for every setting: load_settings refuses a value with a
    ConfigError that names the setting, or takes it in the setting's declared shape. A value of the wrong shape was
    taken and then failed every request that read it with a 500, or stopped start-up with a traceback (an outside
    tester, session 39)."""
    try:
        loaded = getattr(load_settings({name: value}, {}), name)
    except ConfigError as error:
        assert repr(name) in error.message
        return
    declared = {f.name: f.type for f in fields(Settings)}[name]
    assert isinstance(loaded, SHAPES[declared]), (name, value, loaded)
    assert not isinstance(loaded, bool) or declared in ("bool", "dict | bool | None"), (name, value)
    if isinstance(loaded, tuple):
        assert all(isinstance(item, str) for item in loaded)
    if isinstance(loaded, (int, float)) and not isinstance(loaded, bool):
        assert 0 <= loaded <= MAXIMUM.get(name, 2**31 - 1), (name, value)  # NaN fails both


@pytest.mark.asyncio
async def test_a_state_dir_that_is_a_file_stops_start_up(tmp_path):
    from datasette_llm.config import SettingsRefused

    file = tmp_path / "state"
    file.write_text("not a directory")
    ds = Datasette(memory=True, metadata={"plugins": {"datasette-llm": {"state_dir": str(file)}}})
    with pytest.raises(SettingsRefused, match="state_dir"):
        await ds.invoke_startup()


def test_rows_are_capped_at_datasettes_max_returned_rows_too():
    """Datasette's SQL page returned 3 rows with `max_returned_rows: 3` where the query API returned 30."""
    ds = Datasette(memory=True, settings={"max_returned_rows": 3})
    assert settings_for(ds).query_max_rows == 3 and settings_for(ds).max_rows == 3
    ds = Datasette(memory=True, settings={"max_returned_rows": 5000})
    assert settings_for(ds).query_max_rows == 100 and settings_for(ds).max_rows == 1000
