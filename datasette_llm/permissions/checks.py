"""May this actor do this? Every question the plugin puts to Datasette's permission system (`_check`), for
both Datasette versions, and the answers that follow from them."""

from __future__ import annotations

import asyncio
import weakref
from contextlib import contextmanager

from ..config import allow_block
from ..errors import NotFound
from .actions import ALLOW_SETTING, LLM_ASK, LLM_TEACH, STORE_QUERY


def _resource_object(resource):
    """None, "db" or ("db", "table") as the Resource object Datasette 1.0 alphas expect."""
    from datasette.resources import DatabaseResource, TableResource

    if resource is None:
        return None
    if isinstance(resource, tuple):
        database, table = resource
        return TableResource(database=database, table=table)
    return DatabaseResource(database=resource)


@contextmanager
def fresh_verdicts():
    """Datasette 1.0 keeps each permission answer for the rest of a request (`_permission_check_cache`); inside
    this, every check is put to it again. A question re-checks mid-way what it was allowed when it began: the kept
    answers said execute-sql, llm-ask and view-database still held after Datasette had revoked them (an outside
    tester, session 44). 0.65 keeps none."""
    try:
        from datasette.permissions import _permission_check_cache
    except ImportError:
        yield
        return
    token = _permission_check_cache.set(None)
    try:
        yield
    finally:
        _permission_check_cache.reset(token)


async def _started(datasette) -> None:
    """Datasette 1.0: make sure the actions are registered. invoke_startup() does it, which serving and
    `datasette.client` run first; a Datasette built by a script or our CLI (ask(), semantic_search()) may not
    have run it yet. Callers at once wait for the one start: the first fills the actions before it has built the
    internal catalog, so a second question went on and failed with "no such table: catalog_views" (an outside
    tester, session 56)."""
    if getattr(datasette, "_startup_invoked", bool(datasette.actions)):
        return
    loop = asyncio.get_running_loop()
    starting = _STARTING.get(datasette)
    if starting is None or starting[0] is not loop or starting[1].done():
        starting = (loop, asyncio.ensure_future(datasette.invoke_startup()))
        _STARTING[datasette] = starting
    await asyncio.shield(starting[1])


_STARTING: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # datasette -> (loop, its invoke_startup())


async def _check(datasette, actor, action: str, resource) -> bool | None:
    """True/False, or None for no opinion (0.65 only). `resource`: None, "db" or ("db", "table")."""
    if not hasattr(datasette, "permission_allowed"):  # 1.0a20+: resource objects, always a verdict
        await _started(datasette)
        return await datasette.allowed(action=action, resource=_resource_object(resource), actor=actor)
    return await datasette.permission_allowed(actor, action, resource=resource, default=None)


async def _allowed(datasette, actor, checks) -> bool:
    """First check with an opinion decides; no opinion at all means allowed (Datasette's default)."""
    for action, resource in checks:
        verdict = await _check(datasette, actor, action, resource)
        if verdict is not None:
            return bool(verdict)
    return True


async def can_view_instance(datasette, actor) -> bool:
    return await _allowed(datasette, actor, [("view-instance", None)])


async def can_view_database(datasette, actor, database: str) -> bool:
    return await _allowed(datasette, actor, [("view-database", database), ("view-instance", None)])


async def can_view_table(datasette, actor, database: str, table: str) -> bool:
    return await _allowed(
        datasette,
        actor,
        [("view-table", (database, table)), ("view-database", database), ("view-instance", None)],
    )


# Datasette's catalog of a database's tables and views (1.0 alphas): the resources its permission SQL decides.
_CATALOG_SQL = (
    "select table_name from catalog_tables where database_name = :datasette_llm_database "
    "union all select view_name from catalog_views where database_name = :datasette_llm_database"
)


async def viewable_tables(datasette, actor, database: str, names: list[str]) -> list[str]:
    """The `names` the actor may view, in order: can_view_table's verdict for each.

    Asked table by table, Datasette 1.0a41 took time quadratic in the tables (each `allowed()` runs a query and
    walks every FTS dependency: 1,000 tables, 500 views and 250 FTS tables cost 11-28 s a question, session
    29). On 1.0 the verdicts of the tables in Datasette's catalog come from one query, built by the function
    behind Datasette's own `allowed_resources_sql` (that method's check of derived tables joins a JSON list to
    every row: 12 s at that size). The tables that check concerns (Datasette's `derived_table_dependencies`:
    FTS tables over another table, shadow tables) and names the catalog does not hold (yet) are asked one by
    one, as before. tests/test_viewable_tables.py compares the two on generated rules, schemas and tokens."""
    batch = await _catalog_verdicts(datasette, actor, database)
    kept = []
    for name in names:
        verdict = None if batch is None else batch.get(name)
        if verdict is None:
            verdict = await can_view_table(datasette, actor, database, name)
        if verdict:
            kept.append(name)
    return kept


async def _catalog_verdicts(datasette, actor, database: str) -> dict[str, bool | None] | None:
    """{name: may view, or None: ask on its own} for the catalog's tables and views of `database`; None on
    Datasette 0.65 or when the 1.0 function is not there."""
    if hasattr(datasette, "permission_allowed") or database not in datasette.databases:
        return None
    try:
        from datasette.resources import TableResource
        from datasette.utils.actions_sql import build_allowed_resources_sql
    except ImportError:
        return None
    await _started(datasette)
    sql, params = await build_allowed_resources_sql(datasette, actor, "view-table", parent=database)
    query = (
        f"with catalog(name) as ({_CATALOG_SQL}), allowed as ({sql}) "
        "select name, name in (select child from allowed where parent = :datasette_llm_database) from catalog"
    )
    params = {**params, "datasette_llm_database": database}
    rows = await datasette.get_internal_database().execute_fn(lambda conn: conn.execute(query, params).fetchall())
    derived = {
        TableResource.normalize_child(t) for t in await datasette.databases[database].derived_table_dependencies()
    }
    return {name: None if TableResource.normalize_child(name) in derived else bool(allowed) for name, allowed in rows}


async def visible_fts_table(datasette, actor, database: str, table: str) -> str | None:
    """The full-text index of `table` (Datasette's db.fts_table), if the actor may view that index too: a denied
    FTS table over a visible table answered keyword searches word by word, its words for rows the visible table
    does not hold included (an outside tester, session 19)."""
    fts = await get_database(datasette, database).fts_table(table)
    if fts and await can_view_table(datasette, actor, database, fts):
        return fts
    return None


async def can_execute_sql(datasette, actor, database: str) -> bool:
    if not await can_view_database(datasette, actor, database):
        return False
    verdict = await _check(datasette, actor, "execute-sql", database)
    return verdict is not False


async def can_store_query(datasette, actor, database: str) -> bool:
    """May the actor save a stored query in this database through Datasette's API (keep.py)?

    Only Datasette 1.0 alphas that register the `store-query` action have stored queries (0.65 has canned
    queries in metadata only); storing also needs execute-sql, as Datasette's own store view checks.
    """
    if hasattr(datasette, "permission_allowed"):
        return False
    await _started(datasette)
    if STORE_QUERY not in datasette.actions:
        return False
    return await can_execute_sql(datasette, actor, database) and bool(
        await _check(datasette, actor, STORE_QUERY, database)
    )


async def can_ask(datasette, actor, database: str) -> bool:
    """llm-ask decides when a rule has an opinion; without one, asking follows execute-sql."""
    if not await can_view_database(datasette, actor, database):
        return False
    if not hasattr(datasette, "permission_allowed"):  # 1.0a20+: `allowed` has no "no opinion"
        setting = allow_verdict(datasette, LLM_ASK, actor, database)
        if setting is not None:  # allow_ask: our rules (with API-token restrictions)
            return setting and bool(await _check(datasette, actor, LLM_ASK, database))
        ruled = await _llm_ask_ruled(datasette, actor, database)
        if ruled is None:  # no explanation (alphas before it): a rule is seen only when it allows
            ruled = bool(await _check(datasette, actor, LLM_ASK, database)) and not _root_default(
                datasette, actor, database
            )
        if ruled:  # `permissions:` blocks, another plugin's rules: Datasette's verdict, a denial too
            return bool(await _check(datasette, actor, LLM_ASK, database))
        return await can_execute_sql(datasette, actor, database)
    verdict = await _check(datasette, actor, LLM_ASK, database)
    if verdict is not None:
        return bool(verdict)
    return await can_execute_sql(datasette, actor, database)


async def _llm_ask_ruled(datasette, actor, database: str) -> bool | None:
    """Datasette 1.0: whether any rule but root's grant of every action speaks of llm-ask on `database`, from
    Datasette's explanation of its own verdict (None where this alpha has none). `allowed()` alone cannot tell
    a denial from no rule: an explicit denial of llm-ask (another plugin's rule, or a `permissions: llm-ask:`
    block naming someone else) fell through to execute-sql, and the actor asked anyway (an outside tester's
    third-party permission plugins, session 44; 0.65 refused them)."""
    try:
        from datasette.utils.actions_sql import explain_permission_for_resource
    except ImportError:
        return None
    await _started(datasette)
    try:
        explanation = await explain_permission_for_resource(
            datasette=datasette, actor=actor, action=LLM_ASK, parent=database, child=None
        )
        rules = explanation["matched_rules"]
    except (KeyError, TypeError):  # an unstable debugging API: its shape may change between alphas
        return None
    root = getattr(datasette, "root_enabled", False) and isinstance(actor, dict) and actor.get("id") == "root"
    return any(not (root and rule.get("scope") == "global" and rule.get("reason") == "root user") for rule in rules)


def _root_default(datasette, actor, database: str) -> bool:
    """Whether Datasette 1.0 grants llm-ask to this actor only as the `--root` user, who gets every action: a
    default, not a rule, so asking follows execute-sql for root as for anyone (root asked where Datasette refused
    it SQL, on 1.0 only: an outside tester's differential of the two versions, session 37). A `permissions:
    llm-ask:` block, for the instance or this database, is a rule."""
    if not getattr(datasette, "root_enabled", False) or not isinstance(actor, dict) or actor.get("id") != "root":
        return False
    config = getattr(datasette, "config", None) or {}
    database_config = (config.get("databases") or {}).get(database) or {}
    return not any(LLM_ASK in (block.get("permissions") or {}) for block in (config, database_config))


async def can_teach(datasette, actor, database: str) -> bool:
    """llm-teach: only a rule grants it (allow_teach; on 1.0 also `permissions:` blocks and root), never a default."""
    if not await can_view_database(datasette, actor, database):
        return False
    if allow_verdict(datasette, LLM_TEACH, actor, database) is False:
        return False
    return bool(await _check(datasette, actor, LLM_TEACH, database))


def allow_verdict(datasette, action: str, actor, database: str) -> bool | None:
    """What the action's allow setting (`allow_ask`, `allow_teach`) says about this actor and database (None:
    no setting)."""
    block = allow_block(datasette, ALLOW_SETTING[action], database)
    if block is None:
        return None
    from datasette.utils import actor_matches_allow

    return bool(actor_matches_allow(actor, block))


def get_database(datasette, database: str):
    """The Database object, or a 404 naming no other database (callers with an actor check views first)."""
    try:
        return datasette.get_database(database)
    except KeyError:
        raise NotFound(f"Database {database!r} does not exist.") from None


async def visible_databases(datasette, actor) -> list[str]:
    names = []
    for name in datasette.databases:
        if name != "_internal" and await can_view_database(datasette, actor, name):
            names.append(name)
    return names


async def can_view_query(datasette, actor, database: str, name: str) -> bool:
    return await _allowed(
        datasette,
        actor,
        [("view-query", (database, name)), ("view-database", database), ("view-instance", None)],
    )
