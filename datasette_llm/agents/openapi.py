"""The OpenAPI 3.1 description of the HTTP API that assistants use (served at /-/llm/openapi.json|yaml)."""

from __future__ import annotations

from ..config import Settings
from ..sql.execute import CLIP_MARKER
from .manifest import bearer_auth_configured

OPENAPI_VERSION = "3.1.0"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str, examples: dict | None = None) -> dict:
    media = {"schema": schema}
    if examples:
        media["examples"] = {name: {"value": value} for name, value in examples.items()}
    return {"description": description, "content": {"application/json": media}}


def _error(description: str, example: dict | None = None) -> dict:
    return _json(_ref("Error"), description, {"example": example} if example else None)


NULLABLE_STRING = {"type": ["string", "null"]}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["ok", "error"],
        "properties": {
            "ok": {"type": "boolean", "const": False},
            "error": {"type": "string", "description": "What went wrong and what to do about it."},
            "code": {"type": "string", "examples": ["sql_rejected", "not_found", "forbidden", "bad_request"]},
            "status": {"type": "integer"},
            "reason": {"type": "string", "description": "Why the SQL guard rejected the query."},
            "kind": {
                "type": "string",
                "description": "Rejection kind: parse_error, multiple_statements, "
                "not_select, forbidden_function, forbidden_table, unknown_table, unknown_column, empty.",
            },
            "identifier": {"type": "string", "description": "The offending name, when there is one."},
            "suggestions": {"type": "array", "items": {"type": "string"}, "description": "The nearest real names."},
            "rejection": _ref("Rejection"),
            "databases": {
                "type": "array",
                "items": {"type": "string"},
                "description": "On a 404: the databases you may use.",
            },
            "tables": {
                "type": "array",
                "items": {"type": "string"},
                "description": "On a 404: the tables you may use.",
            },
        },
    },
    "Rejection": {
        "type": "object",
        "required": ["reason", "kind"],
        "properties": {
            "reason": {"type": "string"},
            "kind": {"type": "string"},
            "identifier": NULLABLE_STRING,
            "suggestions": {"type": "array", "items": {"type": "string"}},
        },
    },
    "Column": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string"},
            "type": {**NULLABLE_STRING, "description": "Declared SQLite type."},
            "primary_key": {"type": "boolean"},
            "not_null": {"type": "boolean"},
        },
    },
    "ForeignKey": {
        "type": "object",
        "required": ["column", "other_table", "other_column"],
        "properties": {
            "column": {"type": "string"},
            "other_table": {"type": "string"},
            "other_column": NULLABLE_STRING,
        },
    },
    "Table": {
        "type": "object",
        "required": ["name", "type", "columns"],
        "properties": {
            "name": {"type": "string"},
            "type": {"type": "string", "enum": ["table", "view"]},
            "columns": {"type": "array", "items": _ref("Column")},
            "primary_keys": {"type": "array", "items": {"type": "string"}},
            "foreign_keys": {"type": "array", "items": _ref("ForeignKey")},
            "row_count": {"type": ["integer", "null"], "description": "null when too slow to count."},
        },
    },
    "Database": {
        "type": "object",
        "required": ["name", "tables"],
        "properties": {
            "name": {"type": "string"},
            "can_execute_sql": {"type": "boolean", "description": "Whether runQuery may be used on it."},
            "tables": {"type": "array", "items": _ref("Table")},
        },
    },
    "SchemaResponse": {
        "type": "object",
        "required": ["ok", "databases"],
        "properties": {
            "ok": {"type": "boolean"},
            "databases": {"type": "array", "items": _ref("Database")},
            "limits": {
                "type": "object",
                "properties": {"query_max_rows": {"type": "integer"}, "query_max_chars": {"type": "integer"}},
            },
        },
    },
    "QueryRequest": {
        "type": "object",
        "required": ["sql"],
        "properties": {
            "database": {"type": "string", "description": "Optional when only one database is visible."},
            "sql": {"type": "string", "description": "One read-only SQLite SELECT. Add a LIMIT."},
        },
    },
    "QueryResult": {
        "type": "object",
        "required": ["ok", "truncated", "note", "columns", "rows"],
        "properties": {
            "ok": {"type": "boolean"},
            "truncated": {"type": "boolean", "description": "True when rows were left out or cells clipped."},
            "note": {"type": "string", "description": "Exactly what was cut, in words. Read it."},
            "notes": {"type": "array", "items": {"type": "string"}},
            "database": {"type": "string"},
            "sql": {"type": "string", "description": "The SQL that ran (a LIMIT may have been added)."},
            "columns": {"type": "array", "items": {"type": "string"}},
            "row_count": {"type": "integer", "description": "Rows returned here."},
            "rows_fetched": {"type": "integer", "description": "Rows the query produced, up to the row cap."},
            "more_rows": {"type": "boolean", "description": "The query produced more rows than the row cap."},
            "clipped": {
                "type": "object",
                "description": f"Column -> clipping limit and cells clipped (clipped text ends with {CLIP_MARKER}).",
                "additionalProperties": {
                    "type": "object",
                    "properties": {"limit": {"type": "integer"}, "cells": {"type": "integer"}},
                },
            },
            "limits": {
                "type": "object",
                "properties": {"max_rows": {"type": "integer"}, "max_chars": {"type": "integer"}},
            },
            "chars": {"type": "integer", "description": "Length of the JSON-serialised rows."},
            "limit_added": {"type": "boolean"},
            "seconds": {"type": "number"},
            "rows": {
                "type": "array",
                "items": {"type": "array"},
                "description": "Rows as arrays, in the order of columns.",
            },
        },
    },
    "AskRequest": {
        "type": "object",
        "required": ["question"],
        "properties": {
            "question": {"type": "string", "description": "A question in plain English."},
            "table": {"type": "string", "description": "Focus on this table (optional)."},
            "history": {
                "type": "array",
                "description": "Earlier turns, newest last.",
                "items": {
                    "type": "object",
                    "required": ["question"],
                    "properties": {"question": {"type": "string"}, "sql": NULLABLE_STRING},
                },
            },
        },
    },
    "AskResult": {
        "type": "object",
        "properties": {
            "ok": {"type": "boolean"},
            "question": {"type": "string"},
            "database": {"type": "string"},
            "answer": {**NULLABLE_STRING, "description": "The model's answer, grounded in the rows shown."},
            "sql": NULLABLE_STRING,
            "columns": {"type": "array", "items": {"type": "string"}},
            "rows": {"type": "array", "items": {"type": "array"}},
            "row_count": {"type": "integer"},
            "truncated": {"type": "boolean"},
            "notes": {"type": "array", "items": {"type": "string"}},
            "warnings": {"type": "array", "items": {"type": "string"}},
            "error": NULLABLE_STRING,
            "model": {"type": "string"},
            "path": {
                "type": "string",
                "enum": ["sql", "text", "both"],
                "description": "How the question was answered: SQL, retrieval over text, or both.",
            },
            "route": {"type": "object", "description": "Why that path was taken (and whether it was forced)."},
            "attempts": {
                "type": "array",
                "items": {"type": "object"},
                "description": "Every query the model wrote, with the reason a rejected one failed.",
            },
            "candidates": {
                "type": "array",
                "items": {"type": "object"},
                "description": "Sampled queries and their votes, when sql_candidates > 1.",
            },
            "citations": {
                "type": "array",
                "items": {"type": "object"},
                "description": "Rows an answer from text cites, with their URLs.",
            },
            "passages": {
                "type": "array",
                "items": {"type": "object"},
                "description": "The retrieved passages the model was shown.",
            },
        },
    },
    "SearchHit": {
        "type": "object",
        "properties": {
            "database": {"type": "string"},
            "table": {"type": "string"},
            "id": {"type": "string"},
            "pk": {"type": "array"},
            "score": {"type": "number"},
            "url": NULLABLE_STRING,
            "row": {"type": "object", "description": "The row, long values clipped."},
        },
    },
    "SearchResult": {
        "type": "object",
        "properties": {
            "ok": {"type": "boolean"},
            "q": {"type": "string"},
            "mode": {"type": "string"},
            "limit": {"type": "integer"},
            "hits": {"type": "array", "items": _ref("SearchHit")},
            "notes": {"type": "array", "items": {"type": "string"}},
        },
    },
}


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
            _ref("QueryResult"),
            "Rows, capped by count and by characters, with a note on any cut.",
            {"capped": ok_example},
        ),
        "400": _error(
            "The SQL was rejected (not one read-only SELECT over visible tables) or failed.", rejected_example
        ),
        "403": _error("You may not run SQL against this database."),
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
                            _ref("SchemaResponse"),
                            "The schema you may see.",
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
                                "schema": _ref("QueryRequest"),
                                "examples": {
                                    "count": {"value": {"database": "github", "sql": "select count(*) from repos"}}
                                },
                            },
                            "application/x-www-form-urlencoded": {"schema": _ref("QueryRequest")},
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
                    "summary": "Answer a plain-English question from one database with a local model (slow).",
                    "parameters": [{"name": "database", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": _ref("AskRequest"),
                                "examples": {
                                    "question": {
                                        "value": {"question": "Which repository has the most stars?", "history": []}
                                    }
                                },
                            }
                        },
                    },
                    "responses": {
                        "200": _json(_ref("AskResult"), "The answer, the SQL that produced it and its rows."),
                        "400": _error("Bad question."),
                        "403": _error(
                            "You may not ask about this database (llm-ask, or execute-sql when no rule "
                            "says), or a browser sent the request from another site."
                        ),
                        "404": _error("No such database (the response lists the ones you may use)."),
                        "405": _error("Only POST: a question starts a model run, so GET is refused."),
                        "413": _error("The body is too large for one question."),
                        "415": _error("The body must be application/json."),
                        "503": _error("The model is busy or not installed; retry later."),
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
                        "200": _json(_ref("SearchResult"), "The best-matching rows."),
                        "400": _error("Bad parameters."),
                        "404": _error("No such database, table or embeddings collection."),
                        "503": _error("The embedding model is not installed."),
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
