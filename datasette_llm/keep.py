"""Keep a result: save its SQL as a query with the question as its title, or download its rows.

- Datasette 1.0 alphas with stored queries: an actor allowed `store-query` (and `execute-sql`) on the database
  saves it through Datasette's own API, `POST /{db}/-/queries/store` with `{"query": {...}}`; the Ask page
  sends the POST from the browser, as the actor. Saved private (only its owner sees it) unless they choose.
- Otherwise (0.65, which has no stored queries, or an actor who may not store them): a ready-to-paste canned
  query for the configuration (`databases: db: queries:` in metadata.yml on 0.65, datasette.yaml on 1.0).
- CSV and JSON downloads are Datasette's own `.csv` / `.json` of the SQL, for actors who may run SQL
  (the same rule as the "Edit this SQL" link).

Permission checks are in permissions/ (`can_execute_sql`, `can_store_query`).
"""

from __future__ import annotations

import re

import yaml

from . import permissions
from .compat import DATASETTE_1, sql_page_url

MAX_NAME_CHARS = 60


def query_name(question: str) -> str:
    """A URL-friendly name from the question: `how-many-releases-per-year`."""
    words = re.findall(r"[a-z0-9]+", question.lower())
    name = ""
    for word in words:
        if len(name) + len(word) + 1 > MAX_NAME_CHARS:
            break
        name = f"{name}-{word}" if name else word
    return name or "ask-query"


async def free_query_name(datasette, actor, database: str, question: str) -> str:
    """query_name(question), with -2, -3, ... added while a table, view or query the actor may see has it. Only
    what they may see: a hidden table, a hidden canned query or someone's private stored query of the same name
    made it `-2`, which told that they exist (an outside tester, session 19). Saving a name a hidden one holds
    fails in Datasette's own API, as it would for a name the actor typed. Which tables the actor may see is
    asked only when a table or view has one of the names (every table asked again made each Ask's links cost
    as much as its schema: 2,000 tables, session 28)."""
    base = query_name(question)
    taken = set(await permissions.visible_query_names(datasette, actor, database))
    db = permissions.get_database(datasette, database)
    stored = set(await db.table_names()) | set(await db.view_names())
    if any(name == base or name.startswith(base + "-") for name in stored):
        taken |= set(await permissions.visible_tables(datasette, actor, database))
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


class _LiteralDumper(yaml.SafeDumper):
    """Multi-line strings (formatted SQL) as YAML literal blocks, which paste and read as written."""


def _str_representer(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _str_representer)


def canned_query_yaml(database: str, name: str, title: str, sql: str) -> str:
    """The `databases: db: queries:` block that makes this SQL a canned query titled by the question."""
    block = {"databases": {database: {"queries": {name: {"title": title, "sql": sql.strip()}}}}}
    return yaml.dump(block, Dumper=_LiteralDumper, sort_keys=False, allow_unicode=True, width=1000)


async def keep_links(datasette, actor, database: str, question: str, sql: str | None, formatted: str | None) -> dict:
    """`downloads` and `save_query` for an Ask result (both None without SQL)."""
    if not sql:
        return {"downloads": None, "save_query": None}
    may_run_sql = await permissions.can_execute_sql(datasette, actor, database)
    downloads = (
        {kind: sql_page_url(datasette, database, sql, format=kind) for kind in ("csv", "json")} if may_run_sql else None
    )
    name = await free_query_name(datasette, actor, database, question)
    shown_sql = formatted or sql
    if await permissions.can_store_query(datasette, actor, database):
        save = {
            "mode": "store",
            "store_url": datasette.urls.database(database) + "/-/queries/store",
            "query": {"name": name, "title": question, "sql": shown_sql},
            "query_url": datasette.urls.query(database, name),
        }
    else:
        save = {
            "mode": "snippet",
            "file": "datasette.yaml" if DATASETTE_1 else "metadata.yml",
            "name": name,
            "yaml": canned_query_yaml(database, name, question, shown_sql),
        }
    return {"downloads": downloads, "save_query": save}
