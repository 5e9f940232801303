"""A query that measures or slices the text of a table with embeddings instead of reading what it says.

"How long is Fenestine Bridge?" over a table of reports was written `SELECT LENGTH(report) FROM reports WHERE
title = 'Fenestine Bridge'` and answered "The Kuoriine Bridge is 496 meters long." (the report's characters), and
"In which year was Caulustine Lighthouse first lit?" as `substr(report, 1, 4)` (session 32: 5 of the 7 wrong
answers left of the fictional reports in mode auto). The rows' text says it: the pipeline answers from the text
instead (write_sql.py), only for columns of a table with embeddings the asker sees, and never when SQL was forced
or the question is about the text itself (its characters or letters). No Spider dev gold query uses LENGTH,
SUBSTR or INSTR.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

import sqlglot
from sqlglot import exp

from ...sql.join_links import column_table
from ...sql.parsing import parse_one

MEASURES = (exp.Length, exp.Substring, exp.StrPosition)
ABOUT_THE_TEXT = re.compile(r"\b(characters?|chars?|letters?|digits?|substring|prefix|suffix)\b", re.IGNORECASE)


def measured_text(sql: str, question: str, columns: dict[str, Sequence[str]], embedded: Collection[str]) -> str | None:
    """`LENGTH(report)` (as written) when the outermost SELECT shows a measure or slice of a column of a table in
    `embedded`, and the question is not about characters; else None."""
    if not embedded or ABOUT_THE_TEXT.search(question):
        return None
    try:
        tree = parse_one(sql)
    except sqlglot.errors.SqlglotError:
        return None
    if not isinstance(tree, exp.Select):
        return None
    tables = {name.lower() for name in embedded}
    for projection in tree.expressions:
        for measure in projection.find_all(*MEASURES):
            if measure.find_ancestor(exp.Select) is not tree:
                continue
            for column in measure.find_all(exp.Column):
                table = column_table(column, columns)
                if table and table.lower() in tables:
                    return measure.sql(dialect="sqlite")
    return None
