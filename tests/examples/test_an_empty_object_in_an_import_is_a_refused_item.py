"""`import` reads a JSON list of {"question": ..., "sql": ...} objects; "Every row is checked; the command prints each
row added, already present or refused (with the reason), and exits with code 1 if any row was refused"
(docs/examples.md). An object without the two keys is such a row: refused, by its number in the file. An outside
tester's mutation run (session 56) found that skipping empty objects silently (and numbering the items after them
wrongly) passed the suite.

Oracle: the item numbers and counts the command prints for a file whose second and fourth items are `{}`.
"""

import json

from click.testing import CliRunner

from datasette_llm.cli import llm
from datasette_llm.examples import ExampleStore


def test_empty_objects_are_refused_items_numbered_as_in_the_file(db_path, state, tmp_path):
    file = tmp_path / "holes.json"
    file.write_text(
        json.dumps(
            [
                {"question": "How many cats?", "sql": "select count(*) from cats"},
                {},
                {"question": "Cat names?", "sql": "select name from cats"},
                {},
            ]
        )
    )
    result = CliRunner().invoke(llm, ["examples", "import", db_path, str(file)])
    assert result.exit_code == 1, result.output
    assert "refused  item 2" in result.stderr and "refused  item 4" in result.stderr, result.stderr
    assert "The question is empty." in result.stderr
    assert "holes.json: 2 added, 0 already present, 2 refused." in result.stdout, result.stdout
    stored = ExampleStore(state / "examples.db").examples("db")
    assert [e.question for e in stored] == ["How many cats?", "Cat names?"]
