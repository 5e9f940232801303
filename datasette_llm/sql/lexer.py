"""SQLite's own view of the text: a lexer that follows SQLite's tokenizer for strings, quoted names and
comments, and the check that sqlglot's tokens cover the text the same way (so a quirk such as `[a]]`, an
escape for sqlglot but not for SQLite, cannot hide code from the tree walk)."""

from __future__ import annotations

from dataclasses import dataclass

from .results import _Reject, _reject

_SQLITE_SPACE = " \t\n\f\r"
_QUOTED_KINDS = ("string", "blob", "quoted")


@dataclass(frozen=True)
class Lexeme:
    kind: str  # space, comment, string, blob, quoted, variable, semicolon, code
    start: int
    end: int  # exclusive


def _is_id_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char in "_$") or not char.isascii()


def _quoted_end(sql: str, start: int, quote: str) -> int:
    """End (exclusive) of a quoted run starting at `start`; a doubled quote is an escape."""
    i = start + 1
    while True:
        j = sql.find(quote, i)
        if j < 0:
            raise _reject("unterminated quote in the SQL", "parse_error", quote)
        if sql[j + 1 : j + 2] == quote:
            i = j + 2
            continue
        return j + 1


def sqlite_lexemes(sql: str) -> list[Lexeme]:
    """Split text the way SQLite's tokenizer does, as far as strings, names and comments go."""
    out: list[Lexeme] = []
    i, n = 0, len(sql)
    while i < n:
        char, following = sql[i], sql[i + 1 : i + 2]
        if char in _SQLITE_SPACE:
            j = i
            while j < n and sql[j] in _SQLITE_SPACE:
                j += 1
            kind = "space"
        elif char == "-" and following == "-":
            j = sql.find("\n", i)
            j, kind = (n if j < 0 else j), "comment"
        elif char == "/" and following == "*":
            j = sql.find("*/", i + 2)  # SQLite: an unclosed comment runs to the end
            j, kind = (n if j < 0 else j + 2), "comment"
        elif char in "'\"`":
            j, kind = _quoted_end(sql, i, char), ("string" if char == "'" else "quoted")
        elif char == "[":
            j = sql.find("]", i + 1)  # no escape inside brackets for SQLite
            if j < 0:
                raise _reject("unterminated [ in the SQL", "parse_error", "[")
            j, kind = j + 1, "quoted"
        elif char in "xX" and following == "'":
            j, kind = _quoted_end(sql, i + 1, "'"), "blob"
        elif char in "$@:#?":
            j, kind = i + 1, "variable"
        elif char == ";":
            j, kind = i + 1, "semicolon"
        elif _is_id_char(char):
            j = i + 1
            while j < n and _is_id_char(sql[j]):
                j += 1
            kind = "code"
        else:
            j, kind = i + 1, "code"
        out.append(Lexeme(kind, i, j))
        i = j
    return out


def _sqlite_statement_count(lexemes: list[Lexeme]) -> int:
    count, pending = 0, False
    for lex in lexemes:
        if lex.kind == "semicolon":
            count += pending
            pending = False
        elif lex.kind not in ("space", "comment"):
            pending = True
    return count + pending


def _check_tokenizers_agree(sql: str, lexemes: list[Lexeme], tokens) -> None:
    """sqlglot's tokens must cover exactly what SQLite sees as code, strings and names."""
    for lex in lexemes:
        if lex.kind == "variable":
            raise _reject(
                f"parameters are not supported: {sql[lex.start : lex.end]!r}",
                "parse_error",
                sql[lex.start : lex.end],
            )
    char_kind = [""] * len(sql)
    for lex in lexemes:
        for k in range(lex.start, lex.end):
            char_kind[k] = lex.kind
    quoted = {(lex.start, lex.end) for lex in lexemes if lex.kind in _QUOTED_KINDS}
    covered = [False] * len(sql)
    matched = set()
    for token in tokens:
        span = (token.start, token.end + 1)
        if span in quoted:
            matched.add(span)
        elif any(char_kind[k] not in ("code", "space", "semicolon") for k in range(*span)):
            raise _reject("the SQL's quoting or comments are ambiguous", "parse_error", token.text)
        for k in range(*span):
            covered[k] = True
    if matched != quoted:
        raise _reject("the SQL's quoting is ambiguous", "parse_error")
    for k, kind in enumerate(char_kind):
        if kind in ("code", "semicolon") and not covered[k]:
            raise _reject(f"unexpected character {sql[k]!r} in the SQL", "parse_error", sql[k])


def _strip_trailing(text: str) -> str:
    """Drop trailing semicolons and comments, using the SQLite lexer."""
    return _without_trailing(text, sqlite_lexemes(text))


def _without_trailing(text: str, lexemes: list[Lexeme]) -> str:
    for lex in reversed(lexemes):
        if lex.kind not in ("space", "comment", "semicolon"):
            return text[: lex.end]
    return text


def without_trailing(sql: str) -> str:
    """The SQL without its trailing semicolons, comments and spaces; unchanged if it cannot be split."""
    try:
        return _strip_trailing(sql)
    except _Reject:
        return sql


def without_comments(sql: str) -> str:
    """The SQL with each comment replaced by one space (SQLite reads it the same); unchanged if it cannot be
    split (an unterminated quote: the guard refuses it anyway)."""
    try:
        lexemes = sqlite_lexemes(sql)
    except _Reject:
        return sql
    return "".join(" " if lex.kind == "comment" else sql[lex.start : lex.end] for lex in lexemes)
