"""Cells and texts cut to what is shown, marked with CLIP_MARKER, before Python holds more of them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .names import quote_identifier

CLIP_MARKER = "…[clipped]"  # ends every clipped text: cells here, in prompts, in the query API and search hits
MAX_CELL_CHARS = 100_000  # a longer cell is clipped as it is fetched (with CLIP_MARKER)
# Fetching stops once the rows held reach this size. Ask holds its rows until the answer is written and sends
# them twice (the early rows, the result): at 20,000,000, four Ask requests at once took +342 MB and stalled the
# event loop 1.3 s (benchmarks/attack.py, "Ask: 999,000-byte cells x4 parallel"). Datasette's page shows 1,000
# rows of 2,048 characters at most; a demo result of every README (779 rows) holds 2.6 million characters.
MAX_FETCH_CHARS = 2_000_000


def clip_text(text: str, limit: int) -> tuple[str, bool]:
    """(`text` cut to `limit` characters and ended with CLIP_MARKER, True), or (`text`, False) when it fits."""
    if len(text) > limit:
        return text[:limit] + CLIP_MARKER, True
    return text, False


def clipped_columns(
    names: Sequence[str], *, keep: Sequence[str] = (), text_chars: int | Mapping[str, int], blob: str
) -> str:
    """A select list of these columns with every text cut to `text_chars` characters (or `text_chars[name]`) by
    SQLite and every blob replaced by `blob` (an SQL expression over `{value}`), except the columns in `keep`
    (keys). Rows read whole, 20 search hits of 32 MB each, took 0.7 GB a request (an outside tester's memory
    oracle, session 28): cut here, Python never holds more of a cell than it shows."""
    parts = []
    for name in names:
        value = quote_identifier(name)
        if name in keep:
            parts.append(value)
            continue
        chars = text_chars[name] if isinstance(text_chars, Mapping) else text_chars
        parts.append(
            f"case typeof({value}) when 'text' then substr({value}, 1, {int(chars)}) "
            f"when 'blob' then {blob.format(value=value)} else {value} end as {value}"
        )
    return ", ".join(parts)


class ClippedBlob(bytes):
    """The first bytes of a blob too long to hold; `size` is the whole blob's length, which every surface shows
    (a 150,016-byte blob read as "100000 bytes" everywhere: an outside tester, session 36)."""

    size: int


def blob_size(value: bytes) -> int:
    """A blob's length in the database, whether or not it was clipped when fetched."""
    return getattr(value, "size", len(value))


def clip_cell(value, limit: int = MAX_CELL_CHARS):
    """(value, clipped?): text or blobs longer than `limit` are cut before they are held."""
    if isinstance(value, str):
        return clip_text(value, limit)
    if isinstance(value, bytes) and len(value) > limit:
        clipped = ClippedBlob(value[:limit])
        clipped.size = len(value)
        return clipped, True
    return value, False


def held_size(value) -> int:
    return len(value) if isinstance(value, (str, bytes)) else 16
