"""A question looks at most few_shot.MAX_CHECKED of the best-ranked examples it may be shown (ask/few_shot.py:
each costs a count and maybe a guard check; 50 examples too long for any budget once made every question wait
14-30 s, session 22). Through POST /{db}/-/ask.json: k examples too long for the budget rank above one that fits;
the one that fits is shown exactly when k < MAX_CHECKED (k examples looked at before it), whatever k is."""

import numpy as np
import pytest
from ask_helpers import sql_reply, teaching_plugin, use_scripted_models
from datasette.app import Datasette
from examples_helpers import make_database, signed_in

from datasette_llm.ask.few_shot import MAX_CHECKED

SECRET = "few-shot-checked-secret"
TEACHER = {"id": "teacher"}
LONG_SQL = "select count(*) from cats where " + " or ".join(f"age = {n}" for n in range(60))
SHORT = ("Which cats are there, fitting?", "select name from cats")


class Marked:
    """The asked question and the long examples' questions point one way; the short one's 0.6 of it."""

    name = "marked"

    async def aembed(self, texts):
        return np.array([[0.6, 0.8] if "fitting" in text else [1.0, 0.0] for text in texts], dtype=np.float32)


@pytest.mark.parametrize("too_long", sorted({MAX_CHECKED - 2, MAX_CHECKED - 1, MAX_CHECKED, MAX_CHECKED + 1, 3}))
@pytest.mark.asyncio
async def test_the_example_that_fits_is_reached_only_within_so_many(tmp_path, monkeypatch, too_long):
    use_scripted_models(monkeypatch, Marked(), [sql_reply("select count(*) from cats"), "Two."])
    path = make_database(tmp_path / "db.db")
    plugin = teaching_plugin(
        tmp_path, few_shot_examples=3, few_shot_repeat=0, few_shot_kept_tokens=0, few_shot_budget_tokens=60
    )
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": plugin}}, secret=SECRET)
    pairs = [(f"How many cats number {n}?", f"{LONG_SQL} or id = {n}") for n in range(too_long)] + [SHORT]
    imported = await ds.client.post(
        "/-/llm/db/examples", json={"question": SHORT[0], "sql": SHORT[1]}, **signed_in(ds, TEACHER)
    )
    assert imported.status_code == 201, imported.text
    for question, sql in pairs[:-1]:
        added = await ds.client.post(
            "/-/llm/db/examples", json={"question": question, "sql": sql}, **signed_in(ds, TEACHER)
        )
        assert added.status_code == 201, added.text
    response = await ds.client.post(
        "/db/-/ask.json", json={"question": "How many cats?", "mode": "sql"}, **signed_in(ds, TEACHER)
    )
    assert response.status_code == 200, response.text
    shown = [example["sql"] for example in response.json()["examples"]]
    assert all(len(sql) < 100 for sql in shown), shown  # none too long for the budget
    assert (SHORT[1] in shown) == (too_long < MAX_CHECKED), (too_long, shown)
