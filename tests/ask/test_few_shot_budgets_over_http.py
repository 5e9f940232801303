"""The token budgets of the few-shot stage (few_shot_budget_tokens for the examples chosen per question,
few_shot_kept_tokens for those kept for every question) bound what the examples shown cost together, through
POST /{db}/-/ask.json.

Self-calibrating oracle, independent of how the plugin counts an example's cost: the examples are all the same
length, so each costs the same c. With a budget B the prompt must show exactly min(limit, B // c) of them, where c
is the smallest budget that shows one: found by asking with budgets 0, 1, 2, ... . A budget spent once per example
and not added up, or one token off, shows another number at some B."""

import numpy as np
import pytest
from ask_helpers import sql_reply, teaching_plugin, use_scripted_models
from datasette.app import Datasette
from examples_helpers import make_database, signed_in

SECRET = "few-shot-budget-secret"
TEACHER = {"id": "teacher"}
LIMIT = 3
# Eight examples of one length (one digit differs), each with a question sharing the asked question's words.
PAIRS = [(f"How many cats are older than {n}?", f"select count(*) from cats where age > {n}") for n in range(1, 9)]


class SameVector:
    name = "same"

    async def aembed(self, texts):
        return np.array([[1.0, 0.0] for _ in texts], dtype=np.float32)


def datasette_with(tmp_path, name, settings):
    path = make_database(tmp_path / "db.db") if not (tmp_path / "db.db").exists() else tmp_path / "db.db"
    plugin = teaching_plugin(tmp_path, few_shot_examples=LIMIT, few_shot_repeat=0, **settings)
    return Datasette([str(path)], metadata={"plugins": {"datasette-llm": plugin}}, secret=SECRET)


async def shown(tmp_path, settings, kept: bool) -> int:
    ds = datasette_with(tmp_path, "db", settings)
    response = await ds.client.post(
        "/db/-/ask.json",
        json={"question": "How many cats are older than ten?", "mode": "sql"},
        **signed_in(ds, TEACHER),
    )
    assert response.status_code == 200, response.text
    examples = response.json()["examples"]
    assert all(example["kept"] is kept for example in examples), examples
    return len(examples)


@pytest.mark.parametrize("kind", ["chosen", "kept"])
@pytest.mark.asyncio
async def test_the_examples_shown_add_up_to_no_more_than_the_budget(tmp_path, monkeypatch, kind):
    use_scripted_models(monkeypatch, SameVector(), [sql_reply("select count(*) from cats where age > 10"), "No cats."])
    ds = datasette_with(tmp_path, "db", {})
    for question, sql in PAIRS:
        added = await ds.client.post(
            "/-/llm/db/examples", json={"question": question, "sql": sql}, **signed_in(ds, TEACHER)
        )
        assert added.status_code == 201, added.text

    def settings(budget):
        if kind == "chosen":
            return {"few_shot_budget_tokens": budget, "few_shot_kept_tokens": 0}
        return {"few_shot_budget_tokens": 0, "few_shot_kept_tokens": budget}

    limit = LIMIT if kind == "chosen" else len(PAIRS)
    counts = {}
    budget = 0
    while True:  # the smallest budget that shows one example: what one costs
        counts[budget] = await shown(tmp_path, settings(budget), kind == "kept")
        if counts[budget]:
            break
        budget += 1
        assert budget < 400, "no example shown with any budget"
    cost = budget
    assert counts[cost] == 1, counts
    for budget in range(cost + 1, cost * min(limit, 4) + 2):
        counts[budget] = await shown(tmp_path, settings(budget), kind == "kept")
    for budget, count in counts.items():
        assert count == min(limit, budget // cost), (kind, cost, budget, count, counts)


@pytest.mark.parametrize("long_at", [0, 1, 2, 3])
@pytest.mark.asyncio
async def test_kept_examples_stop_at_the_first_that_does_not_fit(tmp_path, monkeypatch, long_at):
    """docs/examples.md: the kept examples are taken oldest first while they fit few_shot_kept_tokens, and "it
    stops at the first that does not fit, so a later example never pushes an earlier one out". Short examples
    (tens of tokens) and one of some 2,000 characters (hundreds), at each position; a budget of 150 tokens."""
    use_scripted_models(monkeypatch, SameVector(), [sql_reply("select count(*) from cats where age > 10"), "No cats."])
    long_sql = "select count(*) from cats where " + " or ".join(f"age = {n}" for n in range(150))
    pairs = [PAIRS[n] for n in range(4)]
    pairs.insert(long_at, ("How many cats have any of many ages?", long_sql))
    ds = datasette_with(tmp_path, "db", {"few_shot_budget_tokens": 0, "few_shot_kept_tokens": 150})
    for question, sql in pairs:
        added = await ds.client.post(
            "/-/llm/db/examples", json={"question": question, "sql": sql}, **signed_in(ds, TEACHER)
        )
        assert added.status_code == 201, added.text
    response = await ds.client.post(
        "/db/-/ask.json",
        json={"question": "How many cats are older than ten?", "mode": "sql"},
        **signed_in(ds, TEACHER),
    )
    assert response.status_code == 200, response.text
    kept = {example["sql"] for example in response.json()["examples"] if example["kept"]}
    assert kept == {sql for _, sql in pairs[:long_at]}, (long_at, kept)
