"""Numbers in an answer that the model was never shown: "never show a number the database did not return".

The answer from rows and the answer from text passages are both checked against the exact text the model read
(and the question). What is extracted, on both sides alike:
- plain numbers with thousands separators and decimals (`1,234.5`, `$12.00`), a leading dot (`.25`), signed
  when the sign stands apart (`-5`, not the `-` of `2020-2021`), after any letter or punctuation (`alpha,987654`
  in CSV) except inside another number (the `234` of `1,234`); leading and trailing zeros do not count (`05` of
  a date is the `5` of "January 5", `12.00` is `12`);
- digits inside a word when there are at least three of them (`ID151847156`, `v909.997`; not `mp3` or `x86`);
- hexadecimal (`0x586`);
- amounts with a scale: `1e20`, `1.5k`, `$12M`, `£12m` (a lower-case `m` or `b` only after a currency sign), `3bn`,
  `12mn`, `7万`, `408 thousand`, `12 millions`, `2.5 lakh`, `3 crore`, `12 Mio.`, `twenty-five million`, and after a
  currency sign a one-letter scale after a space (`$291 M`); a scale after a hyphen (`$12-million`); an article
  before a scale (`a million`, `half a million`, `a dozen`; not "a grand total"); `N dozen`;
- a minus before a currency sign (`-$12`), an amount glued to a currency code (`USD12 million`), digits between
  Markdown's underscores (`__42__`), a number after a decimal and a comma (`91.5,88.2`);
- number words from eleven up (`fifteen`, `twenty-three`, `twenty three`, `three hundred and five`, `six thousand
  seven hundred`: several scales are one number); the shown side counts "one" to "ten" too, so an answer may write
  `7` for a passage's "seven";
- thousands grouped by apostrophes (`7'000`, `7’000`), the Arabic separator, or two dots or more (`4.000.000`);
  one dot before three digits (`1.001`) is either reading, but `7.000` is 7 only as a rounding of a number shown
  with three decimals or more; a figure space between groups of three groups them. The digits a clipped cell ends
  on (`410759…[clipped]`, `1.5e…`, `0x1f…`) are no number shown.
A plain number is shown when it is written the same way or is a rounding of one that was ("3.14" and "3.142"
for 3.14159, "38" for 37.62); an amount with a scale when a shown number rounds to it at the precision written
("1.2 million" for 1,234,567, "1.5k" for 1,500).
Commas that do not group thousands (`51,206,36.5`) part a number into numbers, as a reader sees them; one comma
before one or two digits (`66,3`) is either a decimal comma or two numbers.
An amount in the scale the question asks for ("in millions") may be the shown number itself (`12.84 million` for
12.840924). A list's item numbers (`1.`, `2)` opening two lines or more) are not amounts.
Both sides are read as a reader reads them (as_read): characters drawn with no width are dropped (format
characters, the other default-ignorable ones, combining marks, narrow spaces between digits), so the digits on
either side of one are one number; superscript, circled, full-width digits and digits of other scripts are digits.
The answer is read as the page draws it (as_rendered): "1017**2017**" shows as 10172017. The answer shown is the
answer checked, without format characters (ask/answer.py). Dates are read and checked as dates (dates.py).
Not checked: the words "one" to "ten" in an answer ("one of the", "top ten": they are everywhere in prose), fractions
(`1/3`, `½`), roman numerals, and thousands separated by ordinary spaces (`1 500` reads as 1 and 500; a no-break
space between groups of three groups them). Characters that show as a gap (U+2800, a line separator) part numbers.
Outside testers found many of these shapes unchecked (sessions 17, 34); tests/ask/test_numbers.py generates them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

import sqlglot
from sqlglot import exp

from ..context import FittedRows
from ..sql.clipping import CLIP_MARKER
from ..sql.names import fold
from ..sql.parsing import parse_one
from .dates import ShownDates, unshown_dates
from .schema_tables import TableSchema
from .written_numbers import (
    QUESTION_WORDS,
    SCALE_WORDS,
    Written,
    as_read,
    as_rendered,
    decimals_in,
    invisible_dropped,
    plain_number,
    to_float,
    written_numbers,
)

__all__ = ["ShownNumbers", "invisible_dropped", "shown_forms", "unverified_numbers", "written_numbers"]


def _named_scale(question: str, scale: float) -> bool:
    """Whether the question asks for amounts in this scale ("in millions", "how many thousand")."""
    words = [word for word, value in SCALE_WORDS.items() if value == scale]
    return bool(words) and re.search(rf"\b(?:{'|'.join(words)})s?\b", question, re.IGNORECASE) is not None


# A float has about 17 significant digits; _Roundings compares at most 12 decimals too.
MAX_FORM_DECIMALS = 12
MAX_WRITTEN_OUT = 40  # exponents up to this many places are compared written out


def _forms(number: str) -> set[str]:
    """The ways an answer may write a number it was shown: itself, its truncations and its roundings (to at most
    MAX_FORM_DECIMALS places: every one of a long fraction's took time and memory quadratic in its digits, 16,000
    digits 0.9 s and 130 MB; an outside tester, session 32)."""
    forms = {number}
    if number.startswith("0x") and len(number) <= 18:  # a hexadecimal number is its value too (at most 64 bits)
        forms.add(str(int(number, 16)))
        return forms
    mantissa, _, exponent = number.partition("e")
    if exponent:  # 1e+20 (as SQLite prints a REAL) may be written out: 100,000,000,000,000,000,000
        written_out = _written_out(number)
        return forms | _forms(written_out) if written_out else forms
    if "." in mantissa:
        whole, fraction = mantissa.split(".", 1)
        places = min(len(fraction), MAX_FORM_DECIMALS)
        forms.add(whole)
        forms.update(plain_number(f"{whole}.{fraction[:n]}") for n in range(1, places))
        value = to_float(mantissa)
        if value is not None:
            forms.update(plain_number(f"{value:.{n}f}") for n in range(0, places))
        # Rounded as a reader rounds the digits shown, half up: 2.5 is "about 3" and 38.5 "about 39", where the
        # binary value rounds half to even (2, 38) or below its decimal half (1.005 to 1.0): each was a false alarm
        # (an outside tester, session 58).
        try:
            decimal = Decimal(mantissa)
        except InvalidOperation:
            return forms
        forms.update(
            plain_number(format(_half_up(decimal, n), "f"))
            for n in range(places)  # "f": str() writes 0.0000003 as 3E-7
        )
    return forms


def _written_out(number: str) -> str | None:
    """A number in exponent form (`1e20`, `2.5e-07`) written out (`100000000000000000000`, `0.00000025`), when its
    exponent is at most MAX_WRITTEN_OUT (else None): an answer writing the REAL it was shown in full was flagged (an
    outside tester, session 58)."""
    mantissa, _, exponent = number.partition("e")
    try:
        if abs(int(exponent)) > MAX_WRITTEN_OUT:
            return None
        return plain_number(format(Decimal(f"{mantissa}e{exponent}"), "f"))
    except (ValueError, InvalidOperation):
        return None


def shown_forms(text: str) -> set[str]:
    """Every form an answer may write the numbers of `text` in, read as shown text is (number words included)."""
    return forms_and_amounts(text)[0]


def forms_and_amounts(text: str) -> tuple[set[str], list[float]]:
    """shown_forms(text), and the values of its numbers (what an amount with a scale is rounded against)."""
    shown = written_numbers(text, in_words=True)
    return set().union(*(_forms(w.token) for w in shown)), [v for v in (w.amount for w in shown) if v is not None]


# The digits a cell's cut ends on (`410759…[clipped]` of 410759321) are no number the database returned: an answer's
# 410759 passed as shown (an outside tester, session 40). The marker as written and as read (as_read: NFKC's "...").
# Only from where a run of digits starts: from each digit of a run, a 32,000-digit fraction took 11 s.
# A cut inside an exponent or a hexadecimal number (`1.5e…[clipped]` of 1.5e+20, `0x1f…` of 0x1f2e) too (an outside
# tester, session 54).
_CUT_NUMBER = re.compile(
    r"(?<![\d.,])(?:0[xX][0-9a-fA-F]*|\d[\d.,]*(?:[eE][+-]?\d*)?)(?=(?:"
    + re.escape(CLIP_MARKER)
    + "|"
    + re.escape(unicodedata.normalize("NFKC", CLIP_MARKER))
    + "))"
)


def precision(scale: float, decimals: int) -> tuple[float, int]:
    """The (scale, places) an amount written with a scale and `decimals` is compared at: shown values rounded so
    (rounded()) round to it. At most MAX_FORM_DECIMALS places."""
    return scale, min(decimals, MAX_FORM_DECIMALS)


def rounded(value: float, at: tuple[float, int]) -> float:
    return round(value / at[0], at[1])


def rounded_half_up(value: float, at: tuple[float, int]) -> float:
    """As a reader rounds the digits shown: 1,250,000 is "1.3 million", 2.5e20 "3 × 10^20", where round() rounds
    the binary value half to even (an outside tester, session 60). Both roundings count."""
    try:
        return float(_half_up(Decimal(repr(value / at[0])), at[1]))
    except (InvalidOperation, ValueError, OverflowError):
        return rounded(value, at)


def _half_up(number: Decimal, places: int) -> Decimal:
    """`number` rounded half up to `places` decimals, with precision for every digit: the default 28 made quantize
    raise on a longer number, and a question that merely wrote one was a 500 (an outside tester, session 60)."""
    return number.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP, Context(prec=len(str(number)) + places + 2))


class _Roundings:
    """The shown values rounded at each (scale, decimals) an answer writes, computed once per pair: an answer of
    many amounts against many rows would otherwise round every value for every amount."""

    def __init__(self, values: Iterable[float]):
        self.values = list(values)
        self.cache: dict[tuple[float, int], set[float]] = {}

    def include(self, written: float, scale: float, decimals: int) -> bool:
        at = precision(scale, decimals)
        if at not in self.cache:
            self.cache[at] = {rounded(value, at) for value in self.values} | {
                rounded_half_up(value, at) for value in self.values
            }
        return rounded(written, at) in self.cache[at]


class ShownNumbers:
    """The numbers of a text the model read, read once: whether an answer's number is one of them (as written, a
    rounding, or at a scale). With `question`, the question's numbers and number words count as shown too, and an
    amount in the scale it asks for ("in millions") may be the shown number itself; `counts` are row counts the
    pipeline states itself. `read`: `shown_text` is as_read already."""

    def __init__(
        self,
        shown_text: str,
        question: str = "",
        counts: Sequence[int] = (),
        *,
        with_question: bool = True,
        read: bool = False,
    ):
        shown = written_numbers(_CUT_NUMBER.sub(" ", shown_text), in_words=True, read=read)
        if with_question:
            shown += written_numbers(question, in_words=True)
        self.question = question
        self.forms = set().union(*(_forms(w.token) for w in shown), {str(c) for c in counts})
        if with_question:
            self.forms |= {d for word, d in QUESTION_WORDS.items() if re.search(rf"\b{word}\b", question, re.I)}
        self.roundings = _Roundings(
            [v for v in (w.amount for w in shown) if v is not None] + [float(c) for c in counts]
        )
        self.three_places = {
            plain_number(f"{w.amount:.3f}")
            for w in shown
            if w.value is None and w.amount is not None and decimals_in(w.text.rstrip(",")) >= 3
        }

    def holds(self, number: Written) -> bool:
        if number.token in self.forms or number.rounding in self.three_places or number.grouped in self.forms:
            return True
        if number.parts and all(part in self.forms for part in number.parts):
            return True
        if number.pieces and all(self.holds(piece) for piece in number.pieces):
            return True
        if number.token.startswith("0x") and len(number.token) <= 18:  # 0x3f9 for a shown 1017
            return str(int(number.token, 16)) in self.forms
        if number.value is None:
            return False
        if self.roundings.include(number.value, number.scale, number.decimals):
            return True
        # "12.84 million" for a shown 12.840924 when the question asked "in millions"
        return (
            number.scale > 1
            and _named_scale(self.question, number.scale)
            and self.roundings.include(number.value / number.scale, 1.0, number.decimals)
        )


def shown_with_table_names(fitted: FittedRows, tables: Sequence[TableSchema], sql: str) -> str:
    """The rows the model was shown, their header keeping only names a table gave the columns under them. A name
    the model wrote is no number the database returned: the alias `releases_in_2023` over a count of 2022's releases
    let "13 releases in 2023" pass, `sum(x*100)` would let 100, and `sum(pop_2020) as pop_2021`, another column's
    name, let 2021 (an outside tester, session 58). A query sqlglot cannot read keeps no name."""
    known = {fold(column) for table in tables for column in table.columns}
    written = _names_the_query_wrote(sql)
    names = [
        name
        for name in fitted.header.split(" | ")
        if written is not None and fold(name) in known and fold(name) not in written
    ]
    return " | ".join(names) + fitted.text[len(fitted.header) :]


def _names_the_query_wrote(sql: str) -> set[str] | None:
    """Column names the query wrote itself (folded): its aliases of anything but the column of that name, at any
    depth (an alias in a CTE or a subquery reaches the header as well: an outside tester, session 59), the names of
    a CTE's or a derived table's column list over anything but that column, and the names
    of a compound query's first SELECT under which a later one puts anything but that column. None when sqlglot
    cannot read the query."""
    try:
        tree = parse_one(sql)
    except (sqlglot.errors.SqlglotError, RecursionError):
        return None
    written = {
        fold(alias.alias)
        for alias in tree.find_all(exp.Alias)
        if not (isinstance(alias.this, exp.Column) and fold(alias.this.name) == fold(alias.alias))
    }
    # A column list renames as an alias does: `with s(pop_2021) as (select sum(pop_2020) ...)`, `(...) as s(a, b)`
    # (an outside tester, session 60).
    for listed in tree.find_all(exp.TableAlias):
        body = listed.parent.this if isinstance(listed.parent, (exp.CTE, exp.Subquery)) else None
        selected = _branches(body)[0].expressions if isinstance(body, (exp.Select, exp.SetOperation)) else []
        for at, column in enumerate(listed.columns):
            if not _the_column(selected[at : at + 1], fold(column.name)):
                written.add(fold(column.name))
    for compound in tree.find_all(exp.SetOperation):
        if isinstance(compound.parent, exp.SetOperation):
            continue  # read with the whole compound it is the first part of
        first, *others = _branches(compound)
        for at, projection in enumerate(first.expressions):
            name = fold(projection.alias_or_name)
            if any(not _the_column(other.expressions[at : at + 1], name) for other in others):
                written.add(name)
    return written


def _branches(compound: exp.Expression) -> list[exp.Expression]:
    """The SELECTs of a compound query, in order (sqlglot nests them to the left)."""
    if isinstance(compound, exp.SetOperation):
        return _branches(compound.this) + _branches(compound.expression)
    return [compound.unnest() if isinstance(compound, exp.Subquery) else compound]


def _the_column(projections: list, name: str) -> bool:
    """Whether the one projection given is the bare column `name` (aliased as itself or not)."""
    if len(projections) != 1:
        return False
    column = projections[0].unalias() if isinstance(projections[0], exp.Alias) else projections[0]
    return isinstance(column, exp.Column) and fold(column.name) == name


def unverified_numbers(answer: str, shown_text: str, question: str, counts: Sequence[int] = ()) -> list[str]:
    """Numbers and dates in the answer, as a page draws it (as_rendered, as_read), that appear neither in the text
    the model was shown, the question, nor `counts` (row counts the pipeline states itself), in the order they
    appear, as written. Dates are checked as dates (dates.py) and their numbers not again."""
    shown_read = as_read(shown_text)  # once: tens of ms for tens of KB of rows that are not ASCII
    shown = ShownNumbers(shown_read, question, counts, read=True)
    read = as_read(as_rendered(answer))
    dates, spans = unshown_dates(read, ShownDates(shown_read, as_read(question)), shown.forms.__contains__)
    flagged = [(read.find(date), date) for date in dates]
    parts, at = [], 0
    for start, end in spans:  # each date checked whole, not as three numbers
        parts += [read[at:start], " " * (end - start)]
        at = end
    read = "".join(parts) + read[at:]
    flagged += [(number.start, number.text) for number in written_numbers(read, read=True) if not shown.holds(number)]
    return list(dict.fromkeys(text for _, text in sorted(flagged)))  # each once, in order
