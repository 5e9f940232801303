"""Canned queries are ranked by "the cosine similarity of their vectors under the embedding model"
(docs/examples.md): the vector of a canned query's title is the model's own. Their vectors are cached in the
process by model and title; an outside tester's mutation run (session 55, tier 2 in session 56) found that caching
them by title alone passed the suite, so a server or test process that used two embedding models ranked canned
queries by the other model's vectors.

Oracle: two stand-in models that agree on what is near what but place the topics on different axes; each, used
after the other in one process, shows the canned query nearest the question by its own vectors.
"""

from __future__ import annotations

import numpy as np
import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette
from datasette_versions import DATASETTE_1

from datasette_llm.ask.pipeline import ask

CANNED = {
    "pup_years": ("How old is each pup?", "select name, age from dogs"),
    "keepers": ("Who looks after pets?", "select name from owners"),
    "tally": ("Count every hound", "select count(*) from dogs"),
}
TOPICS = {"pup_years": ("old", "ages"), "keepers": ("looks after", "people"), "tally": ("count", "many")}
QUESTION, NEAREST = "Which people have animals?", "keepers"


class TopicEmbedder:
    """A unit vector along the topic of a text, on axes turned by `shift` places (each model its own)."""

    def __init__(self, shift):
        self.shift = shift
        self.name = f"topics-{shift}"

    async def aembed(self, texts):
        def vector(text):
            lowered = text.lower()
            plain = [float(any(word in lowered for word in TOPICS[topic])) for topic in CANNED]
            return plain[-self.shift :] + plain[: -self.shift] if self.shift else plain

        return np.array([vector(text) for text in texts], dtype=np.float32)


def datasette_with(db_path):
    database = {"queries": {name: {"title": title, "sql": sql} for name, (title, sql) in CANNED.items()}}
    plugin = {"few_shot_examples": 1, "few_shot_kept_tokens": 0}
    blocks = {"databases": {"pets": database}, "plugins": {"datasette-llm": plugin}}
    return Datasette([str(db_path)], **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}))


@pytest.mark.asyncio
async def test_each_embedding_model_ranks_canned_queries_by_its_own_vectors(tmp_path, monkeypatch):
    datasette = datasette_with(make_pets_db(tmp_path / "pets.db"))
    for shift in (0, 1, 2, 0):
        embedder = TopicEmbedder(shift)
        monkeypatch.setattr(
            "datasette_llm.ask.examples_stage.embedding_model_for", lambda settings, embedder=embedder: embedder
        )
        model = ScriptedModel([sql_reply("select name from owners")])
        result = await ask(datasette, "pets", QUESTION, model=model, sql_only=True)
        assert [(e["source"], e["id"]) for e in result.examples] == [("canned", NEAREST)], (shift, result.examples)
