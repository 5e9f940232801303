"""The component schemas of the OpenAPI description: the JSON bodies the assistants' API takes and returns."""

from __future__ import annotations

from ..sql.clipping import CLIP_MARKER


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


NULLABLE_STRING = {"type": ["string", "null"]}
TABLE_FIELDS = {  # of a table in the schema listing, and of the one table described alone
    "name": {"type": "string"},
    "type": {"type": "string", "enum": ["table", "view"]},
    "columns": {
        "type": "array",
        "items": {"oneOf": [ref("Column"), {"type": "string"}]},
        "description": "Column objects; only their names when a listing past `query_max_chars` left types out.",
    },
    "column_count": {"type": "integer", "description": "In a listing cut so far that column names are left out."},
    "more_columns": {"type": "array", "items": {"type": "string"}, "description": "Columns named, not described."},
    "columns_left_out": {"type": "integer", "description": "Columns past the cap, only counted."},
    "primary_keys": {"type": "array", "items": {"type": "string"}},
    "foreign_keys": {"type": "array", "items": ref("ForeignKey")},
    "keys_left_out": {
        "type": "integer",
        "description": "In one table cut to fit: primary and foreign keys of columns not described, only counted.",
    },
    "row_count": {"type": ["integer", "null"], "description": "null when too slow to count."},
}

TRUNCATED = {
    "truncated": {"type": "boolean", "description": "True when the schema was cut to fit `query_max_chars`."},
    "note": {"type": "string", "description": "What was left out to fit, in words, and where to find it."},
}

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
            "rejection": ref("Rejection"),
            "databases": {
                "type": "array",
                "items": {"type": "string"},
                "description": "On a 404: the databases you may use.",
            },
            "tables": {
                "type": "array",
                "items": {"type": "string"},
                "description": "On a 404: the tables you may use (the first ones: see tables_left_out).",
            },
            "tables_left_out": {"type": "integer", "description": "On a 404: how many more tables you may use."},
            "databases_left_out": {"type": "integer", "description": "On a 404: how many more databases."},
            "collections": {
                "type": "array",
                "items": {"type": "string"},
                "description": "On a 404 from search: the embeddings collections you may search.",
            },
            "retry_after": {"type": "integer", "description": "On a 429 or 503: seconds to wait (as Retry-After)."},
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
            "other_column": {
                "type": "string",
                "description": "The column referenced; for `REFERENCES other` alone, other's primary key (a key to "
                "a table with no single-column primary key is left out).",
            },
        },
    },
    "Table": {
        "type": "object",
        "required": ["name", "type"],
        "properties": TABLE_FIELDS,
    },
    "TableResponse": {
        "type": "object",
        "description": "One table, when `table` is given.",
        "required": ["ok", "database", "name", "type", "columns"],
        "properties": {"ok": {"type": "boolean"}, "database": {"type": "string"}, **TABLE_FIELDS, **TRUNCATED},
    },
    "Database": {
        "type": "object",
        "required": ["name", "tables"],
        "properties": {
            "name": {"type": "string"},
            "can_execute_sql": {"type": "boolean", "description": "Whether runQuery may be used on it."},
            "tables": {"type": "array", "items": ref("Table")},
            "more_tables": {"type": "array", "items": {"type": "string"}, "description": "Tables named only."},
            "tables_left_out": {"type": "integer", "description": "Tables past the cap, only counted."},
        },
    },
    "SchemaResponse": {
        "type": "object",
        "required": ["ok", "databases"],
        "properties": {
            "ok": {"type": "boolean"},
            "databases": {"type": "array", "items": ref("Database")},
            "limits": {
                "type": "object",
                "properties": {"query_max_rows": {"type": "integer"}, "query_max_chars": {"type": "integer"}},
            },
            **TRUNCATED,
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
                "description": "Column name -> clipping limit and cells clipped, the cells of columns of one name "
                f"together (clipped text ends with {CLIP_MARKER}).",
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
            "q": {"type": "string", "description": "The same as question (as in a search link)."},
            "table": {"type": "string", "description": "Focus on this table (optional)."},
            "mode": {
                "type": "string",
                "enum": ["auto", "sql", "text", "both"],
                "description": "auto (the default) chooses; sql, text (retrieval over embedded text) or both force "
                "a path.",
            },
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
            "row_cap_hit": {"type": "boolean", "description": "The query returned more rows than were fetched."},
            "limit_added": {"type": "boolean", "description": "A LIMIT (max_rows + 1) was added to the SQL."},
            "notes": {"type": "array", "items": {"type": "string"}},
            "warnings": {"type": "array", "items": {"type": "string"}},
            "error": NULLABLE_STRING,
            "code": {"type": "string", "description": "With a 422: no_valid_sql."},
            "status": {"type": "integer", "description": "With a 422: 422."},
            "model": {"type": "string"},
            "sql_formatted": {**NULLABLE_STRING, "description": "The SQL laid out for reading."},
            "example_sql": {
                **NULLABLE_STRING,
                "description": "The SQL as a trusted example would keep it (without the LIMIT the guard added).",
            },
            "edit_sql_url": {
                **NULLABLE_STRING,
                "description": "Datasette's SQL page with this SQL, for actors who may run SQL.",
            },
            "downloads": {
                "type": ["object", "null"],
                "description": "The rows as CSV and JSON from Datasette (for actors who may run SQL).",
                "properties": {"csv": {"type": "string"}, "json": {"type": "string"}},
            },
            "save_query": {
                "type": ["object", "null"],
                "description": "How to keep the SQL as a canned query: `store` (where the actor may store "
                "queries: store_url, query, query_url) or `snippet` (the file and YAML to add).",
                "additionalProperties": True,
            },
            "chart": {
                "type": ["object", "null"],
                "description": "A Vega-Lite v5 spec that draws only values from the rows, when one suits them.",
                "additionalProperties": True,
            },
            "tokens": {
                "type": "object",
                "description": "Prompt and written tokens of each model call, by stage.",
                "additionalProperties": {"type": "integer"},
            },
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
            "examples": {
                "type": "array",
                "items": {"type": "object"},
                "description": "Trusted examples and canned queries the SQL prompt showed (question, sql, source, id, "
                "score, kept: whether it is kept for every question rather than chosen for this one, and for a "
                "kept one repeated: whether it was also shown again right before the question), each once, most "
                "like the question first.",
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
            "timings": ref("Timings"),
        },
    },
    "SearchHit": {
        "type": "object",
        "properties": {
            "database": {"type": "string"},
            "table": {"type": "string"},
            "id": {"type": "string"},
            "pk": {"type": "array"},
            "score": {"type": "number", "description": "The score of the mode searched (hybrid: the fused one)."},
            "url": NULLABLE_STRING,
            "row": {"type": "object", "description": "The row, long values clipped.", "additionalProperties": True},
            "semantic_score": {"type": ["number", "null"], "description": "Cosine similarity to the query."},
            "semantic_rank": {"type": ["integer", "null"], "description": "Rank by meaning (null: not ranked)."},
            "keyword_rank": {"type": ["integer", "null"], "description": "Rank by full-text search (null: none)."},
            "columns_left_out": {
                "type": "integer",
                "description": "The row's columns not shown in `row` (it holds the keys and the first columns, "
                "within 30 columns and 3,000 characters); the row's page has them all.",
            },
        },
    },
    "SearchResult": {
        "type": "object",
        "properties": {
            "ok": {"type": "boolean"},
            "q": {"type": "string"},
            "mode": {"type": "string"},
            "limit": {"type": "integer"},
            "model": {**NULLABLE_STRING, "description": "The embedding model of the query (null: keywords only)."},
            "searched": {
                "type": "array",
                "items": {"type": "string"},
                "description": '"database/table" of every collection searched.',
            },
            "hits": {"type": "array", "items": ref("SearchHit")},
            "notes": {"type": "array", "items": {"type": "string"}},
            "timings": ref("Timings"),
        },
    },
    "Timings": {
        "type": "object",
        "description": "Seconds each stage took, and the total.",
        "additionalProperties": {"type": "number"},
    },
}
