"""`12K` is twelve thousand, as `12k` is: read as 12, an invented 12,000 passed where the rows showed 12
(mutant: the NUMBER suffix without K)."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers

pytestmark = pytest.mark.no_datasette


@pytest.mark.parametrize("written", ["12K", "12k", "1.5K"])
def test_a_k_glued_to_digits_is_checked_as_thousands(written):
    amount = written[:-1]
    assert unverified_numbers(f"It sold {written} units.", f"v\n{amount}\n", "How many?") == [written]
    thousands = int(float(amount) * 1000)
    assert unverified_numbers(f"It sold {written} units.", f"v\n{thousands}\n", "How many?") == []
