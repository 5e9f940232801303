"""Identifiers in SQL text: the one place that quotes a table or column name."""

from __future__ import annotations

import re
import string

# SQLite's keywords (https://sqlite.org/lang_keywords.html): a table called "order" must be quoted.
SQLITE_KEYWORDS = frozenset(
    """
abort action add after all alter always analyze and as asc attach autoincrement before begin between by cascade
case cast check collate column commit conflict constraint create cross current current_date current_time
current_timestamp database default deferrable deferred delete desc detach distinct do drop each else end escape
except exclude exclusive exists explain fail filter first following for foreign from full generated glob group
groups having if ignore immediate in index indexed initially inner insert instead intersect into is isnull join
key last left like limit match materialized natural no not nothing notnull null nulls of offset on or order
others outer over partition plan pragma preceding primary query raise range recursive references regexp reindex
release rename replace restrict returning right rollback row rows savepoint select set table temp temporary then
ties to transaction trigger unbounded union unique update using vacuum values view virtual when where window with
without""".split()
)


_ASCII_FOLD = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def fold(name: str) -> str:
    """A name as SQLite compares names: its ASCII letters in lower case, every other character as it is. SQLite
    ignores case for ASCII letters only, so `Élan` and `élan` are two tables; str.lower() made them one, and an
    asker who may see `Élan` read `élan` (an outside tester, session 23). Every set of table or column names the
    permissions decide holds names folded so."""
    return name.translate(_ASCII_FOLD)


def quote_identifier(name: str) -> str:
    """Always double-quoted, with embedded quotes doubled: safe for any name."""
    return '"' + name.replace('"', '""') + '"'


def quote_name(name: str) -> str:
    """An identifier as SQLite reads it: bare when that is safe (readable in prompts), else double-quoted."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and name.lower() not in SQLITE_KEYWORDS:
        return name
    return quote_identifier(name)
