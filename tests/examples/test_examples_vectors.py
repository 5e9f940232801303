"""The vectors of trusted examples' questions: made a batch at a time, each batch saved, shared by the questions
that need them (examples/vectors.py)."""

import asyncio
import sqlite3
import time

import numpy as np
import pytest

from datasette_llm.errors import ModelError
from datasette_llm.examples import ExampleStore
from datasette_llm.examples import vectors as vectors_module
from datasette_llm.examples.vectors import VECTOR_BATCH, example_vectors

pytestmark = pytest.mark.no_datasette

ERRORS = (sqlite3.Error, OSError)


class Embedder:
    """Embeds a text as (its length, 1); records each call's size; fails on call `fail_on`; sleeps `delay` a call."""

    name = "test-embedder"

    def __init__(self, *, fail_on=None, delay=0.0):
        self.calls = []
        self.fail_on = fail_on
        self.delay = delay

    async def aembed(self, texts):
        self.calls.append(len(texts))
        await asyncio.sleep(self.delay)
        if len(self.calls) == self.fail_on:
            raise ModelError("The embedding model test-embedder timed out.")
        return np.array([[len(text), 1.0] for text in texts], dtype=np.float32)


def filled(path, question: str, sql: str) -> ExampleStore:
    """A store of 40 examples: `question` and `sql` formatted with 0..39."""
    store = ExampleStore(path)
    for n in range(40):
        store.add("db", question.format(n), sql.format(n), added_by="t", schema_hash="h")
    return store


@pytest.fixture
def store(tmp_path):
    return filled(tmp_path / "examples.db", "How many cats older than {}?", "select count(*) from cats where age > {}")


def vector(raw):
    return np.frombuffer(raw, dtype=np.float32).tolist()


@pytest.mark.asyncio
async def test_missing_vectors_are_made_a_batch_at_a_time_and_saved(store):
    examples = store.examples("db")
    embedder = Embedder()
    made = await example_vectors(store, "db", examples, embedder, ERRORS)
    assert embedder.calls == [VECTOR_BATCH, VECTOR_BATCH, 40 - 2 * VECTOR_BATCH]
    assert sorted(made) == sorted(e.id for e in examples) and made == store.vectors("db", embedder.name)
    assert vector(made[examples[0].id]) == [len(examples[0].question), 1.0]
    again = Embedder()
    assert await example_vectors(store, "db", examples, again, ERRORS) == made and again.calls == []


@pytest.mark.asyncio
async def test_a_model_that_fails_part_way_keeps_the_batches_it_made(store):
    """An outside tester (session 22): 1,000 examples embedded in one call timed out every question and saved
    nothing. A batch that is made is saved, and the next question makes only the rest."""
    examples = store.examples("db")
    with pytest.raises(ModelError):
        await example_vectors(store, "db", examples, Embedder(fail_on=2), ERRORS)
    assert len(store.vectors("db", Embedder.name)) == VECTOR_BATCH
    embedder = Embedder()
    assert len(await example_vectors(store, "db", examples, embedder, ERRORS)) == 40
    assert embedder.calls == [VECTOR_BATCH, 40 - 2 * VECTOR_BATCH]


@pytest.mark.asyncio
async def test_a_question_waits_briefly_and_questions_share_one_fill(store, monkeypatch):
    monkeypatch.setattr(vectors_module, "VECTOR_WAIT_SECONDS", 0.3)
    examples = store.examples("db")
    embedder = Embedder(delay=0.25)
    started = time.monotonic()
    first, second = await asyncio.gather(
        example_vectors(store, "db", examples, embedder, ERRORS),
        example_vectors(store, "db", examples, embedder, ERRORS),
    )
    assert time.monotonic() - started < 0.6  # not the 0.75 s all three batches take
    assert 0 < len(first) < 40 and 0 < len(second) < 40
    for _ in range(50):
        await asyncio.sleep(0.05)
        if len(store.vectors("db", embedder.name)) == 40:
            break
    assert len(store.vectors("db", embedder.name)) == 40  # the fill went on after the questions left
    assert embedder.calls == [VECTOR_BATCH, VECTOR_BATCH, 40 - 2 * VECTOR_BATCH]  # once, not once per question


@pytest.mark.asyncio
async def test_a_store_that_cannot_be_written_still_gets_its_vectors_for_the_question(store, monkeypatch):
    def read_only(self, vectors, model_key):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(ExampleStore, "save_vectors", read_only)
    examples = store.examples("db")[:5]
    made = await example_vectors(store, "db", examples, Embedder(), ERRORS)
    assert sorted(made) == sorted(e.id for e in examples) and store.vectors("db", Embedder.name) == {}
    # ... and kept in memory, not made again for every question (an outside tester, session 23).
    again = Embedder()
    assert await example_vectors(store, "db", examples, again, ERRORS) == made and again.calls == []


@pytest.mark.asyncio
async def test_a_fill_over_a_replaced_store_gives_no_example_another_question_vector(store):
    """A store deleted and made again while a fill runs gives its ids to other examples (a new file counts from
    1): the fill's vectors were made from the old questions, so no new example may take one, whether saved or
    handed to a question that joined the fill (session 23's left-over)."""
    old = store.examples("db")
    embedder = Embedder(delay=0.3)
    first = asyncio.ensure_future(example_vectors(store, "db", old, embedder, ERRORS))
    await asyncio.sleep(0.1)  # the first batch is being made
    store.path.unlink()
    fresh = filled(store.path, "Which dogs weigh over {} kilos, at the least?", "select * from dogs where kg > {}")
    new = fresh.examples("db")
    assert [e.id for e in new] == [e.id for e in old]
    asked = {e.id: e.question for e in new}
    joined = await example_vectors(fresh, "db", new, embedder, ERRORS)  # the old fill is still running
    await first
    while vectors_module._FILLS:
        await asyncio.sleep(0.05)
    saved = fresh.vectors("db", embedder.name)
    for made in (joined, saved):
        assert {i: vector(raw) for i, raw in made.items()} == {i: [len(asked[i]), 1.0] for i in made}
    again = await example_vectors(fresh, "db", new, Embedder(), ERRORS)
    assert {i: vector(raw) for i, raw in again.items()} == {e.id: [len(e.question), 1.0] for e in new}
