"""Examples in files: a JSON list of {"question": ..., "sql": ...} objects, or CSV with those two columns.

What `export` writes, `import` reads back. Only the file's shape is checked here; each pair is checked (and
refused on its own) when it is added.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable

from ..errors import BadRequest
from ..json_text import TooDeep, is_text
from .store import Example

SHAPE = 'a JSON list of {"question": ..., "sql": ...} objects, or CSV with the columns question and sql'


def parse_examples(text: str, name: str) -> list[tuple[object, object]]:
    """The (question, SQL) pairs in a file's text, in order; BadRequest when the file is not of either shape.

    JSON when `name` ends in .json or the text starts with [ or {, CSV otherwise.
    """
    text = text.removeprefix("\ufeff")
    lower = name.lower()
    if lower.endswith(".json") or (not lower.endswith(".csv") and text.lstrip().startswith(("[", "{"))):
        return _json_pairs(text, name)
    return _csv_pairs(text, name)


class _RepeatedKey(ValueError):
    pass


def _one_value_a_key(pairs: list[tuple[str, object]]) -> dict:
    """An object as a dict; a key given twice is refused, not read as its last value (which of two SQL texts the
    file meant cannot be told)."""
    found: dict = {}
    for key, value in pairs:
        if key in found:
            raise _RepeatedKey(key)
        found[key] = value
    return found


def _json_pairs(text: str, name: str) -> list[tuple[object, object]]:
    try:
        items = json.loads(text, object_pairs_hook=_one_value_a_key)
    except _RepeatedKey as key:
        raise BadRequest(f"{name}: an object gives the key {str(key)!r} twice.") from None
    except json.JSONDecodeError as error:
        raise BadRequest(f"{name} is not valid JSON ({error.msg}, line {error.lineno} column {error.colno}).") from None
    except RecursionError:
        raise BadRequest(f"{name} is not valid JSON (it nests too deeply).") from None
    except ValueError as error:  # e.g. an integer of more than 4,300 digits
        raise BadRequest(f"{name} is not valid JSON ({error}).") from None
    if not isinstance(items, list):
        raise BadRequest(f"{name} must hold {SHAPE}.")
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise BadRequest(f"{name}: item {number} is not an object with question and sql.")
        try:
            text_only = is_text(item)
        except TooDeep:
            raise BadRequest(f"{name}: item {number} nests too deeply.") from None
        if not text_only:  # checked for every item before any is added: an import is whole or refused
            raise BadRequest(f"{name}: item {number} contains a lone surrogate escape (\\ud800-\\udfff), not text.")
    return [(item.get("question", ""), item.get("sql", "")) for item in items]


_NAME_LIKE = re.compile(r"[a-z_][a-z0-9_ ]{0,39}")
_NAMES_SHOWN = 8


def _columns_found(columns: list[str]) -> str:
    """What a header that is not an examples CSV held, without repeating the file: its number of columns and the
    first few that read as column names, when there are several (one is a line of a file that is no CSV). The whole
    first line was echoed, a megabyte of it, or the first line of a key or a password file (an outside tester,
    session 58)."""
    names = [column for column in columns if _NAME_LIKE.fullmatch(column)][:_NAMES_SHOWN] if len(columns) > 1 else []
    found = f"{len(columns):,} CSV column{'s' if len(columns) != 1 else ''} found"
    return found + (": " + ", ".join(names) + ("…" if len(columns) > len(names) else "") if names else "")


def _csv_pairs(text: str, name: str) -> list[tuple[object, object]]:
    try:
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        columns = [column.strip().lower() for column in header or ()]
        if "question" not in columns or "sql" not in columns:
            raise BadRequest(f"{name} must hold {SHAPE} ({_columns_found(columns)}).")
        for column in ("question", "sql"):
            if columns.count(column) > 1:
                raise BadRequest(f"{name}: the CSV column {column} is given twice.")
        question, sql = columns.index("question"), columns.index("sql")
        return [(_cell(row, question), _cell(row, sql)) for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise BadRequest(f"{name} is not valid CSV ({error}).") from None


def _cell(row: list[str], index: int) -> str:
    return row[index] if index < len(row) else ""


def examples_to_json(examples: Iterable[Example]) -> list[dict]:
    """The file `export` writes: what `import` needs to add the examples again."""
    return [{"question": example.question, "sql": example.sql} for example in examples]
