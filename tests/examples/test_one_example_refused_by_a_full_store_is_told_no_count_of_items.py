"""Adding one example to a full store is answered with the store's message alone: the count "The first N items
were checked before it and M of them are stored" is for an import stopped part way (docs/examples.md), and said
of a single add from the page, the JSON API or `examples add` it reads "The first 0 items ... 0 of them are
stored". An outside tester's mutation run (session 56) found the suite passed with that count on every refusal.

Oracle: the 507 body of the JSON API, the page's message and the command line's error, each exactly the store's
message; and nothing stored.
"""

import json

import pytest
from click.testing import CliRunner
from datasette.app import Datasette
from examples_helpers import TEACHER, signed_in, teaching_metadata

from datasette_llm.cli import llm
from datasette_llm.examples import ExampleStore

OLDEST = {"question": "How old is the oldest cat?", "sql": "select max(age) from cats"}


def full_message():
    from datasette_llm.examples import store as store_module

    return (
        f"This database has as many trusted examples as it may ({store_module.MAX_EXAMPLES_PER_DATABASE:,} or "
        f"{store_module.MAX_EXAMPLE_BYTES_PER_DATABASE // 1_000_000} MB of questions and SQL); remove some on its "
        "examples page, or with `datasette llm examples remove`, before adding more."
    )


@pytest.mark.asyncio
async def test_the_json_api_says_only_that_the_store_is_full(db_path, state, monkeypatch):
    from datasette_llm.examples import store as store_module

    monkeypatch.setattr(store_module, "MAX_EXAMPLES_PER_DATABASE", 1)
    ds = Datasette([db_path], metadata=teaching_metadata())
    auth = signed_in(ds, TEACHER)
    first = {"question": "How many cats?", "sql": "select count(*) from cats"}
    assert (await ds.client.post("/-/llm/db/examples", json=first, **auth)).status_code == 201
    full = await ds.client.post("/-/llm/db/examples", json=OLDEST, **auth)
    assert full.status_code == 507, full.text
    assert full.json()["error"] == full_message(), full.json()["error"]
    right = await ds.client.post("/-/llm/db/feedback", json={**OLDEST, "verdict": "right"}, **auth)
    assert right.status_code == 507 and right.json()["error"] == full_message(), right.text
    assert [e.question for e in ExampleStore(state / "examples.db").examples("db")] == [first["question"]]


def test_the_command_line_says_only_that_the_store_is_full(db_path, state, monkeypatch):
    from datasette_llm.examples import store as store_module

    monkeypatch.setattr(store_module, "MAX_EXAMPLES_PER_DATABASE", 0)
    result = CliRunner().invoke(llm, ["examples", "add", db_path, OLDEST["question"], OLDEST["sql"]])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert result.stderr == f"Error: {full_message()}\n", result.stderr
    one = state.parent / "one.json"
    one.write_text(json.dumps([OLDEST]))
    imported = CliRunner().invoke(llm, ["examples", "import", db_path, str(one)])
    assert imported.exit_code == 1 and imported.stderr == f"Error: {full_message()}\n", imported.output
    assert ExampleStore(state / "examples.db").examples("db") == []
