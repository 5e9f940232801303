"""Ask over HTTP: the page, the JSON API, the event stream, their errors, permissions, CSRF and cancelling.

Most tests inject a scripted model (`ScriptedModel`) through `datasette_llm.web.ask.chat_model_for`; the
tests marked `model` use the real default local model.
"""

import asyncio
import json
import logging
import re
import sqlite3
import threading
import time
from html import unescape

import pytest
from datasette import hookimpl
from datasette.app import Datasette
from datasette.database import Database
from datasette.plugins import pm
from datasette_versions import DATASETTE_1, only_datasette_065, only_datasette_1
from itsdangerous import URLSafeSerializer
from spec_helpers import strict

import datasette_llm.web.ask as web_ask
from datasette_llm.errors import ModelError, ModelUnavailable
from datasette_llm.models.base import ChatModel, ChatResult, ModelStatus
from datasette_llm.web.responses import INTERNAL_ERROR

SECRET = "test-secret"
GOOD_SQL = "```sql\nselect name, stars from repos order by stars desc limit 2\n```"
ANSWER = "The top repos are datasette and llm, with 30 and 20 stars."


class ScriptedModel(ChatModel):
    """A test double: SQL replies from a script, an answer streamed word by word, optional faults."""

    backend = "scripted"

    def __init__(
        self,
        replies=(GOOD_SQL,),
        answer=ANSWER,
        *,
        error=None,
        block=False,
        token_delay=0.0,
        queue_limit=4,
        timeout=30.0,
    ):
        super().__init__("scripted", queue_limit=queue_limit, timeout=timeout)
        self.replies, self.answer, self.error = list(replies), answer, error
        self.block, self.token_delay = block, token_delay
        self.calls = []  # the messages of every chat() call
        self.started = threading.Event()  # a chat() call reached the backend
        self.release = threading.Event()  # lets a blocked chat() call finish
        self.saw_cancel = threading.Event()  # the backend noticed the cancel flag
        self.tokens_sent = 0

    def context_window(self):
        return 8192

    def count_tokens(self, text):
        return len(text) // 4 + 1

    def status(self):
        return ModelStatus(self.name, self.backend, "chat", True, "scripted")

    def _complete(self, messages, options, cancel):
        self.calls.append(messages)
        self.started.set()
        if self.error is not None:
            raise self.error
        while self.block and not self.release.is_set():
            if cancel.wait(0.02):
                self.saw_cancel.set()
                return ChatResult("", 0, 0, 0.0, self.name)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        return ChatResult(reply, 10, 10, 0.01, self.name)

    def _stream(self, messages, options, cancel):
        for word in self.answer.split(" "):
            time.sleep(self.token_delay)
            if cancel.is_set():
                self.saw_cancel.set()
                return
            self.tokens_sent += 1
            yield word + " "


def make_db(path):
    conn = sqlite3.connect(path)
    conn.executescript("""
        create table owners (id integer primary key, name text);
        create table repos (id integer primary key, name text, owner_id integer references owners(id),
                            stars integer);
        create table notes (id integer primary key, body text);
        insert into owners values (1, 'simonw'), (2, 'datasette');
        insert into repos values (1, 'datasette', 1, 30), (2, 'llm', 1, 20), (3, '<b>paper</b>', 2, 5);
        insert into notes values (1, 'unrelated');
    """)
    conn.commit()
    conn.close()


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "db.db"
    make_db(path)
    return path


@pytest.fixture
def make_ds(db_path, monkeypatch):
    """Build a Datasette on db.db whose Ask views use `model` (a ScriptedModel), or the real model."""

    def build(model=None, *, plugin=None, metadata=None):
        if model is not None:
            monkeypatch.setattr(web_ask, "chat_model_for", lambda settings: model)
        metadata = dict(metadata or {})
        if plugin:
            metadata["plugins"] = {"datasette-llm": plugin}
        return Datasette([str(db_path)], metadata=metadata, secret=SECRET)

    return build


DENY_SQL = {"databases": {"db": {"allow_sql": {"id": "admin"}}}}


def actor_cookies(ds, actor_id):
    return {"ds_actor": ds.sign({"a": {"id": actor_id}}, "actor")}


def csrf_pair():
    """A valid ds_csrftoken cookie value; the same string is what the page puts in `csrftoken()`."""
    return URLSafeSerializer(SECRET).dumps("test-token", "csrftoken")


def parse_sse(text):
    events = []
    for block in text.strip().split("\n\n"):
        name = re.search(r"^event: (.*)$", block, re.MULTILINE).group(1)
        data = json.loads(re.search(r"^data: (.*)$", block, re.MULTILINE).group(1))
        events.append((name, data))
    return events


# -- the page and its entry points -----------------------------------------------------------------


@pytest.mark.asyncio
async def test_page_renders_question_box_examples_and_stream_url(make_ds):
    ds = make_ds(ScriptedModel())
    response = await ds.client.get("/db/-/ask")
    assert response.status_code == 200
    html = response.text
    assert '<textarea id="ask-question" name="question"' in html
    assert '<label for="ask-question">Ask a question</label>' in html
    assert 'action="/db/-/ask.stream"' in html
    assert "/-/static-plugins/datasette-llm/ask.js" in html
    assert "/-/static-plugins/datasette-llm/ask.css" in html
    # Generated from the schema: first tables, size and top rows by a numeric (non-key) column.
    examples = re.findall(r'<button type="button" class="ask-example">(.*?)</button>', html)
    assert examples == [
        "How many rows are in owners?",
        "How many rows are in repos?",
        "Show 10 repos with the highest stars",
        "How many rows are in notes?",
    ]
    # Looks like Datasette: crumbs and the database heading.
    assert '<p class="crumbs">' in html and 'border-left: 10px solid #ff0000">db</h1>' in html
    token = re.search(r'data-csrftoken="([^"]+)"', html).group(1)
    if not DATASETTE_1:  # 1.0 has no CSRF cookie (its token is a per-request value nothing checks)
        assert token == response.cookies["ds_csrftoken"]


class CachingModel(ScriptedModel):
    prompt_cache = True


async def warmed(ds, path, **kwargs):
    """GET the page, then wait for the warm-up it started (if any)."""
    started, original = [], web_ask.start_warm_up
    web_ask.start_warm_up = lambda *args: started.append(original(*args)) or started[-1]
    try:
        response = await ds.client.get(path, **kwargs)
    finally:
        web_ask.start_warm_up = original
    return response, list(await asyncio.gather(*started))


@pytest.mark.asyncio
async def test_page_warms_the_schema_prefix_while_the_visitor_types(make_ds):
    model = CachingModel()
    ds = make_ds(model)
    response, results = await warmed(ds, "/db/-/ask")
    assert response.status_code == 200 and results == [True]
    (messages,) = model.calls
    assert messages[0]["role"] == "system" and "CREATE TABLE repos" in messages[1]["content"]
    assert messages[1]["content"].endswith("Question: ")  # the constant prefix, no question yet
    model.calls.clear()  # a real question starts with exactly that prefix
    await ds.client.post("/db/-/ask.json", json={"question": "Top repos"})
    assert model.calls[0][1]["content"].startswith(messages[1]["content"])


@pytest.mark.asyncio
async def test_a_finished_warm_up_is_not_kept(make_ds):
    """Each page view starts a warm-up the server holds until it ends; a finished one must be let go, or the
    server keeps one task (and its schema prompt) for every visit."""
    model = CachingModel()
    ds = make_ds(model)
    for _ in range(3):
        response, results = await warmed(ds, "/db/-/ask")
        assert response.status_code == 200 and results == [True]
    await asyncio.sleep(0)  # the tasks' done callbacks run on the next turn of the loop
    assert not web_ask._WARMING


@pytest.mark.asyncio
async def test_warm_up_only_when_idle_allowed_and_enabled(make_ds):
    from datasette_llm.ask.warm_up import warm_up

    model = CachingModel()
    ds = make_ds(model)
    model._gate.places.waiting = 1  # somebody's question is running: never queue a warm-up behind it
    assert await warm_up(ds, "db", model=model) is False
    model._gate.places.waiting = 0
    denied = make_ds(model, metadata=DENY_SQL)
    response, results = await warmed(denied, "/db/-/ask")
    assert response.status_code == 403 and results == []
    off = make_ds(model, plugin={"warm_up": False})
    response, results = await warmed(off, "/db/-/ask")
    assert response.status_code == 200 and results == []
    assert model.calls == [] and await warm_up(ds, "db", model=ScriptedModel()) is False  # no prompt cache


@pytest.mark.asyncio
async def test_static_assets_are_served(make_ds):
    ds = make_ds(ScriptedModel())
    for name in ("ask.js", "ask.css"):
        response = await ds.client.get(f"/-/static-plugins/datasette-llm/{name}")
        assert response.status_code == 200 and len(response.text) > 500


@pytest.mark.asyncio
async def test_page_uses_configured_examples_and_escapes_question(make_ds):
    ds = make_ds(ScriptedModel(), plugin={"example_questions": {"db": ["Which repo has <most> stars?"]}})
    response = await ds.client.get("/db/-/ask", params={"q": '"><script>alert(1)</script>'})
    html = response.text
    assert '<button type="button" class="ask-example">Which repo has &lt;most&gt; stars?</button>' in html
    assert "<script>alert(1)" not in html
    assert 'data-question="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html


@pytest.mark.asyncio
async def test_a_question_in_the_url_is_asked_only_when_the_page_was_opened_here(make_ds):
    """Another site's link, pop-up or frame started a model run for whoever followed it (an outside attacker,
    session 14): from there the question is only filled in. Typed, bookmarked or linked here, it is asked."""
    ds = make_ds(ScriptedModel())
    for site, asks in [
        ("none", True),
        ("same-origin", True),
        ("same-site", False),
        ("cross-site", False),
        (None, False),
    ]:
        headers = {"sec-fetch-site": site} if site else {}
        html = (await ds.client.get("/db/-/ask", params={"q": "Top repos?"}, headers=headers)).text
        assert 'data-question="Top repos?"' in html
        assert ('data-ask-now="1"' in html) is asks, site


@pytest.mark.asyncio
async def test_no_page_of_the_plugin_may_be_framed(make_ds):
    """The Ask page's "This is right" and the examples page's "Add example" save trusted examples: framed by
    another page, one click did it (clickjacking, an outside attacker in session 14)."""
    ds = make_ds(ScriptedModel(), plugin={"allow_teach": True})
    for path in ("/db/-/ask", "/-/llm/db/examples", "/db/repos/-/semantic-search", "/-/ask?other=1"):
        if path == "/-/ask?other=1":  # the list of databases, when there is more than one
            ds.add_database(Database(ds, memory_name="other"), name="other")
        response = await ds.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert response.headers.get("x-frame-options") == "DENY", path
        assert response.headers["content-security-policy"] == "frame-ancestors 'none'", path


@pytest.mark.asyncio
async def test_every_route_of_the_plugin_says_its_content_type_is_meant(make_ds):
    """No response of the plugin may be sniffed as another type: JSON echoes input (an outside tester noted no
    response said so, session 35). Every route is listed in web/routes.py; each is reached here, its errors too."""
    from datasette_llm.web.routes import all_routes

    ds = make_ds(ScriptedModel([GOOD_SQL, ANSWER, GOOD_SQL, ANSWER]), plugin={"allow_teach": True})
    question = {"question": "Top repos?", "mode": "sql"}
    requests = {
        r"^/-/ask$": ("GET", "/-/ask", None),
        r"^/(?P<database>[^/]+)/-/ask$": ("GET", "/db/-/ask", None),
        r"^/(?P<database>[^/]+)/-/ask\.json$": ("POST", "/db/-/ask.json", question),
        r"^/(?P<database>[^/]+)/-/ask\.stream$": ("POST", "/db/-/ask.stream", question),
        r"^/\.well-known/ai-plugin\.json$": ("GET", "/.well-known/ai-plugin.json", None),
        r"^/-/llm/openapi\.(?P<format>json|yaml)$": ("GET", "/-/llm/openapi.yaml", None),
        r"^/-/llm/logo\.svg$": ("GET", "/-/llm/logo.svg", None),
        r"^/-/llm/schema\.json$": ("GET", "/-/llm/schema.json?database=db", None),
        r"^/-/llm/query\.json$": ("GET", "/-/llm/query.json?database=db&sql=select+1", None),
        r"^/-/mcp$": ("POST", "/-/mcp", {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
        r"^/-/llm/(?P<database>[^/]+)/examples\.json$": ("GET", "/-/llm/db/examples.json", None),
        r"^/-/llm/(?P<database>[^/]+)/examples$": ("GET", "/-/llm/db/examples", None),
        r"^/-/llm/(?P<database>[^/]+)/examples/(?P<id>[^/]+)/remove$": ("POST", "/-/llm/db/examples/1/remove", {}),
        r"^/-/llm/(?P<database>[^/]+)/feedback$": ("POST", "/-/llm/db/feedback", {}),
        r"^/-/llm/(?P<database>[^/]+)/feedback/(?P<id>[^/]+)/remove$": ("POST", "/-/llm/db/feedback/1/remove", {}),
        r"^/-/semantic-search$": ("GET", "/-/semantic-search?q=x", None),
        r"^/(?P<database>[^/]+)/(?P<table>[^/]+)/-/semantic-search$": ("GET", "/db/repos/-/semantic-search", None),
    }
    assert set(requests) == {pattern for pattern, _ in all_routes()}  # a new route is added here too
    for method, path, body in requests.values():
        if method == "GET":
            response = await ds.client.get(path)
        else:
            response = await ds.client.post(path, json=body)
        assert response.status_code < 500, (path, response.status_code, response.text[:300])
        assert response.headers.get("x-content-type-options") == "nosniff", (path, response.status_code)
        if method == "POST":  # refused before the route reads it: too large, multipart, a token not ASCII
            for refused in (
                ds.client.post(path, content=b"{}" + b" " * 5_000_000, headers={"content-type": "application/json"}),
                ds.client.post(path, content=b"--x--", headers={"content-type": "multipart/form-data; boundary=x"}),
                ds.client.post(path, json=body, headers={"x-csrftoken": "\u00e9".encode()}),
            ):
                response = await refused
                assert response.status_code in (403, 413, 415), (path, response.status_code)
                assert response.headers.get("x-content-type-options") == "nosniff", (path, response.status_code)


@pytest.mark.asyncio
async def test_page_for_table_scopes_question_and_examples(make_ds):
    ds = make_ds(ScriptedModel())
    html = (await ds.client.get("/db/-/ask?table=repos")).text
    assert 'about <a href="/db/repos">repos</a>' in html
    assert 'data-table="repos"' in html
    assert re.findall(r'class="ask-example">(.*?)<', html) == [
        "How many rows are in repos?",
        "Show 10 repos with the highest stars",
    ]
    assert (await ds.client.get("/db/-/ask?table=missing")).status_code == 404


@pytest.mark.asyncio
async def test_page_errors_use_datasette_pages(make_ds):
    ds = make_ds(ScriptedModel(), metadata=DENY_SQL)
    assert (await ds.client.get("/db/-/ask")).status_code == 403
    assert (await ds.client.get("/db/-/ask", cookies=actor_cookies(ds, "admin"))).status_code == 200
    assert (await ds.client.get("/nope/-/ask")).status_code == 404


@pytest.mark.asyncio
async def test_database_and_table_actions_only_for_actors_who_may_run_sql(make_ds):
    ds = make_ds(ScriptedModel(), metadata=DENY_SQL)
    admin, bob = actor_cookies(ds, "admin"), actor_cookies(ds, "bob")
    page = (await ds.client.get("/db", cookies=admin)).text
    # (Datasette 1.0 writes action menu items as <a href=... role="menuitem" tabindex="-1">\n label.)
    assert re.search(r'<a href="/db/-/ask"[^>]*>\s*Ask a question', page)
    assert '<a href="/db/-/ask"' not in (await ds.client.get("/db", cookies=bob)).text
    table_page = (await ds.client.get("/db/repos", cookies=admin)).text
    assert re.search(r'<a href="/db/-/ask\?table=repos"[^>]*>\s*Ask about this table', table_page)
    assert "Ask about this table" not in (await ds.client.get("/db/repos", cookies=bob)).text
    # The menu links to /-/ask, which redirects when there is one database to ask.
    assert '<a href="/-/ask">Ask a question</a>' in page
    assert '<a href="/-/ask">' not in (await ds.client.get("/db", cookies=bob)).text
    response = await ds.client.get("/-/ask", cookies=admin)
    assert response.status_code == 302 and response.headers["location"] == "/db/-/ask"
    response = await ds.client.get("/-/ask", cookies=bob)
    assert response.status_code == 200 and "There are no databases you can ask" in response.text


@pytest.mark.asyncio
async def test_index_lists_databases_and_settings_databases_limits_them(tmp_path, make_ds):
    ds = make_ds(ScriptedModel())
    make_db(tmp_path / "other.db")
    ds.add_database(Database(ds, path=str(tmp_path / "other.db")), name="other")
    html = (await ds.client.get("/-/ask")).text
    assert '<a href="/db/-/ask">db</a>' in html and '<a href="/other/-/ask">other</a>' in html

    ds = make_ds(ScriptedModel(), plugin={"databases": ["other"]})
    assert "Ask a question" not in (await ds.client.get("/db")).text
    assert "Ask about this table" not in (await ds.client.get("/db/repos")).text
    assert (await ds.client.get("/db/-/ask")).status_code == 404
    response = await ds.client.post("/db/-/ask.json", json={"question": "How many repos?"})
    assert response.status_code == 404 and "not enabled" in response.json()["error"]


# -- the JSON API ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_json_api_returns_ask_result(make_ds):
    model = ScriptedModel()
    ds = make_ds(model)
    response = await ds.client.post("/db/-/ask.json", json={"question": "Which repos have most stars?"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    data = response.json()
    assert data["ok"] is True and data["error"] is None
    assert data["question"] == "Which repos have most stars?" and data["database"] == "db"
    assert data["columns"] == ["name", "stars"] and data["rows"] == [["datasette", 30], ["llm", 20]]
    assert data["row_count"] == 2 and data["truncated"] is False
    assert data["answer"] == ANSWER and data["model"] == "scripted"
    assert len(data["attempts"]) == 1 and data["attempts"][0]["row_count"] == 2
    assert set(data["timings"]) >= {"schema", "sql_generation", "sql_execution", "answer", "total"}
    assert data["sql_formatted"] == "SELECT\n  name,\n  stars\nFROM repos\nORDER BY\n  stars DESC\nLIMIT 2"
    assert data["edit_sql_url"].startswith("/db/-/query?sql=SELECT%0A" if DATASETTE_1 else "/db?sql=SELECT%0A")
    # "Edit this SQL" opens Datasette's query page with that SQL in the editor.
    page = await ds.client.get(data["edit_sql_url"])
    assert page.status_code == 200
    textarea = re.search(r'<textarea id="sql-editor" name="sql"[^>]*>(.*?)</textarea>', page.text, re.DOTALL)
    assert unescape(textarea.group(1)) == data["sql_formatted"]


@pytest.mark.asyncio
@pytest.mark.parametrize("param", ["q", "question"])
async def test_json_api_get_never_starts_a_model(make_ds, param):
    # Any page on any site can make a browser send a GET: it gets a 405 pointing at POST, not an answer.
    model = ScriptedModel()
    ds = make_ds(model)
    response = await ds.client.get("/db/-/ask.json", params={param: "Top repos?"})
    assert response.status_code == 405 and "POST" in response.json()["error"]
    assert model.calls == []


@pytest.mark.asyncio
async def test_json_api_sends_history_and_table_to_the_model(make_ds):
    model = ScriptedModel()
    ds = make_ds(model)
    history = [
        {"question": "Which repos have most stars?", "sql": "select name from repos order by stars desc"},
        {"question": "Rows please", "sql": None, "rows": [[1, 2]]},
    ]
    response = await ds.client.post(
        "/db/-/ask.json", json={"question": "and only those owned by simonw?", "history": history, "table": "repos"}
    )
    assert response.status_code == 200
    messages = model.calls[0]
    assert {"role": "assistant", "content": "```sql\nselect name from repos order by stars desc\n```"} in messages
    assert "owned by simonw" in messages[-1]["content"]
    prompt = "\n".join(m["content"] for m in messages)
    # Scoped to repos and its foreign-key neighbour; the unrelated table is not shown.
    assert "CREATE TABLE owners" in prompt and "create table repos" in prompt.lower()
    assert "notes" not in prompt
    assert "[1, 2]" not in prompt  # rows of earlier turns are never carried over


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"json": {"question": ""}}, "Please enter a question"),
        ({"json": {"question": "   "}}, "Please enter a question"),
        ({"json": {}}, "Please enter a question"),
        ({"json": {"question": "x" * 61}}, "the limit is 60"),
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, "not valid JSON"),
        ({"content": b'{"question": "caf\xe9"}', "headers": {"content-type": "application/json"}}, "UTF-8"),
        ({"json": ["a list"]}, "must be a JSON object"),
        ({"json": {"question": "Top?", "history": "not a list"}}, "history must be a list"),
        ({"json": {"question": "Top?", "history": [{"sql": "select 1"}]}}, "needs a 'question'"),
        ({"json": {"question": "Top?", "history": [1]}}, "needs a 'question'"),
        ({"json": {"question": "Top?", "table": ["repos"]}}, "table must be a string"),
        ({"json": {"question": "Top?", "mode": "guess"}}, "mode must be one of auto, sql, text, both"),
        (
            {
                "content": "question=Top%3F&history=%5B",
                "cookies": {"ds_csrftoken": csrf_pair()},
                "headers": {
                    "content-type": "application/x-www-form-urlencoded",
                    "x-csrftoken": csrf_pair(),
                    "sec-fetch-site": "same-origin",
                },
            },
            "history field is not valid JSON",
        ),
        ({"content": '{"question": "Top\\ud800?"}', "headers": {"content-type": "application/json"}}, "lone surrogate"),
    ],
)
async def test_json_api_bad_requests(make_ds, kwargs, fragment):
    model = ScriptedModel()
    ds = make_ds(model, plugin={"max_question_chars": 60})
    response = await ds.client.post("/db/-/ask.json", **kwargs)
    assert response.status_code == 400, response.text
    data = response.json()
    assert data["ok"] is False and data["status"] == 400 and data["code"] == "bad_request"
    assert fragment in data["error"]
    assert model.calls == []


@pytest.mark.asyncio
async def test_json_api_too_large_body(make_ds):
    ds = make_ds(ScriptedModel())
    response = await ds.client.post("/db/-/ask.json", content=b"{" + b" " * 300_000 + b"}")
    assert response.status_code == 413 and "larger than" in response.json()["error"]


@pytest.mark.asyncio
async def test_json_api_not_found_and_forbidden(make_ds):
    model = ScriptedModel()
    ds = make_ds(model, metadata=DENY_SQL)
    response = await ds.client.post("/nope/-/ask.json", json={"question": "Top?"})
    assert response.status_code == 404 and "does not exist" in response.json()["error"]
    response = await ds.client.post("/db/-/ask.json", json={"question": "Top?"})
    assert response.status_code == 403
    assert response.json()["error"] == "You do not have permission to ask questions of the database 'db'."
    assert model.calls == []
    cookies = {**actor_cookies(ds, "admin"), "ds_csrftoken": csrf_pair()}
    response = await ds.client.post(
        "/db/-/ask.json",
        json={"question": "Top?", "table": "missing"},
        cookies=cookies,
        headers={"x-csrftoken": csrf_pair()},
    )
    assert response.status_code == 404 and "'missing' does not exist" in response.json()["error"]


@pytest.mark.asyncio
async def test_model_queue_full_is_503_with_retry_after(make_ds):
    model = ScriptedModel(block=True, queue_limit=1)
    ds = make_ds(model)
    first = asyncio.ensure_future(ds.client.post("/db/-/ask.json", json={"question": "Top?"}))
    assert await asyncio.to_thread(model.started.wait, 10)
    # Another client: the first holds the one place (its own second question would be a 429, below).
    response = await ds.client.post(
        "/db/-/ask.json",
        json={"question": "Top?"},
        cookies={**actor_cookies(ds, "bob"), "ds_csrftoken": csrf_pair()},
        headers={"x-csrftoken": csrf_pair()},
    )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    data = response.json()
    assert data["code"] == "model_busy" and data["retry_after"] == 5 and "busy" in data["error"]
    model.release.set()
    assert (await first).status_code == 200


@pytest.mark.asyncio
@pytest.mark.parametrize("flooder", [None, "mallory"])
async def test_one_client_holds_at_most_half_the_models_queue(make_ds, flooder):
    """One anonymous client that kept 4 questions in flight won every place the model's queue of 4 freed: another
    client's questions succeeded 1 time in 46 (an outside tester, session 38). A client (an actor, or an address)
    holds at most half the places; its questions past that are a 429 at once, and the others still find room."""
    model = ScriptedModel(block=True, queue_limit=4)
    ds = make_ds(model)

    def ask(actor):
        cookies = {**actor_cookies(ds, actor), "ds_csrftoken": csrf_pair()} if actor else {}
        headers = {"x-csrftoken": csrf_pair()} if actor else {}
        return asyncio.ensure_future(
            ds.client.post("/db/-/ask.json", json={"question": "Top?"}, cookies=cookies, headers=headers)
        )

    flood = [ask(flooder) for _ in range(4)]
    assert await asyncio.to_thread(model.started.wait, 10)
    for _ in range(200):  # the two past its share are refused without waiting for the model
        if sum(request.done() for request in flood) == 2:
            break
        await asyncio.sleep(0.02)
    refused = [request.result() for request in flood if request.done()]
    assert [response.status_code for response in refused] == [429, 429]
    assert refused[0].headers["retry-after"] == "2"
    assert refused[0].json()["code"] == "too_many_requests" and "already have 2" in refused[0].json()["error"]
    others = [ask("bob"), ask(None if flooder else "carol")]
    await asyncio.sleep(0.2)
    assert not any(request.done() for request in others)  # admitted: waiting for the model, not refused
    model.release.set()
    assert sorted([(await request).status_code for request in flood]) == [200, 200, 429, 429]
    assert [(await request).status_code for request in others] == [200, 200]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "error, status, code",
    [
        (ModelError("The model server answered 500: out of memory"), 502, "model_error"),
        (ModelUnavailable("Could not reach http://127.0.0.1:9/v1"), 502, "model_unavailable"),
    ],
)
async def test_model_failures_keep_their_status(make_ds, error, status, code):
    ds = make_ds(ScriptedModel(error=error))
    response = await ds.client.post("/db/-/ask.json", json={"question": "Top?"})
    assert response.status_code == status
    assert response.json()["code"] == code and response.json()["error"] == error.message


@pytest.mark.asyncio
async def test_model_timeout_is_504(make_ds):
    model = ScriptedModel(block=True, timeout=0.3)
    ds = make_ds(model)
    response = await ds.client.post("/db/-/ask.json", json={"question": "Top?"})
    assert response.status_code == 504
    assert response.json()["code"] == "model_timeout" and "did not answer within" in response.json()["error"]
    assert await asyncio.to_thread(model.saw_cancel.wait, 5)  # the backend was told to stop


@pytest.mark.asyncio
async def test_unexpected_error_is_a_generic_json_500_and_logged(make_ds, caplog):
    ds = make_ds(ScriptedModel(error=RuntimeError("secret internals /etc/passwd")))
    response = await ds.client.post("/db/-/ask.json", json={"question": "Top?"})
    assert response.status_code == 500
    assert response.json() == {"ok": False, "error": INTERNAL_ERROR, "code": "internal_error", "status": 500}
    assert "secret internals" not in response.text and "Traceback" not in response.text
    assert "secret internals" in caplog.text


@pytest.mark.asyncio
async def test_no_valid_sql_is_422_with_the_attempts(make_ds):
    ds = make_ds(ScriptedModel(replies=["I cannot answer that."]))
    response = await ds.client.post("/db/-/ask.json", json={"question": "What is the meaning of life?"})
    assert response.status_code == 422
    data = response.json()
    assert data["ok"] is False and "Could not write a valid query after 3 attempts" in data["error"]
    assert len(data["attempts"]) == 3 and data["rows"] == [] and data["sql"] is None


# -- CSRF and API tokens ---------------------------------------------------------------------------


class BearerTokens:
    """What an API-token plugin does (Datasette 0.65 has no built-in signed API tokens)."""

    __name__ = "BearerTokens"  # Datasette lists plugins by name

    @hookimpl
    def actor_from_request(self, datasette, request):
        if request.headers.get("authorization") == "Bearer dstok_test-token":
            return {"id": "admin"}


@pytest.fixture
def bearer_tokens():
    plugin = BearerTokens()
    pm.register(plugin, name="test-bearer-tokens")
    try:
        yield
    finally:
        pm.unregister(plugin, name="test-bearer-tokens")


@only_datasette_065
@pytest.mark.asyncio
async def test_cookie_post_needs_csrf_token(make_ds):
    model = ScriptedModel()
    ds = make_ds(model, metadata=DENY_SQL)
    page = await ds.client.get("/db/-/ask", cookies=actor_cookies(ds, "admin"))
    token = re.search(r'data-csrftoken="([^"]+)"', page.text).group(1)
    cookies = {**actor_cookies(ds, "admin"), "ds_csrftoken": page.cookies["ds_csrftoken"]}
    for path in ("/db/-/ask.json", "/db/-/ask.stream"):
        refused = await ds.client.post(path, json={"question": "Top?"}, cookies=cookies)
        assert refused.status_code == 403 and "x-csrftoken" in refused.json()["error"]  # Datasette's, as JSON
        wrong = await ds.client.post(
            path, json={"question": "Top?"}, cookies=cookies, headers={"x-csrftoken": "forged"}
        )
        assert wrong.status_code == 403
    assert model.calls == []
    # What the page does: the token in the x-csrftoken header ...
    response = await ds.client.post(
        "/db/-/ask.stream", json={"question": "Top?"}, cookies=cookies, headers={"x-csrftoken": token}
    )
    assert response.status_code == 200 and parse_sse(response.text)[-1][0] == "result"
    # ... or as the csrftoken field of a form.
    response = await ds.client.post("/db/-/ask.json", data={"question": "Top?", "csrftoken": token}, cookies=cookies)
    assert response.status_code == 200 and response.json()["ok"] is True


@only_datasette_065
@pytest.mark.asyncio
async def test_bearer_token_post_works_without_csrf(make_ds, bearer_tokens):
    ds = make_ds(ScriptedModel(), metadata=DENY_SQL)
    # Even with cookies present, asgi-csrf lets "Authorization: Bearer" requests through.
    cookies = {"ds_csrftoken": csrf_pair()}
    response = await ds.client.post(
        "/db/-/ask.json",
        json={"question": "Top?"},
        cookies=cookies,
        headers={"Authorization": "Bearer dstok_test-token"},
    )
    assert response.status_code == 200 and response.json()["rows"] == [["datasette", 30], ["llm", 20]]
    response = await ds.client.post(
        "/db/-/ask.json", json={"question": "Top?"}, headers={"Authorization": "Bearer dstok_wrong"}
    )
    assert response.status_code == 403


@only_datasette_1
@pytest.mark.asyncio
async def test_cookie_post_from_this_site(make_ds):
    """Datasette 1.0 has no CSRF token: what the page sends (Sec-Fetch-Site: same-origin) is accepted, and
    what another site's page sends is refused before any model runs."""
    model = ScriptedModel()
    ds = make_ds(model, metadata=DENY_SQL)
    cookies = actor_cookies(ds, "admin")
    assert (await ds.client.get("/db/-/ask", cookies=cookies)).status_code == 200
    for headers in ({"sec-fetch-site": "cross-site"}, {"origin": "https://evil.example"}):
        for path in ("/db/-/ask.json", "/db/-/ask.stream"):
            refused = await ds.client.post(path, json={"question": "Top?"}, cookies=cookies, headers=headers)
            assert refused.status_code == 403
    assert model.calls == []
    same_site = {"sec-fetch-site": "same-origin", "origin": "http://localhost"}
    response = await ds.client.post("/db/-/ask.stream", json={"question": "Top?"}, cookies=cookies, headers=same_site)
    assert response.status_code == 200 and parse_sse(response.text)[-1][0] == "result"
    response = await ds.client.post("/db/-/ask.json", data={"question": "Top?"}, cookies=cookies, headers=same_site)
    assert response.status_code == 200 and response.json()["ok"] is True


@only_datasette_1
@pytest.mark.asyncio
async def test_datasette1_api_token_is_the_actor(make_ds):
    """A Datasette 1.0 API token (dstok_, as `datasette create-token` makes) authenticates the Ask API with no
    extra plugin, even next to cookies, and its actor's permissions apply."""
    ds = make_ds(ScriptedModel(), metadata=DENY_SQL)
    await ds.invoke_startup()
    admin, bob = await ds.create_token("admin"), await ds.create_token("bob")
    assert admin.startswith("dstok_")
    cookies = {"ds_csrftoken": csrf_pair()}
    response = await ds.client.post(
        "/db/-/ask.json", json={"question": "Top?"}, cookies=cookies, headers={"Authorization": f"Bearer {admin}"}
    )
    assert response.status_code == 200 and response.json()["rows"] == [["datasette", 30], ["llm", 20]]
    assert response.json()["edit_sql_url"] is not None
    refused = await ds.client.post(
        "/db/-/ask.json", json={"question": "Top?"}, headers={"Authorization": f"Bearer {bob}"}
    )
    assert refused.status_code == 403  # bob may not run SQL (allow_sql), so may not ask


# -- the event stream ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_stream_events_in_order(make_ds):
    model = ScriptedModel(replies=["```sql\nselect name from no_such_table\n```", GOOD_SQL])
    ds = make_ds(model)
    response = await ds.client.post("/db/-/ask.stream", json={"question": "Which repos have most stars?"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert "no-store" in response.headers["cache-control"]  # no cache keeps an answer (web/shared_caches.py)
    events = parse_sse(response.text)
    stages = [name for name, _ in events if name != "answer_token"]
    assert stages == [
        "started",
        "route",
        "writing_sql",
        "checking",
        "writing_sql",
        "checking",
        "running",
        "rows",
        "answering",
        "result",
    ]
    # The rows arrive before the first answer token, and they are the rows of the result.
    rows = dict(events)["rows"]
    assert rows["rows"] == [["datasette", 30], ["llm", 20]] and rows["columns"] == ["name", "stars"]
    assert rows["row_count"] == 2 and rows["truncated"] is False and rows["sql"] == events[-1][1]["sql"]
    assert events[1][1]["path"] == "sql"
    assert [data.get("attempt") for name, data in events if name == "writing_sql"] == [1, 2]
    tokens = [data["text"] for name, data in events if name == "answer_token"]
    first_token = next(i for i, (name, _) in enumerate(events) if name == "answer_token")
    assert events[first_token - 1][0] == "answering" and events[-1][0] == "result"
    assert "".join(tokens).strip() == ANSWER
    result = events[-1][1]
    assert result["ok"] and result["rows"] == [["datasette", 30], ["llm", 20]]
    assert result["attempts"][0]["error"] and result["sql_formatted"].startswith("SELECT")


@pytest.mark.asyncio
async def test_stream_errors_before_and_after_it_starts(make_ds):
    ds = make_ds(ScriptedModel(error=ModelError("backend down")), metadata=DENY_SQL)
    # Before streaming: an ordinary JSON error with its status.
    response = await ds.client.post("/db/-/ask.stream", json={"question": "Top?"})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    response = await ds.client.post("/db/-/ask.stream", json={"question": ""})
    assert response.status_code == 400
    # After the stream has started: an `error` event carrying the same JSON.
    cookies = {**actor_cookies(ds, "admin"), "ds_csrftoken": csrf_pair()}
    response = await ds.client.post(
        "/db/-/ask.stream", json={"question": "Top?"}, cookies=cookies, headers={"x-csrftoken": csrf_pair()}
    )
    assert response.status_code == 200
    events = parse_sse(response.text)
    assert [name for name, _ in events] == ["started", "route", "writing_sql", "error"]
    assert events[-1][1] == {"ok": False, "error": "backend down", "code": "model_error", "status": 502}


@pytest.mark.asyncio
async def test_stream_unexpected_error_event_is_generic(make_ds):
    ds = make_ds(ScriptedModel(error=KeyError("internal detail")))
    events = parse_sse((await ds.client.post("/db/-/ask.stream", json={"question": "Top?"})).text)
    assert events[-1] == ("error", web_ask.internal_error_json())


async def stream_until(ds, question, stop_after, path="/db/-/ask.stream", disconnect_after=None):
    """Drive the ASGI app directly; disconnect once an event named `stop_after` has been sent (or after
    `disconnect_after` seconds)."""
    body = json.dumps({"question": question}).encode()
    disconnect = asyncio.Event()
    sent_events = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    if disconnect_after is not None:
        asyncio.get_running_loop().call_later(disconnect_after, disconnect.set)

    async def receive():
        if messages:
            return messages.pop(0)
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.body" and message.get("body") and path.endswith(".stream"):
            sent_events.extend(name for name, _ in parse_sse(message["body"].decode()))
            if stop_after in sent_events:
                disconnect.set()

    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 5000),
        "server": ("localhost", 80),
    }
    started = time.monotonic()
    await asyncio.wait_for(ds.app()(scope, receive, send), 10)
    return sent_events, time.monotonic() - started


@pytest.mark.asyncio
async def test_disconnect_while_writing_sql_cancels_the_model_call(make_ds):
    model = ScriptedModel(block=True)  # would never finish on its own
    ds = make_ds(model)
    events, seconds = await stream_until(ds, "Top?", stop_after="writing_sql")
    assert events == ["started", "route", "writing_sql"] and seconds < 5
    assert await asyncio.to_thread(model.saw_cancel.wait, 5)
    assert await place_given_back(model)


async def place_given_back(model, seconds: float = 5) -> bool:
    """Whether the model's queue is empty within `seconds` (a place is given back when its work has ended)."""
    deadline = time.monotonic() + seconds
    while model._gate.waiting and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return model._gate.waiting == 0


@pytest.mark.asyncio
async def test_disconnect_from_the_json_api_cancels_the_model_call(make_ds, caplog):
    """ask.json gives up too when its client leaves (it ran on to the end before: an outside attacker's dropped
    requests kept the model busy while real questions got 503). A client leaving is not an error: nothing is
    logged above INFO (each leaving client would otherwise put a traceback in the server's log)."""
    model = ScriptedModel(block=True)  # would never finish on its own
    ds = make_ds(model)
    with caplog.at_level(logging.INFO):
        sent, seconds = await stream_until(ds, "Top?", stop_after=None, path="/db/-/ask.json", disconnect_after=0.5)
        assert seconds < 5
        assert await asyncio.to_thread(model.saw_cancel.wait, 5)
        assert await place_given_back(model)
    assert any("client disconnected" in r.getMessage() for r in caplog.records)
    assert [r.getMessage() for r in caplog.records if r.levelno > logging.INFO] == []


@pytest.mark.asyncio
async def test_disconnect_while_answering_stops_generation(make_ds):
    model = ScriptedModel(answer=" ".join(["word"] * 200), token_delay=0.02)
    ds = make_ds(model)
    events, seconds = await stream_until(ds, "Top?", stop_after="answer_token")
    assert "result" not in events and seconds < 4
    assert await asyncio.to_thread(model.saw_cancel.wait, 5)
    assert model.tokens_sent < 50
    assert await place_given_back(model)


# -- answers from text (retrieval over embeddings) ----------------------------------------------------


@pytest.fixture
def text_db(tmp_path, embedding_model):
    """A database whose `tools` table has embeddings (built with the real small embedding model)."""
    from datasette_llm.embeddings import embed_table

    path = tmp_path / "tools.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table tools (full_name text primary key, name text, readme text)")
        conn.executemany(
            "insert into tools values (?, ?, ?)",
            [
                ("simonw/shot-scraper", "shot-scraper", "A command-line utility for taking screenshots of websites."),
                ("simonw/ttok", "ttok", "Count and truncate text based on tokens."),
            ],
        )
    embed_table(path, "tools", columns=["name", "readme"], model=embedding_model)
    return path


@pytest.mark.asyncio
async def test_text_path_streams_retrieval_and_returns_sources(text_db, monkeypatch):
    model = ScriptedModel(answer="shot-scraper takes screenshots of websites [1].")
    monkeypatch.setattr(web_ask, "chat_model_for", lambda settings: model)
    ds = Datasette([str(text_db)])
    page = (await ds.client.get("/tools/-/ask")).text
    assert '<select id="ask-mode" name="mode">' in page  # offered only where there is text to search
    without_text = await Datasette(memory=True).client.get("/_memory/-/ask")
    assert without_text.status_code == 200 and '<select id="ask-mode"' not in without_text.text

    response = await ds.client.post("/tools/-/ask.stream", json={"question": "What is shot-scraper?"})
    events = parse_sse(response.text)
    stages = [name for name, _ in events if name != "answer_token"]
    assert stages == ["started", "route", "retrieving", "passages", "answering", "result"]
    result = events[-1][1]
    assert result["path"] == "text" and result["sql"] is None and result["edit_sql_url"] is None
    # The passages are sent the moment they are found, before the answer, exactly as the result lists them.
    early = next(data for name, data in events if name == "passages")
    assert early["passages"] == result["passages"] and early["passages"]
    assert result["passages"][0]["label"] == "simonw/shot-scraper"
    assert [c["label"] for c in result["citations"]] == ["simonw/shot-scraper"]

    # The mode forces a path: SQL for the same question.
    model.replies = ["```sql\nselect name from tools where name = 'shot-scraper'\n```"]
    response = await ds.client.post("/tools/-/ask.json", json={"question": "What is shot-scraper?", "mode": "sql"})
    assert response.json()["route"]["forced"] is True and response.json()["rows"] == [["shot-scraper"]]


@pytest.mark.asyncio
async def test_text_mode_without_embeddings_is_400(make_ds):
    ds = make_ds(ScriptedModel())
    response = await ds.client.post("/db/-/ask.json", json={"question": "What is llm?", "mode": "text"})
    assert response.status_code == 400 and "has embeddings" in response.json()["error"]


# -- with the real default model -------------------------------------------------------------------


@pytest.mark.model
@pytest.mark.asyncio
@pytest.mark.timeout(600)
async def test_real_model_json_and_stream(make_ds, db_path, chat_model):
    ds = make_ds()  # chat_model_for is not replaced: the views load the default model
    response = await ds.client.post("/db/-/ask.json", json={"question": "How many repos are there?"}, timeout=600)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["ok"] and data["model"] == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    assert data["rows"] == [[3]] and ("3" in data["answer"] or "three" in data["answer"].lower())

    response = await ds.client.post(
        "/db/-/ask.stream", json={"question": "Which repo has the most stars?"}, timeout=600
    )
    events = parse_sse(response.text)
    stages = [name for name, _ in events if name != "answer_token"]
    assert stages[:3] == ["started", "route", "writing_sql"] and stages[-3:] == ["rows", "answering", "result"]
    assert any(name == "answer_token" for name, _ in events)
    result = events[-1][1]
    truth = sqlite3.connect(db_path).execute("select name from repos order by stars desc limit 1").fetchone()[0]
    assert result["ok"] and truth in [cell for row in result["rows"] for cell in row]


@pytest.mark.asyncio
async def test_replies_are_kept_per_browser_and_for_no_anonymous_request_without_one(make_ds):
    """Anonymous visitors were one asker of the reply cache: a second learned from `cached_replies` that someone had
    asked "which items would my divorce lawyer price above 30?" (an outside tester, session 32). Now a signed-in
    actor or one browser (its CSRF cookie, which no other can read) is an asker; a request with neither keeps and
    reads nothing."""
    from datasette_llm.models.reply_cache import ReplyCache

    model = ScriptedModel()  # its SQL replies are calls; its answers stream
    model.kept_replies = ReplyCache(256)  # as chat_model_for() makes it with the default setting
    ds = make_ds(model)

    def browser(name):
        token = ds.sign(name, "csrftoken")
        return {"cookies": {"ds_csrftoken": token}, "headers": {"x-csrftoken": token, "Sec-Fetch-Site": "same-origin"}}

    async def asked(**client):
        calls = len(model.calls)
        response = await ds.client.post("/db/-/ask.json", json={"question": "How many repos?"}, **client)
        assert response.status_code == 200, response.text
        return len(model.calls) - calls, response.json()["tokens"]["cached_replies"]

    first, second = browser("one"), browser("two")
    assert await asked(**first) == (1, 0)
    assert await asked(**first) == (0, 2)  # the same browser asking again: its own replies (SQL and answer)
    assert await asked(**second) == (1, 0)  # another browser learns nothing of the first one's question
    assert await asked() == (1, 0)  # no browser to tell apart: nothing kept for it
    assert await asked() == (1, 0)
    signed = browser("three")
    signed["cookies"].update(actor_cookies(ds, "alice"))
    assert await asked(**signed) == (1, 0)
    signed = browser("four")  # alice on another browser: still alice
    signed["cookies"].update(actor_cookies(ds, "alice"))
    assert await asked(**signed) == (0, 2)
    # A cookie the client made up (Datasette 1.0a41 sets none, so any there was chosen by the client; two clients
    # choosing one value shared their replies) is no browser: 0.65's CSRF check refuses it, 1.0 keeps nothing.
    made_up = {
        "cookies": {"ds_csrftoken": "shared"},
        "headers": {"x-csrftoken": "shared", "Sec-Fetch-Site": "same-origin"},
    }
    for _ in range(2):
        response = await ds.client.post("/db/-/ask.json", json={"question": "How many repos?"}, **made_up)
        assert response.status_code == 403 or response.json()["tokens"]["cached_replies"] == 0, response.text


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "replies, body, status",
    [
        ((GOOD_SQL,), {"question": "Which repos have most stars?"}, 200),
        ((GOOD_SQL,), {"question": "Which repos have most stars?", "mode": "sql", "table": "repos"}, 200),
        (("```sql\nselect nope from nowhere\n```",), {"question": "Which repos have most stars?"}, 422),
        ((GOOD_SQL,), {"question": ""}, 400),
    ],
)
async def test_ask_json_answers_as_its_openapi_spec_says(make_ds, replies, body, status):
    """What askQuestion returns, with each status, is what the served spec describes, every field of it named:
    the spec once left out nine fields of the result, the request's `mode`, and the 422 that really occurs (an
    outside tester, session 39)."""
    import jsonschema

    ds = make_ds(ScriptedModel(replies))
    spec = (await ds.client.get("/-/llm/openapi.json")).json()
    operation = spec["paths"]["/{database}/-/ask.json"]["post"]
    request_schema = operation["requestBody"]["content"]["application/json"]["schema"]
    jsonschema.validate(body, strict(request_schema, spec["components"]["schemas"]))
    response = await ds.client.post("/db/-/ask.json", json=body)
    assert response.status_code == status, response.text
    assert str(status) in operation["responses"], (status, sorted(operation["responses"]))
    schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    jsonschema.validate(response.json(), strict(schema, spec["components"]["schemas"]))


def test_the_command_lines_json_is_the_http_apis(make_ds, db_path, monkeypatch):
    """`datasette llm ask --json` promises the HTTP API's JSON: it left out five fields (an outside tester, session
    39). The same question, the same model: the same fields, and the same values where nothing differs by run."""
    from click.testing import CliRunner
    from datasette.cli import cli

    import datasette_llm.ask.pipeline as pipeline

    monkeypatch.setattr(pipeline, "chat_model_for", lambda settings: ScriptedModel())
    ds = make_ds(ScriptedModel())
    http = asyncio.run(ds.client.post("/db/-/ask.json", json={"question": "Top repos?"})).json()
    done = CliRunner().invoke(cli, ["llm", "ask", str(db_path), "Top repos?", "--json"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    command_line = json.loads(done.stdout)
    assert sorted(command_line) == sorted(http)
    for field in ("sql", "sql_formatted", "example_sql", "columns", "rows", "answer", "chart", "row_count"):
        assert command_line[field] == http[field], field


@pytest.mark.asyncio
@pytest.mark.parametrize("cors", [True, False, True])  # and back: one instance's headers never reach another's
async def test_cors_follows_datasettes_own_for_what_a_get_reads(db_path, cors, monkeypatch):
    """`datasette --cors` adds CORS headers to Datasette's JSON; the plugin's JSON answered without them, so a page
    on another origin could read Datasette's tables but not the plugin's schema, query or search (an outside
    tester, session 39). A question is still a POST that another site's page cannot start."""
    monkeypatch.setattr(web_ask, "chat_model_for", lambda settings: ScriptedModel())
    ds = Datasette([str(db_path)], secret=SECRET, cors=cors)
    for path in (
        "/-/llm/schema.json",
        "/-/llm/query.json?database=db&sql=select+1",
        "/-/semantic-search?q=x",
        "/-/llm/openapi.json",
        "/-/llm/openapi.yaml",
        "/.well-known/ai-plugin.json",
    ):
        response = await ds.client.get(path)
        assert response.status_code < 500, path
        assert response.headers.get("access-control-allow-origin") == ("*" if cors else None), path
    page = await ds.client.get("/db/-/ask")
    assert page.status_code == 200 and "access-control-allow-origin" not in page.headers
    asked = await ds.client.post(
        "/db/-/ask.json",
        json={"question": "Top repos?"},
        headers={"sec-fetch-site": "cross-site", "origin": "https://elsewhere.example"},
    )
    assert asked.status_code == 403
