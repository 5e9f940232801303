"""Pulling the SQL out of a model's reply: fenced blocks first, then the reply's text."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot.errors import SqlglotError

from .guard import _TOP_LEVEL_TYPES
from .lexer import _is_id_char, _sqlite_statement_count, _strip_trailing, sqlite_lexemes
from .parsing import parse_one
from .results import _Reject

# A reply is read for its query only this far, and only this many places where a query could start are tried: a
# query the model writes is a few hundred characters (sql_max_tokens), and an outside attacker's model server
# sent "SELECT 1;" 4,000 times, which kept a thread (and the GIL) busy for 54 s when every place was tried.
MAX_REPLY_CHARS = 20_000
MAX_CANDIDATES = 12
# The longest query Ask takes from a model: ask/mend.py refuses a longer one ("write one of at most ..."), and it
# is never parsed here. Checking and mending a query is pure Python in the server's process (a query API client may
# send 10,000 characters, but those are checked in the guard's own process): an outside tester's model wrote
# chains of 280 CTEs (11,760 characters), and four such questions at once held Datasette's own pages 5.8 s
# (session 19); 7 KB of nested CTEs took sqlglot about a second for each of the places a reply was read at, 4-5 s
# of CPU for one question (session 27). Real questions' queries are a few hundred characters.
MAX_SQL_CHARS = 4_000


def extract_sql(reply: str) -> str:
    """The first SELECT/WITH statement in an LLM reply, without trailing semicolons; or "".

    Looks in ```sql fences first, then bare ``` fences, then the whole reply. A ```sql fence holding no
    query at all (say, a DROP) is returned as written, so the guard can reject it with its real reason.
    """
    if not reply or not isinstance(reply, str):
        return ""
    reply = reply[:MAX_REPLY_CHARS]
    sql_blocks, bare_blocks = _fenced_blocks(reply)
    for block, is_fenced in [(b, True) for b in sql_blocks + bare_blocks] + [(reply, False)]:
        statement = _first_select(block, is_fenced)
        if statement:
            return statement
    for block in sql_blocks:
        if block.strip():
            return block.strip()
    return ""


def statement_written(reply: str) -> bool:
    """Whether a reply that opened a ```sql fence already holds its query: the fence is closed after it, or a line
    ends with the `;` that ends its first statement, a query (not a `;` in a string, a quoted name or a comment).

    The model may stop writing there: what would follow, the closing fence and the end token, is two more
    passes of a local model (about 0.2 s on 2 cores) that cannot change the query extract_sql() finds."""
    if "```" in reply:  # closed: complete when the block is a query (else extract_sql reads on past it)
        return _is_one_query(reply.split("```", 1)[0], ended=False)
    body = reply.rstrip(" \t")
    return body.endswith("\n") and body.rstrip().endswith(";") and _is_one_query(body.rstrip(), ended=True)


def _is_one_query(text: str, ended: bool) -> bool:
    """`text` is one SELECT or WITH statement that parses (ended by its `;`, when `ended`), and nothing else."""
    try:
        lexemes = sqlite_lexemes(text)
    except _Reject:  # an unterminated quote: a `;` is inside it
        return False
    code = [lexeme for lexeme in lexemes if lexeme.kind not in ("space", "comment")]
    if not code or text[code[0].start : code[0].end].lower() not in ("select", "with"):
        return False
    if ended and code[-1].kind != "semicolon":
        return False
    return _sqlite_statement_count(lexemes) == 1 and _parses_as_query(text)


def close_fence(reply: str) -> str:
    """A reply whose ```sql fence is still open (stopped by statement_written(), or cut at its token limit), with
    the fence closed as the model would have closed it; any other reply as it is."""
    return (
        reply if reply.count("```") % 2 == 0 else reply.rstrip(" \t") + ("" if reply.endswith("\n") else "\n") + "```"
    )


_SQL_FENCE_LANGUAGES = frozenset({"sql", "sqlite", "sqlite3"})


def _fenced_blocks(reply: str) -> tuple[list[str], list[str]]:
    """(```sql blocks, bare ``` blocks), in order of appearance; other languages are skipped."""
    sql_blocks: list[str] = []
    bare_blocks: list[str] = []
    parts = reply.split("```")
    # Odd-numbered parts are inside fences (an unclosed last fence still counts).
    for index in range(1, len(parts), 2):
        part = parts[index]
        first_line, _, rest = part.partition("\n")
        language = first_line.strip().lower()
        if language in _SQL_FENCE_LANGUAGES:
            sql_blocks.append(rest)
        elif language == "":
            bare_blocks.append(rest)
        elif _starts_with_keyword(language):  # ```SELECT 1``` on one line
            bare_blocks.append(part)
    return sql_blocks, bare_blocks


def _first_select(block: str, is_fenced: bool) -> str:
    statements = []
    for position in _select_candidates(block)[:MAX_CANDIDATES]:
        statement = _statement_at(block, position)
        if not is_fenced:
            statement = _cut_trailing_prose(statement)
        if _parses_as_query(statement):
            return _clean_statement(statement)
        statements.append(statement)
    for statement in statements:
        # Nothing parses: broken SQL is still worth handing to the validator for feedback, and a query too long to
        # read to Ask, which refuses it for its length.
        if statement[:6].lower() == "select" or len(statement.strip()) > MAX_SQL_CHARS:
            return _clean_statement(statement)
    return ""


def _clean_statement(statement: str) -> str:
    try:
        return _strip_trailing(statement.strip()).strip()
    except _Reject:
        return statement.strip().rstrip(";").strip()


def _statement_at(text: str, position: int) -> str:
    """From position up to the first semicolon SQLite would end a statement at."""
    try:
        lexemes = sqlite_lexemes(text[position:])
    except _Reject:  # an unclosed quote (prose apostrophes): take the rest
        return text[position:]
    for lex in lexemes:
        if lex.kind == "semicolon":
            return text[position : position + lex.start]
    return text[position:]


_SQL_PREFIXES = ("sql query:", "sql:", "sqlite:", "query:", "answer:")


def _select_candidates(text: str) -> list[int]:
    """Positions where a SELECT/WITH could start, in order.

    Keywords at the start of a line (after an optional "SQL:" prefix) or of a statement, and
    upper-case keywords anywhere ("The query is: SELECT ...").
    """
    candidates = set(_line_start_candidates(text))
    for keyword in ("SELECT", "WITH"):
        position = _find_word(text, keyword)
        while position is not None:
            candidates.add(position)
            position = _find_word(text, keyword, position + 1)
    candidates.update(_statement_start_candidates(text))
    return sorted(candidates)


def _statement_start_candidates(text: str) -> Iterator[int]:
    """Keywords right after a semicolon: `DROP TABLE x; select 1`."""
    try:
        lexemes = sqlite_lexemes(text)
    except _Reject:
        return
    after_semicolon = False
    for lex in lexemes:
        if lex.kind == "semicolon":
            after_semicolon = True
        elif lex.kind == "code":
            if after_semicolon and _starts_with_keyword(text[lex.start : lex.end].lower()):
                yield lex.start
            after_semicolon = False


def _line_start_candidates(text: str) -> Iterator[int]:
    offset = 0
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip()
        lead = len(line) - len(stripped)
        for prefix in _SQL_PREFIXES:
            if stripped.lower().startswith(prefix):
                rest = stripped[len(prefix) :]
                lead += len(prefix) + len(rest) - len(rest.lstrip())
                stripped = rest.lstrip()
                break
        if _starts_with_keyword(stripped.lower()):
            yield offset + lead
        offset += len(line)


def _starts_with_keyword(text: str) -> bool:
    for keyword in ("select", "with"):
        if text.startswith(keyword) and not _is_id_char(text[len(keyword) : len(keyword) + 1] or " "):
            return True
    return False


def _find_word(text: str, word: str, start: int = 0) -> int | None:
    while True:
        position = text.find(word, start)
        if position < 0:
            return None
        before = text[position - 1 : position] if position else " "
        after = text[position + len(word) : position + len(word) + 1] or " "
        if not _is_id_char(before) and not _is_id_char(after):
            return position
        start = position + 1


def _parses_as_query(text: str) -> bool:
    """True if sqlglot reads `text` (up to a blank line) as a query, of at most MAX_SQL_CHARS."""
    text = _cut_trailing_prose(text)
    if len(text.strip()) > MAX_SQL_CHARS:
        return False
    try:
        tree = parse_one(text)
    except (SqlglotError, RecursionError):
        return False
    return isinstance(tree, _TOP_LEVEL_TYPES)


def _cut_trailing_prose(text: str) -> str:
    """Unfenced SQL ends at the first blank line (models put explanations after one)."""
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    for line in lines:
        if not line.strip() and kept:
            break
        kept.append(line)
    return "".join(kept)
