"""Whether sqlglot writes a statement back as the same query.

Mends and the Ask page's layout write SQL back from sqlglot's tree, and for some SQL that is another query:
sqlglot reads `CAST(x AS DECIMAL)`, `NUMERIC` and `NUMBER` as one type and writes it `REAL`, `CAST(x AS DATE)` as
`DATE(x)`, `CAST(x AS STRING)` as `CAST(x AS TEXT)` (SQLite reads each of those with another affinity), and
`mod(a, 3)` as `a % 3` (an outside tester, session 58: 9007199254740993 came back 9007199254740992.0 from a
query the page showed and a mend ran without listing the change). A statement is written back as itself when the
tokens sqlglot writes are its own tokens: the case of keywords aside, `!=` for `<>`, and `NOT x IN` for
`x NOT IN`, which SQLite reads alike. Every Spider query the default model wrote in session 57 (385) is. A
statement too deeply nested for sqlglot to read or write (RecursionError) is no statement written back as itself.
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot.tokens import TokenType

from .parsing import DIALECT, parse_one

_SQLITE = sqlglot.Dialect.get_or_raise(DIALECT)


def tokens(sql: str) -> tuple[tuple, int]:
    """The statement's tokens as compared: (token type, text folded) without NOT, and the number of NOTs."""
    found = _SQLITE.tokenize(sql)
    kept = tuple(
        (token.token_type, "" if token.token_type == TokenType.NEQ else token.text.lower())
        for token in found
        if token.token_type != TokenType.NOT
    )
    return kept, sum(token.token_type == TokenType.NOT for token in found)


def same_query(written: str, original: str) -> bool:
    """Whether `written` (sqlglot's text of `original`'s tree) has `original`'s tokens, as compared above."""
    try:
        return tokens(written) == tokens(original)
    except (sqlglot.errors.SqlglotError, RecursionError):
        return False


@lru_cache(maxsize=256)
def written_back_as_is(sql: str) -> bool:
    """Whether sqlglot writes `sql` back as the same query (False when it cannot parse it)."""
    try:
        return same_query(parse_one(sql).sql(dialect=DIALECT), sql)
    except (sqlglot.errors.SqlglotError, RecursionError):
        return False


def laid_out(sql: str) -> str:
    """SQL laid out one clause per line, for reading; the statement as written when sqlglot cannot parse it, or
    when its layout would be another query."""
    try:  # through the screen (sql/parsing.py): a statement whose parse takes too long is shown as written
        text = parse_one(sql).sql(dialect=DIALECT, pretty=True)
    except (sqlglot.errors.SqlglotError, RecursionError):
        return sql
    return text if same_query(text, sql) else sql
