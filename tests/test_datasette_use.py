"""The check behind the marker `no_datasette` (tests/datasette_use.py): a marked test that runs Datasette's code fails.

Run in a pytest of its own over generated test files, with the same plugin, so each way of reaching Datasette's
code is seen to fail the marked test that takes it, and a test that takes none passes. Not marked itself: the
plugin wraps the installed Datasette's functions, so this runs on both versions.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

TESTS = Path(__file__).resolve().parent

CASES = {
    "builds_a_datasette": ("from datasette.app import Datasette", "Datasette([])", "built a Datasette"),
    # the plugin's own code calling a function Datasette defines, with no Datasette built
    "plugin_calls_datasette": (
        "from datasette_llm.agents import schema_api",
        "import sqlite3\n    conn = sqlite3.connect(':memory:')\n    conn.execute('create table t (a)')\n"
        "    assert schema_api._table_details(conn, 't', False, {'t'})['name'] == 't'",
        "called datasette's table_column_details",
    ),
    "lazy_import": (
        "import importlib",
        "importlib.import_module('datasette.utils').escape_sqlite('x')",
        "called datasette's escape_sqlite",
    ),
    "builds_a_response": (
        "",
        "from datasette.utils.asgi import Response\n    Response.text('hi')",
        "built a Response",
    ),
    "starts_datasette": (
        "import subprocess, sys",
        "subprocess.run([sys.executable, '-m', 'datasette', '--version'], capture_output=True)",
        "started 'datasette'",
    ),
    "reads_the_version": ("", "DATASETTE_1 = False", "its module imports datasette or reads its version"),
    "pure": (
        "from datasette_llm.ask.numbers import unverified_numbers",
        "assert unverified_numbers('1', '1', 'q') == []",
        None,
    ),
}


def test_a_marked_test_that_runs_datasettes_code_fails_with_the_reason(tmp_path):
    (tmp_path / "conftest.py").write_text(
        f"import sys\nsys.path.insert(0, {str(TESTS)!r})\npytest_plugins = ['datasette_use']\n"
    )
    for name, (imports, body, _) in CASES.items():
        source = f"import pytest\n{imports}\n\npytestmark = pytest.mark.no_datasette\n\n\ndef test_it():\n    {body}\n"
        (tmp_path / f"test_{name}.py").write_text(source)
    # a fixture that built a Datasette for an earlier test taints a later test that uses it
    (tmp_path / "test_zz_fixture.py").write_text(
        textwrap.dedent("""
            import pytest

            pytestmark = pytest.mark.no_datasette


            @pytest.fixture(scope="session")
            def shared():
                from datasette import app
                return app.Datasette([])


            def test_first(shared):
                pass


            def test_second(shared):
                pass
        """)
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", "-m", "no_datasette", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    out = done.stdout
    for name, (_, _, reason) in CASES.items():
        if reason is None:
            assert f"PASSED test_{name}.py::test_it" in out, out
            assert f"ERROR test_{name}.py::test_it" not in out, out
        else:
            assert f"ERROR test_{name}.py::test_it" in out, out
            assert reason in out, (name, out)
    assert "ERROR test_zz_fixture.py::test_first" in out, out
    assert "uses the fixture 'shared', which built a Datasette" in out, out
