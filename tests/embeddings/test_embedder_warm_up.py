"""At start-up the embedding model a served collection needs is loaded before the first search
(embeddings/warm_up.py): the first search of a fresh server waited 0.78 s for it, the next 0.04 s."""

import sqlite3

import pytest
from datasette.app import Datasette
from search_helpers import make_table

from datasette_llm.config import load_settings, settings_for
from datasette_llm.embeddings import embed_table, warm_up
from datasette_llm.models import clear_cache, embedding_model_for

ROWS = [{"id": 1, "text": "A fun-loving hound"}, {"id": 2, "text": "A recipe for sourdough bread"}]


@pytest.fixture
def embedded(tmp_path):
    model = embedding_model_for(load_settings())
    if not model.status().ready:
        pytest.skip(f"default embedding model missing: {model.status().detail} (run setup-scripts/models.sh)")
    path = tmp_path / "pets.db"
    make_table(path, "sentences", ROWS)
    embed_table(str(path), "sentences", model=model)
    clear_cache()  # the server's model is a fresh one, not loaded yet
    yield path
    clear_cache()


def served_model(ds):
    return embedding_model_for(settings_for(ds))


def test_a_served_collection_has_its_model_loaded_before_any_search(embedded):
    ds = Datasette([str(embedded)])
    assert served_model(ds)._session is None
    thread = warm_up.start(ds)
    thread.join(120)
    assert not thread.is_alive()
    assert served_model(ds)._session is not None


def test_nothing_is_loaded_without_a_collection(tmp_path):
    path = tmp_path / "plain.db"
    make_table(path, "sentences", ROWS)
    clear_cache()
    ds = Datasette([str(path)])
    assert warm_up.load_models(ds) == []
    assert served_model(ds)._session is None


def test_nothing_is_loaded_with_warm_up_off_or_search_off(embedded):
    off = Datasette([str(embedded)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}})
    assert warm_up.start(off) is None
    elsewhere = Datasette([str(embedded)], metadata={"plugins": {"datasette-llm": {"databases": ["other"]}}})
    assert warm_up.load_models(elsewhere) == []
    assert served_model(off)._session is None and served_model(elsewhere)._session is None


def test_a_model_behind_an_api_is_not_called(embedded):
    conn = sqlite3.connect(embedded)
    with conn:
        conn.execute("update collections set model = 'openai:text-embedding-3-small'")
    conn.close()
    ds = Datasette([str(embedded)])
    assert warm_up.load_models(ds) == []


@pytest.mark.asyncio
async def test_the_start_up_hook_starts_it_under_datasette_serve_only(embedded, monkeypatch):
    import click

    from datasette_llm.ask import warm_up as chat_warm_up
    from datasette_llm.sql import guard_worker

    started = []
    monkeypatch.setattr(warm_up, "start", lambda datasette: started.append(datasette))
    monkeypatch.setattr(chat_warm_up, "start", lambda datasette: None)
    monkeypatch.setattr(guard_worker, "start_in_background", lambda: None)
    ds = Datasette([str(embedded)])
    await ds.invoke_startup()  # a test client, as in `datasette llm ...` commands: no model work
    assert started == []
    other = Datasette([str(embedded)])
    with click.Context(click.Command("serve"), info_name="serve"):
        await other.invoke_startup()
    assert started == [other]
