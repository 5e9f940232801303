"""An example keeps the names its own author could see, never others (docs/examples.md, "Each entry keeps the names
its author could see, never others"). The command line may find any author's example (an export imported again adds
nothing), and its names are looked for among all the database's tables; found that way, the example must stay its
author's as it was. An outside tester's mutation run (session 53): merging the command line's names into another
author's example passed the suite, and then a teacher's example whose question says "secret" (a table hidden from
them) vanished from the teacher's own page, and from every prompt of askers who may not see `secret`, after someone
ran `datasette llm examples import` of an export.

Oracle: another teacher's listing over HTTP (examples.json; the author's own always shows their examples), who may
not see `secret` either, before and after the import through the real command line.
"""

import asyncio
import json

import pytest
from click.testing import CliRunner
from datasette.app import Datasette
from examples_helpers import TEACHER, signed_in, teaching_metadata

from datasette_llm.cli import llm

PAIR = {"question": "How many cats are there, secret ones too?", "sql": "select count(*) from cats"}


def invoke(*args):
    result = CliRunner().invoke(llm, ["examples", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result


OTHER_TEACHER = {"id": "teacher2"}


def metadata() -> dict:
    """teaching_metadata() with a second teacher who, like the first, may not see `secret`."""
    meta = teaching_metadata()
    plugin = meta["plugins"]["datasette-llm"]
    plugin["allow_ask"]["id"].append("teacher2")
    plugin["allow_teach"]["id"].append("teacher2")
    return meta


async def teachers_listing(ds) -> dict:
    response = await ds.client.get("/-/llm/db/examples.json", **signed_in(ds, OTHER_TEACHER))
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.asyncio
async def test_importing_an_export_leaves_a_teachers_example_shown_to_other_teachers(db_path, state, tmp_path):
    ds = Datasette([db_path], metadata=metadata())
    added = await ds.client.post("/-/llm/db/examples", json=PAIR, **signed_in(ds, TEACHER))
    assert added.status_code == 201, added.text
    example_id = added.json()["example"]["id"]
    before = await teachers_listing(ds)
    assert [e["id"] for e in before["examples"]] == [example_id] and before["not_shown"]["examples"] == 0

    exported = tmp_path / "export.json"
    await asyncio.to_thread(invoke, "export", db_path, "--output", exported)  # the CLI runs its own event loop
    assert json.loads(exported.read_text()) == [PAIR]
    imported = await asyncio.to_thread(invoke, "import", db_path, exported)
    assert "0 added, 1 already present, 0 refused" in imported.output

    after = await teachers_listing(ds)
    assert [e["id"] for e in after["examples"]] == [example_id], after
    assert after["not_shown"]["examples"] == 0
