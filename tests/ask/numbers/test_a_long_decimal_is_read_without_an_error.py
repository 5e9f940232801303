"""The numbers check reads any number a question or a row holds: a decimal of 29 significant digits or more made
Decimal.quantize raise InvalidOperation in numbers._forms, and the Ask API answered 500 to a question that merely
wrote one (outside tester 60a). Oracle: the number itself, written as shown, passes; another is flagged."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers

LONG = [
    "12345678901234567890123456789.5",
    "1234567890123456789012345678901234567890.25",
    "$123,456,789,012,345,678,901,234,567,890.5",
]


@pytest.mark.parametrize("number", LONG)
def test_a_long_decimal_shown_or_asked_is_read(number):
    """A long decimal in the rows or in the question is a number shown: no error, and it passes as written."""
    assert unverified_numbers(f"It is {number}.", f"value\n{number}", "what is it?") == []
    assert unverified_numbers(f"It is {number}.", "value\n1", f"is it {number}?") == []
    assert unverified_numbers("It is 77.", f"value\n{number}", "what is it?") == ["77"]
