"""The canned (0.65) or stored (1.0 alphas) queries an actor may see: read as trusted examples."""

from __future__ import annotations

import re

from ..json_text import is_text
from .checks import _started, can_view_query

# A named parameter of a canned query (`:name`); one inside a string literal counts too (the query is skipped).
_QUERY_PARAMETER = re.compile(r"(?<![:\w]):[A-Za-z_]\w*")


# Canned queries read as examples: more than this many are not read (a question needs a handful).
MAX_CANNED_QUERIES = 200


async def visible_canned_queries(datasette, actor, database: str) -> list[dict]:
    """The read-only canned (0.65) or stored (1.0 alphas) queries of the database the actor may view, without
    parameters: dicts of name, question (title or name, with the description) and sql."""
    found = []
    if hasattr(datasette, "list_queries"):  # 1.0 alphas: Datasette filters by view-query itself
        await _started(datasette)
        # Trusted ones only (the configuration's): anyone allowed `store-query` may store a query, and it would
        # become an example in every asker's prompt (an outside tester, session 20: 200 stored queries took every
        # kept place, and their descriptions reached the admin's prompt). Untrusted ones never take places either.
        page = await datasette.list_queries(
            database, actor=actor, is_write=False, is_trusted=True, limit=MAX_CANNED_QUERIES
        )
        found = [(q.name, q.title, q.description, q.sql) for q in page.queries if q.is_trusted]
    else:
        queries = await datasette.get_canned_queries(database, actor)
        for name, query in queries.items():  # the first MAX_CANNED_QUERIES *visible* ones, as 1.0 lists them: cut
            if len(found) >= MAX_CANNED_QUERIES:  # before the check, hidden queries took visible ones' places
                break  # (an outside tester: 201 hidden ones dropped a public one from every prompt; session 20)
            if query.get("write") or not await can_view_query(datasette, actor, database, name):
                continue
            found.append((name, query.get("title"), query.get("description"), query.get("sql") or ""))
    queries = []
    for name, title, description, sql in found:
        if not sql.strip() or _QUERY_PARAMETER.search(sql) or not is_text(sql):
            continue  # a query with :parameters answers no question as it stands
        question = (title or name.replace("_", " ").replace("-", " ")).strip()
        if description:
            question = f"{question} ({description.strip()})"
        # A lone surrogate (a configuration can hold "\ud800") cannot be sent to a model: it failed every question
        # of the database while embedding the query's title (an outside tester, session 35).
        queries.append({"name": name, "question": question.encode("utf-8", "replace").decode("utf-8"), "sql": sql})
    return queries


async def visible_query_names(datasette, actor, database: str) -> set[str]:
    """The names of every canned (0.65) or stored (1.0 alphas) query of the database the actor may view."""
    if hasattr(datasette, "list_queries"):
        await _started(datasette)
        page = await datasette.list_queries(database, actor=actor, limit=MAX_CANNED_QUERIES)
        return {q.name for q in page.queries}
    queries = await datasette.get_canned_queries(database, actor)
    return {name for name in queries if await can_view_query(datasette, actor, database, name)}
