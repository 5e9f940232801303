"""A COUNT over the rows of one table pinned to one row by a value no two of its rows share.

`SELECT COUNT(*) FROM reports WHERE title = 'Leror Mine'` for "How many miners worked at Leror Mine?": titles are
unique, so the count is 1 (or 0) whatever the question asks, and the answer then read "There is 1 miner who
worked at Leror Mine." (session 32: every "how many" question of the fictional-reports benchmark in mode auto
that the router sent to SQL; the figure was written in the report's text). The number asked for is then held
by some other column, or written in a text column the query should select for the answer to read.

Whether no two rows share the value's column is asked of the data (one probe through the guarded path,
value_hints.Probe, within the query's time limit), not guessed from names: `COUNT(*) ... WHERE country =
'France'` counts many rows and is left alone. Only the outermost SELECT, over one table and no GROUP BY, is
read, and only for a question that counts something the table's name does not name ("How many miners", not
"How many dogs are called Rex?" of dogs, nor "Is there ...?"). With a table with embeddings the actor sees,
the pipeline answers from the rows' text instead (write_sql.py): a cell is cut at `max_cell_chars`, the
passages read the text whole.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

import sqlglot
from sqlglot import exp

from ...sql.failures import QueryFailed, QueryTimeout
from ...sql.names import quote_name
from ...sql.parsing import parse_one
from .logic_checks.where_parts import column_and_literal, conjuncts
from .name_words import identifier_words, stem
from .value_hints import Probe

# What a question counts: the words after "how many" or "number of" ("How many stone arches does ...").
COUNTED = re.compile(r"\b(?:how\s+many|number\s+of)\s+([a-z]+(?:\s+[a-z]+){0,2})", re.IGNORECASE)


def counts_something_else(question: str, table: str) -> bool:
    """Whether the question asks how many of something the table's name does not name: "How many miners worked at
    Leror Mine?" of reports, not "How many dogs are called Rex?" of dogs (a count of 1 that answers it)."""
    match = COUNTED.search(question)
    if match is None:  # "Is there a report on Leror Mine?": a count of 1 or 0 answers a yes or no
        return False
    named = {stem(word) for word in identifier_words(table)}
    return not any(stem(word) in named for word in match.group(1).lower().split())


def pinned(sql: str, columns: dict[str, Sequence[str]], counted: bool) -> tuple[str, str, str] | None:
    """(table, column, the literal as written) for a SELECT over one table, no GROUP BY, whose WHERE holds `column =
    literal`; with `counted`, only one that counts its rows, else only one that does not."""
    try:
        tree = parse_one(sql)
    except sqlglot.errors.SqlglotError:
        return None
    if not isinstance(tree, exp.Select) or tree.args.get("group") or tree.args.get("joins"):
        return None
    source = tree.args.get("from_")
    table = source.this if source is not None else None
    if not isinstance(table, exp.Table) or table.args.get("db"):
        return None
    names = {name.lower(): name for name in columns}
    name = names.get(table.name.lower())
    if name is None or any(_own_count(count, tree) for count in tree.find_all(exp.Count)) != counted:
        return None
    known = {column.lower(): column for column in columns[name]}
    for condition in conjuncts(tree.args.get("where")):
        pair = column_and_literal(condition) if isinstance(condition, exp.EQ) else None
        if pair is not None and pair[0].name.lower() in known:
            return name, known[pair[0].name.lower()], pair[1].sql(dialect="sqlite")
    return None


def plan(sql: str, columns: dict[str, Sequence[str]]) -> tuple[str, str, str, str] | None:
    """(table, column, the literal as written, the probe's SQL) for a COUNT pinned by `column = literal`, else
    None. The probe returns one row: whether the table has more than one row and no two share the column."""
    found = pinned(sql, columns, counted=True)
    if found is None:
        return None
    name, column, literal = found
    quoted = quote_name(column)
    probe = (
        f"select count(*) > 1 and count({quoted}) = count(*) and count(distinct {quoted}) = count(*) "
        f"from {quote_name(name)}"
    )
    return name, column, literal, probe


def _own_count(count: exp.Count, select: exp.Select) -> bool:
    """A COUNT of this SELECT's own rows (not one inside a subquery or a window)."""
    return count.find_ancestor(exp.Select) is select and count.find_ancestor(exp.Window) is None


async def one_row_count(probe: Probe, sql: str, question: str, columns: dict[str, Sequence[str]]) -> list[str]:
    """A doubt when the query counts the rows of a table whose pinned column no two rows share while the question
    counts something else; empty if not, or if the probe could not tell in time. The query is read off the event
    loop."""
    planned = await asyncio.to_thread(plan, sql, columns)
    if planned is None:
        return []
    table, column, literal, probe_sql = planned
    if not counts_something_else(question, table):
        return []
    try:
        rows = await probe.rows(probe_sql, 1)
    except (QueryFailed, QueryTimeout):
        return []
    if not rows or not rows[0][0]:
        return []
    return [
        f"COUNT counts the rows of {table} whose {column} is {literal}, and no two rows of {table} share a "
        f"{column}: the count is 1 or 0 whatever the question asks. The number asked for is in that row's other "
        f"columns or written in its text: select the row instead, SELECT * FROM {quote_name(table)} WHERE "
        f"{quote_name(column)} = {literal}"
    ]
