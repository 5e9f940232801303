"""The one way to parse untrusted SQL with sqlglot: screened first for shapes whose parse time explodes.

sqlglot (30.x) parses a JOIN that has no ON or USING by trying the JOINs after it as a nested join (`a JOIN b
JOIN c ON .. ON ..`), and goes back when no ON follows: each such JOIN doubles the time. 14 of them take a second,
20 (300 characters) take minutes, and a thread parsing them cannot be stopped (an outside tester, session 26: the
query API's checks and Ask's mends held a core for an hour with a statement the model could be asked to write).
Every parse of SQL from a model, a client or a stored example is screened first (sql/guard.py with `too_costly()`
on the tokens it has, everything else through `parse_one()`), so a statement with too many JOINs is refused in
linear time, everywhere, with the same words.
"""

from __future__ import annotations

import sqlglot
from sqlglot.errors import ParseError
from sqlglot.tokens import Token, TokenType

DIALECT = "sqlite"
# JOIN keywords in one statement. A parse takes about 2^n steps for n JOINs without ON or USING (16 ms at 8, 65 ms
# at 10 here); which JOINs those are cannot be told from the tokens safely: a first count that did it (JOINs less
# ONs, NATURAL and CROSS ones left out) was fooled by a table aliased `natural`, by STRAIGHT_JOIN and by spare ONs
# after WHERE (a second outside tester, session 26: 14 JOINs the count took for one, 1.1 s a parse, and Ask's
# mends parse it again and again). So every JOIN counts, with or without ON. Spider's queries have at most 4.
MAX_JOINS = 10
_JOIN_TOKENS = frozenset({TokenType.JOIN, TokenType.STRAIGHT_JOIN})


def join_count(tokens: list[Token]) -> int:
    """How many JOIN keywords the statement has (an upper bound of the JOINs sqlglot tries to nest)."""
    return sum(token.token_type in _JOIN_TOKENS for token in tokens)


def too_costly(tokens: list[Token]) -> str | None:
    """Why parsing these tokens would take too long, or None."""
    count = join_count(tokens)
    if count > MAX_JOINS:
        return f"the SQL has {count} JOINs, at most {MAX_JOINS} are allowed in one statement"
    return None


def parse_one(sql: str, read: str = DIALECT):
    """sqlglot.parse_one(sql, read="sqlite") after too_costly(), tokenizing once: ParseError (a SqlglotError) for
    either (replies are read at up to 12 places of 20,000 characters: tokenizing twice cost +1 s)."""
    dialect = sqlglot.Dialect.get_or_raise(read)
    tokens = dialect.tokenize(sql)
    reason = too_costly(tokens)
    if reason:
        raise ParseError(reason)
    for expression in dialect.parser().parse(tokens, sql):
        if expression is not None:
            return expression
        break
    raise ParseError(f"No expression was parsed from {sql[:100]!r}")
