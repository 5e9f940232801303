"""Schemathesis against the published OpenAPI spec, on a real server: no input may cause a 5xx.

The Ask operation is excluded: every generated case would run the local model for minutes.
"""

import re
import subprocess
from pathlib import Path

from agents_helpers import build_db, served
from server_helpers import ARTIFACTS

# Installed by setup-scripts/install.sh in a venv of its own: it brings rich, which breaks Datasette 0.65's 404s.
SCHEMATHESIS = Path(__file__).resolve().parents[2] / ".venv-tools" / "bin" / "schemathesis"


def test_schemathesis_finds_no_server_errors(tmp_path):
    assert SCHEMATHESIS.exists(), f"{SCHEMATHESIS} is missing: run setup-scripts/install.sh"
    db_path = build_db(tmp_path / "db.db", big=False)
    with served(tmp_path, db_path, {"title": "Schemathesis"}) as base:
        run = subprocess.run(
            [
                str(SCHEMATHESIS),
                "run",
                base + "/-/llm/openapi.json",
                "--checks",
                "not_a_server_error",
                "--max-examples",
                "25",
                "--seed",
                "20240618",
                "--exclude-path",
                "/{database}/-/ask.json",
                "--request-timeout",
                "20",
                "--no-color",
            ],
            check=False,
            capture_output=True,
            text=True,
            timeout=180,
            cwd=tmp_path,
        )
        log = ARTIFACTS / f"agents_datasette_{base.rsplit(':', 1)[1]}.log"
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    assert "No issues found" in output
    assert re.search(r"Tested: 4\b", output), output[-2000:]
    assert not re.search(r'HTTP/1\.1" 5\d\d', log.read_text())  # nothing the checks could have missed
