"""The MCP tools: each is a plain async function (datasette, actor, arguments) -> JSON-ready dict.

Every result that can carry rows is capped by the same rule as the query API (rows and characters, with a
note), so an assistant connected over MCP cannot be flooded either. Failures a model can act on (rejected
SQL, unknown table, missing permission) raise DatasetteLLMError and become `isError: true` results.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ... import permissions
from ...ask.charts import chart_for_result
from ...ask.route import ASK_MODES
from ...config import settings_for
from ...errors import BadRequest, DatasetteLLMError
from ...models.reply_cache import asker_key
from ..query_api import cap_rows, run_capped_query
from ..schema_api import describe_databases, describe_table, resolve_database, resolve_table
from ..schema_caps import MCP_HINT, cap_directory, cap_table, size

ToolFunction = Callable[[object, dict | None, dict], Awaitable[dict]]

DATABASE = {"type": "string", "description": "Database name from list_tables (optional when there is only one)."}


@dataclass(frozen=True)
class Tool:
    name: str
    title: str
    description: str
    input_schema: dict
    run: ToolFunction

    def definition(self, *, with_title: bool, with_annotations: bool) -> dict:
        data = {"name": self.name, "description": self.description, "inputSchema": self.input_schema}
        if with_title:
            data["title"] = self.title
        if with_annotations:
            data["annotations"] = {
                "title": self.title,
                "readOnlyHint": True,
                "destructiveHint": False,
                "idempotentHint": True,
                "openWorldHint": False,
            }
        return data


def _string(arguments: dict, name: str, *, required: bool = False) -> str | None:
    value = arguments.get(name)
    if value is None or value == "":
        if required:
            raise BadRequest(f"The {name!r} argument is required.")
        return None
    if not isinstance(value, str):
        raise BadRequest(f"The {name!r} argument must be a string, got {type(value).__name__}.")
    return value


async def list_tables(datasette, actor, arguments: dict) -> dict:
    directory = await describe_databases(datasette, actor, _string(arguments, "database"), brief=True)
    return cap_directory(directory, settings_for(datasette).query_max_chars, MCP_HINT)


async def describe_table_tool(datasette, actor, arguments: dict) -> dict:
    details = await describe_table(
        datasette, actor, _string(arguments, "database"), _string(arguments, "table", required=True)
    )
    return cap_table(details, settings_for(datasette).query_max_chars)


async def query(datasette, actor, arguments: dict) -> dict:
    result = await run_capped_query(
        datasette, actor, _string(arguments, "database"), _string(arguments, "sql", required=True)
    )
    return result.to_json()


async def ask_tool(datasette, actor, arguments: dict) -> dict:
    # Every argument and permission is checked before the model stack is touched.
    from ...ask.pipeline import ask
    from ...ask.question import check_question, normalise_history

    settings = settings_for(datasette)
    question = check_question(_string(arguments, "question", required=True), settings)
    history = normalise_history(arguments.get("history"))
    mode = _string(arguments, "mode") or "auto"
    if mode not in ASK_MODES:
        raise BadRequest(f"The 'mode' argument must be one of {', '.join(ASK_MODES)}; got {mode!r}.")
    table = _string(arguments, "table")
    database = await resolve_database(datasette, actor, _string(arguments, "database"))
    await permissions.require_ask(datasette, actor, database)
    tables = [await resolve_table(datasette, actor, database, table)] if table else []
    result = await ask(
        datasette,
        database,
        question,
        actor=actor,
        history=history,
        tables=tables,
        settings=settings,
        mode=mode,
        asker=asker_key(actor),  # an anonymous MCP client has no browser to be told apart by: nothing kept
    )
    data = result.to_json()
    # The rows Ask kept may already be cut at its own row cap (`max_rows`): "All 5 rows returned" of a 10-row table
    # contradicted the result's own notes (an outside tester, session 36).
    capped = cap_rows(
        result.columns,
        result.rows,
        max_rows=settings.query_max_rows,
        max_chars=settings.query_max_chars,
        more_rows=result.row_cap_hit,
    )
    data.update(rows=list(capped.rows), rows_truncated=capped.truncated, rows_note=capped.note)
    data.pop("attempts", None)  # the model's raw replies: noise for another assistant
    data["chart"] = chart_for_result(data)  # drawn from the capped rows only
    if not result.ok:
        raise DatasetteLLMError(
            result.error or "The question could not be answered.", status=422, sql=result.sql, notes=list(result.notes)
        )
    return data


def _semantic_search_function():
    from ...embeddings import semantic_search  # imported when first used: the search stack is the heaviest part

    return semantic_search


def _cap_hits(data: dict, max_chars: int, key_columns: list[tuple[str, ...]]) -> dict:
    """`data`'s hits within `max_chars`; `key_columns`: each hit's key columns, in order."""
    hits = data.get("hits") or []
    kept, used = [], 0
    for hit in hits:
        cost = size(hit) + 2
        if kept and used + cost > max_chars:
            break
        if not kept and cost > max_chars:  # the first hit is always shown: its row's last columns give way
            hit = _narrowed(hit, max_chars, key_columns[0] if key_columns else ())
            cost = size(hit) + 2
        kept.append(hit)
        used += cost
    if len(kept) < len(hits):
        data["hits"] = kept
        data["truncated"] = True
        data["note"] = (
            f"Showing {len(kept)} of {len(hits)} hits (the rest did not fit in {max_chars:,} "
            "characters); ask for fewer with limit."
        )
    else:
        data.setdefault("truncated", False)
    return data


def _narrowed(hit: dict, max_chars: int, keys: tuple[str, ...]) -> dict:
    """A hit whose row's last columns are left out (counted in columns_left_out) until it fits in `max_chars`, its
    key columns last: a key that was the table's last column went first (an outside tester, session 60)."""
    row = dict(hit["row"])
    narrowed = {**hit, "row": row}
    while row and size(narrowed) + 2 > max_chars:
        others = [column for column in row if column not in keys]
        row.pop(others[-1] if others else next(reversed(row)))
        narrowed["columns_left_out"] = narrowed.get("columns_left_out", 0) + 1
    return narrowed


async def semantic_search_tool(datasette, actor, arguments: dict) -> dict:
    search = _semantic_search_function()
    limit = arguments.get("limit", 10)
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise BadRequest("The 'limit' argument must be a whole number from 1 to 100.")
    q = _string(arguments, "q", required=True)
    database = _string(arguments, "database")
    if database is not None:  # a hidden database gets the same 404 as a missing one
        database = await resolve_database(datasette, actor, database)
    result = await search(
        datasette,
        actor,
        q,
        database=database,
        table=_string(arguments, "table"),
        limit=limit,
        mode=_string(arguments, "mode") or "hybrid",
    )
    keys = [hit.key_columns for hit in result.hits]
    return _cap_hits(result.to_json(), settings_for(datasette).query_max_chars, keys)


def _schema(properties: dict, required: list[str]) -> dict:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


TOOLS = {
    tool.name: tool
    for tool in (
        Tool(
            "list_tables",
            "List tables",
            "List the databases and tables you may query, with column names and row counts. Call this first.",
            _schema({"database": DATABASE}, []),
            list_tables,
        ),
        Tool(
            "describe_table",
            "Describe a table",
            "One table's columns with types, primary and foreign keys, row count and three example rows.",
            _schema({"database": DATABASE, "table": {"type": "string"}}, ["table"]),
            describe_table_tool,
        ),
        Tool(
            "query",
            "Run a read-only SQL query",
            "Run one read-only SQLite SELECT and get rows back. Always use LIMIT and only the columns you need. "
            "Results are capped by rows and characters: when truncated is true, note says what was cut; never "
            "invent rows you were not shown. Rejected SQL comes back with the reason and the nearest real names.",
            _schema({"database": DATABASE, "sql": {"type": "string", "description": "One SQLite SELECT."}}, ["sql"]),
            query,
        ),
        Tool(
            "ask",
            "Ask a question",
            "Answer a plain-English question from one database using this server's own model (slow; prefer "
            "query when you can write SQL). Returns the answer, the SQL it ran and capped rows.",
            _schema(
                {
                    "database": DATABASE,
                    "question": {"type": "string"},
                    "table": {"type": "string", "description": "Focus on this table (optional)."},
                    "history": {
                        "type": "array",
                        "items": {"type": "object"},
                        "description": "Earlier turns: [{question, sql}], newest last.",
                    },
                    "mode": {
                        "type": "string",
                        "enum": list(ASK_MODES),
                        "default": "auto",
                        "description": "sql: write a query; text: answer from retrieved text rows with "
                        "citations; both: filter with SQL, then retrieve; auto: decide.",
                    },
                },
                ["question"],
            ),
            ask_tool,
        ),
        Tool(
            "semantic_search",
            "Search by meaning",
            "Find rows by meaning (and keywords) in tables that have embeddings.",
            _schema(
                {
                    "q": {"type": "string"},
                    "database": DATABASE,
                    "table": {"type": "string"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
                    "mode": {"type": "string", "enum": ["hybrid", "semantic", "keyword"], "default": "hybrid"},
                },
                ["q"],
            ),
            semantic_search_tool,
        ),
    )
}
