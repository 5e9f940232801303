"""Foreign keys a database does not declare, found from column names and confirmed by the data.

Many SQLite files link tables without declaring it: Spider's flight_2 stores an airline's `uid` in
`flights.Airline` with no FOREIGN KEY clause. Without the link, a query comparing `flights.Airline` with an
airline's name cannot be mended and a value hint cannot say which JOIN reaches the name. A column is taken to
reference table U's single-column primary key K when

- its name is U's name, singular or plural, with or without an `_id` / `id` ending (`Airline` -> `airlines`), or
  its name is K's own name and K is not a generic one such as `id`; and
- every value among its first SAMPLE_ROWS values (there is at least one; looked for in its first SCAN_ROWS rows) is
  a value of U.K.

The links found serve the checks, mends and hints; the schema shown to the model is left as declared. Probes
go through the guarded path within one time budget; when it runs out, the links found so far are kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ...sql.failures import QueryFailed, QueryTimeout
from ...sql.join_links import Link
from ...sql.names import quote_name
from ..schema_tables import TableSchema
from .value_hints import Probe

GENERIC_KEYS = {"id", "uid", "rowid", "pk", "key", "code", "name"}
MAX_CANDIDATES = 20
# Rows of a column read to confirm a link: its first rows, so what a question costs does not grow with the table and
# a link is found alike on every size. Every question read the whole column, each value looked up in the other
# table: 1.05 s and 1.1 GB read over 400,000 orders, and past the probes' time budget the link was lost (an outside
# tester's data-size oracle, session 42).
SAMPLE_ROWS = 5_000
# ...looked for in this many of its first rows: a column NULL in its first 6,000 rows was no link at all with a
# sample of its first 5,000 rows (a second tester, session 42). About 10 ms of reading here.
SCAN_ROWS = 100_000


async def implicit_links(probe: Probe, tables: Sequence[TableSchema], declared: Sequence[Link]) -> tuple[Link, ...]:
    """Links the data confirms for columns that name another table (or its key) without declaring it."""
    found = []
    try:
        for table, column, other, key in _candidates(tables, declared):
            if await _confirmed(probe, table, column, other, key):
                found.append(Link(table, column, other, key))
    except (QueryFailed, QueryTimeout):
        pass
    return tuple(found)


def _candidates(
    tables: Sequence[TableSchema], declared: Sequence[Link], limit: int = MAX_CANDIDATES
) -> list[tuple[str, str, str, str]]:
    """(table, column, other table, its key) for the first `limit` columns that name another table's key, each with
    the first such table in schema order. The tables are looked up by name, not compared with every column: for
    every column the candidates are (a) the keyed tables whose key has its name and (b) those named by its stem.
    Compared pairwise, every question on a database of 1,000 tables took 12 s of CPU on the event loop (an outside
    tester, session 27); a generic key (`id`) is never a candidate by its name, or every `id` column of 2,000 tables
    without a key was tried against 2,000 tables with one (a second tester: 47 s)."""
    linked = {(link.table.lower(), link.column.lower()) for link in declared}
    keyed = [t for t in tables if not t.is_view and len(t.primary_key) == 1]
    by_key: dict[str, list[int]] = {}
    by_name: dict[str, list[int]] = {}
    for at, other in enumerate(keyed):
        if other.primary_key[0].lower() not in GENERIC_KEYS:  # a column named like a generic key names no table
            by_key.setdefault(other.primary_key[0].lower(), []).append(at)
        by_name.setdefault(_singular(other.name), []).append(at)
    found = []
    for table, column in _unlinked_columns(tables, linked):
        stem = _stem(column)
        options = by_key.get(column.lower(), []) + (by_name.get(_singular(stem), []) if stem else [])
        for at in sorted(set(options)):
            other = keyed[at]
            key = other.primary_key[0]
            if other.name.lower() != table.name.lower() and _names_it(column, other.name, key):
                found.append((table.name, column, other.name, key))
                break
        if len(found) >= limit:
            return found
    return found


def _unlinked_columns(tables: Sequence[TableSchema], linked: set[tuple[str, str]]):
    """(table, column) for each column of a table (not a view) that may reference another table: not a declared
    link (`linked`: lower-case pairs) and not the table's own single-column key."""
    for table in tables:
        if table.is_view:
            continue
        for column in table.columns:
            if (table.name.lower(), column.lower()) not in linked and [column.lower()] != [
                c.lower() for c in table.primary_key
            ]:
                yield table, column


def _names_it(column: str, table: str, key: str) -> bool:
    if column.lower() == key.lower():
        return key.lower() not in GENERIC_KEYS
    stem = _stem(column)
    return bool(stem) and _singular(stem) == _singular(table)


def _stem(column: str) -> str:
    return re.sub(r"_?id$", "", column, flags=re.IGNORECASE)


def _singular(name: str) -> str:
    name = name.lower()
    for plural, single in (("ies", "y"), ("ses", "s"), ("s", "")):
        if name.endswith(plural) and len(name) > len(plural) + 2:
            return name[: -len(plural)] + single
    return name


async def _confirmed(probe: Probe, table: str, column: str, other: str, key: str) -> bool:
    """Whether the column's first SAMPLE_ROWS values (within its first SCAN_ROWS rows) are there, and only values
    of the other table's key (each looked up in its index: the key is a single-column primary key)."""
    t, c, o, k = quote_name(table), quote_name(column), quote_name(other), quote_name(key)
    sample = f"(select v from (select {c} as v from {t} limit {SCAN_ROWS}) where v is not null limit {SAMPLE_ROWS})"
    if not await probe.values(f"select 1 from {sample} limit 1", 1):
        return False
    stray = await probe.values(f"select 1 from {sample} where v not in (select {k} from {o}) limit 1", 1)
    return not stray
