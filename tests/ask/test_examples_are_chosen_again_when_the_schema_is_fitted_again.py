"""A server that says the SQL prompt is longer than its window, and how long: the schema is fitted again, and so
are the examples, to what the server counts. A mutant that kept the examples chosen before the server spoke
survived (an outside tester, session 56). Oracle: the examples of the prompt written again are those the result
lists, and fit their budget counted as the server counts."""

import pytest
import sqlite_utils
from ask_helpers import WindowLearningModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.few_shot import Shot, ShotPool, render_shot
from datasette_llm.ask.pipeline import ask
from datasette_llm.config import Settings

SHOTS = [
    Shot(
        f"How many rows of table_{n} have a column_{n} of {n} or more, and of table_{n + 1}?",
        f"select count(*) from table_{n} where column_{n} >= {n} union all select count(*) from table_{n + 1}",
        "example",
        n,
    )
    for n in range(1, 4)
]


@pytest.mark.asyncio
async def test_the_examples_are_chosen_again_to_fit_what_the_server_counts(tmp_path):
    path = tmp_path / "wide.db"
    db = sqlite_utils.Database(path)
    for n in range(12):
        db[f"table_{n}"].insert_all([{"id": i, **{f"column_{c}": i * c for c in range(12)}} for i in range(3)], pk="id")
    db.close()
    model = WindowLearningModel([sql_reply("select count(*) from table_3"), "3."], slot="sql", context=8192)
    settings = Settings(warm_up=False)
    result = await ask(
        Datasette([str(path)]),
        "wide",
        "How many rows in table_3?",
        model=model,
        settings=settings,
        examples=ShotPool(SHOTS),
    )
    assert result.ok and result.rows == ((3,),)
    before, after = (str(call) for call in model.calls[:2])
    assert all(f"column_{shot.ref} >=" in before for shot in SHOTS)  # all three, before the server spoke
    shown = [shot for shot in SHOTS if f"column_{shot.ref} >=" in after]
    assert sorted(e["id"] for e in result.examples) == [shot.ref for shot in shown]
    assert 0 < len(shown) < len(SHOTS)
    cost = sum(model.count_tokens(render_shot(shot.question, shot.sql)) for shot in shown)
    assert cost <= settings.few_shot_budget_tokens
