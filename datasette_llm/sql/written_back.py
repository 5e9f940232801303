"""Whether sqlglot writes a statement back as the same query.

Mends and the Ask page's layout write SQL back from sqlglot's tree, and for some SQL that is another query: sqlglot
reads `CAST(x AS DECIMAL)`, `NUMERIC` and `NUMBER` as one type and writes it `REAL`, `CAST(x AS DATE)` as `DATE(x)`,
`CAST(x AS STRING)` as `CAST(x AS TEXT)` (SQLite reads each of those with another affinity), and `mod(a, 3)` as `a %
3` (an outside tester, session 58: 9007199254740993 came back 9007199254740992.0 from a query the page showed and a
mend ran without listing the change). A statement is written back as itself when the tokens sqlglot writes are its
own tokens: the case of keywords aside, `!=` for `<>`, and `NOT x IN` for `x NOT IN` where the NOT stands as a
condition of its own (as an operand of a comparison SQLite reads it around the whole comparison); numbers as written
(`1_000` is no `1000` to SQLite before 3.46; session 59). Every Spider query the default model wrote in session 57
(385) is. A statement too deeply nested for sqlglot to read or write (RecursionError) is no statement written back
as itself.
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

from .parsing import DIALECT, parse_one

_SQLITE = sqlglot.Dialect.get_or_raise(DIALECT)


def tokens(sql: str) -> tuple[tuple, int, tuple]:
    """The statement's tokens as compared: (token type, text folded) without NOT, the number of NOTs, and every
    token's type in order (where the NOTs stand). A number is compared as written: sqlglot reads `1_000` as 1000,
    which SQLite before 3.46 refuses (session 59)."""
    found = _SQLITE.tokenize(sql)
    kept = tuple((token.token_type, _text(sql, token)) for token in found if token.token_type != TokenType.NOT)
    types = tuple(token.token_type for token in found)
    return kept, len(types) - len(kept), types


def _text(sql: str, token) -> str:
    if token.token_type == TokenType.NEQ:
        return ""
    if token.token_type == TokenType.NUMBER:
        return sql[token.start : token.end + 1].lower()
    return token.text.lower()


# Where a NOT written before its operand (`NOT x IN (...)` for `x NOT IN (...)`) reads as the original: as a
# condition of its own. As an operand of a comparison (`x NOT IN (...) = 5`, `score > 50 NOT BETWEEN 0 AND 0`) sqlglot
# writes the NOT where SQLite binds it around the whole comparison: another query (an outside tester, session 59:
# 36 of 1,824 generated statements laid out gave other rows).
_CONDITION_PLACES = (exp.Connector, exp.Not, exp.Paren, exp.Where, exp.Having, exp.Join, exp.Alias, exp.Select, exp.If)


def _nots_read_alike(tree: exp.Expression) -> bool:
    return all(isinstance(node.parent, _CONDITION_PLACES) for node in tree.find_all(exp.Not))


def same_query(written: str, original: str, tree: exp.Expression | None = None) -> bool:
    """Whether `written` (sqlglot's text of `original`'s tree) has `original`'s tokens, as compared above; where
    its NOTs stand elsewhere, only when each stands as a condition of its own in `tree` (else: not the same)."""
    try:
        (kept, nots, types), (original_kept, original_nots, original_types) = tokens(written), tokens(original)
        if kept != original_kept or nots != original_nots:
            return False
        return types == original_types or (tree is not None and _nots_read_alike(tree))  # or the NOTs moved
    except (sqlglot.errors.SqlglotError, RecursionError):
        return False


@lru_cache(maxsize=256)
def written_back_as_is(sql: str) -> bool:
    """Whether sqlglot writes `sql` back as the same query (False when it cannot parse it)."""
    try:
        tree = parse_one(sql)
        return same_query(tree.sql(dialect=DIALECT), sql, tree)
    except (sqlglot.errors.SqlglotError, RecursionError):
        return False


def laid_out(sql: str) -> str:
    """SQL laid out one clause per line, for reading; the statement as written when sqlglot cannot parse it, or
    when its layout would be another query."""
    try:  # through the screen (sql/parsing.py): a statement whose parse takes too long is shown as written
        tree = parse_one(sql)
        text = tree.sql(dialect=DIALECT, pretty=True)
    except (sqlglot.errors.SqlglotError, RecursionError):
        return sql
    return text if same_query(text, sql, tree) else sql
