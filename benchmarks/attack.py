"""An outside attacker against a live Datasette with datasette-llm, over real HTTP (issue 15, item 8).

    .venv/bin/python benchmarks/attack.py [--quick] [--json report.json] [--keep]

Builds its own fixture in a temporary directory (a public table `docs` with FTS, two tables denied with
`allow: false`, one of them `docs_secret`, a denied view, indexes on the denied tables, a visible `orders`
whose FOREIGN KEY points at a denied table, a second database denied entirely, embeddings collections for a
public table, a denied table and the denied view), starts `.venv/bin/datasette` on 127.0.0.1 and a free
port, and attacks every surface of the plugin as an outsider: /-/llm/query.json (GET, JSON, form and
multipart POST), /-/mcp (JSON-RPC, batches, bad ids and methods), /-/llm/schema.json, /{db}/-/ask.json and
ask.stream, the semantic search API and pages, the manifest and the OpenAPI spec.

The chat and embedding models are a fake OpenAI-compatible server run by this script (no model download,
no CPU spent on generation). It answers SQL prompts with the attack statement named by a tag in the question,
so Ask can be told to run any SQL ("a model can be talked into anything"), and it records every prompt: a
prompt that carries a hidden name or value is a leak too, and a request that reaches it cross-site started a
model run.

Each attempt is classified:
  leaked   the response (or a prompt sent to the model) contains a marker stored only in hidden objects
           (hidden table, column, view, index and database names, hidden rows) that the request did not
           contain; or the response differs from the one to the same request with every hidden name replaced
           by a name that does not exist (the differential oracle: existence, row counts, error texts).
  5xx      HTTP status >= 500, an MCP "Internal error" (-32603), or no response at all.
  unsafe   a request that must be refused was answered: a cross-site request started a model run, a spoofed
           X-Forwarded-Host was reflected, a form without a CSRF token was served.
  refused  4xx, or a JSON-RPC error / isError tool result.
  ok       anything else.
Resource cases run one at a time while the server's RSS (/proc/<pid>/status VmRSS) is sampled every 20 ms
and GET /-/versions.json is timed every 50 ms; a case fails above 256 MB extra RSS or 100 ms health latency,
when one of its requests takes over 10 s (the time limit was ignored), or on a 5xx. A case past 3.5 GB extra
is stopped by killing the server (it is restarted for the next case).
Exit status 1 when anything leaked, answered 5xx, was unsafe, or a resource case failed.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.client as httpclient
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATASETTE = ROOT / ".venv" / "bin" / "datasette"
sys.path.insert(0, str(ROOT / "tests"))  # resource_sql.py: the generated resource cases

# -- the fixture's names and markers ------------------------------------------------------------------------

TAG, TWIN_TAG = "7f3a", "9z9z"
DB = "fx"
PUBLIC = "docs"
SECRET = "docs_secret"  # denied; starts with a visible table's name and "_"
TWIN_SECRET = "docs_secrex"
VAULT = f"hm_vault_{TAG}"  # denied; referenced by orders.vault_id
VIEW = f"hm_view_{TAG}"  # denied view over VAULT
HIDDEN_DB = f"hm_db_{TAG}"  # denied database
HIDDEN_DB_TABLE = f"hm_dbtable_{TAG}"
SECRET_COLUMN = f"hm_scol_{TAG}"
VAULT_COLUMN = f"hm_vcol_{TAG}"
VIEW_COLUMN = f"hm_viewcol_{TAG}"
HIDDEN_DB_COLUMN = f"hm_dbcol_{TAG}"
SECRET_INDEX = f"hm_idx_secret_{TAG}"
VAULT_INDEX = f"hm_idx_vault_{TAG}"
SECRET_ROW = f"HIDDEN_MARKER_{TAG}_secretrow"
VAULT_ROW = f"HIDDEN_MARKER_{TAG}_vaultrow"
VIEW_ROW = f"HIDDEN_MARKER_{TAG}_viewrow"
DB_ROW = f"HIDDEN_MARKER_{TAG}_dbrow"
EMBED_ROW = f"HIDDEN_MARKER_{TAG}_embedrow"
SECRET_ROWS, VAULT_ROWS = 37, 53  # distinctive counts
NAME_MARKERS = [
    SECRET,
    VAULT,
    VIEW,
    HIDDEN_DB,
    HIDDEN_DB_TABLE,
    SECRET_COLUMN,
    VAULT_COLUMN,
    VIEW_COLUMN,
    HIDDEN_DB_COLUMN,
    SECRET_INDEX,
    VAULT_INDEX,
]
ROW_MARKERS = [SECRET_ROW, VAULT_ROW, VIEW_ROW, DB_ROW, EMBED_ROW]
MARKERS = NAME_MARKERS + ROW_MARKERS
EVIL_HOST = "evil-attacker.example"
FAKE_DIMENSIONS = 16

RSS_LIMIT_MB = 256
HEALTH_LIMIT_MS = 100
SLOW_LIMIT_S = 10  # one request holding a read thread 10x Datasette's default sql_time_limit_ms ignored it
SAFETY_KILL_MB = 3500  # a case that takes more than this is stopped by killing the server (shared machine)


def twin(text: str) -> str:
    """The same text with every hidden name replaced by one that exists nowhere."""
    text = re.sub(re.escape(SECRET), TWIN_SECRET, text, flags=re.I)
    return re.sub(TAG, TWIN_TAG, text, flags=re.I)


def build_fixture(directory: Path) -> tuple[Path, Path]:
    fx, hidden = directory / f"{DB}.db", directory / f"{HIDDEN_DB}.db"
    conn = sqlite3.connect(fx)
    conn.executescript(f"""
        CREATE TABLE {PUBLIC} (id INTEGER PRIMARY KEY, title TEXT, body TEXT, owner_id INTEGER);
        CREATE VIRTUAL TABLE {PUBLIC}_fts USING fts5(title, body, content=[{PUBLIC}], content_rowid='id');
        CREATE TABLE {SECRET} (id INTEGER PRIMARY KEY, body TEXT, {SECRET_COLUMN} TEXT);
        CREATE INDEX {SECRET_INDEX} ON {SECRET} ({SECRET_COLUMN});
        CREATE TABLE {VAULT} (id INTEGER PRIMARY KEY AUTOINCREMENT, secret_text TEXT, {VAULT_COLUMN} TEXT);
        CREATE INDEX {VAULT_INDEX} ON {VAULT} ({VAULT_COLUMN});
        CREATE TABLE orders (id INTEGER PRIMARY KEY, vault_id INTEGER REFERENCES {VAULT}(id), amount REAL,
                             customer TEXT);
        CREATE VIEW {VIEW} AS SELECT id, secret_text AS {VIEW_COLUMN}, '{VIEW_ROW}' AS note FROM {VAULT};
    """)
    words = [
        "launch plans",
        "rocket fuel",
        "secret recipe",
        "budget report",
        "team meeting",
        "search engine",
        "database tips",
        "plugin notes",
        "weather data",
        "city guide",
    ]
    conn.executemany(
        f"INSERT INTO {PUBLIC} VALUES (?, ?, ?, ?)",
        [(i, f"{words[i % 10]} {i}", f"Public text about {words[i % 10]} number {i}.", i % 3) for i in range(1, 21)],
    )
    conn.execute(f"INSERT INTO {PUBLIC}_fts (rowid, title, body) SELECT id, title, body FROM {PUBLIC}")
    conn.executemany(
        f"INSERT INTO {SECRET} VALUES (?, ?, ?)",
        [(i, f"{SECRET_ROW} {i} secret launch codes", f"{SECRET_ROW}-col-{i}") for i in range(1, SECRET_ROWS + 1)],
    )
    conn.executemany(
        f"INSERT INTO {VAULT} VALUES (?, ?, ?)",
        [(i, f"{VAULT_ROW} {i} vault secret", f"{VAULT_ROW}-col-{i}") for i in range(1, VAULT_ROWS + 1)],
    )
    conn.executemany(
        "INSERT INTO orders VALUES (?, ?, ?, ?)",
        [(i, (i % VAULT_ROWS) + 1, 10.0 * i, f"customer {i % 4}") for i in range(1, 31)],
    )
    conn.commit()
    _write_embeddings(conn)
    conn.close()
    conn = sqlite3.connect(hidden)
    conn.execute(f"CREATE TABLE {HIDDEN_DB_TABLE} (id INTEGER PRIMARY KEY, {HIDDEN_DB_COLUMN} TEXT)")
    conn.executemany(f"INSERT INTO {HIDDEN_DB_TABLE} VALUES (?, ?)", [(i, f"{DB_ROW} {i}") for i in range(1, 6)])
    conn.commit()
    conn.close()
    return fx, hidden


def fake_vector(text: str) -> list[float]:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
    return [(b - 127.5) / 127.5 for b in digest[:FAKE_DIMENSIONS]]


def _write_embeddings(conn: sqlite3.Connection) -> None:
    """Collections in llm's layout, written with the plugin's own store module: one for the public table, one
    for a denied table and one for the denied view (content stored, as `llm embed --store` does)."""
    from datasette_llm.embeddings.store import StoreTables, content_hash, create_collection, encode

    tables = StoreTables("")
    sources = {
        PUBLIC: [(str(i), f"Public text about item {i} secret launch") for i in range(1, 21)],
        SECRET: [(str(i), f"{SECRET_ROW} {i} {EMBED_ROW} secret launch codes") for i in range(1, SECRET_ROWS + 1)],
        VIEW: [(str(i), f"{VIEW_ROW} {i} {EMBED_ROW} vault secret launch") for i in range(1, 11)],
    }
    for name, rows in sources.items():
        collection = create_collection(conn, tables, name, "openai:fake-embed")
        with conn:
            conn.executemany(
                "INSERT INTO embeddings (collection_id, id, embedding, content, content_hash, metadata, updated) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        collection.id,
                        id_,
                        encode(fake_vector(text)),
                        text,
                        content_hash(text),
                        json.dumps({"source": name}),
                        0,
                    )
                    for id_, text in rows
                ],
            )


def metadata(model_url: str) -> dict:
    return {
        "title": "attack fixture",
        "databases": {
            DB: {"tables": {SECRET: {"allow": False}, VAULT: {"allow": False}, VIEW: {"allow": False}}},
            HIDDEN_DB: {"allow": False},
        },
        "plugins": {
            "datasette-llm": {
                "chat_model": "openai:fake-chat",
                "embedding_model": "openai:fake-embed",
                "openai_base_url": model_url,
                "openai_api_key": "not-a-key",
                "model_timeout": 20,
            }
        },
    }


# -- the fake model ------------------------------------------------------------------------------------------

ASK_SQL: dict[int, str] = {}  # ATK<n> in a question -> the SQL the fake model writes for it
DEFAULT_SQL = f"SELECT count(*) FROM {PUBLIC}"
SWITCH = f"switch_{TAG}"  # in an Ask question; twin() turns it into switch_9z9z, which tells the fake model


class FakeModel:
    """An OpenAI-compatible chat + embeddings server that records every request it gets."""

    def __init__(self):
        self.calls: list[tuple[str, str]] = []  # (kind, every text it was sent)
        self.lock = threading.Lock()
        model = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, data, status=200):
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                self._send(
                    {
                        "object": "list",
                        "data": [{"id": "fake-chat", "object": "model", "created": 0, "owned_by": "attack"}],
                    }
                )

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length) or b"{}")
                if self.path.endswith("/embeddings"):
                    texts = request.get("input") or []
                    texts = [texts] if isinstance(texts, str) else texts
                    model.record("embed", "\n".join(str(t) for t in texts))
                    self._send(
                        {
                            "object": "list",
                            "model": request.get("model"),
                            "usage": {"prompt_tokens": 1, "total_tokens": 1},
                            "data": [
                                {"object": "embedding", "index": i, "embedding": fake_vector(str(t))}
                                for i, t in enumerate(texts)
                            ],
                        }
                    )
                    return
                messages = request.get("messages") or []
                text = "\n".join(str(m.get("content")) for m in messages)
                model.record("chat", text)
                reply = model.reply(messages, text)
                if request.get("stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    for piece in (reply, None):
                        delta = {"content": piece} if piece is not None else {}
                        chunk = {
                            "id": "c",
                            "object": "chat.completion.chunk",
                            "created": 0,
                            "model": request.get("model"),
                            "choices": [{"index": 0, "delta": delta, "finish_reason": None if piece else "stop"}],
                        }
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.close_connection = True
                    return
                self._send(
                    {
                        "id": "c",
                        "object": "chat.completion",
                        "created": 0,
                        "model": request.get("model"),
                        "choices": [
                            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": reply}}
                        ],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    }
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def record(self, kind, text):
        with self.lock:
            self.calls.append((kind, text))

    def reply(self, messages, text) -> str:
        system = str(messages[0].get("content")) if messages else ""
        if "SQLite" in system and "SELECT" in system:
            found = re.search(r"ATK(\d+)", text)
            sql = ASK_SQL.get(int(found.group(1)), DEFAULT_SQL) if found else DEFAULT_SQL
            if SWITCH.replace(TAG, TWIN_TAG) in text:  # the twin request: write the twin statement
                sql = twin(sql)
            return f"```sql\n{sql}\n```"
        return "The rows answer it [1]."

    def count(self, kind="chat") -> int:
        with self.lock:
            return sum(1 for k, _ in self.calls if k == kind)

    def since(self, index: int) -> list[tuple[str, str]]:
        with self.lock:
            return self.calls[index:]

    def mark(self) -> int:
        with self.lock:
            return len(self.calls)


# -- HTTP ----------------------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int  # 0: no response
    headers: dict
    body: bytes
    seconds: float
    error: str | None = None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def hit(
    port: int,
    method: str,
    path: str,
    headers: dict | None = None,
    body=None,
    timeout: float = 120,
    content_length: int | None = None,
) -> Response:
    started = time.perf_counter()
    conn = httpclient.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = dict(headers or {})
        if content_length is not None:
            headers["Content-Length"] = str(content_length)
        conn.putrequest(method, path, skip_accept_encoding=True, skip_host="Host" in headers)
        for name, value in headers.items():
            conn.putheader(name, value)
        if body is not None and content_length is None and "Content-Length" not in headers:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        if body is not None:
            if isinstance(body, (bytes, bytearray)):
                conn.send(body)
            else:
                for chunk in body:
                    conn.send(chunk)
        reply = conn.getresponse()
        data = reply.read()
        return Response(
            reply.status, {k.lower(): v for k, v in reply.getheaders()}, data, time.perf_counter() - started
        )
    except (OSError, httpclient.HTTPException) as error:
        return Response(0, {}, b"", time.perf_counter() - started, f"{type(error).__name__}: {error}")
    finally:
        conn.close()


# -- attempts ------------------------------------------------------------------------------------------------


@dataclass
class Attempt:
    cls: str
    label: str
    method: str
    path: str
    headers: dict = field(default_factory=dict)
    body: bytes | None = None
    twin: bool = False  # compare with the same request with every hidden name replaced by a missing one
    must_refuse: bool = False  # a 2xx answer is unsafe
    no_model: bool = False  # starting a model run is unsafe
    no_reflect: str | None = None  # this text in the response is unsafe
    extra_request_text: str = ""  # text the attacker supplied another way (the SQL the fake model writes)


@dataclass
class Outcome:
    attempt: Attempt
    verdict: str  # refused, leaked, 5xx, unsafe, ok
    status: int
    detail: str = ""


def q(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def json_body(data) -> bytes:
    return json.dumps(data).encode()


JSON = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


def mcp_call(tool: str, arguments: dict, request_id=1) -> bytes:
    return json_body(
        {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
    )


def _decoded_blobs(text: str) -> str:
    extra = []
    for encoded in re.findall(r'"encoded":\s*"([A-Za-z0-9+/=]+)"', text):
        try:
            extra.append(base64.b64decode(encoded).decode("utf-8", "replace"))
        except ValueError:
            pass
    return "\n".join(extra)


def markers_in(response_text: str, request_text: str) -> list[str]:
    haystack = (response_text + "\n" + _decoded_blobs(response_text)).lower()
    request = request_text.lower()
    found = []
    for marker in MARKERS:
        m = marker.lower()
        if m in request:
            continue
        if m in haystack or marker.encode().hex() in haystack:
            found.append(marker)
    return found


VOLATILE = re.compile(r"-?\d+\.\d+(e-?\d+)?")


def normalise(response: Response, *, from_twin: bool) -> str:
    text = response.text.lower()
    if from_twin:
        text = text.replace(TWIN_SECRET, SECRET).replace(TWIN_TAG, TAG)
    text = VOLATILE.sub("F", text)  # timings
    text = re.sub(r'(\\?"mcp-session-id\\?":\s*\\?")[^"\\]+', r"\1S", text)
    return f"{response.status} {text}"


def request_text(attempt: Attempt) -> str:
    body = (attempt.body or b"").decode("utf-8", "replace")
    return " ".join(
        [
            urllib.parse.unquote(attempt.path),
            attempt.path,
            body,
            json.dumps(attempt.headers),
            attempt.extra_request_text,
        ]
    )


def mcp_errors(text: str) -> tuple[bool, bool]:
    """(internal error anywhere, every message an error) for an MCP reply."""
    try:
        data = json.loads(text)
    except ValueError:
        return False, False
    messages = data if isinstance(data, list) else [data]
    internal, errors = False, 0
    for message in messages:
        if not isinstance(message, dict):
            continue
        error = message.get("error")
        if isinstance(error, dict):
            errors += 1
            internal = internal or error.get("code") == -32603
        elif isinstance(message.get("result"), dict) and message["result"].get("isError"):
            errors += 1
    return internal, bool(messages) and errors == len(messages)


class Attacker:
    def __init__(self, port: int, model: FakeModel):
        self.port = port
        self.model = model
        self.outcomes: list[Outcome] = []

    def send(self, attempt: Attempt) -> Response:
        return hit(self.port, attempt.method, attempt.path, attempt.headers, attempt.body, timeout=90)

    def run(self, attempt: Attempt) -> Outcome:
        mark = self.model.mark()
        response = self.send(attempt)
        calls = self.model.since(mark)
        outcome = self.judge(attempt, response, calls)
        self.outcomes.append(outcome)
        return outcome

    def judge(self, attempt: Attempt, response: Response, calls) -> Outcome:
        """Flags (leaked, 5xx, unsafe: one attempt can raise several), else refused or ok."""
        asked = request_text(attempt)
        leaks = markers_in(response.text, asked)
        prompt_leaks = sorted({m for kind, text in calls if kind == "chat" for m in markers_in(text, asked)})
        flags, details = [], []
        if leaks:
            details.append("markers in response: " + ", ".join(leaks))
        if prompt_leaks:
            details.append("markers in a prompt sent to the model: " + ", ".join(prompt_leaks))
        if attempt.twin and not leaks:
            difference = self.differs(attempt, response)
            if difference:
                details.append(difference)
        if details:
            flags.append("leaked")
        internal, all_errors = mcp_errors(response.text) if "/-/mcp" in attempt.path else (False, False)
        if response.status == 0:
            flags.append("5xx")
            details.append(f"no response ({response.error})")
        elif response.status >= 500 or internal:
            flags.append("5xx")
            details.append(_snippet(response.text))
        chats = sum(1 for kind, _ in calls if kind == "chat")
        refused = 400 <= response.status < 500 or all_errors
        unsafe = []
        if attempt.no_model and chats:
            unsafe.append(f"started a model run ({chats} chat calls)")
        if attempt.no_reflect and attempt.no_reflect.lower() in response.text.lower():
            unsafe.append(f"reflected {attempt.no_reflect!r}")
        if attempt.must_refuse and not refused and 200 <= response.status < 300:
            unsafe.append("answered; should be refused: " + _snippet(response.text))
        if unsafe:
            flags.append("unsafe")
            details += unsafe
        if flags:
            return Outcome(attempt, ",".join(flags), response.status, "; ".join(details))
        return Outcome(attempt, "refused" if refused else "ok", response.status, _snippet(response.text))

    def differs(self, attempt: Attempt, response: Response) -> str | None:
        other = Attempt(
            attempt.cls,
            attempt.label,
            attempt.method,
            twin(attempt.path),
            {k: twin(v) for k, v in attempt.headers.items()},
            twin(attempt.body.decode("utf-8", "surrogatepass")).encode("utf-8", "surrogatepass")
            if attempt.body is not None
            else None,
        )
        for _ in range(2):  # a difference must show twice: timings and caches are not leaks
            mark = self.model.mark()
            twin_response = self.send(other)
            twin_calls = self.model.since(mark)
            a, b = normalise(response, from_twin=False), normalise(twin_response, from_twin=True)
            if a == b:
                return None
            response = self.send(attempt)
        del twin_calls
        return (
            f"differs from the same request on a missing name: hidden -> {response.status} "
            f"{_snippet(response.text, 160)} | missing -> {twin_response.status} "
            f"{_snippet(twin_response.text, 160)}"
        )


def _snippet(text: str, limit: int = 220) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


# -- the attack corpus ---------------------------------------------------------------------------------------


def sql_attacks() -> list[tuple[str, str, str]]:
    """(class, label, sql): statements that name hidden objects; every one is also sent with the names
    replaced by missing ones, and must answer identically."""
    s, v, w = SECRET, VAULT, VIEW
    c1 = "1 denied table read"
    c2 = "2 existence/count"
    c3 = "3 string literal table"
    c4 = "4 pragma/schema"
    return [
        (c1, "plain read", f"SELECT * FROM {s}"),
        (c1, "plain read vault", f"SELECT * FROM {v}"),
        (c1, "read view", f"SELECT * FROM {w}"),
        (c1, "quoted", f'SELECT body FROM "{s}"'),
        (c1, "brackets", f"SELECT body FROM [{s}]"),
        (c1, "backticks", f"SELECT body FROM `{s}`"),
        (c1, "upper case", f"SELECT BODY FROM {s.upper()}"),
        (c1, "schema-qualified", f"SELECT body FROM main.{s}"),
        (c1, "join", f"SELECT d.title, x.body FROM {PUBLIC} d JOIN {s} x ON x.id = d.id"),
        (c1, "fk join", f"SELECT o.id, v.secret_text FROM orders o JOIN {v} v ON v.id = o.vault_id"),
        (
            c1,
            "cte scope: inner cte, outer table",
            f"SELECT (WITH {s} AS (SELECT 1 AS body) SELECT body FROM {s}) AS a, body FROM {s}",
        ),
        (
            c1,
            "cte scope: union",
            f"SELECT body FROM (WITH {s} AS (SELECT 'x' AS body) SELECT body FROM {s}) UNION ALL SELECT body FROM {s}",
        ),
        (
            c1,
            "cte scope: where subquery",
            f"SELECT body FROM {s} WHERE 1 IN (WITH {s} AS (SELECT 1 AS id) SELECT id FROM {s})",
        ),
        (
            c1,
            "cte scope: nested with",
            f"WITH a AS (WITH {s} AS (SELECT 1 AS id) SELECT id FROM {s}) SELECT body FROM {s}, a",
        ),
        (
            c1,
            "cte scope vault",
            f"SELECT (WITH {v} AS (SELECT 1 AS secret_text) SELECT secret_text FROM {v}) AS a, secret_text FROM {v}",
        ),
        (c1, "cte defined later", f"WITH a AS (SELECT body FROM {s}), {s} AS (SELECT 1 AS body) SELECT body FROM a"),
        (
            c1,
            "exists with value",
            f"SELECT title FROM {PUBLIC} WHERE EXISTS (SELECT 1 FROM {s} WHERE body LIKE 'HIDDEN%') LIMIT 1",
        ),
        (c1, "scalar subquery", f"SELECT (SELECT group_concat(body) FROM {s}) AS x"),
        (c1, "hidden database", f"SELECT * FROM {HIDDEN_DB}.{HIDDEN_DB_TABLE}"),
        (c1, "fts shadow of secret", f"SELECT * FROM {s}_content"),
        (c2, "count", f"SELECT count(*) FROM {s}"),
        (c2, "count vault", f"SELECT count(*) FROM {v}"),
        (c2, "count view", f"SELECT count(*) FROM {w}"),
        (c2, "exists", f"SELECT EXISTS (SELECT 1 FROM {v})"),
        (c2, "max rowid", f"SELECT max(rowid) FROM {v}"),
        (c2, "count in where", f"SELECT title FROM {PUBLIC} WHERE (SELECT count(*) FROM {v}) > 50 LIMIT 1"),
        (c2, "indexed by", f"SELECT count(*) FROM {s} INDEXED BY {SECRET_INDEX}"),
        (c2, "indexed by vault", f"SELECT count(*) FROM {v} INDEXED BY {VAULT_INDEX}"),
        (c2, "count cte scope", f"SELECT (WITH {s} AS (SELECT 1) SELECT 1), count(*) FROM {s}"),
        (c3, "in string", f"SELECT title FROM {PUBLIC} WHERE id IN '{s}'"),
        (c3, "in string vault", f"SELECT title FROM {PUBLIC} WHERE id IN '{v}'"),
        (c3, "not in string", f"SELECT count(*) FROM {PUBLIC} WHERE id NOT IN '{v}'"),
        (c3, "from string", f"SELECT * FROM '{s}'"),
        (c3, "from string count", f"SELECT count(*) FROM '{v}'"),
        (c3, "in string view", f"SELECT 1 WHERE 1 IN '{w}'"),
        (c4, "index_list", f"SELECT * FROM pragma_index_list('{s}')"),
        (c4, "index_list vault", f"SELECT * FROM pragma_index_list('{v}')"),
        (c4, "index_info", f"SELECT * FROM pragma_index_info('{SECRET_INDEX}')"),
        (c4, "index_xinfo", f"SELECT * FROM pragma_index_xinfo('{VAULT_INDEX}')"),
        (c4, "table_info", f"SELECT * FROM pragma_table_info('{s}')"),
        (c4, "table_xinfo view", f"SELECT * FROM pragma_table_xinfo('{w}')"),
        (c4, "table_info main", f"SELECT * FROM pragma_table_info('{v}', 'main')"),
        (c4, "foreign_key_list of hidden", f"SELECT * FROM pragma_foreign_key_list('{v}')"),
        (c4, "sqlite_master", f"SELECT * FROM sqlite_master WHERE name = '{s}'"),
        (c4, "sqlite_schema", f"SELECT count(*) FROM sqlite_schema WHERE tbl_name = '{v}'"),
        (c4, "table_list", f"SELECT * FROM pragma_table_list WHERE name = '{v}'"),
        (c4, "index_info built name", f"SELECT * FROM pragma_index_info('hm_idx_' || 'vault_{TAG}')"),
        (c1, "hidden aliased as visible", f"SELECT body FROM {s} AS {PUBLIC}"),
        (c1, "derived table aliased", f"SELECT * FROM (SELECT * FROM {s}) AS {PUBLIC}"),
        (c1, "natural join", f"SELECT body FROM {s} NATURAL JOIN {PUBLIC}"),
        (c1, "comment before name", f"SELECT body FROM/**/{s}"),
        (c1, "temp schema", f"SELECT * FROM temp.{s}"),
        (
            c1,
            "recursive cte named as hidden",
            f"WITH RECURSIVE {s}(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM {s} WHERE id < 3) SELECT * FROM {s}",
        ),
        (
            c1,
            "cte then qualified table",
            f"WITH {s} AS (SELECT 1 AS body) SELECT body FROM {s} UNION ALL SELECT body FROM main.{s}",
        ),
        (c2, "rowid in", f"SELECT count(*) FROM {PUBLIC} WHERE rowid IN (SELECT rowid FROM {s})"),
        (c2, "limit 0", f"SELECT 1 FROM {v} LIMIT 0"),
        (c2, "typeof scalar", f"SELECT typeof((SELECT 1 FROM {v}))"),
        (c3, "in double-quoted", f'SELECT title FROM {PUBLIC} WHERE id IN "{s}"'),
        (c3, "from string, join", f"SELECT * FROM {PUBLIC}, '{s}' LIMIT 3"),
        (c3, "join string using", f"SELECT * FROM {PUBLIC} JOIN '{s}' USING (id) LIMIT 3"),
        (c4, "index_list upper", f"SELECT * FROM pragma_index_list('{v.upper()}')"),
        (c4, "index_list with schema", f"SELECT * FROM pragma_index_list('{v}', 'main')"),
        (c4, "table_info runtime argument", f"SELECT p.* FROM (SELECT '{s}' AS n) x, pragma_table_info(x.n) p"),
    ]


def no_name_sql() -> list[tuple[str, str, str]]:
    """Statements that name no hidden object: the response must not contain a hidden name or value."""
    c4, c1 = "4 pragma/schema", "1 denied table read"
    return [
        (c4, "fk list of visible table", "SELECT * FROM pragma_foreign_key_list('orders')"),
        (c4, "table_list all", "SELECT * FROM pragma_table_list"),
        (c4, "sqlite_master all", "SELECT type, name, tbl_name FROM sqlite_master"),
        (c4, "sqlite_sequence (names AUTOINCREMENT tables)", "SELECT * FROM sqlite_sequence"),
        (c4, "sqlite_sequence columns", "SELECT * FROM pragma_table_info('sqlite_sequence')"),
        (c4, "index_list built name", "SELECT * FROM pragma_index_list('hm_' || 'vault_' || '7f' || '3a')"),
        (c4, "database_list", "SELECT * FROM pragma_database_list"),
        (c4, "fk join through pragma", "SELECT p.* FROM sqlite_master m, pragma_index_list(m.name) p"),
        (c4, "function_list", "SELECT count(*) FROM pragma_function_list"),
        (c1, "fts content", f"SELECT * FROM {PUBLIC}_fts WHERE {PUBLIC}_fts MATCH 'secret'"),
        (c1, "fts shadow", f"SELECT * FROM {PUBLIC}_fts_content LIMIT 3"),
        (c1, "orders", "SELECT * FROM orders LIMIT 3"),
        (c1, "embeddings storage", "SELECT content FROM embeddings"),
        (c1, "collections storage", "SELECT * FROM collections"),
        (c1, "built table name in string", f"SELECT count(*) FROM {PUBLIC} WHERE id IN ('docs' || '_secret')"),
        (
            c4,
            "table_info built runtime argument",
            "SELECT p.* FROM (SELECT 'docs' || '_secret' AS n) x, pragma_table_info(x.n) p",
        ),
        (c4, "index_list over every table", "SELECT p.* FROM pragma_table_list t, pragma_index_list(t.name) p"),
        (
            c4,
            "json_each over the schema",
            "SELECT * FROM json_each((SELECT json_group_array(name) FROM sqlite_master))",
        ),
        (c4, "foreign keys of every table", "SELECT f.* FROM pragma_table_list t, pragma_foreign_key_list(t.name) f"),
    ]


def sql_surfaces(sql: str, ask_id: int, quick: bool, csrf: tuple[str, str] | None) -> list[tuple[str, dict]]:
    """(surface, request kwargs) for one statement."""
    surfaces = [
        ("query GET", dict(method="GET", path=f"/-/llm/query.json?database={DB}&sql={q(sql)}")),
        (
            "mcp query",
            dict(method="POST", path="/-/mcp", headers=JSON, body=mcp_call("query", {"database": DB, "sql": sql})),
        ),
        (
            "ask (model writes it)",
            dict(
                method="POST",
                path=f"/{DB}/-/ask.json",
                headers=JSON,
                body=json_body({"question": f"Show me the rows ATK{ask_id} {SWITCH}", "mode": "sql"}),
                extra_request_text=sql,
            ),
        ),
    ]
    if not quick:
        surfaces.append(
            (
                "query JSON POST",
                dict(
                    method="POST", path="/-/llm/query.json", headers=JSON, body=json_body({"database": DB, "sql": sql})
                ),
            )
        )
        if csrf:
            cookie, token = csrf
            surfaces.append(
                (
                    "query form POST",
                    dict(
                        method="POST",
                        path="/-/llm/query.json",
                        headers={
                            "Content-Type": "application/x-www-form-urlencoded",
                            "Cookie": cookie,
                            "X-CSRFToken": token,
                        },
                        body=urllib.parse.urlencode({"database": DB, "sql": sql, "csrftoken": token}).encode(),
                    ),
                )
            )
    return surfaces


def schema_attempts() -> list[Attempt]:
    c = "5 names in listings/prompts"
    attempts = [
        Attempt(c, "schema.json", "GET", "/-/llm/schema.json"),
        Attempt(c, "schema.json db", "GET", f"/-/llm/schema.json?database={DB}"),
        Attempt(c, "schema.json orders", "GET", f"/-/llm/schema.json?database={DB}&table=orders"),
        Attempt(c, "schema.json docs", "GET", f"/-/llm/schema.json?database={DB}&table={PUBLIC}"),
        Attempt(c, "schema.json hidden table", "GET", f"/-/llm/schema.json?database={DB}&table={SECRET}", twin=True),
        Attempt(c, "schema.json hidden view", "GET", f"/-/llm/schema.json?database={DB}&table={VIEW}", twin=True),
        Attempt(c, "schema.json near name", "GET", f"/-/llm/schema.json?database={DB}&table=docs_secre"),
        Attempt(c, "schema.json near vault", "GET", f"/-/llm/schema.json?database={DB}&table=hm_vault"),
        Attempt(c, "mcp list_tables", "POST", "/-/mcp", JSON, mcp_call("list_tables", {})),
        Attempt(
            c,
            "mcp describe orders",
            "POST",
            "/-/mcp",
            JSON,
            mcp_call("describe_table", {"database": DB, "table": "orders"}),
        ),
        Attempt(
            c,
            "mcp describe hidden",
            "POST",
            "/-/mcp",
            JSON,
            mcp_call("describe_table", {"database": DB, "table": VAULT}),
            twin=True,
        ),
        Attempt(
            c,
            "mcp describe near name",
            "POST",
            "/-/mcp",
            JSON,
            mcp_call("describe_table", {"database": DB, "table": "hm_vault"}),
        ),
        Attempt(
            c, "mcp tools/list", "POST", "/-/mcp", JSON, json_body({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        ),
        Attempt(c, "ask page", "GET", f"/{DB}/-/ask"),
        Attempt(c, "ask page table=orders", "GET", f"/{DB}/-/ask?table=orders"),
        Attempt(c, "ask page hidden table", "GET", f"/{DB}/-/ask?table={SECRET}", twin=True),
        Attempt(c, "ask index", "GET", "/-/ask"),
        Attempt(c, "search page docs", "GET", f"/{DB}/{PUBLIC}/-/semantic-search?q=secret"),
        Attempt(c, "openapi", "GET", "/-/llm/openapi.json"),
        Attempt(c, "openapi yaml", "GET", "/-/llm/openapi.yaml"),
        Attempt(c, "manifest", "GET", "/.well-known/ai-plugin.json"),
        Attempt(c, "datasette index (plugin links)", "GET", "/"),
        Attempt(c, "datasette database page (plugin links)", "GET", f"/{DB}"),
        Attempt(
            c,
            "ask: prompt for orders",
            "POST",
            f"/{DB}/-/ask.json",
            JSON,
            json_body({"question": "What is the total amount of orders?", "mode": "sql"}),
        ),
        Attempt(
            c,
            "ask: prompt table=orders",
            "POST",
            f"/{DB}/-/ask.json",
            JSON,
            json_body({"question": "How many orders are there?", "table": "orders", "mode": "sql"}),
        ),
        Attempt(
            c,
            "ask: near name in question",
            "POST",
            f"/{DB}/-/ask.json",
            JSON,
            json_body({"question": "How many rows are in the secret vault table?", "mode": "sql"}),
        ),
        Attempt(
            c,
            "ask: hidden table param",
            "POST",
            f"/{DB}/-/ask.json",
            JSON,
            json_body({"question": "How many?", "table": SECRET}),
            twin=True,
        ),
        Attempt(
            c,
            "ask: history names hidden",
            "POST",
            f"/{DB}/-/ask.json",
            JSON,
            json_body(
                {
                    "question": "and now the orders?",
                    "mode": "sql",
                    "history": [{"question": "rows?", "sql": f"SELECT * FROM {SECRET}"}],
                }
            ),
            twin=True,
        ),
        Attempt(
            c,
            "ask stream: prompt for orders",
            "POST",
            f"/{DB}/-/ask.stream",
            JSON,
            json_body({"question": "How many orders per customer?", "mode": "sql"}),
        ),
        Attempt(
            c,
            "mcp ask: prompt for orders",
            "POST",
            "/-/mcp",
            JSON,
            mcp_call("ask", {"database": DB, "question": "How many orders are there?", "mode": "sql"}),
        ),
    ]
    return attempts


def database_attempts() -> list[Attempt]:
    c = "6 hidden database names"
    attempts = []
    for name, label in (("nope", "unknown"), (HIDDEN_DB, "hidden")):
        t = name == HIDDEN_DB
        attempts += [
            Attempt(
                c,
                f"{label}: ask.json POST",
                "POST",
                f"/{name}/-/ask.json",
                JSON,
                json_body({"question": "How many rows?"}),
                twin=t,
            ),
            Attempt(c, f"{label}: ask page", "GET", f"/{name}/-/ask", twin=t),
            Attempt(
                c,
                f"{label}: ask.stream",
                "POST",
                f"/{name}/-/ask.stream",
                JSON,
                json_body({"question": "How many rows?"}),
                twin=t,
            ),
            Attempt(c, f"{label}: search api", "GET", f"/-/semantic-search?database={name}&q=secret", twin=t),
            Attempt(c, f"{label}: search page", "GET", f"/{name}/{PUBLIC}/-/semantic-search?q=secret", twin=t),
            Attempt(
                c,
                f"{label}: search page hidden table",
                "GET",
                f"/{name}/{HIDDEN_DB_TABLE}/-/semantic-search?q=secret",
                twin=t,
            ),
            Attempt(c, f"{label}: schema.json", "GET", f"/-/llm/schema.json?database={name}", twin=t),
            Attempt(c, f"{label}: query.json", "GET", f"/-/llm/query.json?database={name}&sql=select+1", twin=t),
            Attempt(
                c,
                f"{label}: mcp list_tables",
                "POST",
                "/-/mcp",
                JSON,
                mcp_call("list_tables", {"database": name}),
                twin=t,
            ),
            Attempt(
                c,
                f"{label}: mcp describe",
                "POST",
                "/-/mcp",
                JSON,
                mcp_call("describe_table", {"database": name, "table": HIDDEN_DB_TABLE}),
                twin=t,
            ),
            Attempt(
                c,
                f"{label}: mcp query",
                "POST",
                "/-/mcp",
                JSON,
                mcp_call("query", {"database": name, "sql": "select 1"}),
                twin=t,
            ),
            Attempt(
                c,
                f"{label}: mcp ask",
                "POST",
                "/-/mcp",
                JSON,
                mcp_call("ask", {"database": name, "question": "How many rows?"}),
                twin=t,
            ),
            Attempt(
                c,
                f"{label}: mcp search",
                "POST",
                "/-/mcp",
                JSON,
                mcp_call("semantic_search", {"database": name, "q": "secret"}),
                twin=t,
            ),
        ]
    attempts += [
        Attempt(c, "query.json without database", "GET", "/-/llm/query.json?sql=select+1"),
        Attempt(c, "mcp query without database", "POST", "/-/mcp", JSON, mcp_call("query", {"sql": "select 1"})),
        Attempt(c, "search near database name", "GET", "/-/semantic-search?database=hm_db&q=x"),
    ]
    return attempts


def search_attempts() -> list[Attempt]:
    c = "7 search over hidden rows"
    attempts = []
    for mode in ("hybrid", "semantic", "keyword"):
        attempts += [
            Attempt(c, f"all collections {mode}", "GET", f"/-/semantic-search?q=secret+launch&mode={mode}&limit=100"),
            Attempt(
                c, f"database {mode}", "GET", f"/-/semantic-search?database={DB}&q=vault+secret&mode={mode}&limit=100"
            ),
        ]
    attempts += [
        Attempt(c, "table=view", "GET", f"/-/semantic-search?database={DB}&table={VIEW}&q=vault", twin=True),
        Attempt(c, "table=view, all databases", "GET", f"/-/semantic-search?table={VIEW}&q=vault", twin=True),
        Attempt(c, "table=hidden", "GET", f"/-/semantic-search?database={DB}&table={SECRET}&q=secret", twin=True),
        Attempt(c, "table=docs", "GET", f"/-/semantic-search?database={DB}&table={PUBLIC}&q=secret&mode=semantic"),
        Attempt(c, "page docs semantic", "GET", f"/{DB}/{PUBLIC}/-/semantic-search?q=secret&mode=semantic"),
        Attempt(c, "page view", "GET", f"/{DB}/{VIEW}/-/semantic-search?q=vault", twin=True),
        Attempt(c, "page hidden table", "GET", f"/{DB}/{SECRET}/-/semantic-search?q=secret", twin=True),
        Attempt(
            c,
            "mcp search",
            "POST",
            "/-/mcp",
            JSON,
            mcp_call("semantic_search", {"q": "secret vault launch", "limit": 100}),
        ),
        Attempt(
            c,
            "mcp search view",
            "POST",
            "/-/mcp",
            JSON,
            mcp_call("semantic_search", {"q": "vault", "database": DB, "table": VIEW}),
            twin=True,
        ),
        Attempt(
            c,
            "ask text mode (passages)",
            "POST",
            f"/{DB}/-/ask.json",
            JSON,
            json_body({"question": "What do the documents say about secret launch codes?", "mode": "text"}),
        ),
        Attempt(
            c,
            "ask both mode",
            "POST",
            f"/{DB}/-/ask.json",
            JSON,
            json_body({"question": "List documents since 2020 that mention vault secrets", "mode": "both"}),
        ),
        Attempt(
            c,
            "mcp ask text mode",
            "POST",
            "/-/mcp",
            JSON,
            mcp_call("ask", {"database": DB, "question": "What does the vault say?", "mode": "text"}),
        ),
    ]
    return attempts


SURROGATE = b'"\\ud800"'


def bad_input_attempts(csrf) -> list[Attempt]:
    c = "8 bad input"
    rpc = b'{"jsonrpc":"2.0","id":%s,"method":%s,"params":%s}'
    tools_call = b'{"name":"query","arguments":{"database":"fx","sql":"select 1"}}'
    deep = b"[" * 100000 + b"]" * 100000
    attempts = [
        Attempt(c, "search page unknown db", "GET", "/nope/docs/-/semantic-search?q=x"),
        Attempt(c, "search page unknown table", "GET", f"/{DB}/nope/-/semantic-search?q=x"),
        Attempt(c, "search page bad limit", "GET", f"/{DB}/{PUBLIC}/-/semantic-search?q=x&limit=zz"),
        Attempt(c, "search page surrogate", "GET", f"/{DB}/{PUBLIC}/-/semantic-search?q=%ED%A0%80"),
        Attempt(c, "search api limit huge", "GET", "/-/semantic-search?q=x&limit=999999999999999999999"),
        Attempt(c, "search api bad mode", "GET", "/-/semantic-search?q=x&mode=%00"),
        Attempt(c, "search api surrogate q", "GET", "/-/semantic-search?q=%ED%A0%80"),
        Attempt(c, "search api table unknown", "GET", f"/-/semantic-search?database={DB}&table=nope&q=x"),
        Attempt(c, "mcp id surrogate", "POST", "/-/mcp", JSON, rpc % (SURROGATE, b'"tools/list"', b"{}")),
        Attempt(c, "mcp method surrogate", "POST", "/-/mcp", JSON, rpc % (b"1", SURROGATE, b"{}")),
        Attempt(
            c, "mcp tool name surrogate", "POST", "/-/mcp", JSON, rpc % (b"1", b'"tools/call"', b'{"name":"\\ud800"}')
        ),
        Attempt(
            c,
            "mcp sql surrogate",
            "POST",
            "/-/mcp",
            JSON,
            rpc % (b"1", b'"tools/call"', b'{"name":"query","arguments":{"sql":"select \'\\ud800\'"}}'),
        ),
        Attempt(
            c,
            "mcp protocol header surrogate-ish",
            "POST",
            "/-/mcp",
            {**JSON, "MCP-Protocol-Version": "\xff\xfe"},
            rpc % (b"1", b'"tools/list"', b"{}"),
        ),
        Attempt(
            c,
            "mcp envelope surrogate",
            "POST",
            "/-/mcp",
            {**JSON, "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/list"},
            rpc
            % (
                b"1",
                b'"tools/list"',
                b'{"_meta":{"io.modelcontextprotocol/protocolVersion":"\\ud800",'
                b'"io.modelcontextprotocol/clientCapabilities":{}}}',
            ),
        ),
        Attempt(c, "mcp id float", "POST", "/-/mcp", JSON, rpc % (b"1.5", b'"tools/list"', b"{}")),
        Attempt(c, "mcp id huge", "POST", "/-/mcp", JSON, rpc % (b"1" + b"0" * 5000, b'"tools/list"', b"{}")),
        Attempt(c, "mcp id object", "POST", "/-/mcp", JSON, rpc % (b'{"a":1}', b'"tools/list"', b"{}")),
        Attempt(c, "mcp id null", "POST", "/-/mcp", JSON, rpc % (b"null", b'"tools/list"', b"{}")),
        Attempt(c, "mcp id bool", "POST", "/-/mcp", JSON, rpc % (b"true", b'"tools/list"', b"{}")),
        Attempt(c, "mcp method number", "POST", "/-/mcp", JSON, rpc % (b"1", b"5", b"{}")),
        Attempt(c, "mcp unknown method", "POST", "/-/mcp", JSON, rpc % (b"1", b'"resources/list"', b"{}")),
        Attempt(c, "mcp params list", "POST", "/-/mcp", JSON, rpc % (b"1", b'"tools/call"', b"[1,2]")),
        Attempt(
            c,
            "mcp arguments list",
            "POST",
            "/-/mcp",
            JSON,
            rpc % (b"1", b'"tools/call"', b'{"name":"query","arguments":[1]}'),
        ),
        Attempt(
            c,
            "mcp sql number",
            "POST",
            "/-/mcp",
            JSON,
            rpc % (b"1", b'"tools/call"', b'{"name":"query","arguments":{"sql":5}}'),
        ),
        Attempt(
            c,
            "mcp limit string",
            "POST",
            "/-/mcp",
            JSON,
            rpc % (b"1", b'"tools/call"', b'{"name":"semantic_search","arguments":{"q":"x","limit":"9"}}'),
        ),
        Attempt(
            c,
            "mcp limit huge",
            "POST",
            "/-/mcp",
            JSON,
            rpc % (b"1", b'"tools/call"', b'{"name":"semantic_search","arguments":{"q":"x","limit":1e308}}'),
        ),
        Attempt(
            c,
            "mcp history bad",
            "POST",
            "/-/mcp",
            JSON,
            rpc % (b"1", b'"tools/call"', b'{"name":"ask","arguments":{"question":"x","history":"zz"}}'),
        ),
        Attempt(
            c,
            "mcp initialize bad version",
            "POST",
            "/-/mcp",
            JSON,
            rpc % (b"1", b'"initialize"', b'{"protocolVersion":["x"]}'),
        ),
        Attempt(
            c,
            "mcp initialize",
            "POST",
            "/-/mcp",
            JSON,
            rpc
            % (
                b"1",
                b'"initialize"',
                b'{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"a","version":"1"}}',
            ),
        ),
        Attempt(
            c,
            "mcp batch mixed",
            "POST",
            "/-/mcp",
            JSON,
            b"["
            + b",".join(
                [
                    rpc % (b"1", b'"tools/list"', b"{}"),
                    b"5",
                    b"null",
                    b"[]",
                    rpc % (SURROGATE, b'"tools/call"', tools_call),
                    rpc % (b"2", SURROGATE, b"{}"),
                    b'{"jsonrpc":"2.0","method":"x"}',
                ]
            )
            + b"]",
        ),
        Attempt(c, "mcp batch empty", "POST", "/-/mcp", JSON, b"[]"),
        Attempt(
            c,
            "mcp batch with initialize",
            "POST",
            "/-/mcp",
            JSON,
            b"[" + rpc % (b"1", b'"initialize"', b'{"protocolVersion":"2025-03-26"}') + b"]",
        ),
        Attempt(c, "mcp deep nesting", "POST", "/-/mcp", JSON, deep),
        Attempt(c, "mcp not json", "POST", "/-/mcp", JSON, b"\xff\xfe{"),
        Attempt(c, "mcp NaN", "POST", "/-/mcp", JSON, rpc % (b"NaN", b'"tools/list"', b"{}")),
        Attempt(
            c,
            "mcp bad session",
            "POST",
            "/-/mcp",
            {**JSON, "Mcp-Session-Id": "x\x7f"},
            rpc % (b"1", b'"tools/list"', b"{}"),
        ),
        Attempt(c, "mcp delete bad session", "DELETE", "/-/mcp", {"Mcp-Session-Id": "zzz"}),
        Attempt(c, "mcp GET", "GET", "/-/mcp"),
        Attempt(c, "mcp PUT", "PUT", "/-/mcp", JSON, b"{}"),
        Attempt(
            c, "mcp text/plain", "POST", "/-/mcp", {"Content-Type": "text/plain"}, rpc % (b"1", b'"tools/list"', b"{}")
        ),
        Attempt(
            c,
            "mcp accept bad",
            "POST",
            "/-/mcp",
            {"Content-Type": "application/json", "Accept": "image/png"},
            rpc % (b"1", b'"tools/list"', b"{}"),
        ),
        Attempt(
            c,
            "mcp modern no meta",
            "POST",
            "/-/mcp",
            {**JSON, "MCP-Protocol-Version": "2026-07-28"},
            rpc % (b"1", b'"tools/list"', b"{}"),
        ),
        Attempt(c, "query.json GET surrogate sql", "GET", "/-/llm/query.json?database=fx&sql=select+%27%ED%A0%80%27"),
        Attempt(c, "query.json GET bad utf-8", "GET", "/-/llm/query.json?database=fx&sql=select+%27%FF%27"),
        Attempt(c, "query.json GET NUL", "GET", "/-/llm/query.json?database=fx&sql=select+1%00"),
        Attempt(
            c,
            "query.json JSON surrogate sql",
            "POST",
            "/-/llm/query.json",
            JSON,
            b'{"database":"fx","sql":"select \'\\ud800\'"}',
        ),
        Attempt(
            c,
            "query.json JSON surrogate database",
            "POST",
            "/-/llm/query.json",
            JSON,
            b'{"database":"\\ud800","sql":"select 1"}',
        ),
        Attempt(c, "query.json JSON list", "POST", "/-/llm/query.json", JSON, b"[1]"),
        Attempt(c, "query.json JSON sql list", "POST", "/-/llm/query.json", JSON, b'{"sql":["select 1"]}'),
        Attempt(
            c, "query.json JSON database number", "POST", "/-/llm/query.json", JSON, b'{"database":5,"sql":"select 1"}'
        ),
        Attempt(c, "query.json JSON deep", "POST", "/-/llm/query.json", JSON, deep[:60000]),
        Attempt(c, "query.json JSON not utf-8", "POST", "/-/llm/query.json", JSON, b'{"sql":"\xff"}'),
        Attempt(c, "query.json text/plain", "POST", "/-/llm/query.json", {"Content-Type": "text/plain"}, b"select 1"),
        Attempt(c, "query.json DELETE", "DELETE", "/-/llm/query.json"),
        Attempt(
            c,
            "query.json multipart with cookie",
            "POST",
            "/-/llm/query.json",
            {"Content-Type": "multipart/form-data; boundary=XyZ", "Cookie": "ds_csrftoken=abc; other=1"},
            b'--XyZ\r\nContent-Disposition: form-data; name="sql"\r\n\r\nselect 1\r\n--XyZ--\r\n',
        ),
        Attempt(
            c,
            "query.json multipart bad boundary with cookie",
            "POST",
            "/-/llm/query.json",
            {"Content-Type": "multipart/form-data", "Cookie": "ds_actor=abc"},
            b"--\r\n\r\n",
        ),
        Attempt(
            c,
            "query.json form with cookie, no token",
            "POST",
            "/-/llm/query.json",
            {"Content-Type": "application/x-www-form-urlencoded", "Cookie": "ds_csrftoken=abc"},
            b"sql=select+1",
        ),
        Attempt(c, "query.json sql too long", "GET", "/-/llm/query.json?database=fx&sql=" + "select+1" + "+" * 20001),
        Attempt(
            c,
            "query.json deep parentheses",
            "GET",
            "/-/llm/query.json?database=fx&sql=" + q("SELECT " + "(" * 2000 + "1" + ")" * 2000),
        ),
        Attempt(
            c,
            "query.json deep CASE",
            "GET",
            "/-/llm/query.json?database=fx&sql=" + q("SELECT " + "CASE WHEN 1 THEN " * 800 + "1" + " END" * 800),
        ),
        Attempt(
            c,
            "query.json deep subqueries",
            "GET",
            "/-/llm/query.json?database=fx&sql=" + q("SELECT * FROM " + "(SELECT * FROM " * 300 + "docs" + ")" * 300),
        ),
        Attempt(
            c,
            "query.json many unions",
            "GET",
            "/-/llm/query.json?database=fx&sql=" + q(" UNION ALL ".join(["SELECT 1"] * 1500)),
        ),
        Attempt(c, "query.json parameter", "GET", "/-/llm/query.json?database=fx&sql=select+:x"),
        Attempt(
            c,
            "query.json invisible characters",
            "GET",
            "/-/llm/query.json?database=fx&sql=" + q("select\u200b 1\u202e"),
        ),
        Attempt(c, "query.json two statements", "GET", "/-/llm/query.json?database=fx&sql=select+1%3Bselect+2"),
        Attempt(c, "query.json write", "GET", "/-/llm/query.json?database=fx&sql=delete+from+docs"),
        Attempt(
            c, "query.json attach", "GET", "/-/llm/query.json?database=fx&sql=" + q("attach database ':memory:' as x")
        ),
        Attempt(
            c,
            "query.json load_extension",
            "GET",
            "/-/llm/query.json?database=fx&sql=" + q("select load_extension('x')"),
        ),
        Attempt(c, "query.json huge integer", "GET", "/-/llm/query.json?database=fx&sql=select+" + "9" * 5000),
        Attempt(c, "query.json nan float", "GET", "/-/llm/query.json?database=fx&sql=select+1e999,-1e999"),
        Attempt(c, "query.json blob", "GET", "/-/llm/query.json?database=fx&sql=select+x%27ff00%27"),
        Attempt(c, "query.json bad cell type", "GET", "/-/llm/query.json?database=fx&sql=" + q("select char(55296)")),
        Attempt(c, "schema.json surrogate", "GET", "/-/llm/schema.json?database=%ED%A0%80"),
        Attempt(c, "schema.json unknown table", "GET", "/-/llm/schema.json?database=fx&table=nope"),
        Attempt(c, "schema.json POST", "POST", "/-/llm/schema.json", JSON, b"{}"),
        Attempt(c, "ask.json bad JSON", "POST", f"/{DB}/-/ask.json", JSON, b"{"),
        Attempt(c, "ask.json not utf-8", "POST", f"/{DB}/-/ask.json", JSON, b'{"question":"\xff"}'),
        Attempt(
            c, "ask.json surrogate question", "POST", f"/{DB}/-/ask.json", JSON, b'{"question":"\\ud800","mode":"sql"}'
        ),
        Attempt(c, "ask.json question list", "POST", f"/{DB}/-/ask.json", JSON, b'{"question":["x"]}'),
        Attempt(c, "ask.json history string", "POST", f"/{DB}/-/ask.json", JSON, b'{"question":"x","history":"zz"}'),
        Attempt(
            c,
            "ask.json history objects bad",
            "POST",
            f"/{DB}/-/ask.json",
            JSON,
            b'{"question":"x","history":[{"question":5,"sql":[1]}]}',
        ),
        Attempt(c, "ask.json bad mode", "POST", f"/{DB}/-/ask.json", JSON, b'{"question":"x","mode":["sql"]}'),
        Attempt(c, "ask.json table number", "POST", f"/{DB}/-/ask.json", JSON, b'{"question":"x","table":5}'),
        Attempt(
            c, "ask.json question too long", "POST", f"/{DB}/-/ask.json", JSON, json_body({"question": "x" * 100000})
        ),
        Attempt(c, "ask.json body too large", "POST", f"/{DB}/-/ask.json", JSON, b" " * (300 * 1024)),
        Attempt(c, "ask.json deep", "POST", f"/{DB}/-/ask.json", JSON, deep[:60000]),
        Attempt(c, "ask.json PUT", "PUT", f"/{DB}/-/ask.json", JSON, b"{}"),
        Attempt(c, "ask.stream bad JSON", "POST", f"/{DB}/-/ask.stream", JSON, b"{"),
        Attempt(c, "ask.stream GET", "GET", f"/{DB}/-/ask.stream"),
        Attempt(c, "ask page surrogate table", "GET", f"/{DB}/-/ask?table=%ED%A0%80"),
        Attempt(c, "ask page tilde junk", "GET", "/~ZZ/-/ask"),
        Attempt(c, "openapi bad format", "GET", "/-/llm/openapi.xml"),
        Attempt(c, "manifest POST", "POST", "/.well-known/ai-plugin.json", JSON, b"{}"),
        Attempt(c, "manifest bad host", "GET", "/.well-known/ai-plugin.json", {"Host": "a b\x01"}),
        Attempt(
            c, "manifest huge forwarded host", "GET", "/.well-known/ai-plugin.json", {"X-Forwarded-Host": "a" * 60000}
        ),
    ]
    if csrf:
        cookie, token = csrf
        attempts.append(
            Attempt(
                c,
                "query.json multipart with valid token",
                "POST",
                "/-/llm/query.json",
                {"Content-Type": "multipart/form-data; boundary=XyZ", "Cookie": cookie, "X-CSRFToken": token},
                b'--XyZ\r\nContent-Disposition: form-data; name="sql"\r\n\r\nselect 1\r\n'
                b'--XyZ\r\nContent-Disposition: form-data; name="database"\r\n\r\nfx\r\n--XyZ--\r\n',
            )
        )
    return attempts


def cross_site_attempts() -> list[Attempt]:
    c = "10 cross-site / forwarded"
    evil = {"Origin": f"https://{EVIL_HOST}", "Sec-Fetch-Site": "cross-site", "Referer": f"https://{EVIL_HOST}/"}
    question = "How many docs are there?"
    return [
        Attempt(c, "ask.json GET ?q=", "GET", f"/{DB}/-/ask.json?q={q(question)}", no_model=True),
        Attempt(
            c,
            "ask.json GET ?question= from evil origin",
            "GET",
            f"/{DB}/-/ask.json?question={q(question)}&mode=sql",
            evil,
            no_model=True,
        ),
        Attempt(
            c,
            "ask.json form POST with the victim's cookie",
            "POST",
            f"/{DB}/-/ask.json",
            {"Content-Type": "application/x-www-form-urlencoded", "Cookie": "ds_actor=victim", **evil},
            urllib.parse.urlencode({"question": question}).encode(),
            no_model=True,
        ),
        Attempt(
            c,
            "ask.json form POST, no cookie",
            "POST",
            f"/{DB}/-/ask.json",
            {"Content-Type": "application/x-www-form-urlencoded", **evil},
            urllib.parse.urlencode({"question": question}).encode(),
            no_model=True,
        ),
        Attempt(
            c,
            "ask.json text/plain POST",
            "POST",
            f"/{DB}/-/ask.json",
            {"Content-Type": "text/plain", **evil},
            json_body({"question": question}),
            no_model=True,
        ),
        Attempt(
            c,
            "ask.json multipart POST",
            "POST",
            f"/{DB}/-/ask.json",
            {"Content-Type": "multipart/form-data; boundary=XyZ", **evil},
            b'--XyZ\r\nContent-Disposition: form-data; name="question"\r\n\r\nHow many docs?\r\n--XyZ--\r\n',
            no_model=True,
        ),
        Attempt(
            c,
            "ask.json no content type POST",
            "POST",
            f"/{DB}/-/ask.json",
            evil,
            json_body({"question": question}),
            no_model=True,
        ),
        Attempt(
            c,
            "ask.stream text/plain POST",
            "POST",
            f"/{DB}/-/ask.stream",
            {"Content-Type": "text/plain", **evil},
            json_body({"question": question}),
            no_model=True,
        ),
        Attempt(
            c,
            "ask.stream form POST",
            "POST",
            f"/{DB}/-/ask.stream",
            {"Content-Type": "application/x-www-form-urlencoded", **evil},
            urllib.parse.urlencode({"question": question}).encode(),
            no_model=True,
        ),
        Attempt(c, "ask page GET ?q= (warm-up)", "GET", f"/{DB}/-/ask?q={q(question)}", evil, no_model=True),
        Attempt(
            c,
            "mcp ask from evil origin",
            "POST",
            "/-/mcp",
            {**JSON, **evil},
            mcp_call("ask", {"database": DB, "question": question}),
            no_model=True,
            must_refuse=True,
        ),
        Attempt(
            c,
            "mcp ask bad history (validate first)",
            "POST",
            "/-/mcp",
            JSON,
            mcp_call("ask", {"database": DB, "question": question, "history": "zz"}),
            no_model=True,
        ),
        Attempt(
            c,
            "mcp ask bad mode (validate first)",
            "POST",
            "/-/mcp",
            JSON,
            mcp_call("ask", {"database": DB, "question": question, "mode": "nonsense"}),
            no_model=True,
        ),
        Attempt(
            c,
            "mcp ask bad table (validate first)",
            "POST",
            "/-/mcp",
            JSON,
            mcp_call("ask", {"database": DB, "question": question, "table": "nope"}),
            no_model=True,
        ),
        Attempt(
            c,
            "query.json form POST with the victim's cookie, no token",
            "POST",
            "/-/llm/query.json",
            {"Content-Type": "application/x-www-form-urlencoded", "Cookie": "ds_actor=victim", **evil},
            b"database=fx&sql=select+1",
            must_refuse=True,
        ),
        Attempt(
            c,
            "query.json multipart POST with the victim's cookie, no token",
            "POST",
            "/-/llm/query.json",
            {"Content-Type": "multipart/form-data; boundary=XyZ", "Cookie": "ds_actor=victim", **evil},
            b'--XyZ\r\nContent-Disposition: form-data; name="sql"\r\n\r\nselect 1\r\n--XyZ--\r\n',
            must_refuse=True,
        ),
        Attempt(
            c,
            "query.json JSON POST from evil origin",
            "POST",
            "/-/llm/query.json",
            {**JSON, **evil},
            json_body({"database": DB, "sql": "select 1"}),
            must_refuse=True,
        ),
        Attempt(
            c,
            "mcp from evil origin",
            "POST",
            "/-/mcp",
            {**JSON, **evil},
            json_body({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
            must_refuse=True,
        ),
        Attempt(
            c,
            "manifest X-Forwarded-Host",
            "GET",
            "/.well-known/ai-plugin.json",
            {"X-Forwarded-Host": EVIL_HOST},
            no_reflect=EVIL_HOST,
        ),
        Attempt(
            c,
            "openapi X-Forwarded-Host",
            "GET",
            "/-/llm/openapi.json",
            {"X-Forwarded-Host": EVIL_HOST, "X-Forwarded-Proto": "https"},
            no_reflect=EVIL_HOST,
        ),
        Attempt(
            c,
            "openapi yaml X-Forwarded-Host",
            "GET",
            "/-/llm/openapi.yaml",
            {"X-Forwarded-Host": EVIL_HOST},
            no_reflect=EVIL_HOST,
        ),
        Attempt(c, "manifest Host header", "GET", "/.well-known/ai-plugin.json", {"Host": EVIL_HOST}, no_reflect=None),
    ]


# -- the server ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, directory: Path, files: list[Path], metadata_path: Path, source: str | None = None):
        self.directory, self.files, self.metadata_path = directory, files, metadata_path
        self.source = source
        self.process = None
        self.port = None
        self.log = directory / "datasette.log"

    def start(self):
        self.port = free_port()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if self.source:  # serve another copy of the plugin (e.g. `git archive` of a commit)
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [self.source, env.get("PYTHONPATH")]))
        for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "DATASETTE_LLM_OPENAI_BASE_URL"):
            env.pop(name, None)
        self.process = subprocess.Popen(
            [
                str(DATASETTE),
                "serve",
                *map(str, self.files),
                "-m",
                str(self.metadata_path),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
            ],
            cwd=self.directory,
            env=env,
            stdout=open(self.log, "ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"datasette exited ({self.process.returncode}); see {self.log}:\n" + self.log.read_text()[-3000:]
                )
            if hit(self.port, "GET", "/-/versions.json", timeout=5).status == 200:
                return
            time.sleep(0.25)
        raise SystemExit("datasette did not start within 90 s")

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mb(self) -> float | None:
        process = self.process
        if process is None:
            return None
        try:
            for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.process = None

    def kill(self):
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None


def csrf_credentials(port: int) -> tuple[str, str] | None:
    """A same-site client's CSRF cookie and token (from the SQL form on the database page)."""
    response = hit(port, "GET", f"/{DB}")
    cookie = response.headers.get("set-cookie", "")
    found = re.search(r"ds_csrftoken=([^;]+)", cookie)
    if not found:
        return None
    return f"ds_csrftoken={found.group(1)}", found.group(1)


# -- resource cases ------------------------------------------------------------------------------------------


@dataclass
class ResourceRow:
    case: str
    request: str
    peak_extra_mb: float
    health_max_ms: float
    status: str
    seconds: float
    failed: bool


class Monitor:
    """Samples the server's RSS every 20 ms and times GET /-/versions.json every 50 ms."""

    def __init__(self, server: Server):
        self.server = server
        self.stop = threading.Event()
        self.baseline = server.rss_mb() or 0.0
        self.peak = self.baseline
        self.health_max = 0.0
        self.health_failures = 0
        self.killed = False
        self.threads = [
            threading.Thread(target=self._rss, daemon=True),
            threading.Thread(target=self._health, daemon=True),
        ]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(60)

    def _rss(self):
        while not self.stop.is_set():
            rss = self.server.rss_mb()
            if rss is not None:
                self.peak = max(self.peak, rss)
                if rss - self.baseline > SAFETY_KILL_MB and not self.killed:
                    self.killed = True
                    self.server.kill()
            time.sleep(0.02)

    def _health(self):
        port = self.server.port
        while not self.stop.is_set():
            started = time.perf_counter()
            response = hit(port, "GET", "/-/versions.json", timeout=60)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                self.health_failures += 1
            if not self.stop.is_set() or response.status == 200:
                self.health_max = max(self.health_max, elapsed)
            time.sleep(max(0.0, 0.05 - elapsed / 1000))


def long_statement(limit: int = 20_000) -> str:
    parts, sql = [], f"SELECT title FROM {PUBLIC} WHERE "
    i = 0
    while True:
        piece = f"(id = {i} AND title <> 'x{i}')"
        if len(sql) + len(" OR ".join(parts + [piece])) > limit:
            break
        parts.append(piece)
        i += 1
    return sql + " OR ".join(parts)


def at_once(n, path, body):
    """A run(port) that sends the same JSON POST n times at once."""

    def run(port):
        results = [None] * n

        def one(i):
            results[i] = hit(port, "POST", path, JSON, body, timeout=180)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    return run


def query_get(sql):
    """(description, run(port)): the statement through GET /-/llm/query.json."""
    path = f"/-/llm/query.json?database={DB}&sql={q(sql)}"
    return (f"GET {path[:160]}", lambda port: [hit(port, "GET", path, timeout=180)])


def mcp_query(sql):
    """(description, run(port)): the statement through MCP's `query` tool."""
    body = mcp_call("query", {"database": DB, "sql": sql})
    return (
        f"POST /-/mcp tools/call query {sql[:120]}",
        lambda port: [hit(port, "POST", "/-/mcp", JSON, body, timeout=180)],
    )


def parallel_ask(sql, n):
    """n Ask requests at once whose (fake) model writes `sql`: Ask holds the rows it shows, unlike query.json,
    which fits them to a response budget (a helper found 8 of these at once took +274 MB when Ask could hold
    20,000,000 characters of rows)."""
    ask_id = max(ASK_SQL, default=0) + 1
    ASK_SQL[ask_id] = sql
    body = json_body({"question": f"Show me the rows ATK{ask_id}", "mode": "sql"})
    return f"{n} x POST /{DB}/-/ask.json, the model writes {sql[:80]}, in parallel", at_once(
        n, f"/{DB}/-/ask.json", body
    )


# Generated resource cases (--generated N): statements from tests/resource_sql.py (SQLite's ways to make a big
# value, many rows and work that holds them), each sent through one surface. The promise does not depend on which
# composition an attacker finds: every one must stay within the same bounds as the hand-written cases
# (RSS_LIMIT_MB, HEALTH_LIMIT_MS, SLOW_LIMIT_S, no 5xx).


def generated_resource_cases(seed: int, count: int) -> list[tuple[str, str, object]]:
    """`count` generated statements, each through query.json, MCP or four Ask requests at once."""
    import random

    from resource_sql import generated_statement

    rng = random.Random(seed)
    cases = []
    for number in range(count):
        sql = generated_statement(rng, PUBLIC, "body")
        surface = rng.choice(("query", "query", "mcp", "ask"))
        description, run = (
            query_get(sql) if surface == "query" else mcp_query(sql) if surface == "mcp" else parallel_ask(sql, 4)
        )
        cases.append((f"generated #{number} ({surface}): {sql[:90]}", description, run))
    return cases


def resource_cases(quick: bool, csrf) -> list[tuple[str, str, object]]:
    """(case, request description, function(port) -> list of Response)."""

    def parallel(sql, n):
        body = json_body({"database": DB, "sql": sql})
        return f"{n} x POST /-/llm/query.json JSON sql of {len(sql):,} chars, in parallel", at_once(
            n, "/-/llm/query.json", body
        )

    def form_body(megabytes):
        size = megabytes * 1024 * 1024

        def chunks():
            yield b"database=fx&sql="
            block = b"a" * (1024 * 1024)
            for _ in range(megabytes):
                yield block

        def run(port):
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            if csrf:
                headers.update({"Cookie": csrf[0], "X-CSRFToken": csrf[1]})
            return [
                hit(
                    port,
                    "POST",
                    "/-/llm/query.json",
                    headers,
                    chunks(),
                    timeout=180,
                    content_length=size + len(b"database=fx&sql="),
                )
            ]

        return (
            f"POST /-/llm/query.json form-urlencoded {megabytes} MB body"
            f"{' (valid CSRF cookie + X-CSRFToken)' if csrf else ''}",
            run,
        )

    def mcp_batch(items, chars):
        sql = long_statement(chars)
        body = json_body(
            [
                {
                    "jsonrpc": "2.0",
                    "id": i,
                    "method": "tools/call",
                    "params": {"name": "query", "arguments": {"database": DB, "sql": sql}},
                }
                for i in range(items)
            ]
        )
        return (
            f"POST /-/mcp batch of {items} tools/call query ({chars:,}-char SQL each, {len(body):,} bytes)",
            lambda port: [hit(port, "POST", "/-/mcp", JSON, body, timeout=300)],
        )

    def idle(port):
        time.sleep(3)
        return []

    cases = [
        ("idle (no attack, 3 s: noise floor)", "nothing", idle),
        ("randomblob(1e9)", *query_get("SELECT randomblob(1000000000) AS b")),
        ("printf('%.*c', 1e9)", *query_get("SELECT printf('%.*c', 1000000000, 'x') AS s")),
        ("20,000-char statement x4 parallel", *parallel(long_statement(), 4)),
        # Just under the plugin's statement and batch caps (10,000 characters, 20 messages at 768d402), so
        # the guard's own work is measured even when the larger requests are refused for their size.
        ("10,000-char statement x4 parallel", *parallel(long_statement(9_990), 4)),
        (
            "Ask: 999,000-byte cells x4 parallel",  # 4: queue_limit, the requests a model admits at once
            *parallel_ask(f"SELECT zeroblob(999000) AS s FROM {PUBLIC} a, {PUBLIC} b, {PUBLIC} c", 4),
        ),
    ]
    if not quick:
        cases += [
            ("hex(zeroblob(5e8))", *query_get("SELECT hex(zeroblob(500000000)) AS h")),
            (
                "llm_cosine over 4e8-byte blobs",
                *query_get("SELECT llm_cosine(zeroblob(400000000), zeroblob(400000000)) AS c"),
            ),
            (
                "recursive CTE bomb (count)",
                *query_get("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"),
            ),
            (
                "recursive CTE string doubling",
                *query_get(
                    "WITH RECURSIVE c(n, x) AS (SELECT 0, 'ab' UNION ALL SELECT n + 1, x || x FROM c "
                    "WHERE n < 40) SELECT length(x) FROM c ORDER BY n DESC LIMIT 1"
                ),
            ),
            (
                "cross join of group_concat",
                *query_get(
                    f"SELECT length(group_concat(a.body || b.body || c.body)) FROM {PUBLIC} a, {PUBLIC} b, "
                    f"{PUBLIC} c, {PUBLIC} d"
                ),
            ),
            ("huge form body (200 MB)", *form_body(200)),
            ("MCP batch of 40", *mcp_batch(40, 6000)),
            ("MCP batch of 20 x 10,000 chars", *mcp_batch(20, 9_990)),
        ]
    return cases


def run_resources(server: Server, cases, log) -> list[ResourceRow]:
    rows = []
    for case, description, function in cases:
        if not server.alive():
            server.start()
        time.sleep(1.0)
        started = time.perf_counter()
        with Monitor(server) as monitor:
            time.sleep(0.2)
            responses = function(server.port)
            time.sleep(0.3)
        seconds = time.perf_counter() - started
        statuses = sorted({r.status for r in responses})
        status = ",".join(str(s) if s else "no response" for s in statuses) or "-"
        if monitor.killed:
            status = f"KILLED at +{SAFETY_KILL_MB} MB"
        codes = []
        for response in responses:
            try:
                data = json.loads(response.text)
            except ValueError:
                continue
            for item in (data if isinstance(data, list) else [data])[:3]:
                if not isinstance(item, dict):
                    continue
                error = item.get("error")
                code = item.get("code") or (error.get("message", "")[:40] if isinstance(error, dict) else None)
                if code:
                    codes.append(str(code))
        if codes:
            status += " " + "/".join(sorted(set(codes)))[:60]
        extra = monitor.peak - monitor.baseline
        slowest = max((r.seconds for r in responses), default=0.0)
        if slowest > SLOW_LIMIT_S:
            status += f" SLOW: one request took {slowest:.1f} s"
        failed = responses != [] and (
            extra > RSS_LIMIT_MB
            or monitor.health_max > HEALTH_LIMIT_MS
            or monitor.killed
            or slowest > SLOW_LIMIT_S
            or any(r.status >= 500 or r.status == 0 for r in responses)
        )
        row = ResourceRow(case, description, extra, monitor.health_max, status, seconds, failed)
        rows.append(row)
        log(f"  {case}: +{extra:.0f} MB, health max {monitor.health_max:.0f} ms, {status}, {seconds:.1f} s")
    return rows


# -- report --------------------------------------------------------------------------------------------------

VERDICTS = ("refused", "leaked", "5xx", "unsafe", "ok")


def print_tables(outcomes: list[Outcome], resources: list[ResourceRow]) -> None:
    classes = sorted({o.attempt.cls for o in outcomes}, key=lambda c: int(c.split()[0]))
    width = max(len(c) for c in classes + ["class"])
    print(f"\n{'class':<{width}} | attempts | refused | leaked | 5xx | unsafe | ok")
    print("-" * (width + 52))
    totals = dict.fromkeys(VERDICTS, 0)
    for cls in classes:
        mine = [o for o in outcomes if o.attempt.cls == cls]
        counts = {v: sum(1 for o in mine if v in o.verdict.split(",")) for v in VERDICTS}
        for v in VERDICTS:
            totals[v] += counts[v]
        print(
            f"{cls:<{width}} | {len(mine):>8} | {counts['refused']:>7} | {counts['leaked']:>6} | "
            f"{counts['5xx']:>3} | {counts['unsafe']:>6} | {counts['ok']:>3}"
        )
    print("-" * (width + 52))
    print(
        f"{'total':<{width}} | {len(outcomes):>8} | {totals['refused']:>7} | {totals['leaked']:>6} | "
        f"{totals['5xx']:>3} | {totals['unsafe']:>6} | {totals['ok']:>3}"
    )
    print("(an attempt can count in more than one of leaked, 5xx and unsafe; refused and ok exclude them)")
    if resources:
        w = max(len(r.case) for r in resources)
        print(f"\n{'case':<{w}} | peak extra RSS MB | max health latency ms | seconds | status")
        print("-" * (w + 70))
        for r in resources:
            flag = "  FAIL" if r.failed else ""
            print(
                f"{r.case:<{w}} | {r.peak_extra_mb:>17.0f} | {r.health_max_ms:>21.0f} | {r.seconds:>7.1f} | "
                f"{r.status}{flag}"
            )


def describe(attempt: Attempt) -> str:
    body = ""
    if attempt.body is not None:
        text = attempt.body.decode("utf-8", "backslashreplace")
        body = " body=" + (text if len(text) <= 400 else text[:400] + f"...({len(text):,} bytes)")
    headers = {k: v for k, v in attempt.headers.items() if k not in ("Accept",)}
    extra = f" [model writes: {attempt.extra_request_text}]" if attempt.extra_request_text else ""
    return f"{attempt.method} {attempt.path[:400]} headers={json.dumps(headers)}{body}{extra}"


def print_failures(outcomes: list[Outcome], resources: list[ResourceRow]) -> None:
    bad = [o for o in outcomes if o.verdict not in ("refused", "ok")]
    if bad:
        print(f"\nFailures ({len(bad)}):")
        for o in bad:
            print(f"- [{o.verdict}] {o.attempt.cls} / {o.attempt.label}: HTTP {o.status}: {o.detail}")
            print(f"    {describe(o.attempt)}")
    failed = [r for r in resources if r.failed]
    if failed:
        print(f"\nResource failures ({len(failed)}):")
        for r in failed:
            print(f"- {r.case}: +{r.peak_extra_mb:.0f} MB, health {r.health_max_ms:.0f} ms, {r.status}: {r.request}")


# -- main ----------------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a subset: fewer surfaces and resource cases")
    parser.add_argument("--no-resources", action="store_true", help="skip the resource cases")
    parser.add_argument("--resources-only", action="store_true", help="skip the attempts")
    parser.add_argument(
        "--generated", type=int, default=0, metavar="N", help="also run N generated resource cases (see above)"
    )
    parser.add_argument("--seed", type=int, default=0, help="the generated cases' seed")
    parser.add_argument("--json", help="write every outcome to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--source",
        help="directory holding the datasette_llm package to serve (default: the "
        "installed one), e.g. an export of a commit: git archive HEAD | tar -x -C DIR",
    )
    args = parser.parse_args(argv)

    if not DATASETTE.exists():
        print(f"{DATASETTE} not found: build the venv first (setup-scripts/install.sh)", file=sys.stderr)
        return 2

    def log(message):
        print(message, file=sys.stderr, flush=True)

    directory = Path(tempfile.mkdtemp(prefix="attack-"))
    model = FakeModel()
    fx, hidden = build_fixture(directory)
    metadata_path = directory / "metadata.json"
    metadata_path.write_text(json.dumps(metadata(f"http://127.0.0.1:{model.port}/v1"), indent=2))
    server = Server(directory, [fx, hidden], metadata_path, args.source)
    started = time.perf_counter()
    try:
        server.start()
        log(
            f"datasette pid {server.pid} on 127.0.0.1:{server.port}, fixture in {directory}"
            + (f", plugin from {args.source}" if args.source else "")
        )
        csrf = csrf_credentials(server.port)
        attacker = Attacker(server.port, model)
        attempts: list[Attempt] = []
        corpus = sql_attacks() + no_name_sql()
        hidden_sql = {sql for _, _, sql in sql_attacks()}
        if args.quick:
            corpus = corpus[::3]
        for cls, label, sql in corpus:
            ask_id = len(ASK_SQL) + 1
            ASK_SQL[ask_id] = sql
            names_hidden = sql in hidden_sql
            for surface, kwargs in sql_surfaces(sql, ask_id, args.quick, csrf):
                attempts.append(Attempt(cls, f"{label} via {surface}", twin=names_hidden, **kwargs))
        attempts += schema_attempts() + database_attempts() + search_attempts() + bad_input_attempts(csrf)
        attempts += cross_site_attempts()
        if args.quick:
            attempts = [a for i, a in enumerate(attempts) if not a.cls.startswith(("5", "6", "7", "8")) or i % 2 == 0]
        if args.resources_only:
            attempts = []
        log(f"{len(attempts)} attempts...")
        for index, attempt in enumerate(attempts):
            outcome = attacker.run(attempt)
            if outcome.verdict not in ("refused", "ok"):
                log(f"  [{outcome.verdict}] {attempt.cls} / {attempt.label}: {outcome.detail[:200]}")
            if not server.alive():
                log("  the server died; restarting")
                server.start()
                attacker.port = server.port
            if index and index % 100 == 0:
                log(f"  {index} done")
        resources = []
        if not args.no_resources:
            log("resource cases...")
            cases = resource_cases(args.quick, csrf) + generated_resource_cases(args.seed, args.generated)
            resources = run_resources(server, cases, log)
    finally:
        server.stop()
        model.server.shutdown()
    outcomes = attacker.outcomes
    print_tables(outcomes, resources)
    print_failures(outcomes, resources)
    print(
        f"\n{len(outcomes)} attempts, {len(resources)} resource cases in {time.perf_counter() - started:.0f} s; "
        f"fake-model chat calls: {model.count('chat')}"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "outcomes": [
                        {
                            "class": o.attempt.cls,
                            "label": o.attempt.label,
                            "verdict": o.verdict,
                            "status": o.status,
                            "detail": o.detail,
                            "request": describe(o.attempt),
                        }
                        for o in outcomes
                    ],
                    "resources": [r.__dict__ for r in resources],
                },
                indent=2,
            )
        )
    if not args.keep:
        import shutil

        shutil.rmtree(directory, ignore_errors=True)
    failed = any(o.verdict not in ("refused", "ok") for o in outcomes) or any(r.failed for r in resources)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
