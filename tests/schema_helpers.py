"""Schemas for tests that read SQLite files directly: columns and foreign-key links, and Spider's dev set."""

import json
import sqlite3
from functools import cache
from pathlib import Path

from datasette_llm.ask.schema_tables import _table_details
from datasette_llm.sql.join_links import foreign_links

SPIDER = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "spider"


def schema_of(conn: sqlite3.Connection, names=None):
    """(columns by table, foreign-key links) for these tables (default: every table), as Ask reads them."""
    if names is None:
        names = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")]
    tables = [_table_details(conn, name, False) for name in names]
    return {t.name: t.columns for t in tables}, foreign_links(tables)


def spider_gold() -> list[dict]:
    """Spider dev's questions with their gold SQL; empty when the data is not beside the checkout."""
    path = SPIDER / "dev.json"
    return json.loads(path.read_text()) if path.exists() else []


@cache
def spider_schema(db_id: str):
    return schema_of(sqlite3.connect(SPIDER / "database" / db_id / f"{db_id}.sqlite"))


async def spider_probes():
    """(Probe, gold item, columns by table) for every Spider dev gold query, over its database as Ask reads it
    (double-quoted strings read as strings, as the model writes them)."""
    from datasette.app import Datasette

    from datasette_llm.ask.repairs.value_hints import Probe
    from datasette_llm.ask.schema_tables import load_tables

    found = []
    for db_id in sorted({item["db_id"] for item in spider_gold()}):
        datasette = Datasette([str(SPIDER / "database" / db_id / f"{db_id}.sqlite")])
        tables = await load_tables(datasette, db_id, None)
        db, allowed, columns = (
            datasette.get_database(db_id),
            {t.name for t in tables},
            {t.name: t.columns for t in tables},
        )
        for item in (i for i in spider_gold() if i["db_id"] == db_id):
            found.append((Probe(db, allowed, 5000), {**item, "query": item["query"].replace('"', "'")}, columns))
    return found
