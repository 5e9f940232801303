"""`0X586` is the hexadecimal 1414, as `0x586` is: read as 0 and 586 it passed where the rows showed 0 and 586
(mutant: the hex pattern with a lower-case x only)."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers

pytestmark = pytest.mark.no_datasette


@pytest.mark.parametrize("prefix", ["0x", "0X"])
def test_hexadecimal_is_read_whole_whatever_the_case_of_its_x(prefix):
    assert unverified_numbers(f"The code is {prefix}586.", "v\n0\n586\n", "What is it?") == [f"{prefix}586"]
    assert unverified_numbers(f"The code is {prefix}586.", "v\n1414\n", "What is it?") == []
