"""docs/reference/ is generated from the code: a change to settings, commands or routes must regenerate it."""

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_datasette

ROOT = Path(__file__).resolve().parent.parent


def load_builder():
    spec = importlib.util.spec_from_file_location("build_reference", ROOT / "docs" / "build_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_reference_pages_match_the_code(capsys):
    builder = load_builder()
    assert builder.main(["--check"]) == 0, capsys.readouterr().err


def test_every_setting_route_and_command_is_in_the_reference():
    from datasette_llm.cli import llm
    from datasette_llm.config import Settings
    from datasette_llm.web.routes import all_routes

    builder = load_builder()
    settings, cli, http = builder.settings_reference(), builder.cli_reference(), builder.http_reference()
    from datasette_llm.setting_docs import SETTING_DOCS

    assert set(SETTING_DOCS) == set(Settings.__dataclass_fields__), "document every setting in SETTING_DOCS"
    assert all(f"`{name}`" in settings for name in Settings.__dataclass_fields__)
    assert all(f"`datasette llm {name}`" in cli for name in llm.commands)
    assert all(view.__name__ in http for _, view in all_routes())
