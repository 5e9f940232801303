"""Voting samples are checked as any attempt but the last: a sampled query whose JOIN links nothing is refused and
does not vote, so two such samples cannot outvote the greedy query (only the last attempt of the repair loop runs
such a query, with a warning). ask/write_sql.py vote; an outside tester's gap W28, session 56."""

import pytest
import sqlite_utils
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.config import load_settings

LINKED = (
    "select makers.name, sum(qty) from sales join models on models.id = sales.model_id "
    "join makers on makers.id = models.maker_id group by makers.name"
)
UNLINKED = "select makers.name, sum(qty) from sales join makers on makers.id = makers.id group by makers.name"


@pytest.mark.asyncio
async def test_unlinked_samples_neither_run_nor_outvote_the_greedy_query(tmp_path):
    path = tmp_path / "shop.db"
    db = sqlite_utils.Database(path)
    db["makers"].insert_all([{"id": 1, "name": "Acme"}, {"id": 2, "name": "Bolt"}], pk="id")
    db["models"].insert_all(
        [{"id": 1, "title": "Rocket", "maker_id": 1}, {"id": 2, "title": "Nut", "maker_id": 2}],
        pk="id",
        foreign_keys=[("maker_id", "makers", "id")],
    )
    db["sales"].insert_all(
        [{"id": 1, "model_id": 1, "qty": 3}, {"id": 2, "model_id": 2, "qty": 5}],
        pk="id",
        foreign_keys=[("model_id", "models", "id")],
    )
    db.close()
    model = ScriptedModel([sql_reply(LINKED), sql_reply(UNLINKED), sql_reply(UNLINKED), "Acme 3, Bolt 5."])
    settings = load_settings({"sql_candidates": 3}, {})
    result = await ask(Datasette([str(path)]), "shop", "Sales per maker?", model=model, settings=settings)
    assert sorted(result.rows) == [("Acme", 3), ("Bolt", 5)]
    assert [(c.chosen, c.votes, bool(c.error)) for c in result.candidates] == [
        (True, 1, False),
        (False, 0, True),
        (False, 0, True),
    ]
