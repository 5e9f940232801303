"""A question that asks for a figure (how many, how much, how long ..., in which year) answered from text with no
figure is warned; an answer that states one (a digit, or a number word: "none", "twice", "half", "a dozen") or
says the passages do not hold it ("The report does not say ...") is not (text/no_figure.py; docs/ask.md:
"an answer that states no figure where the question asks for one ... is warned"). Citation markers are no
figure, however the model spaces them ("[1]", "[ 1 ]", "[2 ]").

Through POST /{db}/-/ask.json on a real Datasette with a scripted model, over generated answers; the oracle is
the test's own reading of each answer it scripted (what it wrote: a figure or not), never the plugin's."""

import random

import pytest
import sqlite_utils
from ask_helpers import use_scripted_models
from datasette.app import Datasette

NAMES = ["Ulorin", "Kestle", "Morrow", "Pellan", "Quarrel", "Tarn"]
FIGURE_QUESTIONS = [
    "In which year did {n} Bridge open?",
    "How many arches has {n} Bridge?",
    "How long is {n} Bridge?",
    "What year was {n} Bridge repaired?",
    "How much did {n} Bridge cost?",
]
NO_FIGURE = [
    "The old account books survive in a regional archive",
    "It was built by local masons from river stone",
    "The bridge is admired for its graceful shape",
]
# (answer body, why it states a figure), written by the test
WITH_FIGURE = [
    "It has none left standing",
    "It was rebuilt twice",
    "Half of it was washed away",
    "It has a dozen arches",
    "It opened in 1887",
]
REFUSALS = ["The report does not say when it opened", "The passages do not answer this; the report does not state it"]
MARKERS = ["[1]", "[ 1 ]", "[1 ]", "[ 2]", "[1][2]"]


@pytest.fixture(scope="module")
def bridges_db(tmp_path_factory, embedding_model):
    from datasette_llm.embeddings import embed_table, enable_fts

    path = tmp_path_factory.mktemp("bridges") / "bridges.db"
    db = sqlite_utils.Database(path)
    db["bridges"].insert_all(
        [
            {"id": i, "name": f"{n} Bridge", "report": f"{n} Bridge crosses the river Tarn near the old mill."}
            for i, n in enumerate(NAMES, 1)
        ],
        pk="id",
    )
    db.close()
    embed_table(path, "bridges", columns=["name", "report"], model=embedding_model)
    enable_fts(path, "bridges", ["name", "report"])
    return path


def no_figure_warned(warnings) -> bool:
    return any("states no figure" in w for w in warnings)


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(4))
async def test_a_figure_question_is_warned_exactly_when_its_answer_states_no_figure(
    bridges_db, monkeypatch, embedding_model, seed
):
    rng = random.Random(seed)
    cases = []
    for _ in range(6):
        kind = rng.choice(["none", "none", "figure", "refusal"])
        body = rng.choice({"none": NO_FIGURE, "figure": WITH_FIGURE, "refusal": REFUSALS}[kind])
        cases.append((kind, f"{body} {rng.choice(MARKERS)}."))
    replies = []  # each model lookup gets a scripted model of what this list holds then
    made = use_scripted_models(monkeypatch, embedding_model, replies)
    ds = Datasette([str(bridges_db)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}})
    for kind, reply in cases:
        replies[:] = [reply]
        question = rng.choice(FIGURE_QUESTIONS).format(n=rng.choice(NAMES))
        response = await ds.client.post("/bridges/-/ask.json", json={"question": question, "mode": "text"})
        assert response.status_code == 200, response.text
        result = response.json()
        assert made[-1].calls, "the scripted model was never asked"
        assert result["answer"] == reply, (reply, result["answer"])
        warned = no_figure_warned(result["warnings"])
        assert warned == (kind == "none"), (question, reply, kind, result["warnings"])
