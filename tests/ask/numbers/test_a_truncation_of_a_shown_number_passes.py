"""A shown number's truncations are forms an answer may write it in (numbers.py `_forms`: "itself, its truncations
and its roundings"): 3.141 for 3.14159, where the rounding is 3.142. Mutant: the truncations dropped, so a true
3.141 was flagged."""

import pytest

from datasette_llm.ask.numbers import shown_forms, unverified_numbers

pytestmark = pytest.mark.no_datasette


def test_truncations_of_a_shown_number_pass():
    assert {"3.1", "3.14", "3.141", "3.1415"} <= shown_forms("v\n3.14159")
    assert unverified_numbers("It is 3.141 or 3.1415.", "v\n3.14159", "What is it?") == []
    assert unverified_numbers("It is 3.143.", "v\n3.14159", "What is it?") == ["3.143"]
