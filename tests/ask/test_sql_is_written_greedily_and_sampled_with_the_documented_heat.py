"""How each SQL reply is asked for (ask/write_sql.py): the query is written greedily (temperature 0); a reply that
repeats a query already refused is asked for again at temperature 0.7 with the attempt's number as its seed; voting
samples the other candidates from the first prompt at temperature 0.8, top_p 0.95, seeds 1, 2, ...; and every reply
the model wrote counts in the tokens reported, the discarded repeat too (an outside tester's gaps W04, W05, W13, W14
and W24, session 56)."""

import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.config import load_settings


@pytest.fixture
def datasette(tmp_path):
    return Datasette([str(make_pets_db(tmp_path / "pets.db"))])


@pytest.mark.asyncio
async def test_a_repeated_refused_query_is_sampled_anew_and_every_reply_is_counted(datasette):
    refused, repeat, good = (
        sql_reply("select city from dogs"),
        sql_reply("select city from dogs"),
        sql_reply("select count(*) from dogs"),
    )
    model = ScriptedModel([refused, repeat, good, "3"])
    result = await ask(datasette, "pets", "How many dogs?", model=model, attempts=2)
    assert result.ok and result.rows == ((3,),)
    sql_options = [o for o in model.options if o.cache_slot == "sql"]
    assert [(o.temperature, o.seed) for o in sql_options] == [(0.0, 0), (0.0, 0), (0.7, 2)]
    written = sum(model.count_tokens(reply) for reply in (refused, repeat, good))
    assert result.tokens["sql_completion"] == written


@pytest.mark.asyncio
async def test_voting_samples_the_other_candidates_warm_with_their_own_seeds(datasette):
    model = ScriptedModel(
        [
            sql_reply("select count(*) from dogs"),
            sql_reply("select count(id) from dogs"),
            sql_reply("select count(name) from dogs"),
            "3",
        ]
    )
    settings = load_settings({"sql_candidates": 3}, {})
    result = await ask(datasette, "pets", "How many dogs?", model=model, settings=settings)
    assert result.ok and [c.votes for c in result.candidates] == [3, 3, 3]
    sql_options = [o for o in model.options if o.cache_slot == "sql"]
    assert [(o.temperature, o.top_p, o.seed) for o in sql_options] == [(0.0, 1.0, 0), (0.8, 0.95, 1), (0.8, 0.95, 2)]
