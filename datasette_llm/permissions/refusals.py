"""The 403s and 404s of every surface: each names what the actor may not do, and a database or table the actor
may not see gets the same words as one that does not exist."""

from __future__ import annotations

from ..errors import Busy, Forbidden, NotFound
from .actions import LLM_TEACH
from .checks import (
    can_ask,
    can_execute_sql,
    can_teach,
    can_view_instance,
    can_view_table,
    fresh_verdicts,
    visible_databases,
)
from .tables import visible_tables


async def require_view_instance(datasette, actor) -> None:
    """403 for the instance-wide surfaces (the Ask index, search across databases, the manifest, OpenAPI, the
    schema listing) when the actor may not view the instance, as Datasette's own `/` is: they answered 200 with
    nothing in them (an outside tester, session 26). MCP's tools act per database, as the query API does."""
    if not await can_view_instance(datasette, actor):
        raise Forbidden("You do not have permission to view this Datasette instance.")


async def require_view_database(datasette, actor, database: str):
    """The Database, or the same 404 whether it is missing or hidden from the actor."""
    visible = await visible_databases(datasette, actor)
    if database not in visible:
        raise database_not_found(database, visible)
    return datasette.get_database(database)


async def require_execute_sql(datasette, actor, database: str):
    """The Database, after checking the actor may view it (404) and run SQL against it (403)."""
    db = await require_view_database(datasette, actor, database)
    if not await can_execute_sql(datasette, actor, database):
        raise Forbidden(f"You do not have permission to run SQL against the database {database!r}.")
    return db


class PermissionsChanged(Busy):
    code = "permissions_changed"

    def __init__(self, database: str):
        super().__init__(
            f"What you may see of the database {database!r} changed while your question was answered; ask again.",
            retry_after=1,
        )


async def require_still_allowed(datasette, actor, database: str, tables: set[str], *, table_prefix: str = "") -> None:
    """PermissionsChanged unless the actor may still ask and see every one of `tables`, decided before a model
    wrote (which may take minutes): a table Datasette refused meanwhile was still read, its rows shown and sent to
    the model, and the prompts that followed still held its schema (an outside tester's permission plugin revoking
    a table during a question, session 44)."""
    with fresh_verdicts():
        gone = tables - set(await visible_tables(datasette, actor, database, table_prefix=table_prefix))
        if gone:  # refused, or dropped, renamed or broken (a view over a dropped table): those fail as before
            db = datasette.get_database(database)
            for name in gone & (set(await db.table_names()) | set(await db.view_names())):
                if not await can_view_table(datasette, actor, database, name):
                    raise PermissionsChanged(database)
        if not await can_ask(datasette, actor, database):
            raise PermissionsChanged(database)


async def require_ask(datasette, actor, database: str):
    """The Database, after checking the actor may view it (404) and ask about it (403), and that the `databases`
    setting lets Ask answer there (404). Every surface of Ask and the pipeline itself ask here: the setting was
    checked by each surface, and a surface that forgot it would have run the model on a database Ask is not
    enabled for (an outside tester's mutation run, session 48)."""
    from ..config import settings_for

    db = await require_view_database(datasette, actor, database)
    if not await can_ask(datasette, actor, database):
        raise Forbidden(f"You do not have permission to ask questions of the database {database!r}.")
    if not settings_for(datasette).enabled_for(database):
        raise NotFound(f"Ask is not enabled for the database {database!r}.")
    return db


async def require_teach(datasette, actor, database: str):
    """The Database, after checking the actor may view it (404) and teach it (403)."""
    db = await require_view_database(datasette, actor, database)
    if not await can_teach(datasette, actor, database):
        raise Forbidden(
            f"You do not have permission to manage the trusted examples of the database {database!r} "
            f"(the {LLM_TEACH} permission)."
        )
    return db


async def require_view_table(datasette, actor, database: str, table: str):
    """The database, if `table` is one of the tables the plugin shows the actor (visible_tables); else NotFound,
    the same for a table that does not exist. A hidden table (FTS shadow tables among them) is one the plugin never
    shows, so it is not found either: on Datasette 0.65 the shadow tables of a denied FTS table pass view-table,
    and the search and Ask pages told them from names that exist nowhere (an outside tester, session 19); a view of
    a denied table passes it too, and was "does not exist (or you may not view it)" where a name that exists
    nowhere listed the tables (an outside tester, session 33)."""
    from ..config import settings_for

    db = await require_view_database(datasette, actor, database)
    shown = await visible_tables(datasette, actor, database, table_prefix=settings_for(datasette).table_prefix)
    if table not in shown:
        raise table_not_found(database, table, shown)
    return db


# A 404 names what the actor may use, but not without end: 160 tables of 1,000-character names made a 321 KB answer
# for any misspelt name, and MCP's 642 KB where its answers keep to 20,000 characters (an outside tester, session
# 59). The first names are listed in order within these bounds and the rest counted; the name asked for is echoed
# cut too.
LISTED_NAMES = 50
LISTED_CHARS = 2_000
ECHOED_CHARS = 200


def _listed(names: list[str]) -> tuple[list[str], int]:
    """(the first names within LISTED_NAMES and LISTED_CHARS characters, how many more there are). A first name
    longer than that is counted too: listed whole, one table named with 300,000 characters made every 404 of its
    database 600,000 characters long (an outside tester, session 60)."""
    listed, room = [], LISTED_CHARS
    for name in names[:LISTED_NAMES]:
        room -= len(name) + 2
        if room < 0:
            break
        listed.append(name)
    return listed, len(names) - len(listed)


def _echoed(name) -> str:
    text = name if isinstance(name, str) else str(name)
    return repr(text if len(text) <= ECHOED_CHARS else text[:ECHOED_CHARS] + "…")


def _listing(kind: str, names: list[str]) -> tuple[str, list[str], int]:
    listed, more = _listed(names)
    text = ", ".join(listed) or ("" if more else "none")
    return f"{kind}:{' ' if text else ''}{text}" + (f" (and {more:,} more)" if more else ""), listed, more


def table_not_found(database: str, table: str, shown) -> NotFound:
    """The one answer to a table the actor may not see or that does not exist: the same words for both, with the
    tables the actor may see (`shown`: the first ones, the rest counted in `tables_left_out`). Every surface that
    takes a table's name says it so."""
    text, listed, more = _listing("Tables", list(shown))
    details = {"tables": listed, **({"tables_left_out": more} if more else {})}
    return NotFound(f"Table {_echoed(table)} does not exist in {database!r}. {text}.", **details)


def database_not_found(database, visible: list[str]) -> NotFound:
    """The one 404 for a database that is missing or hidden: it lists only what the actor may view (the first ones,
    the rest counted in `databases_left_out`)."""
    text, listed, more = _listing("Databases", list(visible))
    details = {"databases": listed, **({"databases_left_out": more} if more else {})}
    return NotFound(f"Database {_echoed(database)} does not exist. {text}.", **details)
