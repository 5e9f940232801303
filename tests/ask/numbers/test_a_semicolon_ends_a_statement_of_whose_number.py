"""A semicolon ends a statement for the whose-number check ("Umber Desk costs $373.19; Ember Blender costs $373.19":
the second $373.19 is Umber Desk's, not Ember Blender's). Mutant: SENTENCE_END without ";", so both names stood
beside both numbers and the misattribution passed."""

import pytest

from datasette_llm.ask.attribution import numbers_of_other_rows

pytestmark = pytest.mark.no_datasette

ROWS = "name | price\nEmber Blender | 32718.26\nUmber Desk | 373.19"


def test_a_number_after_a_semicolon_is_checked_against_the_names_after_it():
    answer = "Umber Desk costs $373.19; Ember Blender costs $373.19."
    assert numbers_of_other_rows(answer, ROWS, "What do they cost?") == [("373.19", ["Ember Blender"])]
    right = "Umber Desk costs $373.19; Ember Blender costs $32,718.26."
    assert numbers_of_other_rows(right, ROWS, "What do they cost?") == []
