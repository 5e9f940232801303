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
