"""Values the question never mentions: `WHERE paragraph_text LIKE 'Korea%'` for "the document id with 1 to 2
paragraphs".

Small models copy values from the example rows into conditions the question did not ask for. Such a query
runs and answers a narrower question, so the result looks plausible and is wrong. A string literal compared
with a column (=, IN, LIKE) is taken as asked for when the question spells it (apart from case, spaces and
punctuation, or word by word: 'spring 2010' in "in the spring of 2010"), or when a row that holds it also
holds a value the question spells (for a foreign key, the row it references): `SourceAirport = 'APG'` for
"flights from Aberdeen" is the Aberdeen airport's code, `Abbreviation = 'UAL'` for "United Airlines" that
airline's. Anything else is shown with the result as a warning. It is not sent back to the model: on Spider
that fixed none of 9 such queries and made the model drop a right `Country = 'France'` for "French singers"
(a demonym is not recognised as the country's name). Probes go through the guarded path (value_hints.Probe).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

import sqlglot

from ...sql.failures import QueryFailed, QueryTimeout
from ...sql.join_links import Link, column_table
from ...sql.names import quote_name
from ...sql.parsing import parse_one
from .value_hints import Probe, spelling_key, sql_literal, string_comparisons

MAX_VALUES = 6
ROWS_PER_VALUE = 3
MIN_CELL_KEY = 4  # shorter cells ("a", "yes") say nothing about what the question names


async def unasked_values(
    probe: Probe,
    sql: str,
    question: str,
    columns: dict[str, Sequence[str]],
    links: Sequence[Link] = (),
    offered: Collection[str] = (),
) -> list[str]:
    """Doubts for string literals the question neither spells nor reaches through their rows; empty if none.
    `offered` values count as asked for (the stored spellings a value hint gave for the question's words),
    unless the same column is also compared with a value the question spells."""
    try:
        tree = parse_one(sql)
    except sqlglot.errors.SqlglotError:
        return []
    comparisons = list(string_comparisons(tree))[:MAX_VALUES]
    # A column compared with a value the question spells takes no other offered value on trust: the model that
    # was shown 'amc hornet', 'amc rebel sst', ... for "amc hornet sportabout (sw)" must not OR them all in.
    spelt = {column.sql().lower() for column, literal in comparisons if spelt_in(literal.this, question)}
    unasked = []
    try:
        for column, literal in comparisons:
            text = literal.this
            if spelt_in(text, question) or (text in offered and column.sql().lower() not in spelt):
                continue
            table = column_table(column, columns)
            if table is None or await _row_mentioned(probe, table, column.name, literal, question, links):
                continue
            unasked.append(sql_literal(text))
    except (QueryFailed, QueryTimeout):
        return []
    if not unasked:
        return []
    values = " and ".join(dict.fromkeys(unasked))
    return [f"the question does not mention {values}: a condition it does not ask for answers a narrower question"]


def spelt_in(literal: str, question: str) -> bool:
    """Whether the question spells the value: whole (apart from case, spaces and punctuation), or each of its
    words (by their first four letters: 'enrolled' for 'enrolment')."""
    core = literal.strip("%_ ")
    if not core or spelling_key(core) in spelling_key(question):
        return True
    asked = {word[:4] for word in re.findall(r"[a-z0-9]+", question.lower())}
    words = re.findall(r"[a-z0-9]+", core.lower())
    return bool(words) and all(word[:4] in asked for word in words)


async def _row_mentioned(probe: Probe, table: str, column: str, literal, question: str, links: Sequence[Link]) -> bool:
    """Whether a row holding the value (or, for a foreign key, the row it references) also holds a value the
    question spells: the value was looked up, like an airport's code for its city."""
    like = literal.parent is not None and literal.parent.key == "like"
    places = [(table, column)] + [
        (link.other, link.other_column)
        for link in links
        if link.table.lower() == table.lower() and link.column.lower() == column.lower()
    ]
    asked = spelling_key(question)
    for place, key_column in places:
        held = quote_name(key_column)  # padding and case aside: flight_2 stores ' APG' beside 'APG'
        condition = (
            f"{held} like {sql_literal(literal.this)}"
            if like
            else f"lower(trim(cast({held} as text))) = lower(trim({sql_literal(literal.this)}))"
        )
        rows = await probe.rows(
            f"select * from {quote_name(place)} where {condition} limit {ROWS_PER_VALUE}", ROWS_PER_VALUE
        )
        if any(
            len(key := spelling_key(cell)) >= MIN_CELL_KEY and key in asked
            for row in rows
            for cell in row
            if isinstance(cell, str)
        ):
            return True
    return False
