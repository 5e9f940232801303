"""An example added through the Python API with `added_by` (a script or import, named for one that is not an
actor: examples/check.py add_examples) is not the checking actor's own: the author shortcut of a listing (an
example is always shown to whoever added it) must not show it to that actor once they may no longer view what it
reads. Oracle: Datasette's own answer for the actor on `/db/{table}.json` under the later rules."""

import json

import pytest
from datasette.app import Datasette
from examples_helpers import make_database, signed_in

from datasette_llm.config import settings_for
from datasette_llm.examples import ExampleStore, add_examples

ALICE = {"id": "alice"}
PAIRS = [
    ("How many codes?", "select count(*) from secret"),
    ("How many cats?", "select count(*) from cats"),
    ("Cats and codes?", "select name, launch_code from cats join secret on secret.id = cats.id"),
]


def instance(path, state, secret_rule):
    metadata = {
        "databases": {"db": {"tables": {"secret": {"allow": secret_rule}}}},
        "plugins": {"datasette-llm": {"state_dir": str(state), "warm_up": False, "allow_teach": {"id": "alice"}}},
    }
    return Datasette([str(path)], metadata=json.loads(json.dumps(metadata)), secret="script-examples")


@pytest.mark.parametrize("added_by", ["script", "import:examples.json", "alice"])
@pytest.mark.asyncio
async def test_a_scripts_example_is_shown_to_the_actor_only_by_the_tables_it_reads(tmp_path, added_by):
    path = make_database(tmp_path / "db.db")
    state = tmp_path / "state"
    before = instance(path, state, {"id": "alice"})  # alice may see secret when the script runs
    store = ExampleStore.for_settings(settings_for(before))
    outcomes = await add_examples(before, "db", PAIRS, actor=ALICE, store=store, added_by=added_by)
    assert [o.status for o in outcomes] == ["added"] * len(PAIRS)
    after = instance(path, state, False)  # then nobody may
    viewable = {
        t
        for t in ("cats", "secret")
        if (await after.client.get(f"/db/{t}.json", **signed_in(after, ALICE))).status_code == 200
    }
    listed = await after.client.get("/-/llm/db/examples.json", **signed_in(after, ALICE))
    assert listed.status_code == 200, listed.text
    shown = {e["sql"] for e in listed.json()["examples"]}
    # Whatever `added_by` names, alice is the actor who added them: her own are shown to her whatever they read
    # (SECURITY.md), and they are hers only when no other author was named.
    if added_by == "alice":
        expected = {sql for _, sql in PAIRS}
    else:
        expected = {sql for _, sql in PAIRS if ("secret" not in sql or "secret" in viewable)}
    assert shown == expected, (added_by, viewable, shown)
