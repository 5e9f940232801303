"""Answers from text, end to end (a real Datasette, the pipeline, a scripted model): a model that says the passages
do not hold the answer, in any of the spellings the prompt's "Not found in the data." comes back in, gets the one
not-found answer, no citation (not even one "matched" by words) and no warning about numbers or sources; and a
question for which no passage is found (every embedded row deleted since the build) never reaches the model: the
answer is the not-found one, written from nothing a model saw.

Generated rows and spellings; the oracle is the passages the scripted model was sent (its prompt) and the words
it wrote, never the plugin's own reading."""

import random
import sqlite3

import pytest
import sqlite_utils
from ask_helpers import ScriptedModel
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask

NOT_FOUND = "Not found in the data."
WORDS = ["granite", "harbour", "lantern", "meadow", "orchard", "quarry", "timber", "willow"]


@pytest.fixture(scope="module")
def mills_db(tmp_path_factory, embedding_model):
    from datasette_llm.embeddings import embed_table, enable_fts

    rng = random.Random(51)
    path = tmp_path_factory.mktemp("mills") / "mills.db"
    db = sqlite_utils.Database(path)
    db["mills"].insert_all(
        [
            {
                "id": i,
                "name": f"{WORDS[i % 8].title()} Mill {i}",
                "story": f"{WORDS[i % 8].title()} Mill {i} was built in {rng.randint(1700, 1899)} beside the "
                f"{WORDS[(i + 3) % 8]} and ground {rng.randint(100, 999)} sacks a week.",
            }
            for i in range(1, 13)
        ],
        pk="id",
    )
    db.close()
    embed_table(path, "mills", columns=["name", "story"], model=embedding_model)
    enable_fts(path, "mills", ["name", "story"])
    return path


def spellings(rng):
    """How a model writes the not-found reply: case, trailing words, the words of the passages after it."""
    base = rng.choice(
        ["Not found in the data.", "not found in the data", "NOT FOUND IN THE DATA.", "Not found in the data"]
    )
    tail = rng.choice(
        ["", " Sorry.", " The passages mention Granite Mill 1 [1] but not this.", " (see [2])", " 1850 [1]"]
    )
    return base + tail


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(8))
async def test_a_not_found_reply_in_any_spelling_is_the_not_found_answer(mills_db, seed):
    rng = random.Random(seed)
    reply = spellings(rng)
    model = ScriptedModel([reply])
    question = rng.choice(["What is the capital of Peru?", "Who owned Willow Mill 7?", "How tall is Quarry Mill 5?"])
    result = await ask(Datasette([str(mills_db)]), "mills", question, model=model, mode="text")
    assert result.ok, result.error
    prompt = model.calls[0][-1]["content"]
    assert "Passages:" in prompt  # the model was shown passages, and said they do not hold the answer
    assert result.answer == NOT_FOUND, (reply, result.answer)
    assert tuple(result.citations) == (), (reply, result.citations)
    assert not any("cites" in w or "mentions" in w for w in result.warnings), (reply, result.warnings)


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(4))
async def test_a_question_with_no_passage_never_reaches_the_model(tmp_path, embedding_model, seed):
    from datasette_llm.embeddings import embed_table

    rng = random.Random(seed)
    path = tmp_path / "gone.db"
    db = sqlite_utils.Database(path)
    db["notes"].insert_all(
        [
            {"id": i, "body": f"{rng.choice(WORDS)} note {i} holds {rng.randint(1000, 9999)} words"}
            for i in range(1, rng.randint(3, 8))
        ],
        pk="id",
    )
    db.close()
    embed_table(path, "notes", columns=["body"], model=embedding_model)
    with sqlite3.connect(path) as conn:  # every row deleted since the build: the vectors lead nowhere
        conn.execute("delete from notes")
    model = ScriptedModel([f"It holds {rng.randint(10000, 99999)} words [1]."])  # what it would say, unasked
    question = f"How many words does {rng.choice(WORDS)} note 1 hold?"
    result = await ask(Datasette([str(path)]), "gone", question, model=model, mode="text")
    assert result.ok, result.error
    assert model.calls == [], "the model was asked with no passage to read"
    assert result.answer == NOT_FOUND and tuple(result.citations) == () and tuple(result.passages) == ()
