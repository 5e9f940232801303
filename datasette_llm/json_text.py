"""Whether parsed JSON holds only text UTF-8 can carry: every surface that reads JSON from outside asks it."""

from __future__ import annotations

import json


def is_text(value) -> bool:
    """Whether every string in a parsed JSON value is valid Unicode ("\\ud800" alone parses, but is not). Raises
    TooDeep for a value nested deeper than it can be written back (json.loads reads a few levels more than
    json.dumps writes: the RecursionError between was a 500 on every route that reads a JSON body; an outside
    tester, session 60)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    except RecursionError:
        raise TooDeep from None
    return True


class TooDeep(ValueError):
    """A JSON value nested too deeply to be handled."""


def stored_text(text: str) -> str:
    """`text` as SQLite can store it: a lone surrogate (an actor id an authentication plugin made from bytes that
    were not UTF-8) written as its escape, `\\ud800`, where storing it raised UnicodeEncodeError, a 500 (an outside
    tester, session 60). Text that is text is returned as it is."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text
