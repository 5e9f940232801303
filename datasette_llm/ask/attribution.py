"""Whose number it is: what an answer says a shown number belongs to, checked against the rows the model read.

numbers.py asks whether each number in an answer was shown. An answer can still give a shown number to the wrong
thing; an outside tester asking the real model found two ways (session 29):

- **Unlabelled rows.** The query picked rows by two or more names of one column (`name IN ('A', 'B')`, or
  `name = 'A' UNION ALL ... name = 'B'`) and did not return that column: the rows do not say which value is
  whose, and the model pairs them by guess ("The price of A is 92,241.03, and the price of B is also 92,241.03"
  from one row). Warned when the answer names two of them that the rows never show and states shown numbers for
  them: any when several rows came back (each holds one name's value), one of them twice when one row did, or
  any with "each" or "respectively". A name that is only part of a column's name (`AverageLengthJazz`) does not
  label rows. One number for all of them from one row ("the combined population of A and B is 1,710,597") is not
  a pairing and is not warned.
- **Another row's number.** A sentence names things the rows hold and states a number the rows hold, but no row
  shown holds both ("Umber Desk ... $32,718.26" where 32,718.26 is Ember Blender's), an amount with a scale
  (`$44.50M`) by the rows whose numbers round to it. With "respectively", the names and numbers are paired in
  order and each pair is checked.

Only what the model read counts: the rows are read back from the text it was shown (cells as clipped there), the
names from the query it wrote. Numbers of the question and row counts the pipeline states are not checked here
(nor numbers never shown: numbers.py warns of those). Work is linear in the answer and the shown text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from sqlglot.tokens import Tokenizer, TokenType

from .numbers import ShownNumbers, forms_and_amounts, precision, rounded, shown_forms, written_numbers

SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")  # (not ":": "East: $1,635.91" is one statement)
PER_NAME = re.compile(r"\b(?:each|respectively|apiece)\b")  # "A, B and C each have 31": one number given to each
NAME_CHARS = (3, 100)  # a cell's length to count as a name the answer may mention
_NAME_TOKENS = (TokenType.VAR, TokenType.IDENTIFIER)


def shown_rows(text: str) -> tuple[str, list[list[str]]]:
    """(header line, rows of cells) as fitted_rows wrote them for the model (cells never hold " | ")."""
    header, *lines = text.split("\n")
    return header, [line.split(" | ") for line in lines]


def filtered_names(sql: str) -> dict[str, list[str]]:
    """Text literals the query compares a column with (`col = 'x'`, `'x' = col`, `col IN ('x', 'y')`), by the
    column's name in lower case, in order. Read from tokens (linear), not a parse tree."""
    try:
        tokens = Tokenizer(dialect="sqlite").tokenize(sql)
    except Exception:  # (sqlglot raises its own TokenError and others on text it cannot read)
        return {}
    found: dict[str, dict[str, None]] = {}  # (dicts as ordered sets)

    def add(column: str, literal: str) -> None:
        found.setdefault(column.lower(), {})[literal] = None

    for at, token in enumerate(tokens):
        if token.token_type == TokenType.EQ and 0 < at < len(tokens) - 1:
            before, after = tokens[at - 1], tokens[at + 1]
            if before.token_type in _NAME_TOKENS and after.token_type == TokenType.STRING:
                add(before.text, after.text)
            elif before.token_type == TokenType.STRING and after.token_type in _NAME_TOKENS:
                end = at + 1  # `'x' = t.name`: the column is the chain's last name
                while end + 2 < len(tokens) and tokens[end + 1].token_type == TokenType.DOT:
                    end += 2
                add(tokens[end].text, before.text)
        elif token.token_type == TokenType.IN and at and tokens[at - 1].token_type in _NAME_TOKENS:
            column = tokens[at - 1].text
            if at + 1 < len(tokens) and tokens[at + 1].token_type == TokenType.L_PAREN:
                end = at + 2
                while end < len(tokens) and tokens[end].token_type in (TokenType.STRING, TokenType.COMMA):
                    if tokens[end].token_type == TokenType.STRING:
                        add(column, tokens[end].text)
                    end += 1
    return {column: list(names) for column, names in found.items()}


def _mentions(text_lower: str, name: str) -> bool:
    name = " ".join(name.split()).lower()
    if not name or name not in text_lower:
        return False
    return re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text_lower) is not None


def _within(at: int, mentions: list[tuple[int, int, str]], starts: list[int]) -> bool:
    """Whether `at` is inside a name mentioned (the 4738 of "Umber Clock Pro4738" is part of the name)."""
    place = bisect.bisect_right(starts, at) - 1
    return place >= 0 and at < mentions[place][1]


def unlabelled_pairings(answer: str, sql: str, shown_text: str, rows_shown: int) -> list[str]:
    """Names the query picked rows by, which the answer pairs with shown numbers though the rows never name them."""
    answer_lower = " ".join(answer.split()).lower()
    shown_lower = shown_text.lower()
    shown = {form.lstrip("-") for form in shown_forms(shown_text)}  # a difference -5 is stated as "5 more"
    stated = [w.token.lstrip("-") for w in written_numbers(answer) if w.token.lstrip("-") in shown]
    paired = bool(stated) if rows_shown >= 2 else len(stated) > len(set(stated))
    if not (paired or (stated and PER_NAME.search(answer_lower))):
        return []
    for names in filtered_names(sql).values():
        unnamed = [
            name
            for name in names
            if any(c.isalpha() for c in name)
            and len(name) >= 2
            and not _mentions(shown_lower, name)  # a label is a word of its own: not the "jazz" of "avglengthjazz"
            and _mentions(answer_lower, name)
        ]
        if len(unnamed) >= 2:
            return unnamed
    return []


def numbers_of_other_rows(answer: str, shown_text: str, question: str, counts: Sequence[int] = ()) -> list[tuple]:
    """(number as written, the names beside it) for numbers an answer's sentence states beside names of shown rows
    when no row that sentence names holds the number (with "respectively": the name paired with it in order)."""
    _, rows = shown_rows(shown_text)
    rows_of_form: dict[str, set[int]] = {}  # a form of a shown number -> the rows holding it
    rows_of_name: dict[str, set[int]] = {}  # a name in lower case -> the rows holding it
    written: dict[str, str] = {}  # ... -> as a row first writes it
    amounts: list[list[float]] = []  # each row's numbers, for amounts written with a scale
    for place, row in enumerate(rows):
        forms, values = forms_and_amounts(" | ".join(row))
        amounts.append(values)
        for form in forms:
            rows_of_form.setdefault(form, set()).add(place)
        for cell in row:
            if NAME_CHARS[0] <= len(cell) <= NAME_CHARS[1] and any(c.isalpha() for c in cell):
                key = " ".join(cell.split()).lower()
                rows_of_name.setdefault(key, set()).add(place)
                written.setdefault(key, cell)
    if not rows_of_name:
        return []
    text = re.sub(r"[^\S\n]+", " ", answer)  # runs of spaces as one, as names are; lines kept
    # Every mention at once, the longest name first where several start at one place ("Delta Blender", not its
    # "Blender"); a name inside a longer one's mention is that one's.
    names = re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(name) for name in sorted(rows_of_name, key=len, reverse=True)) + r")(?!\w)"
    )
    mentions = [(m.start(), m.end(), m.group(0)) for m in names.finditer(text.lower())]
    starts = [start for start, _, _ in mentions]
    exempt = shown_forms(question) | {str(count) for count in counts}
    asked, rounded = ShownNumbers(question, with_question=False), _RowRoundings(amounts)
    holding: dict[int, set[int]] = {}  # a stated number's place -> the rows holding it
    numbers = []
    for w in written_numbers(text):
        if _within(w.start, mentions, starts):
            continue
        if w.token in rows_of_form and w.token not in exempt:
            holding[w.start] = rows_of_form[w.token]
        elif w.value is not None and w.scale > 1 and rounded.rows(w) and not asked.holds(w):
            # `$44.50M` beside a name: the rows whose numbers round to it (read as plain numbers only, another
            # row's amount written with a scale was never checked; an outside tester, session 54)
            holding[w.start] = rounded.rows(w)
        else:
            continue
        numbers.append(w)
    # Each mention and number to its sentence (sentence i ends at ends[i]), once.
    ends = [m.end() for m in SENTENCE_END.finditer(text)] + [len(text)]
    named: dict[int, dict[str, None]] = {}  # sentence -> the names it mentions, in order (an ordered set)
    for start, _, name in mentions:
        named.setdefault(bisect.bisect_right(ends, start), {})[name] = None
    stated: dict[int, list] = {}
    for number in numbers:
        stated.setdefault(bisect.bisect_right(ends, number.start), []).append(number)
    found = []
    for sentence, sentence_numbers in stated.items():
        beside_all = list(named.get(sentence, ()))
        if not beside_all:
            continue
        words = text[ends[sentence - 1] if sentence else 0 : ends[sentence]].lower()
        if "respectively" in words and len(sentence_numbers) == len(beside_all) >= 2:
            pairs = [(number, [name]) for number, name in zip(sentence_numbers, beside_all)]
        else:
            pairs = [(number, beside_all) for number in sentence_numbers]
        for number, beside in pairs:
            if not any(holding[number.start] & rows_of_name[name] for name in beside):
                found.append((number.text, [written[name] for name in beside]))
    return found


class _RowRoundings:
    """Which rows hold a number that rounds to an amount written with a scale, at the precision written: each row's
    numbers rounded once for each (scale, places) an answer writes (linear in the rows, not rows x amounts)."""

    def __init__(self, amounts: list[list[float]]):
        self.amounts = amounts
        self.cache: dict[tuple[float, int], dict[float, set[int]]] = {}

    def rows(self, written) -> set[int]:
        at = precision(written.scale, written.decimals)  # as numbers.py compares it with shown values
        if at not in self.cache:
            table: dict[float, set[int]] = {}
            for place, values in enumerate(self.amounts):
                for value in values:
                    table.setdefault(rounded(value, at), set()).add(place)
            self.cache[at] = table
        return self.cache[at].get(rounded(written.value, at), set())


def attribution_warnings(
    answer: str, sql: str, shown_text: str, question: str, rows_shown: int, counts: Sequence[int] = ()
) -> tuple[str, ...]:
    """The warnings to show under an answer from rows (none when the answer pairs numbers as the rows do)."""
    warnings = []
    unnamed = unlabelled_pairings(answer, sql, shown_text, rows_shown)
    if unnamed:
        warnings.append(
            f"The rows do not say which of {_listed(unnamed)} each value belongs to (the query did not return the "
            "column that names them); how the answer pairs values with names is the model's guess."
        )
    for number, names in numbers_of_other_rows(answer, shown_text, question, counts):
        warnings.append(
            f"The answer gives {number} beside {_listed(names)}, but no row the model was shown holds both; "
            "check them against the table below."
        )
    return tuple(warnings)


def _listed(names: Sequence[str]) -> str:
    quoted = [f"“{name}”" for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
