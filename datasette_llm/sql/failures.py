"""How a statement's failure is told: QueryFailed and QueryTimeout, and what an asker may be told of a failed read
(never a hidden name, never Datasette's own statement)."""

from __future__ import annotations

import logging
import sqlite3

from datasette.database import QueryInterrupted

from ..errors import Busy, DatasetteLLMError

logger = logging.getLogger("datasette_llm")


class QueryFailed(DatasetteLLMError):
    """SQLite refused or failed the statement (syntax, time limit, authorizer)."""

    status = 400
    code = "query_failed"


class QueryTimeout(QueryFailed):
    code = "query_timeout"


# SQLite's words when a name does not resolve or the authorizer refuses one: "access to secret.pw is prohibited"
# would confirm that a hidden table and its column exist, so all of them read the same.
_NAME_ERRORS = (
    "no such table",
    "no such column",
    "prohibited",
    "not authorized",
    "no such index",
    "no such function",
    "no such module",
    "circular reference",
)
NAME_REFUSED = (
    "it names a table, column, index or function that does not exist or that you may not use "
    "(only the tables in the schema can be read)"
)


def public_read_failure(error: Exception, what: str) -> str:
    """What an asker may be told of a read of the plugin's own that failed: the kind of failure, never its text. A
    QueryInterrupted carries its statement and parameters, and that statement may be Datasette's own permission
    check, whose parameter is the name of a table the asker may not see (an outside tester, session 34). The
    whole error goes to the server's log."""
    logger.warning("datasette-llm: a read for %s failed: %r", what, error)
    if isinstance(error, QueryInterrupted):
        return "a read took longer than the time limit"
    if isinstance(error, sqlite3.OperationalError) and ("locked" in str(error) or "busy" in str(error)):
        return "another connection is writing to it"
    if damaged(error):
        return "its file is damaged"
    return "SQLite could not read it"


def damaged(error: Exception) -> bool:
    """A read that failed because the file is damaged ("database disk image is malformed"): no retry mends it."""
    text = str(error)
    return isinstance(error, sqlite3.DatabaseError) and ("malformed" in text or "not a database" in text)


def unreadable_message(error: Exception, what: str) -> str:
    """The sentence a 503 of a failed read says (public_read_failure): the search's and every page's."""
    if damaged(error):
        return (
            f"The database could not be read ({public_read_failure(error, what)}); its owner can check it with "
            "`PRAGMA integrity_check`."
        )
    return f"The database could not be read just now ({public_read_failure(error, what)}); try again shortly."


def public_error(error: sqlite3.Error) -> str:
    text = str(error)
    return NAME_REFUSED if any(words in text for words in _NAME_ERRORS) else text


# A read that failed under a surface (Datasette's own permission check past the time limit, a database a writer has
# locked): a 503 that says which kind, never the error's text. Datasette's own 500 page printed a QueryInterrupted
# whole, and with it the name of a table the asker may not see (a second outside tester, session 34).
# sqlite3.DatabaseError: a damaged file too ("database disk image is malformed" was a 500; session 36).
READ_FAILURES = (QueryInterrupted, sqlite3.DatabaseError)


class Unreadable(Busy):
    code = "database_unreadable"


def unreadable(error: Exception) -> Unreadable:
    """The 503 of a read that failed under any surface: pages, JSON routes, the stream and MCP's tools."""
    return Unreadable(unreadable_message(error, "a page"), retry_after=2)
