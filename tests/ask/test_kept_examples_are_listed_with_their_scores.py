"""docs/examples.md: "The result lists what the prompt showed, most like the question first: `examples` in the JSON
(question, SQL, `source`, `id`, `score`, `kept`, ...)". The examples kept for every question are listed with their
score against this question (the documented rule: cosine of the question vectors plus half the share of the
question's content words), in that order.

Through POST /db/-/ask.json, every example kept (few_shot_kept_tokens large, few_shot_budget_tokens 0), with
vectors the test chooses. (Outside tester 55i: the kept examples' scores could be left at 0.0, listing them in
store order with score 0, and no test noticed.)"""

import random

import numpy as np
import pytest
from ask_helpers import ChosenVectors, sql_reply, teaching_plugin, use_scripted_models
from datasette.app import Datasette
from examples_helpers import make_database, signed_in

TEACHER = {"id": "teacher"}
WORDS = ["zebra", "quokka", "walrus", "heron", "bison", "lynx"]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.asyncio
async def test_kept_examples_carry_their_scores_most_like_the_question_first(tmp_path, monkeypatch, seed):
    rng = random.Random(seed)
    embedder = ChosenVectors()
    use_scripted_models(monkeypatch, embedder, [sql_reply("select count(*) from cats where id > 0"), "Two."])
    path = make_database(tmp_path / "db.db")
    plugin = teaching_plugin(
        tmp_path, few_shot_examples=3, few_shot_repeat=0, few_shot_kept_tokens=1500, few_shot_budget_tokens=0
    )
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": plugin}}, secret="kept-scores")
    asked = rng.sample(WORDS, 3)
    question = "how many " + " ".join(asked) + "?"
    embedder.angles[question] = 0.0
    expected = {}
    for n in range(6):
        words = rng.sample(WORDS, rng.randint(0, 3))
        example_question = " ".join(words + ["number", f"{n}?"])
        angle = [0.2, 0.5, 0.9, 1.2, 1.4, 0.05][n]
        embedder.angles[example_question] = angle
        sql = f"select count(*) as n{n} from cats"
        added = await ds.client.post(
            "/-/llm/db/examples", json={"question": example_question, "sql": sql}, **signed_in(ds, TEACHER)
        )
        assert added.status_code == 201, added.text
        expected[sql] = float(np.cos(angle)) + 0.5 * len(set(asked) & set(words)) / len(asked)
    response = await ds.client.post(
        "/db/-/ask.json", json={"question": question, "mode": "sql"}, **signed_in(ds, TEACHER)
    )
    assert response.status_code == 200, response.text
    listed = response.json()["examples"]
    assert {e["sql"] for e in listed} == set(expected) and all(e["kept"] for e in listed), listed
    for example in listed:
        assert example["score"] == pytest.approx(expected[example["sql"]], abs=1e-3), (example, expected)
    scores = [e["score"] for e in listed]
    assert scores == sorted(scores, reverse=True), listed
