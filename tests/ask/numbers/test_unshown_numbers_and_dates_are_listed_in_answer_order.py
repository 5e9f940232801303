"""Unshown numbers and dates are listed in the order the answer writes them (numbers.py unverified_numbers: "in the
order they appear"), a number before a date included. Mutant: not sorted, so dates came first."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers

pytestmark = pytest.mark.no_datasette


def test_a_number_before_a_date_is_listed_first():
    assert unverified_numbers("It sold 55 on 2024-02-03, then 77.", "v\n1", "q") == ["55", "2024-02-03", "77"]
