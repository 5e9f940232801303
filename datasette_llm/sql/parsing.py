"""The one way to parse untrusted SQL with sqlglot: screened first for shapes whose parse time explodes.

sqlglot (30.x) parses a JOIN that has no ON or USING by trying the JOINs after it as a nested join (`a JOIN b
JOIN c ON .. ON ..`), and goes back when no ON follows: each such JOIN doubles the time. 14 of them take a second,
20 (300 characters) take minutes, and a thread parsing them cannot be stopped (an outside tester, session 26: the
query API's checks and Ask's mends held a core for an hour with a statement the model could be asked to write).
SQLite reads `a JOIN b` without ON as a cross join; nobody writes more than a few. Every parse of SQL from a
model, a client or a stored example goes through `screen()` first (sql/guard.py with the tokens it has, the rest
through `parse_one()`), so such a statement is refused in linear time, everywhere, with the same words.
"""

from __future__ import annotations

import sqlglot
from sqlglot.errors import ParseError
from sqlglot.tokens import Token, TokenType

DIALECT = "sqlite"
# JOINs with neither ON nor USING (nor CROSS or NATURAL, which sqlglot does not try to nest) in one statement:
# its parse takes about 2^n steps, 16 ms at 8 here.
MAX_BARE_JOINS = 8


def bare_joins(tokens: list[Token]) -> int:
    """How many JOINs of the statement have no ON or USING: in each SELECT (per parenthesis level), its JOINs less
    its ONs and USINGs (an ON may come after further JOINs: `a JOIN b JOIN c ON x ON y` has none)."""
    total = 0
    stack = [[0, 0]]  # per open parenthesis: [joins, ons] of the SELECT being read at that level
    for at, token in enumerate(tokens):
        kind = token.token_type
        if kind == TokenType.L_PAREN:
            stack.append([0, 0])
        elif kind == TokenType.R_PAREN:
            if len(stack) > 1:
                joins, ons = stack.pop()
                total += max(0, joins - ons)
        elif kind == TokenType.SELECT:
            joins, ons = stack[-1]
            total += max(0, joins - ons)
            stack[-1] = [0, 0]
        elif kind == TokenType.JOIN:
            if not _modifiers(tokens, at) & {TokenType.CROSS, TokenType.NATURAL}:
                stack[-1][0] += 1
        elif kind in (TokenType.ON, TokenType.USING):
            stack[-1][1] += 1
    return total + sum(max(0, joins - ons) for joins, ons in stack)


_JOIN_WORDS = frozenset(
    {
        TokenType.NATURAL,
        TokenType.CROSS,
        TokenType.LEFT,
        TokenType.RIGHT,
        TokenType.FULL,
        TokenType.INNER,
        TokenType.OUTER,
    }
)


def _modifiers(tokens: list[Token], at: int) -> set:
    """The words of the JOIN at `at` (NATURAL LEFT OUTER ...): only those right before it, so a NATURAL JOIN's
    word is not read as the next JOIN's (`NATURAL JOIN t JOIN t`, repeated, hid every bare JOIN from the count)."""
    words = set()
    while at > 0 and tokens[at - 1].token_type in _JOIN_WORDS:
        at -= 1
        words.add(tokens[at].token_type)
    return words


def too_costly(tokens: list[Token]) -> str | None:
    """Why parsing these tokens would take too long, or None."""
    count = bare_joins(tokens)
    if count > MAX_BARE_JOINS:
        return (
            f"the SQL has {count} JOINs without ON or USING, at most {MAX_BARE_JOINS} are allowed; "
            "give each JOIN its ON clause, or write CROSS JOIN"
        )
    return None


def screen(sql: str) -> None:
    """ParseError when `sql` is a shape whose parse would take too long (linear in its length)."""
    reason = too_costly(sqlglot.Dialect.get_or_raise(DIALECT).tokenize(sql))
    if reason:
        raise ParseError(reason)


def parse_one(sql: str, read: str = DIALECT):
    """sqlglot.parse_one(sql, read="sqlite") after screen(), tokenizing once: ParseError (a SqlglotError) for
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
