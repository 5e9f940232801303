"""The OpenAPI 3.1 description of the HTTP API that assistants use (served at /-/llm/openapi.json|yaml)."""

from __future__ import annotations

from ..config import Settings
from ..sql.clipping import CLIP_MARKER
from .manifest import bearer_auth_configured
from .openapi_schemas import SCHEMAS, ref

OPENAPI_VERSION = "3.1.0"


def _json(schema: dict, description: str, examples: dict | None = None) -> dict:
    media = {"schema": schema}
    if examples:
        media["examples"] = {name: {"value": value} for name, value in examples.items()}
    return {"description": description, "content": {"application/json": media}}


def _error(description: str, example: dict | None = None) -> dict:
    return _json(ref("Error"), description, {"example": example} if example else None)


def _query_examples(settings: Settings) -> tuple[dict, dict]:
    ok = {
        "ok": True,
        "truncated": True,
        "note": f"Showing 12 of {settings.query_max_rows}+ rows (the rest did not fit in "
        f"{settings.query_max_chars:,} characters); column readme clipped to 500 characters in 12 rows "
        f"(marked {CLIP_MARKER}). Select fewer columns, filter with WHERE, aggregate, or page with "
        "LIMIT/OFFSET to see the rest.",
        "database": "github",
        "sql": f"select full_name, readme from repos limit {settings.query_max_rows + 1}",
        "columns": ["full_name", "readme"],
        "row_count": 12,
        "rows_fetched": settings.query_max_rows,
        "more_rows": True,
        "clipped": {"readme": {"limit": 500, "cells": 12}},
        "rows": [["simonw/datasette", "# Datasette\n\nAn open source multi-tool for exploring…[clipped]"]],
    }
    rejected = {
        "ok": False,
        "error": "no such column: stars",
        "code": "sql_rejected",
        "status": 400,
        "reason": "no such column: stars",
        "kind": "unknown_column",
        "identifier": "stars",
        "suggestions": ["stargazers_count"],
        "rejection": {
            "reason": "no such column: stars",
            "kind": "unknown_column",
            "identifier": "stars",
            "suggestions": ["stargazers_count"],
        },
    }
    return ok, rejected


def _database_param(required: bool = False) -> dict:
    return {
        "name": "database",
        "in": "query",
        "required": required,
        "schema": {"type": "string"},
        "description": "Database name, as listed by getSchema (optional when only one is visible).",
    }


def build_openapi(base_url: str, settings: Settings, *, title: str = "Datasette") -> dict:
    """The spec for an instance whose public root is `base_url` (absolute, ending in "/")."""
    ok_example, rejected_example = _query_examples(settings)
    query_responses = {
        "200": _json(
            ref("QueryResult"),
            "Rows, capped by count and by characters, with a note on any cut.",
            {"capped": ok_example},
        ),
        "400": _error(
            "The SQL was rejected (not one read-only SELECT over visible tables) or failed.", rejected_example
        ),
        "403": _error(
            "You may not run SQL against this database; or, to a GET, the server is on a local address and the "
            "request names it by a host name (DNS rebinding looks so): send a POST."
        ),
        "404": _error("No such database (the response lists the ones you may use)."),
    }
    spec = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"{title} API for assistants",
            "version": "1",
            "description": "Read-only, size-capped access to the data in this Datasette instance. Results are "
            f"capped at {settings.query_max_rows:,} rows and {settings.query_max_chars:,} "
            "characters; `truncated` and `note` say what was cut.",
        },
        "servers": [{"url": base_url.rstrip("/")}],
        "paths": {
            "/-/llm/schema.json": {
                "get": {
                    "operationId": "getSchema",
                    "summary": "Databases, tables, columns, foreign keys and row counts you may query. Call first.",
                    "parameters": [
                        _database_param(),
                        {
                            "name": "table",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string"},
                            "description": "Describe just this table (needs database).",
                        },
                    ],
                    "responses": {
                        "200": _json(
                            {"oneOf": [ref("SchemaResponse"), ref("TableResponse")]},
                            "The schema you may see (one table's, with `table`).",
                            {
                                "schema": {
                                    "ok": True,
                                    "databases": [
                                        {
                                            "name": "github",
                                            "can_execute_sql": True,
                                            "tables": [
                                                {
                                                    "name": "repos",
                                                    "type": "table",
                                                    "row_count": 1250,
                                                    "primary_keys": ["id"],
                                                    "columns": [
                                                        {
                                                            "name": "id",
                                                            "type": "INTEGER",
                                                            "primary_key": True,
                                                            "not_null": False,
                                                        },
                                                        {
                                                            "name": "owner",
                                                            "type": "INTEGER",
                                                            "primary_key": False,
                                                            "not_null": False,
                                                        },
                                                    ],
                                                    "foreign_keys": [
                                                        {
                                                            "column": "owner",
                                                            "other_table": "users",
                                                            "other_column": "id",
                                                        }
                                                    ],
                                                }
                                            ],
                                        }
                                    ],
                                }
                            },
                        ),
                        "400": _error("Bad parameters."),
                        "404": _error("No such database or table (the response lists what exists)."),
                    },
                }
            },
            "/-/llm/query.json": {
                "get": {
                    "operationId": "runQuery",
                    "summary": "Run one read-only SQLite SELECT. Always use LIMIT. Results are capped; read note.",
                    "parameters": [
                        _database_param(),
                        {
                            "name": "sql",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string"},
                            "description": "One SQLite SELECT (or WITH ... SELECT).",
                            "example": "select name, count(*) as n from repos group by name order by n desc limit 10",
                        },
                    ],
                    "responses": query_responses,
                },
                "post": {
                    "operationId": "runQueryPost",
                    "summary": "runQuery with a JSON body, for long SQL.",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": ref("QueryRequest"),
                                "examples": {
                                    "count": {"value": {"database": "github", "sql": "select count(*) from repos"}}
                                },
                            },
                            "application/x-www-form-urlencoded": {"schema": ref("QueryRequest")},
                        },
                    },
                    "responses": {
                        **query_responses,
                        "413": _error("The body is too large for one query."),
                        "415": _error("The body must be application/json (or a url-encoded form)."),
                    },
                },
            },
            "/{database}/-/ask.json": {
                "post": {
                    "operationId": "askQuestion",
                    "summary": "Answer a plain-English question from one database with the configured model (slow).",
                    "parameters": [{"name": "database", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": ref("AskRequest"),
                                "examples": {
                                    "question": {
                                        "value": {"question": "Which repository has the most stars?", "history": []}
                                    }
                                },
                            }
                        },
                    },
                    "responses": {
                        "200": _json(ref("AskResult"), "The answer, the SQL that produced it and its rows."),
                        "400": _error("Bad question."),
                        "403": _error(
                            "You may not ask about this database (llm-ask, or execute-sql when no rule "
                            "says), or a browser sent the request from another site."
                        ),
                        "404": _error("No such database (the response lists the ones you may use)."),
                        "405": _error("Only POST: a question starts a model run, so GET is refused."),
                        "413": _error("The body is too large for one question."),
                        "415": _error("The body must be application/json."),
                        "422": _json(
                            ref("AskResult"),
                            "No valid SQL could be written: ok is false, `error` says why and `attempts` lists every "
                            "query the model wrote with the reason each was refused.",
                        ),
                        "429": _error("You already hold half the model's queue; retry when your questions end."),
                        "502": _error("The model server failed or sent an unusable reply."),
                        "503": _error("The model is busy or not installed; retry later (see Retry-After)."),
                        "504": _error("The model did not answer within the time limit."),
                    },
                }
            },
            "/-/semantic-search": {
                "get": {
                    "operationId": "semanticSearch",
                    "summary": "Find rows by meaning (and keywords) in tables that have embeddings.",
                    "parameters": [
                        {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "minLength": 1}},
                        _database_param(),
                        {"name": "table", "in": "query", "required": False, "schema": {"type": "string"}},
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
                        },
                        {
                            "name": "mode",
                            "in": "query",
                            "required": False,
                            "schema": {
                                "type": "string",
                                "enum": ["hybrid", "semantic", "keyword"],
                                "default": "hybrid",
                            },
                        },
                    ],
                    "responses": {
                        "200": _json(ref("SearchResult"), "The best-matching rows."),
                        "400": _error("Bad parameters."),
                        "404": _error("No such database, table or embeddings collection."),
                        "409": _error(
                            "The table's collection was embedded with a model this server cannot query (another "
                            "model, or vectors of another length): embed it again with the configured model."
                        ),
                        "429": _error("You already hold half the embedding model's queue; retry when it has ended."),
                        "502": _error("The embedding model's server failed or could not be reached."),
                        "503": _error("The embedding model is not installed or busy; retry later."),
                        "504": _error("The embedding model did not answer within the time limit."),
                    },
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }
    if bearer_auth_configured(settings):
        spec["components"]["securitySchemes"] = {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "dstok",
                "description": "A Datasette API token (dstok_...), created at /-/create-token.",
            }
        }
        spec["security"] = [{"bearerAuth": []}, {}]
    return spec
