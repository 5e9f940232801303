"""Self-consistency voting between candidate queries: pure choice, then the pipeline with a scripted model."""

import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.ask.sql_vote import choose
from datasette_llm.config import load_settings


@pytest.fixture
def db_path(tmp_path):
    return make_pets_db(tmp_path / "pets.db")


@pytest.mark.parametrize(
    "signatures,expected",
    [
        (["a", "b", "b"], (1, 2)),  # a majority overrules the greedy query
        (["a", "b", "c"], (0, 1)),  # ties go to the greedy query
        (["a", "b", None], (0, 1)),
        ([None, "a", "a"], (1, 2)),  # failed candidates do not vote
        (["a", None, "a"], (0, 2)),
        ([None, None], (0, 0)),
    ],
)
def test_choose(signatures, expected):
    assert choose(signatures) == expected


def settings(candidates):
    return load_settings({"sql_candidates": candidates}, {})


@pytest.mark.asyncio
async def test_majority_result_wins_and_every_candidate_is_kept(db_path):  # noqa: F811
    model = ScriptedModel(
        [
            sql_reply("select name from dogs where age > 8"),
            sql_reply("select name from dogs where age > 4"),
            sql_reply("select name from dogs where age >= 5 order by name"),
            "Rex and Bella.",
        ]
    )
    result = await ask(
        Datasette([str(db_path)]), "pets", "Which dogs are older than four?", model=model, settings=settings(3)
    )
    assert sorted(result.rows) == [("Bella",), ("Rex",)] and "age > 4" in result.sql
    assert [(c.votes, c.chosen) for c in result.candidates] == [(1, False), (2, True), (2, False)]
    assert model.calls[1] == model.calls[0] == model.calls[2]  # samples come from the first prompt
    assert any("2 of 3 sampled queries agreed" in n for n in result.notes)
    assert [c["chosen"] for c in result.to_json()["candidates"]] == [False, True, False]
    assert len(result.attempts) == 1


@pytest.mark.asyncio
async def test_failed_samples_do_not_outvote_the_greedy_query(db_path):  # noqa: F811
    model = ScriptedModel(
        [
            sql_reply("select count(*) from dogs"),
            sql_reply("drop table dogs"),
            sql_reply("select nosuch from dogs"),
            "Three.",
        ]
    )
    result = await ask(Datasette([str(db_path)]), "pets", "How many dogs?", model=model, settings=settings(3))
    assert result.rows == ((3,),) and result.sql.startswith("select count(*) from dogs")
    assert [c.chosen for c in result.candidates] == [True, False, False]
    assert all(c.error for c in result.candidates[1:]) and not any("agreed" in n for n in result.notes)


@pytest.mark.asyncio
async def test_one_candidate_means_no_sampling(db_path):  # noqa: F811
    model = ScriptedModel([sql_reply("select count(*) from dogs"), "Three."])
    result = await ask(Datasette([str(db_path)]), "pets", "How many dogs?", model=model, settings=settings(1))
    assert result.candidates == () and len(model.calls) == 2
