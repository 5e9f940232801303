"""few_shot_examples: 0 turns every example off (docs/examples.md), kept ones included: no example reaches the
model's prompt or the result, and the question is not embedded for them. And a server whose store was never
written leaves the state directory as it is when asked questions. Through POST /{db}/-/ask.json, with the
scripted model's received messages and the recording embedder as the oracle."""

import json

import pytest
from ask_helpers import RecordingEmbedder, sql_reply, teaching_plugin, use_scripted_models
from datasette.app import Datasette
from examples_helpers import make_database, signed_in

SECRET = "few-shot-off-secret"
TEACHER = {"id": "teacher"}
PAIRS = [
    ("How many cats are there?", "select count(*) as n_cats from cats"),
    ("Which cat is oldest?", "select name as oldest from cats order by age desc limit 1"),
    ("What are the names of the cats?", "select name as cat_name from cats"),
]


def setup(tmp_path, monkeypatch, settings):
    embedder = RecordingEmbedder()
    models = use_scripted_models(monkeypatch, embedder, [sql_reply("select count(*) from cats where id > 0"), "Two."])
    path = make_database(tmp_path / "db.db") if not (tmp_path / "db.db").exists() else tmp_path / "db.db"
    plugin = teaching_plugin(tmp_path, **settings)
    return Datasette([str(path)], metadata={"plugins": {"datasette-llm": plugin}}, secret=SECRET), embedder, models


async def ask(ds, question):
    response = await ds.client.post(
        "/db/-/ask.json", json={"question": question, "mode": "sql"}, **signed_in(ds, TEACHER)
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    "examples, kept_tokens, budget_tokens", [(0, 0, 0), (0, 1500, 0), (0, 0, 240), (0, 1500, 240), (3, 0, 0)]
)
@pytest.mark.asyncio
async def test_no_example_is_shown_when_none_may_be(tmp_path, monkeypatch, examples, kept_tokens, budget_tokens):
    """few_shot_examples 0, or both budgets 0: no example, and the question is not embedded for none."""
    settings = {
        "few_shot_examples": examples,
        "few_shot_kept_tokens": kept_tokens,
        "few_shot_budget_tokens": budget_tokens,
    }
    ds, embedder, models = setup(tmp_path, monkeypatch, settings)
    for question, sql in PAIRS:
        added = await ds.client.post(
            "/-/llm/db/examples", json={"question": question, "sql": sql}, **signed_in(ds, TEACHER)
        )
        assert added.status_code == 201, added.text
    embedder.texts.clear()
    for question, _ in PAIRS:
        data = await ask(ds, question + " Please.")
        assert data.get("examples", []) == [], data.get("examples")
        assert not any("could not be read" in note for note in data.get("notes", [])), data.get("notes")
        sent = json.dumps(models[-1].calls)
        assert not any(sql in sent for _, sql in PAIRS), sent[:2000]
    assert embedder.texts == [], embedder.texts  # nothing to rank: no question embedded


@pytest.mark.parametrize("settings", [{}, {"few_shot_examples": 0}, {"few_shot_kept_tokens": 0}])
@pytest.mark.asyncio
async def test_questions_without_a_store_leave_the_state_directory_alone(tmp_path, monkeypatch, settings):
    ds, embedder, models = setup(tmp_path, monkeypatch, settings)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    for question, _ in PAIRS:
        data = await ask(ds, question)
        assert data.get("examples", []) == []
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert not (tmp_path / "state").exists()
