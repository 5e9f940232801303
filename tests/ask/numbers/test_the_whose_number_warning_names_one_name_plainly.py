"""The whose-number warning names one name as itself and several as "A, B and C". Mutant: `_listed` always joining,
which wrote 'beside  and “Delta Clock”' under every answer naming one row."""

import pytest

from datasette_llm.ask.attribution import attribution_warnings

pytestmark = pytest.mark.no_datasette

ROWS = "name | amount\nEmber Blender | 44499099\nDelta Clock | 58558637\nUmber Desk | 1"


def test_one_name_and_several_names_are_listed_as_written():
    one = attribution_warnings("Delta Clock sold $44,499,099.", "select 1", ROWS, "q", 3)
    assert one == (
        "The answer gives 44,499,099 beside “Delta Clock”, but no row the model was shown holds both; check them "
        "against the table below.",
    )
    two = attribution_warnings("Delta Clock and Umber Desk sold $44,499,099.", "select 1", ROWS, "q", 3)
    assert "beside “Delta Clock” and “Umber Desk”, but" in two[0]
