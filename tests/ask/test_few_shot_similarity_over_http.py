"""Which examples a question is shown follows docs/examples.md's rule: the cosine similarity of the questions'
vectors plus half the share of the question's words (filler words aside) the example's question has, each
scoring at least 0.35, most similar first. Through POST /{db}/-/ask.json with an embedding model whose vectors the
test sets, over a generated family of examples; the oracle is that rule computed by the test from the vectors
and words it chose."""

import random

import numpy as np
import pytest
from ask_helpers import ChosenVectors, sql_reply, teaching_plugin, use_scripted_models
from datasette.app import Datasette
from examples_helpers import make_database, signed_in

SECRET = "few-shot-similarity-secret"
TEACHER = {"id": "teacher"}
# Words that are their own stems and no filler; filler words that count for nothing.
WORDS = ["zebra", "quokka", "walrus", "heron", "bison", "lynx"]
FILLER = ["how", "many", "the", "of", "what", "are", "there", "show", "me"]


@pytest.mark.parametrize("seed", range(9))
@pytest.mark.asyncio
async def test_the_examples_shown_are_those_the_documented_score_picks(tmp_path, monkeypatch, seed):
    rng = random.Random(seed)
    limit = 1 + seed % 3  # few_shot_examples 1, 2 and 3
    embedder = ChosenVectors()
    use_scripted_models(monkeypatch, embedder, [sql_reply("select count(*) from cats where id > 0"), "Two."])
    path = make_database(tmp_path / "db.db")
    plugin = teaching_plugin(
        tmp_path, few_shot_examples=limit, few_shot_repeat=0, few_shot_kept_tokens=0, few_shot_budget_tokens=10_000
    )
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": plugin}}, secret=SECRET)
    # The question: some content words (none, for a question of filler words alone) and filler.
    asked_words = rng.sample(WORDS, rng.choice([0, 1, 2, 3]))
    question = " ".join(rng.sample(FILLER, 3) + asked_words) + "?"
    embedder.angles[question] = 0.0
    expected = {}
    for n in range(8):
        words = rng.sample(WORDS, rng.randint(0, 3)) + rng.sample(FILLER, 2)
        example_question = f"{' '.join(words)} number {n}?"  # "number" is in no question asked
        angle = rng.choice([0.0, 0.3, 0.9, 1.2, 1.45, 1.5707963])
        embedder.angles[example_question] = angle
        sql = f"select count(*) as n{n} from cats"
        added = await ds.client.post(
            "/-/llm/db/examples", json={"question": example_question, "sql": sql}, **signed_in(ds, TEACHER)
        )
        assert added.status_code == 201, added.text
        share = len(set(asked_words) & set(words)) / len(asked_words) if asked_words else 0.0
        expected[sql] = float(np.cos(angle)) + 0.5 * share
    response = await ds.client.post(
        "/db/-/ask.json", json={"question": question, "mode": "sql"}, **signed_in(ds, TEACHER)
    )
    assert response.status_code == 200, response.text
    shown = {example["sql"]: example["score"] for example in response.json().get("examples", [])}
    eligible = sorted((s for s in expected.items() if s[1] >= 0.35 + 1e-6), key=lambda s: -s[1])
    for sql, score in shown.items():
        assert score == pytest.approx(expected[sql], abs=1e-3), (question, sql, shown, expected)
    # The `limit` best of those scoring at least 0.35 (ties at the cut may go either way).
    assert len(shown) == min(limit, len(eligible)), (question, shown, eligible)
    if eligible:
        cut = eligible[min(limit, len(eligible)) - 1][1]
        assert all(expected[sql] >= cut - 1e-6 for sql in shown), (question, shown, eligible)
        assert all(expected[sql] >= 0.35 - 1e-6 for sql in shown)
