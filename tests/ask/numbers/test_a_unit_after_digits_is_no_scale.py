"""`45kg` is 45 kilograms and `7kB` 7 kilobytes, not 45,000 and 7,000: a scale letter is a scale only when no letter
follows it (mutant: the suffix's look-ahead removed, so shown 45 and 7 were flagged as 45k and 7k)."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers

pytestmark = pytest.mark.no_datasette


@pytest.mark.parametrize(
    "answer", ["It weighs 45kg.", "The file is 7kB.", "A 12km walk.", "It uses 3Mbps.", "A 2bn budget."]
)
def test_a_letter_after_the_scale_letter_makes_a_unit(answer):
    rows = "name | v\na | 45\nb | 7\nc | 12\nd | 3\ne | 2000000000\n"
    assert unverified_numbers(answer, rows, "What is it?") == []
