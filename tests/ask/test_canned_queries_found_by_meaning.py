"""Canned queries are found by what their title means, as trusted examples are, not only by shared words: a
question that shares no word with any canned query's title gets the one whose title the embedding model puts
nearest (session 48's tester: with canned queries left without vectors every test still passed). Oracle: the
embedding model's own vectors (a stand-in whose nearness the test decides)."""

from __future__ import annotations

import numpy as np
import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette
from datasette_versions import DATASETTE_1

from datasette_llm.ask.pipeline import ask

# (title, sql) in metadata order; no title shares a content word with any question below
CANNED = {
    "pup_years": ("How old is each pup?", "select name, age from dogs"),
    "keepers": ("Who looks after pets?", "select name from owners"),
    "tally": ("Count every hound", "select count(*) from dogs"),
}
# each question and the canned query whose title means the same (by the stand-in model's vectors below)
QUESTIONS = {
    "Which people have animals?": "keepers",
    "What ages do the dogs reach?": "pup_years",
    "How many dogs are there in total?": "tally",
    "List the owners' names": "keepers",
}
TOPICS = {"pup_years": ("old", "ages"), "keepers": ("looks after", "people", "owners"), "tally": ("count", "many")}


class TopicEmbedder:
    """A unit vector along the topic a text is about (its words decide), as a real model's nearness would."""

    name = "topics"

    async def aembed(self, texts):
        def vector(text):
            lowered = text.lower()
            return [float(any(word in lowered for word in TOPICS[topic])) for topic in CANNED]

        return np.array([vector(text) for text in texts], dtype=np.float32)


def datasette_with(db_path, plugin=None):
    database = {"queries": {name: {"title": title, "sql": sql} for name, (title, sql) in CANNED.items()}}
    plugin = plugin or {"few_shot_examples": 1, "few_shot_kept_tokens": 0}
    blocks = {"databases": {"pets": database}, "plugins": {"datasette-llm": plugin}}
    return Datasette([str(db_path)], **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}))


@pytest.mark.asyncio
@pytest.mark.parametrize("question", list(QUESTIONS))
async def test_the_canned_query_nearest_in_meaning_is_the_one_shown(tmp_path, monkeypatch, question):
    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: TopicEmbedder())
    datasette = datasette_with(make_pets_db(tmp_path / "pets.db"))
    model = ScriptedModel([sql_reply("select name from dogs")])
    result = await ask(datasette, "pets", question, model=model, sql_only=True)
    assert [(e["source"], e["id"]) for e in result.examples] == [("canned", QUESTIONS[question])]
    title, sql = CANNED[QUESTIONS[question]]
    shown = "\n".join(m["content"] for m in model.calls[0][1:])
    assert title in shown and sql in shown
    assert all(CANNED[other][0] not in shown for other in CANNED if other != QUESTIONS[question])


# Which examples a prompt shows, kept for every question (few_shot_kept_tokens) or chosen for this one
# (few_shot_examples): the `examples` event the page draws from lists the same ones the result does, whichever
# kinds there are (session 48's tester: the event was never checked with only one kind).
KINDS = {
    "kept only": {"few_shot_kept_tokens": 1500, "few_shot_budget_tokens": 0, "few_shot_repeat": 0},
    "chosen only": {"few_shot_kept_tokens": 0, "few_shot_examples": 2},
    "both": {"few_shot_kept_tokens": 20, "few_shot_examples": 3},  # room for one kept: the first, pup_years
    "none": {"few_shot_kept_tokens": 0, "few_shot_examples": 0},
}


@pytest.mark.asyncio
@pytest.mark.parametrize("kinds", list(KINDS))
async def test_the_examples_event_lists_what_the_result_lists(tmp_path, monkeypatch, kinds):
    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: TopicEmbedder())
    datasette = datasette_with(make_pets_db(tmp_path / "pets.db"), KINDS[kinds])
    events = []

    async def on_event(name, data):
        events.append((name, data))

    model = ScriptedModel([sql_reply("select name from dogs")])
    result = await ask(datasette, "pets", "Which people have animals?", model=model, sql_only=True, on_event=on_event)
    listed = [data["examples"] for name, data in events if name == "examples"]
    shown = "\n".join(m["content"] for m in model.calls[0][1:])
    in_prompt = sorted(name for name, (title, _) in CANNED.items() if title in shown)
    assert sorted(e["id"] for e in result.examples) == in_prompt  # the result lists what the model was shown
    assert listed == ([list(result.examples)] if in_prompt else [])
    kept = {e["kept"] for e in result.examples}
    assert kept == {"kept only": {True}, "chosen only": {False}, "both": {True, False}, "none": set()}[kinds]
