"""Numbers in an answer that the model was never shown: "never show a number the database did not return".

The answer from rows and the answer from text passages are both checked against the exact text the model read
(and the question). A number counts as shown when it is written the same way, or is a rounding of one that was
("12" for 12.0, "3.14" for 3.14159, "1.2 million" for 1,234,567). What is extracted, on both sides alike:
- plain numbers with thousands separators and decimals (`1,234.5`), a leading dot (`.25`) and an exponent
  (`1e20`), signed when the sign stands apart (`-5`, not the `-` of `2020-2021`);
- digits inside a word when there are at least three of them (`ID151847156`, `v909.997`; not `mp3` or `x86`);
- hexadecimal (`0x586`);
- a number or a number word followed by a scale word (`408 thousand`, `twelve million`).
Number words alone ("seven customers") are not checked: "one" and its kind are everywhere in prose.
An outside tester found the shapes above unchecked (session 17); tests/ask/test_numbers.py generates them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

NUMBER = re.compile(
    r"(?P<hex>0[xX][0-9a-fA-F]+)"
    r"|(?P<sign>(?<![\w.,-])-)?(?<![\d.,])(?P<body>(?:\d[\d,]*(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?)(?![\d])"
)
WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}  # fmt: skip
SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
SCALED = re.compile(
    r"(?<![\w.])(?P<amount>\d[\d,]*(?:\.\d+)?|" + "|".join(WORDS) + r")\s+(?P<scale>" + "|".join(SCALES) + r")\b",
    re.IGNORECASE,
)
# Words in a question that stand for a number the answer may repeat ("the five repos": 5).
QUESTION_WORDS = {word: str(value) for word, value in WORDS.items() if value <= 20 or value == 100}


def _plain(body: str) -> str:
    number = body.replace(",", "").rstrip(".").lower().replace("e+", "e")
    return "0" + number if number.startswith(".") else number


def _matches(text: str) -> list[tuple[str, int]]:
    """(number normalised: no separators, lower case, `0.25` for `.25`; where it starts) of each number."""
    found = []
    for match in NUMBER.finditer(text):
        if match.group("hex"):
            found.append((match.group("hex").lower(), match.start()))
            continue
        body, start = match.group("body"), match.start("body")
        if start and (text[start - 1].isalpha() or text[start - 1] == "_") and sum(c.isdigit() for c in body) < 3:
            continue  # mp3, x86, utf8: a name, not an amount
        found.append((("-" if match.group("sign") else "") + _plain(body), match.start()))
    return found


def extract(text: str) -> list[str]:
    """Every number in `text`, normalised, in order."""
    return [number for number, _ in _matches(text)]


def _forms(number: str) -> set[str]:
    """The ways an answer may write a number it was shown: itself, and its roundings."""
    forms = {number}
    if "." in number and "e" not in number:  # 12.0 supports "12", 3.14159 supports 3.14
        whole, fraction = number.split(".", 1)
        forms.add(whole)
        forms.update(f"{whole}.{fraction[:n]}" for n in range(1, len(fraction)))
        try:
            forms.add(str(round(float(number))))
            forms.update(f"{float(number):.{n}f}" for n in range(1, 3))
        except (ValueError, OverflowError):
            pass
    return forms


def _value(number: str) -> float | None:
    try:
        value = float(int(number, 16)) if number.startswith("0x") else float(number)
    except (ValueError, OverflowError):
        return None
    return value if value not in (float("inf"), float("-inf")) else None


def _scaled(text: str) -> list[tuple[str, float, int, float]]:
    """(as written, value, decimals written, scale) of each "408 thousand" or "twelve million" in `text`."""
    found = []
    for match in SCALED.finditer(text):
        amount = match.group("amount").lower().replace(",", "")
        decimals = len(amount.split(".", 1)[1]) if "." in amount else 0
        scale = SCALES[match.group("scale").lower()]
        found.append((match.group(0), (WORDS.get(amount) or float(amount)) * scale, decimals, scale))
    return found


def _rounds_to(values: Iterable[float], written: float, scale: float, decimals: int) -> bool:
    return any(round(value / scale, decimals) == round(written / scale, decimals) for value in values)


def unverified_numbers(answer: str, shown_text: str, question: str, counts: Sequence[int] = ()) -> list[str]:
    """Numbers in the answer that appear neither in the text the model was shown, the question, nor `counts`
    (row counts the pipeline states itself), in the order they appear."""
    shown = extract(shown_text) + extract(question) + [str(c) for c in counts]
    seen = set().union(*(_forms(n) for n in shown)) if shown else set()
    seen |= {digit for word, digit in QUESTION_WORDS.items() if re.search(rf"\b{word}\b", question, re.I)}
    values = [v for v in (_value(n) for n in shown) if v is not None]
    unverified = []
    for written, value, decimals, scale in _scaled(answer):
        if not _rounds_to(values, value, scale, decimals) and written not in unverified:
            unverified.append(written)
    spans = [m.span() for m in SCALED.finditer(answer)]
    for number, start in _matches(answer):
        inside_scaled = any(begin <= start < end for begin, end in spans)  # "408 thousand" was checked whole
        if not inside_scaled and number not in seen and number not in unverified:
            unverified.append(number)
    return unverified
