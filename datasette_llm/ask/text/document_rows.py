"""A question about one row of a table that holds nothing but its text goes to the text at once.

Over a table of reports (`id`, `title`, `report`), "How many miners worked at Leror Mine?" and "Who designed
Lurow Bridge?" are facts written in one report: no column holds them. The router's words send them to SQL (a
count, a date, no cue at all), the model writes queries that cannot answer (a column `designer`, COUNT(*) of the
one report), and the pipeline comes back to the text after one to three model calls (session 32: p50 5.3 s in
mode auto against 3.1 s in mode text). When the question names one row outright, the search ranks that row first
too (the row an answer from text then reads alone), and every value of its table besides the keys is text that
is not a number or a date, the question goes to the text before any SQL is written. Not when it counts what the
table's name names ("How many reports mention Leror Mine?": a count of rows answers it), nor when it ranks,
aggregates, groups or filters (a query over every row answers those).
"""

from __future__ import annotations

import re

from ..repairs.one_row_count import COUNTED, counts_something_else

ONE_ROW_CUES = frozenset({"counts", "dates", "ordering by date"})  # route.SQL_CUES a fact of one row may carry
FIGURE = re.compile(r"^[\s\d.,:/+-]*$")  # a number or a date written as text is no text to read


def text_only(table) -> bool:
    """Whether every value the table's example rows show, keys aside, is text that is not a number or a date
    (ask/schema.TableSchema; a table without example rows is not known to be)."""
    if not table.example_rows or table.is_view:
        return False
    keys = set(table.primary_key) or {"rowid"}
    positions = [i for i, column in enumerate(table.columns) if column not in keys]
    if not positions:
        return False
    for row in table.example_rows:
        for i in positions:
            value = row[i] if i < len(row) else None
            if value is not None and (not isinstance(value, str) or FIGURE.match(value)):
                return False
    return True


def may_be_one_rows_fact(question: str, sql_cues, table: str) -> bool:
    """Whether the question's cues allow a fact of one row of `table`: no cue beyond a count or a date, and a
    count of something the table's name does not name."""
    if set(sql_cues) - ONE_ROW_CUES:
        return False
    return COUNTED.search(question) is None or counts_something_else(question, table)
