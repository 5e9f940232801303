"""Numbers as a text writes them, read as a reader reads them: digits, groupings, scales, number words.

`written_numbers()` finds every number of a text with its value, the forms it may be a rounding of and its parts;
`as_read()` and `as_rendered()` give the text a reader sees (characters drawn with no width dropped, digits of
every script as digits, the answer's Markdown as the page draws it). What counts as a number, and what does not,
is listed in numbers.py, which checks an answer's numbers against the text the model was shown.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from typing import NamedTuple

from ..terminal import DRAWN_WITHOUT_WIDTH

_DIGITS = r"(?:\d[\d,]*(?:\.\d+)?|\.\d+)"
NUMBER = re.compile(
    r"(?P<hex>0[xX][0-9a-fA-F]+)"
    r"|(?P<sign>(?<![\w.,-])-)?(?<!\d)(?<!\d[.,])(?P<body>" + _DIGITS + r"(?:[eE][+-]?\d+)?)"
    r"(?:(?P<suffix>mln|bln|trn|bn|mn|tn|MM|Mio|Mrd|\u767e\u4e07|[kKmMbB\u5343\u4e07\u842c\ub9cc\u4ebf\u5104\uc5b5\u5146])"
    r"(?![A-Za-z]))?(?!\d)"
)
WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}  # fmt: skip
UNIT_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
TENS_WORDS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_TENS_UNITS = "(?:" + "|".join(TENS_WORDS) + ")[- ](?:" + "|".join(UNIT_WORDS) + ")"
_BELOW_HUNDRED = _TENS_UNITS + "|" + "|".join(sorted((w for w in WORDS if w != "hundred"), key=len, reverse=True))
# "three hundred and twenty-five", "twenty-three", "twenty three", then single words; the longest first, so
# "twenty-three" is not "twenty" and "three hundred" not "hundred" (read as 100: an outside tester, session 40).
WORD_AMOUNT = (
    "(?:" + "|".join(sorted((w for w in WORDS if WORDS[w] < 20), key=len, reverse=True)) + ")[- ]hundred"
    + "(?:(?:[- ]and)?[- ](?:" + _BELOW_HUNDRED + "))?"
    + "|" + _BELOW_HUNDRED + "|hundred"
)  # fmt: skip
WORD_NUMBER = re.compile(r"(?<![\w-])(?P<word>" + WORD_AMOUNT + r")(?![\w-])", re.IGNORECASE)
# Number words an answer is held to: from eleven up. "One" to "ten" are everywhere in prose ("one of the", "top
# ten"); the shown side counts them all, so an answer may write "7" for a passage's "seven".
CHECKED_WORD_FROM = 11
SCALE_WORDS = {
    "dozen": 12, "thousand": 1e3, "grand": 1e3, "tsd": 1e3, "lakh": 1e5, "lac": 1e5, "million": 1e6, "millionen": 1e6,
    "millones": 1e6, "milioni": 1e6, "mln": 1e6, "mn": 1e6, "mio": 1e6, "crore": 1e7, "billion": 1e9, "bln": 1e9,
    "milliard": 1e9, "milliarden": 1e9, "miliardi": 1e9, "bn": 1e9, "mrd": 1e9, "mia": 1e9, "trillion": 1e12,
    "tn": 1e12, "trn": 1e12,
}  # fmt: skip
# A scale written onto the digits: `1.5k`, `$12M`, `3bn`, `12mn`, `7万` (ten thousand). A lower-case `m` or `b` is
# a scale only after a currency sign (`£12m`; a `12m` boat is twelve metres): read as the bare digits, every such
# amount passed where the rows showed the digits (an outside tester, session 40).
SUFFIXES = {
    "k": 1e3, "m": 1e6, "mm": 1e6, "b": 1e9, "bn": 1e9, "bln": 1e9, "mn": 1e6, "mln": 1e6, "tn": 1e12,
    "trn": 1e12, "mio": 1e6, "mrd": 1e9, "\u5343": 1e3, "\u4e07": 1e4, "\u842c": 1e4, "\ub9cc": 1e4,
    "\u767e\u4e07": 1e6, "\u4ebf": 1e8, "\u5104": 1e8, "\uc5b5": 1e8, "\u5146": 1e12,
}  # fmt: skip
CURRENCY_SIGNS = "$£€¥₹"
# An amount before a scale word has at most 40 digits and separators: unbounded, every `1` of "1,1,1,..." began a
# search to the end of the answer (an outside tester, session 27: 12 KB of it took 3.7 s on the event loop). A
# longer amount is still checked digit for digit, as a plain number.
_SCALED_DIGITS = r"(?:\d[\d,]{0,40}(?:\.\d{1,40})?|\.\d{1,40})"
# "a million", "half a million", "a dozen": an article is an amount of one ("half a": a half) before these scale
# words only ("a grand total" is none). A scale joined by a hyphen is one too ("$12-million", "a 408-thousand-strong
# network"): read as the bare digits, or not at all, an amount a million times a shown one passed (an outside
# tester, session 54).
_ARTICLES = {"a": 1.0, "an": 1.0, "half a": 0.5, "half an": 0.5}
_ARTICLE_SCALES = ("dozen", "thousand", "lakh", "million", "crore", "billion", "trillion")
SCALED = re.compile(
    r"(?<![\w.])(?<![A-Za-z]-)(?P<amount>" + _SCALED_DIGITS + "|" + WORD_AMOUNT + r"|half\s+an?|an?)(?:\s+|-)(?P<scale>"
    + "|".join(SCALE_WORDS) + r")s?\b",
    re.IGNORECASE,
)  # fmt: skip
# Digits grouped by commas as people group thousands: 1,234,567 or the Indian 12,34,567 (decimals after either).
GROUPED = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d{1,2}(?:,\d{2})*,\d{3})(?:\.\d+)?")
# Words in a question that stand for a number the answer may repeat ("the five repos": 5).
QUESTION_WORDS = {word: str(value) for word, value in WORDS.items() if value <= 20 or value == 100}


class Written(NamedTuple):  # a tuple: an answer of 64,000 numbers makes 64,000 of them
    """One number as written: `token` (normalised) is compared with the forms of shown numbers; an amount with a
    scale (`value` set: `1.5k`, `1e3`, "12 million") also by value, at the precision written."""

    text: str
    token: str
    start: int
    value: float | None = None  # set for an amount with a scale, compared by value
    scale: float = 1.0
    decimals: int = 0
    rounding: str | None = None  # `7.000` as a rounding to three places (`token` is the thousands reading, 7000)
    grouped: str | None = None  # `1.001` read as thousands grouped by a dot, 1001 (`token` is the decimal reading)
    parts: tuple[str, ...] = ()  # `66,3` read as two numbers, 66 and 3 (`token` is the decimal reading, 66.3)
    pieces: tuple = ()  # "six thousand, seven hundred" read as two amounts (Written each; `value` is 6,700)

    @property
    def amount(self) -> float | None:
        return self.value if self.value is not None else to_float(self.token)


def word_value(words: str) -> int | None:
    """`twenty-three` -> 23, `Fifteen` -> 15, `three hundred and five` -> 305; None for what is not a number word."""
    total = 0
    for part in re.split(r"[- ]+", words.lower()):
        if part == "and":
            continue
        if part not in WORDS:
            return None
        total = (total or 1) * 100 if part == "hundred" else total + WORDS[part]
    return total


def plain_number(body: str) -> str:
    """`1,234.50` -> `1234.5`, `.25` -> `0.25`, `05` -> `5`, `1E+5` -> `1e5`."""
    number = body.replace(",", "").lower().replace("e+", "e")
    mantissa, _, exponent = number.partition("e")
    whole, _, fraction = mantissa.partition(".")
    whole, fraction = whole.lstrip("0") or "0", fraction.rstrip("0")
    return whole + ("." + fraction if fraction else "") + ("e" + exponent if exponent else "")


def to_float(text: str) -> float | None:
    try:
        value = float(int(text, 16)) if text.startswith("0x") else float(text)
    except (ValueError, OverflowError):
        return None
    return value if abs(value) != float("inf") else None


def decimals_in(body: str) -> int:
    return len(body.replace(",", "").lower().partition("e")[0].partition(".")[2])


def invisible_dropped(text: str) -> str:
    """`text` without the characters a reader does not see: Unicode's format characters (zero-width spaces, soft
    hyphens, word joiners, U+FEFF, and the marks that reverse or isolate the direction of what follows them)."""
    if text.isascii():
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


# Minus sign, figure dash (NFKC keeps both) and en dash, the typeset minus: "–500" is -500 to a reader, as "2020–2021"
# is the range "2020-2021" (an outside tester, session 58). A minus sign standing before its digits is their sign too.
MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2012": "-", "\u2013": "-"})
MINUS_APART = re.compile(r"\u2212[ \u00a0]+(?=\d)")
# Narrow spaces between digits join them, as a reader reads them ("2\u202f017" is 2017, and "1807\u200a5" shows as
# 18075); so do no-break spaces between groups of three digits ("13\u00a0023").
NARROW_SPACES = re.compile(r"(?<=\d)[\u2006\u2008\u2009\u200a\u202f]+(?=\d)")
# No-break and figure spaces. A number a clip cut (`1 234 5…[clipped]` of 1 234 567) ends on a short group: it stays
# one number, which the check then drops as cut; its first groups alone passed as 1,234 (an outside tester, session 58).
NBSP_GROUPS = re.compile(
    r"(?<![\d.,])\d{1,3}(?:(?:[\u00a0\u2007]\d{3})+(?:[\u00a0\u2007]\d{1,2}(?=\u2026))?|[\u00a0\u2007]\d{1,2}(?=\u2026))(?!\d)"
)
# Thousands grouped the ways other house styles group them: apostrophes (Swiss `7'000`, `7’000`), the Arabic
# thousands separator (`٧٬٠٠٠`), and two dots or more (German `4.000.000`). Each was read as
# its first group alone, so an answer's 7,000 passed where the rows showed 7 (an outside tester, session 40). A full
# stop or comma after the amount ends it (a second tester: "7'000." was read as 7 and 000).
# With their decimals: after apostrophes a point (`6'393'466.30`), after dots a comma (`4.000.000,00`, `7.000,50`).
OTHER_GROUPS = re.compile(
    r"(?<![\d.,'\u2019\u066c])\d{1,3}"
    r"(?:(?P<apostrophes>(?:['\u2019\u066c]\d{3})+(?:\.\d+)?)|(?:\.\d{3}){2,}(?:,\d+)?|\.\d{3},\d+)"
    r"(?!\d|[.,'\u2019\u066c]\d)"
)


def _as_grouped(match: re.Match) -> str:
    """`7'000.50` -> `7,000.50`; `4.000.000,00` -> `4,000,000.00`."""
    if match.group("apostrophes"):
        return re.sub(r"['\u2019\u066c]", ",", match.group(0))
    whole, _, decimals = match.group(0).partition(",")
    return whole.replace(".", ",") + ("." + decimals if decimals else "")


def _digit(ch: str) -> str:
    """A decimal digit of any script as its ASCII digit (Devanagari "१०१७" reads as 1017); anything else as is."""
    return str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch


def as_read(text: str) -> str:
    """The text as a reader reads its numbers: characters drawn with no width dropped (format characters, other
    default-ignorable ones, combining marks: "1807\u200b5" and "1807\u03005" show as 18075), compatibility forms
    folded (superscript, circled and full-width digits; a no-break space is a space), digits of every script as
    ASCII digits, narrow spaces between digits dropped, minus signs as "-" (outside testers' answers hid
    invented numbers in each of these; session 34)."""
    if not text.isascii():
        # A power of ten in superscript digits ("6.02 × 10²³") before they become plain digits: 6.02 and 1023
        # were read (an outside tester, session 60).
        text = SUPERSCRIPT_POWER.sub(lambda m: "e" + m.group(1).translate(_SUPERSCRIPTS), text)
        # DRAWN_WITHOUT_WIDTH: "1017\u034f2017" shows as 10172017 (session 34's second tester).
        text = DRAWN_WITHOUT_WIDTH.sub("", "".join(ch for ch in text if unicodedata.category(ch) not in _UNSEEN))
        text = NBSP_GROUPS.sub(lambda m: re.sub("[\u00a0\u2007]", ",", m.group(0)), NARROW_SPACES.sub("", text))
        text = unicodedata.normalize("NFKC", MINUS_APART.sub("\u2212", text)).translate(MINUS_SIGNS)
        text = "".join(_digit(ch) for ch in text if unicodedata.category(ch) not in _UNSEEN)
    if _LOOKALIKES.intersection(text):
        text = _LOOKALIKE_RUN.sub(_lookalikes_as_digits, text)
    text = CURRENCY_CODES.sub(r"\1 ", text)  # "USD12 million" reads as "USD 12 million"
    if "10" in text:
        text = TIMES_TEN_TO.sub(r"e\1", text)  # "6.02 × 10^23" is one number, 6.02e23
    if "'" not in text and "." not in text and text.isascii():
        return text
    return OTHER_GROUPS.sub(_as_grouped, text.replace("\u066b", "."))


# A number times a power of ten, as people write exponents: "6.02 × 10^23", "5 x 10**-3". Its "10" and "23" were
# read as numbers of their own (an outside tester, session 58).
TIMES_TEN_TO = re.compile(r"(?<=\d)[ \t]*[×xX*·][ \t]*10[ \t]*(?:\^|\*\*)[ \t]*([+-]?\d{1,3})(?!\d)")
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", "0123456789+-")
SUPERSCRIPT_POWER = re.compile(r"(?<=\d)[ \t\u00a0]*[×xX*·][ \t\u00a0]*10([⁺⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3})(?![⁰¹²³⁴⁵⁶⁷⁸⁹])")

# Letters drawn like digits (Latin, Cyrillic and Greek O and o, the ideographic 〇 and small-capital ᴏ for 0; l and I
# for 1), in a word of nothing but digits and them: a reader reads "13OO" as 1300, "l23" as 123 and "5,OOO" as 5,000,
# where the check read 13, 23 and 5 (an outside tester, session 58). With no real digit such a word is a number
# where it is grouped or priced as one ("IO,OOO", "$lO,OOO", "lOO%"); "IO", "lol" and "OOP" stay words, as do runs
# glued to other letters ("H2O", "10am"). A run is matched whole, then judged, so the match costs one pass.
_ZERO_LIKE = "Oo\u041e\u043e\u039f\u03bf\u3007\u1d0f"
_LOOKALIKE_DIGITS = str.maketrans({**dict.fromkeys(_ZERO_LIKE, "0"), "l": "1", "I": "1"})
_LOOKALIKES = frozenset(_ZERO_LIKE + "lI")
_LOOKALIKE_RUN = re.compile(f"[0-9{_ZERO_LIKE}lI,.]+")
_PRICED = frozenset("$\u20ac\u00a3\u00a5")  # a currency sign before, or % after, makes a run an amount


def _lookalikes_as_digits(match: re.Match) -> str:
    run, text = match.group(0), match.string
    before = text[match.start() - 1] if match.start() else " "
    after = text[match.end()] if match.end() < len(text) else " "
    if before.isalpha() or after.isalpha() or not _LOOKALIKES.intersection(run):
        return run
    if not any(ch.isdigit() for ch in run):
        core = run.strip(",.")
        if len(core) < 2 or not ("," in core or "." in core or before in _PRICED or after == "%"):
            return run
    return run.translate(_LOOKALIKE_DIGITS)


# An amount glued to a currency code ("USD12 million", "EUR99") was read as a name, and never checked (an outside
# tester, session 54): the codes of the most traded currencies part from their digits.
CURRENCY_CODES = re.compile(
    r"\b(USD|EUR|GBP|JPY|CHF|CNY|RMB|INR|CAD|AUD|NZD|HKD|SGD|SEK|NOK|DKK|PLN|CZK|HUF|RUB|BRL|MXN|ZAR|KRW|TRY|ILS"
    r"|AED|SAR|TWD|THB)(?=\d)"
)
_UNSEEN = ("Cf", "Mn", "Me")  # format characters; combining marks, drawn on the character before them


# The Ask page's markup (static/ask.js richText), and single stars and strike-through as other renderers draw them:
# the markers do not show, so "1017**2017**" reads as 10172017.
_MARKUP = re.compile(r"\*\*([^*\n]+)\*\*|`([^`\n]+)`|~~([^~\n]+)~~|(?<!\*)\*([^*\s](?:[^*\n]*[^*\s])?)\*(?!\*)")


def as_rendered(answer: str) -> str:
    """An answer as a page draws it: emphasis and code markers removed."""
    return _MARKUP.sub(lambda m: next(g for g in m.groups() if g is not None), answer)


def written_numbers(text: str, in_words: bool = False, *, read: bool = False) -> list[Written]:
    """Every number in `text` as a reader reads it (as_read; `read`: the text is as_read already), in order; short
    digit runs inside words (`mp3`, the `23` of `T23:10`) only when `in_words` (the shown side: the more counts as
    shown, the fewer false alarms)."""
    if not read:
        text = as_read(text)
    found = []
    for match in SCALED.finditer(text):
        amount = " ".join(match.group("amount").lower().split())
        article = _ARTICLES.get(amount)
        if article and match.group("scale").lower() not in _ARTICLE_SCALES:
            continue  # "a grand total", "a Mia": no amount
        base = article or word_value(amount) or to_float(amount.replace(",", ""))
        scale = SCALE_WORDS[match.group("scale").lower()]
        value = base * scale if base is not None else None
        at = match.start()
        if value is not None and text[at - 1 : at] == "-" and not text[at - 2 : at - 1].isalnum():
            value = -value  # "-5 million", not the "-" of "twenty-five million"
        decimals = 1 if article == 0.5 else decimals_in(amount)  # "half a million": 0.5 million, to one place
        found.append(Written(match.group(0), match.group(0).lower(), at, value, scale, decimals))
    found = _compounds(text, found)
    taken = {w.start for w in found}  # a scaled amount's digits start where it starts
    covered = _Covered((w.start, w.start + len(w.text)) for w in found)
    for match in WORD_NUMBER.finditer(text):
        value = word_value(match.group("word"))
        if value is None or match.start() in covered:
            continue  # "twenty million" is one amount
        if in_words or value >= CHECKED_WORD_FROM:
            found.append(Written(match.group(0), str(value), match.start()))
    is_list = not in_words and len(_LIST_MARKER.findall(text)) >= 2
    for match in NUMBER.finditer(text):
        if match.start() in taken or (match.group("body") and match.start("body") in taken):
            continue  # "408 thousand" is one amount
        if match.group("hex"):
            found.append(Written(match.group(0), match.group("hex").lower(), match.start()))
            continue
        body, at = match.group("body"), match.start("body")
        if is_list and _list_marker(text, match):
            continue  # "1. 2023-12-12 ...": an item's number in a list, not an amount
        if not in_words and at and _in_a_name(text, at) and sum(map(str.isdigit, body)) < 3:
            continue  # mp3, x86, utf8, col_2: a name, not an amount
        sign = "-" if match.group("sign") or _signed_currency(text, match.start()) else ""
        grouped = body.rstrip(",").partition("e")[0].partition("E")[0] if "," in body else ""
        # `66,3`: a decimal comma, or two numbers (below). Not in brackets: `[65,92]` is a list (a second tester,
        # session 41: read as 65.92, an invented 65.92 passed).
        decimal_comma = DECIMAL_COMMA.fullmatch(grouped) and not body.endswith(",") and not _bracketed(text, match)
        if decimal_comma and _suffix(text, match)[0]:
            body, grouped = body.replace(",", "."), ""  # `€82,3M`: 82.3 million, never 82.3 (nor 82 and 3)
        if "," in grouped and not GROUPED.fullmatch(grouped):
            # Commas that do not group thousands (`51,206,36.5`, a model's spelling of 5120636.5): each part is a
            # number of its own, as a reader sees it. The answer is checked part by part; what was shown also
            # counts as the number the commas join.
            parts = [
                (sign if part.start() == 0 else "") + plain_number(part.group(0)) for part in _PART.finditer(grouped)
            ]
            if decimal_comma:
                # Either reading may pass: read only as 66 and 3, a shown 66.3 written the European way was
                # flagged (left by session 40).
                decimal = sign + plain_number(grouped.replace(",", "."))
                if in_words:
                    found.append(Written(match.group(0), decimal, match.start()))
                else:
                    found.append(Written(match.group(0), decimal, match.start(), parts=tuple(parts)))
                    continue
            written = match.group(0).rstrip(",")  # once: a copy per part made 24,576 parts of `1,` quadratic
            for token in parts:
                found.append(Written(written, token, match.start()))
            if not in_words:
                continue
        token = sign + plain_number(body)
        suffix, end = _suffix(text, match)
        mantissa, _, exponent = token.partition("e")
        if not suffix and not exponent and "." in body and DOT_GROUP.fullmatch(body):
            # `7.000` or `1.001`: thousands grouped by a dot in some house styles, a decimal in others. Either
            # reading may pass, except the decimal reading of `7.000`, which is 7 to three places: it passes only
            # for a number shown with three decimals or more (read as 7, an invented 7,000 passed where the rows
            # showed 7; an outside tester, session 40). The shown side counts both readings.
            thousands = sign + plain_number(body.replace(".", ""))
            if in_words:
                found.append(Written(match.group(0), thousands, match.start()))
            elif body.endswith(".000"):
                found.append(Written(match.group(0), thousands, match.start(), rounding=token))
                continue
            else:
                found.append(Written(match.group(0), token, match.start(), grouped=thousands))
                continue
        if suffix:
            scale = SUFFIXES[suffix]
        elif exponent and exponent.lstrip("-").isdigit() and len(exponent) <= 5 and abs(int(exponent)) < 300:
            # (length first: Python refuses int() of more than 4,300 digits, and a model wrote 5,000; session 28)
            scale = 10.0 ** int(exponent)
        else:  # (a comma after it ends the clause: "1800, and" is 1800)
            found.append(Written(match.group(0).rstrip(","), token, match.start()))
            continue
        value = to_float(mantissa)
        value = value * scale if value is not None else None
        found.append(Written(text[match.start() : end], token + suffix, match.start(), value, scale, decimals_in(body)))
    for match in _AFTER_A_DECIMAL.finditer(text):  # `91.5,88.2`: NUMBER never starts after a digit and a comma
        number = match.group("number")
        found.append(Written(number, plain_number(number), match.start("number")))
    return sorted(found, key=lambda w: w.start)


# A number after a decimal and a comma with no space ("91.5,88.2", JSON's `[12.5,99999]`): a comma after decimals
# groups nothing, so what follows is a number of its own. Read only as part of the first, an invented 88.2 passed
# (an outside tester, session 54).
_AFTER_A_DECIMAL = re.compile(r"\d\.\d+,(?P<number>\d+(?:\.\d+)?)")


def _in_a_name(text: str, at: int) -> bool:
    """Whether digits at `at` continue a name: after a letter (`mp3`), or underscores after one (`col_2`). Markdown's
    `__42__` and `_42_`, which the page shows as they are, were read as names too, and an invented 42 passed (an
    outside tester, session 54)."""
    before = at
    while before and text[before - 1] == "_":
        before -= 1
    return bool(before) and (text[before - 1].isalpha() or (before < at and text[before - 1].isdigit()))


def _signed_currency(text: str, start: int) -> bool:
    """`-$12`, `-€40`: a minus before the currency sign is the amount's (dropped, a loss passed where the rows showed
    the gain; an outside tester, session 54). Not the hyphen of a range (`10-$12`)."""
    return (
        start >= 2
        and text[start - 1] in CURRENCY_SIGNS
        and text[start - 2] == "-"
        and (start == 2 or not (text[start - 3].isalnum() or text[start - 3] in ".,-"))
    )


class _Covered:
    """Where the scaled amounts lie, merged and sorted: whether a place is inside one is a binary search (tested
    against every amount in turn, reading 224 KB of shown text took 6.4 s: an outside tester, session 54)."""

    def __init__(self, spans):
        self.spans: list[tuple[int, int]] = []
        for start, end in sorted(spans):
            if self.spans and start <= self.spans[-1][1]:
                self.spans[-1] = (self.spans[-1][0], max(end, self.spans[-1][1]))
            else:
                self.spans.append((start, end))
        self.starts = [start for start, _ in self.spans]

    def __contains__(self, place: int) -> bool:
        i = bisect.bisect_right(self.starts, place) - 1
        return i >= 0 and place < self.spans[i][1]


def _suffix(text: str, match: re.Match) -> tuple[str, int]:
    """The scale written onto a NUMBER match (lower-case, "" for none) and where the amount ends: `$291M`, `$291 M`
    (a one-letter scale after a space, after a currency sign), but not the metres of a `12m` boat."""
    written, end, start = match.group("suffix"), match.end(), match.start()
    # after a currency sign, or a sign and a space (inline: this runs for every number)
    after_currency = start > 0 and (
        text[start - 1] in CURRENCY_SIGNS
        or (text[start - 1] == " " and start > 1 and text[start - 2] in CURRENCY_SIGNS)
    )
    if after_currency and not written and (spaced := _SPACED_SCALE.match(text, end)):
        written, end = spaced.group(1), spaced.end()  # `$291 M` is `$291M`
    if not written or (written in ("m", "b") and not after_currency):
        return "", match.end()  # a `12m` boat: twelve metres
    return written.lower(), end


def _bracketed(text: str, match: re.Match) -> bool:
    """Whether the match stands in brackets or parentheses, as a list's items do (`[65,92]`, `(3,5)`)."""
    start, end = match.start(), match.end()
    return (start > 0 and text[start - 1] in "[(") or text[end : end + 1] in ("]", ")")


# A one-letter scale after a space, read only after a currency sign (`$291 M`; read as 291, an amount a thousand or a
# million times a shown one passed: left by session 40).
_SPACED_SCALE = re.compile(r"[ \u00a0](MM|[kKmMbB])(?![\w&])")
# What joins the parts of a number in words: "six thousand, five hundred", "two million and forty".
_WORDS_JOINED = re.compile(r",?\s+(?:and\s+)?")
_LARGE_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}


def _compounds(text: str, scaled: list[Written]) -> list[Written]:
    """Amounts in words with several scales as one number: "six thousand seven hundred" is 6,700. Read in parts
    ("six thousand", "seven hundred"), a shown 6,700 was flagged twice and an invented 6,700 passed where the rows
    showed 6,000 and 700 (left by session 40). `scaled`: SCALED's amounts, in order."""
    merged: list[Written] = []
    i = 0
    while i < len(scaled):
        first = scaled[i]
        chain, end, tail, comma = [first], first.start + len(first.text), None, False
        if first.text[:1].isalpha() and first.scale in _LARGE_SCALES.values():
            while i + len(chain) < len(scaled):
                nxt = scaled[i + len(chain)]
                gap = _WORDS_JOINED.fullmatch(text, end, nxt.start)
                if not (gap and nxt.text[:1].isalpha() and nxt.scale < chain[-1].scale and nxt.value is not None):
                    break
                chain.append(nxt)
                comma = comma or "," in gap.group(0)
                end = nxt.start + len(nxt.text)
            gap = _WORDS_JOINED.match(text, end)
            word = WORD_NUMBER.match(text, gap.end()) if gap else None
            value = word_value(word.group("word")) if word else None
            if value is not None and value < 1000 and not SCALED.match(text, gap.end()):
                tail = Written(word.group(0), str(value), word.start())
                comma = comma or "," in gap.group(0)
                end = word.end()
        if len(chain) + (tail is not None) < 2 or any(w.value is None for w in chain):
            merged.append(first)
            i += 1
            continue
        total = sum(w.value for w in chain) + (int(tail.token) if tail else 0)
        token = plain_number(f"{total:.0f}")
        # After a comma, either reading: "six thousand, seven hundred" is 6,700, or 6,000 and then 700 ("of the six
        # thousand, seven hundred were returned": merged only, it was flagged where the rows held both; session 41)
        pieces = tuple(chain) + ((tail,) if tail else ()) if comma else ()
        merged.append(Written(text[first.start : end], token, first.start, total, 1.0, 0, pieces=pieces))
        i += len(chain)
    return merged


DOT_GROUP = re.compile(r"[1-9]\d{0,2}\.\d{3}")  # no house style groups thousands after a leading 0
DECIMAL_COMMA = re.compile(r"\d+,\d{1,2}")
_PART = re.compile(r"\d+(?:\.\d+)?")
_LIST_MARKER = re.compile(r"^[ \t]*\d{1,2}[.)][ \t]", re.MULTILINE)


def _list_marker(text: str, match: re.Match) -> bool:
    """`1.` or `2)` opening a line, before a space: a list item's number (in a text with two such lines at least:
    an answer that opens with "12. Rex has ..." states an amount)."""
    body, start, end = match.group("body"), match.start(), match.end()
    return (
        body.isdigit()
        and len(body) <= 2
        and not match.group("sign")
        and not match.group("suffix")
        and not text[text.rfind("\n", 0, start) + 1 : start].strip()
        and text[end : end + 1] in (".", ")")
        and text[end + 1 : end + 2] in (" ", "\t")
    )
