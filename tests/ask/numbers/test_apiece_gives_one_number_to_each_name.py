""" "Rex and Fido cost 31 apiece" gives one number to each name, as "each" does: with the rows not naming them, the
pairing is the model's guess (attribution.py PER_NAME). Mutant: "apiece" dropped from PER_NAME, no warning."""

import pytest

from datasette_llm.ask.attribution import unlabelled_pairings

pytestmark = pytest.mark.no_datasette

SQL = "select price from t where name in ('Rex', 'Fido')"


@pytest.mark.parametrize("word", ["each", "apiece", "respectively"])
def test_one_number_given_to_each_unlabelled_name_is_a_pairing(word):
    assert unlabelled_pairings(f"Rex and Fido cost 31 {word}.", SQL, "price\n31", 1) == ["Rex", "Fido"]
    assert unlabelled_pairings("Rex and Fido cost 31 together.", SQL, "price\n31", 1) == []
