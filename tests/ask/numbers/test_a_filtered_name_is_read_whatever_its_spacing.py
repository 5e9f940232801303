"""A name the query picked rows by is read in the answer whatever runs of spaces part its words (the query's
'Ember  Blender', the answer's "Ember Blender"). Mutant: _mentions without normalising the name's spaces, so the
unlabelled pairing was not warned."""

import pytest

from datasette_llm.ask.attribution import unlabelled_pairings

pytestmark = pytest.mark.no_datasette


def test_a_name_with_two_spaces_in_the_query_is_mentioned_by_the_answer():
    sql = "select price from t where name in ('Ember  Blender', 'Umber Desk')"
    found = unlabelled_pairings("Ember Blender and Umber Desk cost 31 each.", sql, "price\n31", 1)
    assert found == ["Ember  Blender", "Umber Desk"]
