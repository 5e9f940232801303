"""What the guard reads and hands back: SchemaInfo (the tables a query may use), GuardedSQL, Rejection and
its exception, and the nearest real names a rejection suggests."""

from __future__ import annotations

import difflib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from ..errors import SQLRejected
from .join_links import Link
from .names import fold
from .policy import ReadPolicy

# The sqlglot dialect every part of the guard parses with.
DIALECT = "sqlite"

REJECTION_KINDS = (
    "parse_error",
    "multiple_statements",
    "not_select",
    "forbidden_function",
    "forbidden_table",
    "unknown_table",
    "unknown_column",
    "empty",
)

MAX_SUGGESTIONS = 5


@dataclass(frozen=True)
class SchemaInfo:
    """The tables (and views) a query may use: real name -> column names, exact case."""

    tables: dict[str, tuple[str, ...]]
    views: frozenset[str] = field(default_factory=frozenset)
    links: tuple[Link, ...] = ()  # foreign keys, for hints that say how to reach a column's table
    # Indexes and foreign-key targets the actor may see (pragma arguments, INDEXED BY); None: refuse those.
    policy: ReadPolicy | None = None

    @classmethod
    def from_connection(
        cls, conn: sqlite3.Connection, include: Iterable[str] | None = None, policy: ReadPolicy | None = None
    ) -> SchemaInfo:
        """The tables of `include` (every table when None) the read policy lets a query read; pass the policy
        when the caller already has it for those tables."""
        wanted = None if include is None else {fold(name) for name in include}
        rows = conn.execute(
            "select name, type from sqlite_master where type in ('table', 'view') order by name"
        ).fetchall()
        tables: dict[str, tuple[str, ...]] = {}
        views = set()
        if policy is None:
            policy = ReadPolicy.from_connection(
                conn, [name for name, _ in rows if wanted is None or fold(name) in wanted]
            )
        for name, kind in rows:
            if not policy.may_read(name):  # not asked for, or a view that reads a hidden table
                continue
            tables[name] = _columns_of(conn, name)
            if kind == "view":
                views.add(name)
        return cls(tables=tables, views=frozenset(views), policy=policy)

    @cached_property
    def _by_lower(self) -> dict[str, str]:
        return {fold(name): name for name in self.tables}

    def real_name(self, name: str) -> str | None:
        """The table's real name for a case-insensitive match, or None."""
        return self._by_lower.get(fold(name))

    def columns_lower(self, real_name: str) -> frozenset[str]:
        return self._columns_lower[real_name]

    @cached_property
    def _columns_lower(self) -> dict[str, frozenset[str]]:
        return {t: frozenset(fold(c) for c in cols) for t, cols in self.tables.items()}

    def has_rowid(self, real_name: str) -> bool:
        return real_name not in self.views


def _columns_of(conn: sqlite3.Connection, table: str) -> tuple[str, ...]:
    # table_xinfo also lists hidden columns (FTS tables expose the table name and `rank`).
    for function in ("pragma_table_xinfo", "pragma_table_info"):
        try:
            rows = conn.execute(f"select name from {function}(?)", (table,)).fetchall()
        except sqlite3.Error:
            continue
        return tuple(row[0] for row in rows)
    return ()


@dataclass(frozen=True)
class Rejection:
    reason: str
    kind: str
    identifier: str | None = None
    suggestions: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "reason": self.reason,
            "kind": self.kind,
            "identifier": self.identifier,
            "suggestions": list(self.suggestions),
        }


@dataclass(frozen=True)
class GuardedSQL:
    sql: str
    tables: tuple[str, ...]
    limit_added: bool


class SQLRejectedError(SQLRejected):
    """Raised by validate_select; `.rejection` holds the structured reason."""

    def __init__(self, rejection: Rejection):
        super().__init__(
            rejection.reason,
            kind=rejection.kind,
            identifier=rejection.identifier,
            suggestions=list(rejection.suggestions),
        )
        self.rejection = rejection


class _Reject(Exception):
    """Internal: carries a Rejection out of deep helpers."""

    def __init__(self, rejection: Rejection):
        super().__init__(rejection.reason)
        self.rejection = rejection


def _reject(reason: str, kind: str, identifier: str | None = None, suggestions=()) -> _Reject:
    return _Reject(Rejection(reason, kind, identifier, tuple(suggestions)))


def closest_names(name: str, candidates: Iterable[str], n: int = MAX_SUGGESTIONS) -> tuple:
    """Up to n candidates closest to name, compared case-insensitively; real case returned."""
    by_lower: dict[str, str] = {}
    for candidate in candidates:
        by_lower.setdefault(fold(candidate), candidate)
    matches = difflib.get_close_matches(fold(name), list(by_lower), n=n, cutoff=0.6)
    return tuple(by_lower[m] for m in matches)
