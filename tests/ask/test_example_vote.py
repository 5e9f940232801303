"""few_shot_vote: the query written with the examples and the one written without them vote, a third settles it."""

import numpy as np
import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.few_shot import Shot, ShotPool
from datasette_llm.ask.pipeline import ask
from datasette_llm.config import load_settings

REX = "select age from dogs where name = 'Rex'"
VOTING = load_settings({"few_shot_vote": True}, {})


class KeywordEmbedder:
    name = "keywords"

    async def aembed(self, texts):
        return np.array([[1.0, 0.0] if "age" in text else [0.0, 1.0] for text in texts], dtype=np.float32)


@pytest.fixture
def datasette(tmp_path, monkeypatch):
    monkeypatch.setattr("datasette_llm.ask.pipeline.embedding_model_for", lambda settings: KeywordEmbedder())
    return Datasette([str(make_pets_db(tmp_path / "pets.db"))])


def pool():
    return ShotPool(
        [
            Shot("What is the age of Rex?", REX, "example", 8),
            Shot("Who owns Rex?", "select owner_id from dogs", "example", 9),
        ],
        np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32),
    )


def prompt(messages) -> str:
    return "".join(m["content"] for m in messages)


async def asked(datasette, replies, settings=VOTING, **options):
    model = ScriptedModel([sql_reply(sql) for sql in replies])
    result = await ask(
        datasette,
        "pets",
        "What is the age of Fido?",
        model=model,
        sql_only=True,
        examples=pool(),
        settings=settings,
        **options,
    )
    return model, result


@pytest.mark.asyncio
async def test_with_and_without_examples_agreeing_is_two_queries_and_the_result_stands(datasette):
    model, result = await asked(
        datasette, ["select age from dogs where name = 'Fido'", "select dogs.age from dogs where dogs.name = 'Fido'"]
    )
    assert len(model.calls) == 2
    assert REX not in prompt(model.calls[0]) and REX in prompt(model.calls[1])
    assert [list(row) for row in result.rows] == [[3]]
    assert [(c.label, c.votes, c.chosen) for c in result.candidates] == [
        ("without examples", 2, True),
        ("with 3 trusted examples", 2, False),
    ]
    assert result.to_json()["candidates"][1]["label"] == "with 3 trusted examples"
    assert not any("third" in note for note in result.notes)


@pytest.mark.asyncio
async def test_a_third_query_with_only_the_closest_examples_settles_a_disagreement(datasette):
    model, result = await asked(
        datasette,
        [
            "select name from dogs where name = 'Fido'",  # without examples: the wrong column
            "select age from dogs where name = 'Fido'",  # with them
            "select dogs.age from dogs where dogs.name = 'Fido'",  # with the closest only: agrees with the second
        ],
    )
    assert len(model.calls) == 3
    third = model.calls[2]
    assert REX in prompt(third) and "select owner_id" not in prompt(third)  # none kept for every question
    assert len(third) < len(model.calls[1])
    assert [list(row) for row in result.rows] == [[3]] and result.sql.startswith("select age")
    assert [(c.votes, c.chosen) for c in result.candidates] == [(1, False), (2, True), (2, False)]
    assert {e["id"] for e in result.examples} == {8, 9}  # the examples of the query shown
    assert any("two agreed" in note for note in result.notes)


@pytest.mark.asyncio
async def test_when_all_three_differ_the_query_without_examples_stands(datasette):
    model, result = await asked(
        datasette,
        [
            "select age from dogs where name = 'Fido'",
            "select age from dogs where name = 'Rex'",
            "select age from dogs where name = 'Bella'",
        ],
    )
    assert len(model.calls) == 3
    assert [list(row) for row in result.rows] == [[3]] and result.examples == ()
    assert [c.chosen for c in result.candidates] == [True, False, False]
    assert any("all differed" in note for note in result.notes)


@pytest.mark.asyncio
async def test_a_query_the_examples_make_fail_leaves_the_one_without_them_and_no_third(datasette):
    bad = ["select agee from dogs where name = 'Fido'", "select agge from dogs where name = 'Fido'"]
    model, result = await asked(datasette, ["select age from dogs where name = 'Fido'", *bad], attempts=2)
    assert len(model.calls) == 3  # one without, two attempts with; no third candidate
    assert result.error is None and [list(row) for row in result.rows] == [[3]]
    assert [(c.chosen, c.votes, c.row_count) for c in result.candidates] == [(True, 1, 1), (False, 0, None)]
    assert result.candidates[1].error
    assert len(result.attempts) == 1  # the chosen query's attempts only
    assert any("only the query written without examples ran" in note for note in result.notes)


@pytest.mark.asyncio
async def test_only_the_chosen_querys_notes_reach_the_result(datasette):
    # The losing query (with examples) selects a column the question never asks for, which warns; that warning
    # belongs to it alone.
    model, result = await asked(
        datasette,
        [
            "select age from dogs where name = 'Fido'",
            "select age from dogs where name = 'Rex'",
            "select age from dogs where name = 'Fido' and 1",
        ],
    )
    assert [list(row) for row in result.rows] == [[3]]
    assert not any("'Rex'" in note for note in result.notes)


@pytest.mark.asyncio
async def test_off_by_default_one_query_is_written(datasette):
    model, result = await asked(datasette, ["select age from dogs where name = 'Fido'"], settings=load_settings({}, {}))
    assert len(model.calls) == 1 and result.candidates == ()
