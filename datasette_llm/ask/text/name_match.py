"""Rows that a question names outright: "What is Datasette Lite?" names the row whose name is
`datasette-lite`, whatever the vector and keyword rankings think of a short question.

Names are compared normalised (case, and `-`, `_`, `/`, `.` and spaces all alike), against the table's label
column (Datasette's choice: `name`, `title`, ...) and a single primary key, text values only (a number in a
question is not a name). When one matched name lies
inside a longer one ("datasette" inside "datasette lite"), only the longer counts.
"""

from __future__ import annotations

import re
import sqlite3

from ...sql.execute import read_as_actor
from ...sql.failures import QueryFailed, QueryTimeout
from ...sql.names import quote_name

MAX_WORDS = 5  # longest name looked for, in words
MIN_CHARS = 3
# Words that are names of nothing on their own, so a row called "What" or "The" is not "named".
STOP = frozenset(
    "a an and are can do does for how i in is it me of on or the to was what when where which who why "
    "with you about tell explain".split()
)
# Words a question that asks about nothing but the thing it names may carry besides its name: "What is X?", "What
# does X do?", "What is X used for?", "Tell me about X". Any other word ("Which plugin shows a map in datasette?")
# asks something of its own.
ABOUT_ONLY = STOP | frozenset("describe describes mean means please purpose summarise summarize use used uses".split())


def normalise(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text.lower()))


def question_phrases(question: str) -> dict[str, tuple[int, int]]:
    """Every run of 1..MAX_WORDS words of the question, normalised, with its (start, end) word span."""
    words = normalise(question).split()
    phrases: dict[str, tuple[int, int]] = {}
    for start in range(len(words)):
        for end in range(start + 1, min(len(words), start + MAX_WORDS) + 1):
            span = words[start:end]
            phrase = " ".join(span)
            if len(phrase) >= MIN_CHARS and not all(word in STOP for word in span):
                phrases.setdefault(phrase, (start, end))
    return phrases


def longest_only(matches: dict[str, tuple[int, int]]) -> list[str]:
    """Matched phrases, longest first, without those whose span lies inside a longer match."""
    ordered = sorted(matches, key=lambda phrase: -(matches[phrase][1] - matches[phrase][0]))
    kept: list[str] = []
    for phrase in ordered:
        start, end = matches[phrase]
        if not any(matches[k][0] <= start and end <= matches[k][1] for k in kept):
            kept.append(phrase)
    return kept


def _normalised_sql(column: str) -> str:
    expression = f"lower({quote_name(column)})"
    for separator in ("-", "_", "/", "."):
        expression = f"replace({expression}, '{separator}', ' ')"
    return expression


def asks_only_about(question: str, span: tuple[int, int]) -> bool:
    """Whether the question's words outside the name at word `span` (question_phrases' numbering) are all
    ABOUT_ONLY words: the question asks what the named thing is, not something of its own."""
    words = normalise(question).split()
    return all(word in ABOUT_ONLY for word in words[: span[0]] + words[span[1] :])


async def named_spans(
    db, table: str, question: str, *, allowed: set[str], time_limit_ms: int, limit: int = 2
) -> list[tuple[tuple, tuple[int, int]]]:
    """(primary-key tuple, word span of the name in the question) of rows of `table` whose name the question
    contains, the longest names first; read as the actor (`allowed`, sql/execute.read_as_actor). None found when
    they cannot be read in `time_limit_ms` (a question's named rows only come first among the hits: the search
    still ranks them; a 30,000-row table past a 20 ms limit made every answer from text a 500, an outside tester,
    session 33)."""
    phrases = question_phrases(question)
    if not phrases:
        return []
    if table in await db.view_names():
        # No key names a view's row (its rowid reads NULL), and Datasette 1.0a41's label_column_for_table fails on
        # one: every answer from text over an embedded view was a 500 (an outside tester, session 33).
        return []
    pks = await db.primary_keys(table) or ["rowid"]
    columns = []
    try:
        label = await db.label_column_for_table(table)
    except (AttributeError, sqlite3.Error):  # a view since the check above (1.0a41), or dropped: the columns say
        label = None
    if label:
        columns.append(label)
    # Datasette 0.65 labels rows by a `name` or `title` column; 1.0 prefers a unique text column (often the
    # primary key, such as `full_name`), so the name column is matched as well on both.
    for column in await db.table_columns(table):
        if column.lower() in ("name", "title") and column not in columns:
            columns.append(column)
    if len(pks) == 1 and pks[0] != "rowid" and pks[0] not in columns:
        columns.append(pks[0])
    if not columns:
        return []
    marks = ", ".join("?" for _ in phrases)
    names = ", ".join(_normalised_sql(c) for c in columns)
    where = " or ".join(f"(typeof({quote_name(c)}) = 'text' and {_normalised_sql(c)} in ({marks}))" for c in columns)
    select = ", ".join(quote_name(pk) for pk in pks)
    sql = f"select {select}, {names} from {quote_name(table)} where {where} limit 50"
    params = list(phrases) * len(columns)
    try:
        rows = await read_as_actor(db, allowed, lambda conn: conn.execute(sql, params).fetchall(), time_limit_ms)
    except (QueryFailed, QueryTimeout):
        return []
    by_phrase: dict[str, tuple] = {}
    for row in rows:
        for name in row[len(pks) :]:
            name = " ".join(str(name or "").split())
            if name in phrases:
                by_phrase.setdefault(name, tuple(row[: len(pks)]))
    matched = {phrase: phrases[phrase] for phrase in by_phrase}
    return [(by_phrase[phrase], phrases[phrase]) for phrase in longest_only(matched)][:limit]
