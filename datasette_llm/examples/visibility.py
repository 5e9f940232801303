"""Who is shown a trusted example or a piece of feedback: the permission side of the examples, in one place.

An entry keeps the tables its SQL reads (`reads`, found by the guard against the tables its author may see) and the
names its text mentions (`names`, mentions.py). A listing shows a viewer only the entries whose SQL reads tables
they may see and whose text mentions only names they may see (`shown_to`), or everything to a viewer who may see
every table; an asker's prompt takes only the examples `AskerView` lets through. What an actor may see is read at
the schema version the permissions were decided at (permissions.read_visible).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import permissions
from ..config import settings_for
from ..json_text import stored_text
from ..sql.authorizer import read_policy
from ..sql.guard import check_select
from ..sql.names import fold
from ..sql.policy import shadow_table_names, sqlite_internal
from ..sql.results import GuardedSQL, SchemaInfo
from .mentions import json_names, mentioned, names_within, schema_names
from .store import actor_key


def actor_id(actor) -> str | None:
    """The actor's id as text (what `added_by` and a feedback's `actor` keep), or None."""
    return stored_text(str(actor["id"])) if isinstance(actor, dict) and actor.get("id") is not None else None


def readable_by(reads: str | None, visible: frozenset[str]) -> bool:
    """Whether a stored query reads only tables in `visible` (lower-case names); False when it was refused."""
    return bool(reads) and json_names(reads) <= visible


class AskerView:
    """Whether an example (a trusted example or a canned query) may go into an asker's prompt and result: the
    one place that decides it (ask/few_shot.py asks). `schema` holds the tables the asker may see, `allowed`
    their names."""

    def __init__(self, schema: SchemaInfo, allowed: set[str]):
        self.schema = schema
        self.allowed = allowed
        self.names = schema_names(schema)
        self.tables = frozenset(fold(table) for table in allowed)

    def may_mention(self, names: str | None, reads: str | None) -> bool:
        """Set lookups first, before any guard: every name the example's text mentions, and every table its SQL
        read when it was stored, is one the asker may see (None: not recorded, as for canned queries, which
        the guard alone decides). A table hidden from the asker but named like a column they may see passes
        the names and is caught by `reads` (an outside tester's 200 such examples took every guard check and
        pushed a visible one out; session 20)."""
        if names is not None and not names_within(names, self.names):
            return False
        return reads is None or readable_by(reads, self.tables)

    def passes_guard(self, sql: str) -> bool:
        """The SQL guard accepts the example's SQL against the asker's tables (a hidden table is an unknown one)."""
        return isinstance(check_select(sql, self.schema, allowed_tables=self.allowed), GuardedSQL)


async def actor_schemas(datasette, actor, database: str) -> tuple[set[str], SchemaInfo, SchemaInfo]:
    """(the tables `actor` may see, the guard's schema of them, the whole database's schema)."""
    return (await _actor_read(datasette, actor, database))[1]


async def _actor_read(datasette, actor, database: str):
    """(VisibleTables, (allowed, visible schema, full schema, every table and view name)), read at the schema
    version the permissions were decided at (permissions.read_visible)."""
    db = await permissions.require_view_database(datasette, actor, database)

    def read(conn, snapshot):
        allowed = set(snapshot.names)
        visible = SchemaInfo.from_connection(conn, include=allowed, policy=read_policy(conn, db, allowed))
        every = [row[0] for row in conn.execute("select name from sqlite_master where type in ('table', 'view')")]
        return allowed, visible, SchemaInfo.from_connection(conn), every, shadow_table_names(conn)

    snapshot, (allowed, visible, full, every, shadows) = await permissions.read_visible(
        datasette, actor, database, read, table_prefix=settings_for(datasette).table_prefix
    )
    return snapshot, (allowed, visible, full), every, shadows


ANONYMOUS = actor_key(None)  # every anonymous visitor's author key: no one in particular


@dataclass(frozen=True)
class Viewer:
    """What one actor may see of a database, for listings and prompts: `visible` and `hidden` tables and views
    (lower case; `hidden` also holds SQLite's own and FTS shadow tables), the table and column `names` they may
    see, and whether permissions hide none of its tables."""

    visible: frozenset[str]
    hidden: frozenset[str]
    names: frozenset[str]
    existing: frozenset[str]  # every table, view and column name of the database now
    sees_all: bool
    actor_id: str | None = None
    author: str | None = None  # store.actor_key() of the actor
    restricted: bool = False  # a Datasette 1.0 API token restricted to some actions or resources (`_r`)


async def viewer_tables(datasette, actor, database: str) -> Viewer:
    """The tables and views of the database `actor` may and may not see."""
    snapshot, (allowed, visible_schema, full), every, shadows = await _actor_read(datasette, actor, database)
    visible = frozenset(fold(name) for name in allowed)
    listable = {fold(name) for name in snapshot.listed}
    hidden = frozenset(fold(name) for name in every) - visible
    restricted = isinstance(actor, dict) and "_r" in actor
    sees_all = listable <= visible and await _may_view_the_unlisted(
        datasette, actor, database, [name for name in every if fold(name) not in shadows], snapshot.listed
    )
    return Viewer(
        visible,
        hidden,
        schema_names(visible_schema),
        schema_names(full),
        sees_all,
        actor_id(actor),
        actor_key(actor),
        restricted,
    )


async def _may_view_the_unlisted(datasette, actor, database: str, every, listed) -> bool:
    """Whether Datasette lets the actor view every table and view no listing shows (those hidden in the
    configuration, FTS tables, this plugin's own; not SQLite's, nor shadow tables, which Datasette 1.0 shows no
    one). No Ask surface reads them, so an entry whose SQL reads one is refused for everyone, and only an actor
    who may see all may be shown it: a teacher denied a table that was also `hidden: true` counted as seeing all
    and was shown an admin's feedback on it, its SQL and comment (an outside tester, session 36)."""
    unlisted = [name for name in every if name not in listed and not sqlite_internal(name)]
    return len(await permissions.viewable_tables(datasette, actor, database, unlisted)) == len(unlisted)


def shown_to(entry, viewer: Viewer) -> bool:
    """Whether a listing shows this example or feedback to this viewer: its SQL reads only tables they may see
    (or it has none), and its text mentions only names they may see.

    An example is always shown to the actor who added it (not through a token they restricted: it may not have
    been allowed to see it; an outside tester, session 18): it holds only what they wrote, and whether it was
    shown to them must not depend on what is hidden from them (their example naming a column dropped since
    showed when no hidden table had a column of that name and not when one had: session 22's tester). To anyone
    else, an entry that reads or mentions a table or column dropped since is not shown: whether they could see
    what was dropped is not known any more (an outside tester dropped the only hidden tables, and every teacher
    then "saw all" and read an admin's examples of them; session 17)."""
    author = getattr(entry, "author_key", None)  # feedback has none; the command line's is no actor's
    # An actor without an id is the whole actor, as Datasette tells actors apart ({"role": "teacher"} was not shown
    # its own example once a column it read was dropped: an outside tester, session 55); anonymous is no one's.
    if viewer.author not in (None, ANONYMOUS) and not viewer.restricted and author == viewer.author:
        return True
    if mentioned(entry) - viewer.existing:
        return False
    if viewer.sees_all:
        return True
    if entry.sql is not None and not readable_by(entry.reads, viewer.visible):
        return False
    return names_within(entry.names, viewer.names)
