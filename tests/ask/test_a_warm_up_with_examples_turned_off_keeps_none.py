"""`few_shot_examples: 0` turns all examples off (docs/examples.md), and the start-up warm-up reads "the schema and
the examples kept for every question" as a visitor's question would send them. With examples off, a question's
prompt has none, so the warm-up's shared start must have none either (else the saved state serves no question),
and the store is not read or re-checked for it. An outside tester's mutation run (session 55, tier 2 in session
56) found that a warm-up going on to keep examples with `few_shot_examples: 0` passed the suite.

Oracle: the messages the warm-up saves are, message for message, the start of what a question then sends; and
the store's file is byte for byte what it was (its examples were written against another schema, so any re-check
would write to it).
"""

import pytest
import sqlite_utils
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette
from datasette_versions import DATASETTE_1

from datasette_llm.ask import warm_up
from datasette_llm.ask.pipeline import ask
from datasette_llm.config import load_settings


class WarmableModel(ScriptedModel):
    """Records prepare_prefix calls (messages, options)."""

    prompt_cache = True
    states = object()

    def __init__(self, replies=()):
        super().__init__(list(replies))
        self.prepared = []
        self.last_active = 0.0

    def reading_speed(self):
        return None

    def busy(self):
        return False

    def prepare_prefix(self, messages, options, should_stop=lambda: False):
        self.prepared.append((messages, options))
        return True


@pytest.mark.asyncio
async def test_a_warm_up_with_examples_off_keeps_no_example_and_leaves_the_store_alone(tmp_path):
    from datasette_llm.examples.store import ExampleStore

    path = tmp_path / "shop.db"
    db = sqlite_utils.Database(path)
    db["items"].insert_all([{"id": i, "name": f"item {i}"} for i in range(20)], pk="id")
    db.close()
    store = ExampleStore.for_settings(load_settings({}))
    for question, sql in [("How many items?", "select count(*) from items"), ("Names?", "select name from items")]:
        store.add("shop", question, sql, added_by="t", schema_hash="x", names='["items", "name"]', reads='["items"]')
    before = store.path.read_bytes()
    blocks = {"plugins": {"datasette-llm": {"few_shot_examples": 0}}}
    ds = Datasette([str(path)], **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}))
    model = WarmableModel([sql_reply("select count(*) from items where name like '%1%'")])
    assert await warm_up.warm_database(ds, "shop", model)
    warmed, options = model.prepared[-1]
    assert not any("select name from items" in message["content"] for message in warmed)
    result = await ask(ds, "shop", "How many item names have a 1 in them?", model=model, sql_only=True)
    assert result.ok and not result.examples
    shared = options.prefix_messages
    assert model.calls[0][:shared] == warmed[:shared] and model.options[0].prefix_messages == shared
    assert store.path.read_bytes() == before
