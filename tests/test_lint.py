"""The house style runs with the tests: `ruff format --check` and `ruff check` over the repository (pyproject.toml
holds their settings; files git ignores, such as the virtual environments, are left out)."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_datasette

ROOT = Path(__file__).resolve().parent.parent
RUFF = Path(sys.executable).parent / "ruff"  # installed with the test dependencies


@pytest.mark.parametrize("command", [["format", "--check"], ["check"]], ids=["format", "check"])
def test_ruff_finds_nothing_to_change(command):
    result = subprocess.run([str(RUFF), *command, "."], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
