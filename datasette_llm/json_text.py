"""Whether parsed JSON holds only text UTF-8 can carry: every surface that reads JSON from outside asks it."""

from __future__ import annotations

import json


def is_text(value) -> bool:
    """Whether every string in a parsed JSON value is valid Unicode ("\\ud800" alone parses, but is not)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
