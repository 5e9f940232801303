"""At start-up the embedding model a served collection needs is loaded before the first search
(embeddings/warm_up.py): the first search of a fresh server waited 0.78 s for it, the next 0.04 s."""

import sqlite3
from pathlib import Path

import pytest
from datasette.app import Datasette
from search_helpers import make_table

from datasette_llm.config import load_settings, settings_for
from datasette_llm.embeddings import embed_table, warm_up
from datasette_llm.models import clear_cache, embedding_model_for

ROOT = Path(__file__).resolve().parent.parent.parent
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


@pytest.mark.asyncio
async def test_serve_get_makes_its_one_request_without_loading(embedded, monkeypatch):
    import click

    from datasette_llm.ask import warm_up as chat_warm_up
    from datasette_llm.sql import guard_worker

    started = []
    monkeypatch.setattr(warm_up, "start", lambda datasette: started.append(datasette))
    monkeypatch.setattr(chat_warm_up, "start", lambda datasette: started.append(datasette))
    monkeypatch.setattr(guard_worker, "start_in_background", lambda: None)
    with click.Context(click.Command("serve"), info_name="serve") as context:
        context.params["get"] = "/-/versions.json"
        await Datasette([str(embedded)]).invoke_startup()
    assert started == []


def run_datasette(*args, **kwargs):
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, "-m", "datasette", *map(str, args)], env=env, cwd=ROOT, **kwargs)


def test_a_server_stopped_while_the_model_loads_exits_cleanly(embedded):
    """onnxruntime aborted the process ("terminate called without an active exception", exit 134) when it ended
    while the session was still opening: a Ctrl-C in a server's first second, and every `serve --get`."""
    import signal
    import subprocess

    from server_helpers import free_port, wait_for_http

    port = free_port()
    server = run_datasette("serve", embedded, "-p", port, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/-/versions.json", server)
        server.send_signal(signal.SIGINT)  # the model is still loading: it takes about a second
        _, errors = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
    # 0, or 1 on Datasette 1.0a41, which exits 1 on a Ctrl-C that early without this plugin too; an abort is -6.
    assert server.returncode in (0, 1) and b"terminate called" not in errors, errors.decode()[-2000:]
    get = run_datasette("serve", embedded, "--get", "/-/versions.json", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, errors = get.communicate(timeout=120)
    assert get.returncode == 0 and b"datasette" in out, errors.decode()[-2000:]
