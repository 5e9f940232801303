"""The number check: every number an answer writes is one the model was shown (or the question's), in any of the
shapes a number takes; generated inputs, plus the shapes an outside tester found unchecked (session 17)."""

import unicodedata

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from datasette_llm.ask.numbers import unverified_numbers, written_numbers
from datasette_llm.sql.clipping import CLIP_MARKER

pytestmark = pytest.mark.no_datasette

ROWS = "name | amount\nRex | 1\nFido | 2\nLassie | 12"


@pytest.mark.parametrize(
    "invented",
    [
        "ID151847156",
        "x201071364",
        "_644854973",
        ".337384804",
        "v909.997",
        "1e694",
        "696e685",
        "171E961",
        "0x586",
        "twelve million",
        "1 thousand",
        "2 million",
        "-7",
        "12,345",
        "3.25",
        "alpha,987654",
        "is...987654.",
        "Totals:,987654",
        "12 thousands",
        "12 millions",
        "12 mln",
        "$12M",
        "12k",
        "3bn",
    ],
)
def test_every_shape_of_an_invented_number_is_flagged(invented):
    assert unverified_numbers(f"The answer is {invented} and 1.", ROWS, "What is it?"), invented


@pytest.mark.parametrize(
    "answer",
    [
        "Rex has 1 and Fido has 2.",
        "mp3, x86 and utf8 are names, not amounts: 1.",
        "From 2020-2021 the amount was 1.",
        "The two dogs have 1 and 2 [1].",
    ],
)
def test_names_ranges_and_question_words_are_not_flagged(answer):
    rows = ROWS + "\nRange | 2020\nEnd | 2021"
    assert unverified_numbers(answer, rows, "Which two dogs?") == []


def test_a_scale_word_is_checked_against_the_value_it_stands_for():
    rows = "city | population\nA | 1,234,567\nB | 408,123"
    assert unverified_numbers("A has 1.2 million people and B 408 thousand.", rows, "") == []
    assert unverified_numbers("A has about 1 million people.", rows, "") == []
    assert unverified_numbers("A has 1.3 million people.", rows, "") == ["1.3 million"]
    assert unverified_numbers("B has 408 million people.", rows, "") == ["408 million"]
    assert unverified_numbers("A has twelve million people.", rows, "") == ["twelve million"]


def test_roundings_of_a_shown_number_are_supported():
    rows = "total\n37.62\n12.0\n3.14159"
    assert unverified_numbers("37.6, 38, 12 and 3.14", rows, "") == []
    assert unverified_numbers("37.63", rows, "") == ["37.63"]


def tokens(text: str) -> set[str]:
    return {number.token for number in written_numbers(text)}


NUMBERS = st.one_of(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
)


def _forms(value) -> list[str]:
    if isinstance(value, int):
        return [str(value), f"{value:,}"]
    return [repr(value), f"{value:.2f}", f"{value:,.3f}"]


@settings(max_examples=300, deadline=None)
@given(
    value=NUMBERS,
    other=NUMBERS,
    before=st.sampled_from(["", " ", "(", "$", "ID ", "€", "\n", "id="]),
    after=st.sampled_from(["", " ", ")", "%", ".", " rows", ",", "\n"]),
    data=st.data(),
)
def test_a_number_written_as_it_was_shown_passes_and_any_other_is_flagged(value, other, before, after, data):
    shown = data.draw(st.sampled_from(_forms(value)))
    rows = f"label | value\nrow | {before}{shown}{after}\n"
    assert unverified_numbers(f"The value is {before}{shown}{after}", rows, "What is it?") == []
    invented = data.draw(st.sampled_from(_forms(other)))
    if tokens(invented) <= tokens(rows) or abs(abs(float(other)) - abs(float(value))) < 1:
        return  # the same number (or a rounding of it) is not an invention
    assert unverified_numbers(f"The value is {invented}", rows, "What is it?"), (shown, invented)


@pytest.mark.parametrize(
    ("shown", "written"),
    [
        ("12", "$12.00"),
        ("1500", "$1,500.00"),
        ("12", "12.0"),
        ("1500", "1.5k"),
        ("2024-01-05", "January 5, 2024"),
        ("0.25", "0.250"),
        ("3.14159", "3.142"),
        ("1500", "1.5e3"),
        ("1234567", "$1.2M"),
        ("1e+20", "1e20"),
        ("2022-03-08T23:10:08Z", "on March 8, 2022 at 23:10"),
        ("1017", "0x3F9"),  # hexadecimal, either way round (an outside tester's false flag, session 34)
        ("0x3f9", "1017"),
    ],
)
def test_a_shown_number_written_another_common_way_is_not_flagged(shown, written):
    """The other tester's false positives (session 17): warnings that cry wolf teach people to ignore them."""
    assert unverified_numbers(f"It is {written}.", f"value\n{shown}", "What is it?") == [], (shown, written)


@pytest.mark.parametrize(
    ("answer", "flagged"),
    [
        ("There are twenty-three releases.", ["twenty-three"]),
        ("There are twenty three releases.", ["twenty three"]),
        ("There are Fifteen releases.", ["Fifteen"]),
        ("There are ninety releases.", ["ninety"]),
        ("It has twenty-three million people.", ["twenty-three million"]),
        ("There are twenty-five releases.", []),
        ("There are twenty five releases.", []),
        ("Nineteen repos had a release.", []),
        ("It has twenty-five million people.", []),
        ("Rex is one of the two dogs with seven toys.", []),  # one to ten are everywhere in prose: not checked
    ],
)
def test_number_words_from_eleven_up_are_checked(answer, flagged):
    rows = "name | releases\nRex | 25\nFido | 19\nCity | 25,000,000\nEnd | 1"
    assert unverified_numbers(answer, rows, "How many?") == flagged


def test_number_words_the_question_uses_may_be_repeated():
    assert (
        unverified_numbers("The twenty most recent releases are shown.", "name\nRex", "The twenty most recent?") == []
    )


def test_a_shown_number_word_may_be_written_in_digits_and_a_negative_amount_keeps_its_scale():
    assert (
        unverified_numbers("It has 7 rooms and 23 beds.", "The house has seven rooms and twenty-three beds.", "") == []
    )
    assert unverified_numbers("The loss was -5 million.", "year | loss\n2020 | -5,000,000", "") == []


def test_a_tiny_exponent_is_checked_not_divided_by_zero():
    """10.0 ** -324 is 0.0: "5e-324" in an answer raised ZeroDivisionError (found by the generated test above)."""
    assert unverified_numbers("It is 5e-324 or 1e-400.", "x\n1", "") == ["5e-324", "1e-400"]
    assert unverified_numbers("It is 1e-5.", "x\n0.00001", "") == []


@settings(max_examples=40, deadline=None)
@given(digits=st.integers(1, 6_000), sign=st.sampled_from(["", "-", "+"]), mantissa=st.sampled_from(["1", "2.5", "0"]))
def test_any_exponent_a_model_writes_is_read_without_error(digits, sign, mantissa):
    """Python refuses int() of more than 4,300 digits: an answer of `1e<5,000 digits>` was a 500 with a traceback
    (an outside tester's memory oracle, session 28). An exponent that long is no scale: the number is checked as
    written."""
    number = f"{mantissa}e{sign}{'7' * digits}"
    flagged = unverified_numbers(f"The total is {number}.", "total\n12", "What is the total?")
    if mantissa != "0":  # (whether a written zero is an amount is another test's)
        assert flagged == [number]  # invented, so flagged


@settings(max_examples=300, deadline=None)
@given(
    whole=st.integers(min_value=1_000, max_value=10**12),
    fraction=st.sampled_from(["", ".5", ".25", ".1111111"]),
    data=st.data(),
)
def test_commas_that_do_not_group_thousands_do_not_pass_for_the_number(whole, fraction, data):
    """A real model answered "51,206,36.5" for a shown 5120636.5 (an outside tester's trust oracle, session 29):
    the commas were dropped before comparing, so it passed as the shown number, while a reader sees other
    numbers. Commas where people group thousands (1,234,567; the Indian 12,34,567) still pass."""
    digits = str(whole)
    cuts = data.draw(st.sets(st.integers(min_value=1, max_value=len(digits) - 1), min_size=1))
    written = ",".join(digits[a:b] for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), len(digits)])) + fraction
    rows = f"name | value\nrow | {digits}{fraction}\n"
    western = f"{whole:,}" + fraction
    indian = (digits[:-3] and ",".join(_pairs(digits[:-3])) + ",") + digits[-3:] + fraction
    flagged = unverified_numbers(f"The value is {written}.", rows, "What is it?")
    if written in (western, indian):
        assert flagged == [], written
    else:
        assert flagged == [written], written


def _pairs(digits: str) -> list[str]:
    """`12345` -> ["1", "23", "45"]: the Indian grouping's pairs above the last three digits."""
    head = len(digits) % 2
    return ([digits[:head]] if head else []) + [digits[i : i + 2] for i in range(head, len(digits), 2)]


def test_a_list_of_shown_numbers_written_with_commas_passes():
    assert unverified_numbers("The amounts are 1,2,12.", ROWS, "What are they?") == []
    assert unverified_numbers("The amounts are 1,2,13.", ROWS, "What are they?") == ["1,2,13"]
    assert unverified_numbers("A number shown as 51,206,36.5 may be repeated.", "v\n51,206,36.5", "") == []


def test_an_amount_in_the_scale_the_question_asks_for_may_be_the_shown_number():
    """A real model wrote "12.84 million" for a shown 12.840924 asked "in millions" (the SQL had divided): a
    false alarm on every seed of an outside tester's oracle (session 29). Only when the question names the
    scale: otherwise 12.84 million is a million times what was shown."""
    rows = "population\n12.840924"
    assert unverified_numbers("It is 12.84 million.", rows, "What is the population, in millions?") == []
    assert unverified_numbers("It is 12.84 million.", rows, "How many millions live there?") == []
    assert unverified_numbers("It is 12.84 million.", rows, "What is the population?") == ["12.84 million"]
    assert unverified_numbers("It is 12.84 million.", rows, "How many thousand live there?") == ["12.84 million"]
    assert unverified_numbers("It is 12.9 million.", rows, "What is it in millions?") == ["12.9 million"]


def test_the_numbers_of_a_list_are_not_amounts_and_a_clause_comma_is_not_part_of_a_number():
    shown = "day\n2023-12-12\n2023-12-13"
    assert unverified_numbers("Reports:\n1. 2023-12-12\n2) 2023-12-13", shown, "Which days?") == []
    assert unverified_numbers("Reports:\n1. 2023-12-14\n2. 2023-12-12", shown, "Which days?") == ["2023-12-14"]
    assert unverified_numbers("The total is 1. That is all.", "v\n2", "") == ["1"]
    assert unverified_numbers("12. Rex has the most.", "v\n2", "") == ["12"]  # one line is not a list
    assert unverified_numbers("It was 1800, and then 1805.", "v\n1801", "") == ["1800", "1805"]


# Every character Unicode calls a format character (Cf), the other default-ignorable ones, combining marks and narrow
# spaces: none shows as a gap, so a reader reads the digits on either side of one as a single number.
FORMAT_CHARACTERS = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]
NOT_SEEN = (
    FORMAT_CHARACTERS
    + list("\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u3164\uffa0\ufe00\ufe0e\ufe0f\U000e0100\U000e01ef")
    + list("\u0300\u0301\u0308\u20dd\u20e3")  # combining marks: they sit on the digit before them
    + list("\u2006\u2008\u2009\u200a\u202f")  # narrow spaces
)


@settings(max_examples=300, deadline=None)
@given(
    first=st.integers(1, 99_999),
    second=st.integers(0, 99_999),
    hidden=st.lists(st.sampled_from(NOT_SEEN), min_size=1, max_size=3),
    markup=st.sampled_from(["{}{}", "{}**{}**", "**{}**{}", "{}`{}`", "`{}`{}", "{}*{}*", "{}~~{}~~"]),
)
def test_digits_parted_by_characters_a_reader_does_not_see_are_read_as_one_number(first, second, hidden, markup):
    """An outside tester's answer "cost 1807\\u200b5 crowns" showed 18075 while the check read 1807 and 5, both
    shown (session 34); so did "1807\\u034f5" and the page's bold in "1807**5**" (session 34's second tester): a
    number is checked as the page shows it."""
    shown = f"a | b\nx | {first}\ny | {second}"
    joined = f"{first}{second}"
    answer = "It cost " + markup.format(f"{first}{''.join(hidden)}", second) + " crowns."
    assert unverified_numbers(answer, shown, "How much?") == ([] if joined in (str(first), str(second)) else [joined])


@pytest.mark.parametrize(
    ("answer", "flagged"),
    [
        ("It has \u22121017 people.", ["-1017"]),  # a minus sign: negative, as a reader reads it
        ("It has \u20121017 people.", ["-1017"]),  # a figure dash
        ("It has \u2075\u2075\u2075 people.", ["555"]),  # superscript digits
        ("It has \u2460\u2461 people.", ["12"]),  # circled digits: a number too
        ("It has \uff15\uff15\uff15 people.", ["555"]),  # full-width digits
        ("It has 1\u202f017 people.", []),  # a narrow no-break space groups thousands: 1017
        ("It has 1\u202f018 people.", ["1018"]),
        ("It has 1\u00a0017 people.", []),  # so does a no-break space between groups of three
        ("It has 1\u00a0017\u00a0000 people.", ["1,017,000"]),
        ("It has \u0967\u0966\u0967\u096d people.", []),  # Devanagari 1017
        ("It has \u0661\u0660\u0661\u0667 people.", []),  # Arabic-Indic 1017
        ("It has \u0665\u0665\u0665 people.", ["555"]),
        ("It has 1017 people.", []),
        ("It has \uff11\uff10\uff11\uff17 people.", []),  # full-width 1017 is 1017
    ],
)
def test_numbers_in_compatibility_forms_are_read_as_their_digits(answer, flagged):
    assert unverified_numbers(answer, "name | population\nLurow | 1017", "How many people?") == flagged


def _grouped(value: int, style: str) -> str:
    """`value` with its thousands grouped in a house style: `,` `.` `'` `’` or the Arabic separator (in Arabic-Indic
    digits)."""
    text = f"{value:,}"
    if style == "arabic":
        return text.replace(",", "\u066c").translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    return text.replace(",", style)


@settings(max_examples=300, deadline=None)
@given(
    value=st.integers(1_000, 10**12),
    other=st.integers(1_000, 10**12),
    style=st.sampled_from([",", ".", "'", "\u2019", "arabic"]),
    end=st.sampled_from(["", ".", ",", ";", ")", ". Then 5", ", which"]),
)
def test_thousands_grouped_in_any_house_style_are_the_whole_number(value, other, style, end):
    """The number a reader reads, whatever separates its thousands: with only its first group shown (7 for 7.000,
    7’000, ٧٬٠٠٠ or 4.000.000), an invented 7,000 passed (an outside tester, session 40)."""
    assume(other != value)
    first_group = f"{other:,}".split(",")[0]
    rows = f"label | value\nrow | {value}\nother | {first_group}\nrest | 0 | 5\n"
    # Written as the rows write it, in any style, or in another at the end of a sentence or clause (a second
    # tester: "7'000." was read as 7 and 000, both ways wrong).
    for written in (f"{value:,}", _grouped(value, style)):
        shown = rows.replace(f"row | {value}", f"row | {written}")
        assert unverified_numbers(f"It has {_grouped(value, style)}{end}", shown, "How many?") == [], written
    assert unverified_numbers(f"It has {_grouped(other, style)}{end}", rows, "How many?"), (other, style, end)


@pytest.mark.parametrize(
    ("shown", "written"),
    [("7.0004", "7.000"), ("7.000", "7.000"), ("7000", "7.000"), ("2.5", "2.500"), ("12", "12.00")],
)
def test_three_zero_decimals_pass_as_a_rounding_only_of_a_number_shown_with_decimals(shown, written):
    assert unverified_numbers(f"It is {written}.", f"value\n{shown}", "What is it?") == [], (shown, written)


@settings(max_examples=200, deadline=None)
@given(
    amount=st.integers(1, 999),
    written=st.sampled_from(
        [
            ("£{}m", 1e6),
            ("${}b", 1e9),
            ("{}mn", 1e6),
            ("{}mln", 1e6),
            ("{}bn", 1e9),
            ("{}tn", 1e12),
            ("{} Mio.", 1e6),
            ("{} Mrd.", 1e9),
            ("{} crore", 1e7),
            ("{} lakh", 1e5),
            ("{}万", 1e4),
            ("{}亿", 1e8),
            ("{} million", 1e6),
            ("${}M", 1e6),
            ("{}k", 1e3),
            ("${}MM", 1e6),
            ("{}bln", 1e9),
            ("{} Millionen", 1e6),
            ("{} Milliarden", 1e9),
            ("{} milliards", 1e9),
            ("{} grand", 1e3),
            ("{}萬", 1e4),
            ("{}億", 1e8),
            ("{}百万", 1e6),
            ("{}만", 1e4),
            ("{}억", 1e8),
            ("${} M", 1e6),
            ("$ {} B", 1e9),
            ("£{} m", 1e6),
            ("€{} b", 1e9),
            ("${} K", 1e3),
            ("${} MM", 1e6),
        ]
    ),  # fmt: skip
)
def test_an_amount_with_a_scale_is_checked_at_its_scale(amount, written):
    """`£12m` is twelve million: with 12 in the rows and no 12,000,000, it is flagged, and with 12,000,000 in the
    rows it passes (read as 12, each such amount passed where the rows showed 12, and a true one was flagged; an
    outside tester, session 40)."""
    form, scale = written
    answer = f"The budget was {form.format(amount)} in total."
    assert unverified_numbers(answer, f"label | value\na | {amount}\n", "What was it?"), answer
    assert unverified_numbers(answer, f"label | value\na | {int(amount * scale)}\n", "What was it?") == [], answer


def test_a_lower_case_m_without_a_currency_sign_is_a_unit_not_a_scale():
    assert unverified_numbers("The boat is 12m long.", "name | length\nboat | 12\n", "How long?") == []


@settings(max_examples=200, deadline=None)
@given(hundreds=st.integers(1, 9), rest=st.integers(0, 99), thousand=st.booleans(), data=st.data())
def test_hundreds_written_in_words_are_the_whole_number(hundreds, rest, thousand, data):
    """ "three hundred" is 300, not the 100 of "hundred" (an outside tester, session 40: with a row of 100, "three
    hundred" passed, and "two hundred thousand" with a row of 100,000)."""
    units = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    teens = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen"]
    teens += ["nineteen"]
    tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
    if rest == 0:
        tail = ""
    elif rest < 10:
        tail = units[rest]
    elif rest < 20:
        tail = teens[rest - 10]
    else:
        tail = tens[rest // 10] + ("-" + units[rest % 10] if rest % 10 else "")
    joiner = data.draw(st.sampled_from([" ", " and "]))
    words = f"{units[hundreds]} hundred" + (joiner + tail if tail else "") + (" thousand" if thousand else "")
    value = (hundreds * 100 + rest) * (1000 if thousand else 1)
    rows = f"label | value\na | {100 * (1000 if thousand else 1)}\nb | {rest}\n"
    answer = f"The club has {words} members."
    if value != 100 * (1000 if thousand else 1):
        assert unverified_numbers(answer, rows, "How many?"), answer
    assert unverified_numbers(answer, f"label | value\na | {value}\n", "How many?") == [], answer


@settings(max_examples=200, deadline=None)
@given(value=st.integers(10**6, 10**15), keep=st.integers(1, 5))
def test_the_digits_a_clipped_cell_ends_on_are_no_number_shown(value, keep):
    """`410759…[clipped]` of 410759321: the database never returned 410759 (an outside tester, session 40)."""
    digits = str(value)
    cut = digits[: len(digits) - keep]
    rows = f"name | note\nmine | output {cut}{CLIP_MARKER}\n"
    assert unverified_numbers(f"The output was {cut} tonnes.", rows, "What was the output?"), cut
    assert unverified_numbers("The mine's output is not shown in full.", rows, "What was the output?") == []


@settings(max_examples=200, deadline=None)
@given(whole=st.integers(1_000, 10**9), cents=st.integers(1, 99), style=st.sampled_from(["de", "ch"]))
def test_grouped_thousands_with_their_decimals_are_one_number(whole, cents, style):
    """`6.393.466,30` and `6'393'466.30` are 6393466.30 (a second tester, session 40: read as 6.393 and as 6,393 and
    466.30, both false alarms; and with only their first group shown, an invented amount passed)."""
    grouped = f"{whole:,}"
    written = (
        grouped.replace(",", ".") + f",{cents:02d}" if style == "de" else grouped.replace(",", "'") + f".{cents:02d}"
    )
    assert unverified_numbers(f"It cost {written}.", f"v\n{whole}.{cents:02d}\n", "How much?") == [], written
    first = grouped.split(",")[0]
    assert unverified_numbers(f"It cost {written}.", f"v\n{first}\n{cents}\n", "How much?"), written


_UNITS = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
_UNITS += ["thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _below_thousand(n: int, joiner: str) -> str:
    hundreds, rest = divmod(n, 100)
    tail = _UNITS[rest] if rest < 20 else _TENS[rest // 10] + ("-" + _UNITS[rest % 10] if rest % 10 else "")
    if not hundreds:
        return tail
    return f"{_UNITS[hundreds]} hundred" + (joiner + tail if tail else "")


def _in_words(n: int, joiner: str, comma: bool) -> str:
    parts = []
    for scale, name in ((10**9, "billion"), (10**6, "million"), (10**3, "thousand"), (1, "")):
        count, n = divmod(n, scale)
        if count:
            parts.append((_below_thousand(count, joiner) + " " + name).strip())
    return ("," if comma else "").join(" " + part for part in parts).strip()


@settings(max_examples=300, deadline=None)
@given(value=st.integers(1_001, 999_999_999), joiner=st.sampled_from([" ", " and "]), comma=st.booleans())
def test_a_number_in_words_with_several_scales_is_the_whole_number(value, joiner, comma):
    """ "six thousand seven hundred" is 6,700, not 6,000 and 700: read in parts, the shown 6,700 was flagged twice,
    and an invented 6,700 passed where the rows showed 6,000 and 700 (left by session 40)."""
    pieces = []
    rest = value
    for scale in (10**9, 10**6, 10**3, 1):
        count, rest = divmod(rest, scale)
        if count:
            pieces.append(count * scale)
    assume(len(pieces) >= 2)  # one part is an amount with one scale (tested above)
    words = _in_words(value, joiner, comma)
    answer = f"The club has {words} members."
    assert unverified_numbers(answer, f"label | value\na | {value}\n", "How many?") == [], answer
    rows = "label | value\n" + "".join(f"p{i} | {piece}\n" for i, piece in enumerate(pieces))
    if comma:  # "of the six thousand, seven hundred were returned": either reading (a second tester, session 41)
        assert unverified_numbers(answer, rows, "How many?") == [], (answer, rows)
        rows = "label | value\na | 0\n"  # neither reading
    assert unverified_numbers(answer, rows, "How many?"), (answer, rows)


@settings(max_examples=200, deadline=None)
@given(whole=st.integers(0, 99_999), fraction=st.integers(1, 99), other=st.integers(1, 99))
def test_a_decimal_comma_is_either_reading(whole, fraction, other):
    """`66,3` is 66.3 the European way, or 66 and 3: a shown 66.3 written `66,3` was flagged (left by session 40)."""
    assume(fraction not in (whole + 1, whole + 2) and f"{fraction:d}"[-1] != "0")
    written = f"{whole},{fraction:02d}" if fraction < 10 and other % 2 else f"{whole},{fraction}"
    answer = f"Der Anteil liegt bei {written} %."
    shown = f"{whole}.{written.partition(',')[2]}"
    assert unverified_numbers(answer, f"v\n{shown}\n", "Wie hoch?") == [], written
    assert unverified_numbers(answer, f"v\n{whole}\n{written.partition(',')[2]}\n", "Wie hoch?") == [], written
    # neither reading shown: not the decimal, nor both parts (a truncation of a shown number is shown)
    assert unverified_numbers(answer, f"v\n{whole + 1}.{other}\n", "Wie hoch?") == [written], written


def test_a_decimal_comma_keeps_its_scale_and_a_list_in_brackets_is_no_decimal():
    """`€82,3M` is 82.3 million: read as 82.3 (the scale dropped), it passed where the rows held 82.3; `[65,92]` in
    the rows is a list, and an invented 65.92 passed as shown (a second tester, session 41)."""
    for answer in ("Der Umsatz lag bei €82,3M.", "It was $96,2 M.", "It was € 39,7 m.", "About 12,5k of them."):
        amount = answer.split()[-1].strip("€$.").replace("M", "").replace("m", "").replace("k", "")
        rows = f"v\n{amount.replace(',', '.')}\n"
        assert unverified_numbers(answer, rows, "How much?"), answer
    assert unverified_numbers("It made €82,3M.", "v\n82300000\n", "How much?") == []
    assert unverified_numbers("About 12,5k of them.", "v\n12500\n", "How many?") == []
    assert unverified_numbers("It is 65.92.", '{"a": [65,92]}', "What is it?") == ["65.92"]
    assert unverified_numbers("It is 66,3.", "v\n66.3\n", "What is it?") == []
