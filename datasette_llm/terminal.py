"""Text as a terminal should show it: what the command line prints and the server logs."""

from __future__ import annotations

import json
import re
import unicodedata

# What a terminal would act on instead of showing: control characters (ESC starts cursor moves, screen clears,
# OSC 8 links and OSC 52 clipboard writes; a carriage return overwrites a line), format characters (U+202E draws
# what follows right to left, a zero-width space joins 1807 and 5 into 18075) and line separators. Database text,
# model replies, other people's examples and a model server's errors all reach the terminal: a row's note
# `\x1b[1A\rA  999` rewrote the row above it (an outside tester, session 40).
_NOT_SHOWN = frozenset(("Cc", "Cf", "Zl", "Zp"))
# Unicode's Default_Ignorable_Code_Point outside category Cf (DerivedCoreProperties.txt), and the Hangul fillers:
# drawn with no width, so "1807\u034f5" shows as 18075 (ask/numbers.py reads them so too; a second tester,
# session 40, had `examples list` show that question as 18075).
DRAWN_WITHOUT_WIDTH = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0\U000e0100-\U000e01ef]"
)


def _unseen(ch: str) -> bool:
    return ch not in "\n\t" and (unicodedata.category(ch) in _NOT_SHOWN or DRAWN_WITHOUT_WIDTH.match(ch) is not None)


def _escape(ch: str) -> str:
    return ascii(ch)[1:-1] if _unseen(ch) else ch


def shown(text) -> str:
    """`text` as a terminal should show it: every control, format or line-separator character (but newline and
    tab) written as its escape (`\\x1b`, `\\u202e`), so the screen shows what the database holds."""
    text = str(text)
    if text.isascii() and text.isprintable():
        return text
    return "".join(_escape(ch) for ch in text)


def json_text(data, **options) -> str:
    """JSON of `data` with non-ASCII text kept as it is, but every character shown() escapes written as a JSON
    escape (`\\u001b`, `\\u202e`): the same data, and nothing a terminal acts on."""
    text = json.dumps(data, ensure_ascii=False, **options)
    if text.isascii() and text.isprintable():
        return text
    return "".join(
        json.dumps(ch)[1:-1] if _unseen(ch) else ch for ch in text
    )  # outside its strings, JSON holds only ASCII (the newlines of `indent`): each such character is in a string
