"""`datasette llm examples add` of a pair the guard refuses exits with code 1 and says why (docs/reference/cli.md,
docs/examples.md), in one line, as the command line reports every error. An outside tester's mutation run (session
56) found that the suite's check of it, that the error output starts with the refusal, also passed when the
command went on past the refusal and failed a second time ("Error: AttributeError: 'NoneType' object has no
attribute 'id'").

Oracle: the whole output of each refused `add`, and nothing stored.
"""

import pytest
from click.testing import CliRunner

from datasette_llm.cli import llm
from datasette_llm.examples import ExampleStore


@pytest.mark.parametrize(
    "question, sql, reason",
    [
        ("Dogs?", "select * from dogs", 'no such table "dogs"'),
        ("Names?", "select nam from cats", 'no such column "nam"'),
        ("Delete?", "delete from cats", "only SELECT"),
        ("   ", "select 1", "The question is empty."),
    ],
)
def test_a_refused_add_is_one_line_of_error_and_exit_code_1(db_path, state, question, sql, reason):
    result = CliRunner().invoke(llm, ["examples", "add", db_path, question, sql])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: the example was refused: ") and reason in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n"), result.stderr
    assert ExampleStore(state / "examples.db").examples("db") == []
