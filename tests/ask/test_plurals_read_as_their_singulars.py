"""Schema ranking reads a plural as its singular (session 59): `countries` and `country`, `addresses` and `address`,
`boxes` and `box`, `movies` and `movie` are one word; a word ending in "ss" is no plural. Oracle: English spelling
(outside tester 60a: mutants dropping the "-es", the "ss" and the "-ie" rules each survived the suite)."""

import pytest

from datasette_llm.ask.schema import _stem

PAIRS = [
    ("countries", "country"),
    ("addresses", "address"),
    ("branches", "branch"),
    ("boxes", "box"),
    ("movies", "movie"),
    ("categories", "category"),
    ("classes", "class"),
    ("dishes", "dish"),
]


@pytest.mark.parametrize(("plural", "singular"), PAIRS)
def test_a_plural_is_read_as_its_singular(plural, singular):
    """The plural and its singular stem alike."""
    assert _stem(plural) == _stem(singular)


@pytest.mark.parametrize("word", ["address", "class", "glass"])
def test_a_word_ending_in_ss_is_no_plural_of_a_shorter_word(word):
    """`address` is not `addres`, `class` is not `clas`."""
    assert _stem(word) != word[:-1]
