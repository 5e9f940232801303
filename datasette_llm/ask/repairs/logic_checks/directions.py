"""The way the question's words point: "under age 30" kept as `age > 30`, "from old to young" sorted ascending,
"students who do not have a cat" answered with `WHERE PetType = 'cat'`.

A small model copies the comparison or the sort order of an example or of its own habit; the question states the
direction in plain words. Only a comparison of a column or an aggregate with the very number the question names
after such a word is read (`age > 30` for "under age 30"; never `age > 29`, which may be meant), and only the
single sort key of the outer query, so what raises a doubt is the opposite of what the question says, not another
way to say it.
"""

from __future__ import annotations

import re

from sqlglot import exp

# Words that put a number's values below or above it, and at most two words between them and the number ("under
# age 30", "more than $ 30"); a word of negation just before ("not more than 3", "do not have more than") is
# another statement and is left alone.
_BELOW = r"under|below|less than|fewer than|younger than|lower than|smaller than|shorter than|cheaper than|at most"
_ABOVE = r"over|above|more than|greater than|older than|higher than|larger than|bigger than|longer than|at least"
_AMOUNT = r"\s+(?:[a-z]+\s+){0,2}(?:\$\s*)?(-?\d+(?:\.\d+)?)\b"
_WORDS = {
    "below": re.compile(rf"\b(?:{_BELOW}|before|earlier than){_AMOUNT}"),
    "above": re.compile(rf"\b(?:{_ABOVE}|after|later than|exceeding){_AMOUNT}"),
}
_NEGATED = re.compile(r"\b(?:not|no|never)\b|n't\b")

# Words that ask for a sort order.
_HIGH = r"highest|largest|biggest|most|greatest|latest|newest|most recent"
_LOW = r"lowest|smallest|least|fewest|earliest|oldest"
_ORDER_WORDS = {
    "DESC": re.compile(
        rf"\b(?:descending|decreasing|reverse alphabetical(?:ly)?|from high to low"
        rf"|(?:from )?(?:the )?(?:{_HIGH}) (?:\w+ )?to (?:the )?(?:{_LOW}))\b"
    ),
    "ASC": re.compile(
        rf"\b(?:ascending|increasing|(?<!reverse )alphabetical(?:ly)?|from low to high"
        rf"|(?:from )?(?:the )?(?:{_LOW}) (?:\w+ )?to (?:the )?(?:{_HIGH}))\b"
    ),
}
# "From old to young" sorts an age from high to low, but a birth date from low to high: read only for an age.
_AGE_WORDS = {
    "DESC": re.compile(r"\bfrom (?:the )?old(?:est)? to (?:the )?young(?:est)?\b"),
    "ASC": re.compile(r"\bfrom (?:the )?young(?:est)? to (?:the )?old(?:est)?\b"),
}
_AGE = re.compile(r"(?:^|_)age(?:$|_)", re.IGNORECASE)
_FIRST = {"ASC": "lowest", "DESC": "highest"}


def _said_directions(question: str) -> dict[float, dict[str, str]]:
    """The numbers the question puts a direction on: number -> {"below" or "above": the words that say so}."""
    text = question.lower()
    said: dict[float, dict[str, str]] = {}
    for direction, words in _WORDS.items():
        for match in words.finditer(text):
            if _NEGATED.search(text[max(0, match.start() - 20) : match.start()]):
                continue
            said.setdefault(float(match.group(1)), {})[direction] = match.group(0)
    return said


_MEASURES = (exp.Column, exp.AggFunc)  # a column, or a count, sum, average... in HAVING


def _number(node) -> float | None:
    if isinstance(node, exp.Neg):
        value = _number(node.this)
        return None if value is None else -value
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return float(node.this)
        except ValueError:
            return None
    return None


def opposite_comparisons(select, question: str) -> list[str]:
    """`age > 30` where the question says "under age 30", `HAVING count(*) < 3` for "more than 3" (and the other
    way round), in this SELECT's own WHERE and HAVING."""
    said = _said_directions(question)
    if not said:
        return []
    doubts = []
    for node in select.find_all(exp.GT, exp.GTE, exp.LT, exp.LTE):
        if node.parent_select is not select:
            continue
        keeps_above = isinstance(node, (exp.GT, exp.GTE))
        if isinstance(node.left, _MEASURES) and (value := _number(node.right)) is not None:
            column = node.left
        elif isinstance(node.right, _MEASURES) and (value := _number(node.left)) is not None:
            column, keeps_above = node.right, not keeps_above
        else:
            continue
        directions = said.get(value, {})
        kept = "above" if keeps_above else "below"
        if directions and kept not in directions:
            (words,) = directions.values()
            doubts.append(
                f"{node.sql(dialect='sqlite')} keeps {column.sql(dialect='sqlite')} {kept} {value:g}, but the "
                f'question says "{words}": compare the other way'
            )
    return doubts


def opposite_order(select, question: str) -> list[str]:
    """`ORDER BY age` (lowest first) where the question asks "from old to young", `ORDER BY x DESC` for
    "ascending"; only a sort on one key, and only when the question asks for one order."""
    order = select.args.get("order")
    if order is None or len(order.expressions) != 1:
        return []
    (key,) = order.expressions
    text = question.lower()
    wanted = {direction for direction, words in _ORDER_WORDS.items() if words.search(text)}
    if isinstance(key.this, exp.Column) and _AGE.search(key.this.name):
        wanted |= {direction for direction, words in _AGE_WORDS.items() if words.search(text)}
    if len(wanted) != 1:
        return []
    (want,) = wanted
    sorted_as = "DESC" if key.args.get("desc") else "ASC"
    if want == sorted_as:
        return []
    return [
        f"ORDER BY {key.sql(dialect='sqlite')} lists the {_FIRST[sorted_as]} first, but the "
        f"question asks for the {_FIRST[want]} first: sort {want}"
    ]


# A negation in the question ("do not have", "never", "without", "no") that the query must express somehow: a
# negation before a comparison ("no more than 3", "not older than", "do not have the minimum") is said with `<=` or
# `>` instead, "or not" asks whether, and "no" before no word ("flight no?", "no.") abbreviates a number.
_NEGATION = re.compile(r"\b(?:not|never|without|none)\b|\bno(?=\s+\w)|\b\w+n't\b")
_COMPARED_AFTER = re.compile(
    rf"^(?:\s+\w+){{0,3}}?\s+(?:{_BELOW}|{_ABOVE}|{_HIGH}|{_LOW}|before|after|earlier|later|exceed\w*|equal\w*"
    r"|minimum|maximum|min|max|average|same)\b"
)
# Literals that say "no" in a column: `active = 0`, `is_member = 'N'`
_FALSE = {"0", "n", "no", "false", "f", "none", ""}


def _negated_in_sql(tree: exp.Expression) -> bool:
    """Whether anything in the query leaves rows out by a negation: NOT (IN, EXISTS, LIKE...), `!=`, EXCEPT, IS
    NULL, a comparison with a value that says no (0, 'N', false), or `< 1`."""
    if tree.find(exp.Not, exp.NEQ, exp.Except) is not None:
        return True
    if any(node.args.get("negate") for node in tree.walk()):  # NOT LIKE, NOT GLOB as sqlglot reads them
        return True
    if any(isinstance(node.expression, exp.Null) for node in tree.find_all(exp.Is)):
        return True
    for node in tree.find_all(exp.EQ, exp.LTE):  # `active = 0`, `COUNT(...) <= 0` (`> 0` says yes)
        for side in (node.left, node.right) if isinstance(node, exp.EQ) else (node.right,):
            if isinstance(side, exp.Boolean) and not side.this:
                return True
            if isinstance(side, exp.Literal) and side.this.strip().lower() in _FALSE:
                return True
    for node in tree.find_all(exp.LT, exp.GT):  # COUNT(...) < 1, 1 > COUNT(...)
        bound = node.right if isinstance(node, exp.LT) else node.left
        if isinstance(bound, exp.Literal) and bound.this.strip() == "1":
            return True
    return False


def negation_left_out(tree: exp.Expression, question: str) -> list[str]:
    """ "students who do not have a cat" answered with `WHERE PetType = 'cat'`: the question says "not" and nothing
    in the query leaves a row out by a negation, so it keeps the very rows the question excludes."""
    text = question.lower()
    said = next(
        (
            match
            for match in _NEGATION.finditer(text)
            if not _COMPARED_AFTER.match(text[match.end() :]) and not text[: match.start()].rstrip().endswith(" or")
        ),
        None,
    )
    if said is None or _negated_in_sql(tree):
        return []
    before = text[: said.start()].split()[-1:]  # "do not have a cat", "airports without any flights"
    words = " ".join(before + text[said.start() :].split()[:4]).rstrip("?.!,;:")
    return [
        f'the question says "{words}", but nothing in the query leaves rows out by it (no NOT, !=, EXCEPT or IS '
        "NULL): it may keep the very rows the question excludes; if it already leaves them out another way, write it "
        "again unchanged"
    ]
