"""A sentence that names no row gives its numbers to nobody ("In total they sold $44,499,099."): the whose-number
check skips it. Mutant: the `continue` for sentences without names dropped, which warned 'gives 44,499,099 beside ,'
under every such sentence."""

import pytest

from datasette_llm.ask.attribution import attribution_warnings, numbers_of_other_rows

pytestmark = pytest.mark.no_datasette

ROWS = "name | amount\nEmber Blender | 44499099\nDelta Clock | 58558637"


def test_a_number_in_a_sentence_without_names_is_not_attributed():
    answer = "In total they sold $44,499,099. Delta Clock sold $58,558,637."
    assert numbers_of_other_rows(answer, ROWS, "How much?") == []
    assert attribution_warnings(answer, "select 1", ROWS, "How much?", 2) == ()
