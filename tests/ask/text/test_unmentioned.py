"""Names a question asks about that no passage mentions (ask/text/unmentioned.py).

The generated test's oracle is the construction: names made of invented words, passages that hold a known subset
of them (in any case, with hyphens or underscores for spaces), questions that name a known subset.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datasette_llm.ask.text.unmentioned import question_names, unmentioned_names

pytestmark = pytest.mark.no_datasette


def test_proper_names_are_capitalised_words_not_the_words_that_open_sentences():
    assert question_names("When was Korvath Mill founded? Give the year.") == ["Korvath Mill"]
    assert question_names("Which is older, Lake Senna or Polira? Compare them.") == ["Lake Senna", "Polira"]
    assert question_names("What does the README say about CSV files and Datasette Lite?") == ["Datasette Lite"]
    assert question_names("what is shot-scraper?") == [] and question_names("Is it Big?") == []


SYLLABLES = ["kor", "vath", "sen", "na", "pol", "ira", "zel", "ost", "mir", "el", "dra", "wyn"]
KINDS = ["Mill", "Bridge", "Brewery", "Lake"]


@st.composite
def names(draw):
    word = "".join(draw(st.lists(st.sampled_from(SYLLABLES), min_size=2, max_size=3)))
    return word.capitalize() + " " + draw(st.sampled_from(KINDS))


def spelt(name: str, how: int) -> str:
    return [name, name.lower(), name.upper(), name.replace(" ", "-").lower(), name.replace(" ", "_")][how]


@settings(max_examples=300, deadline=None)
@given(
    asked=st.lists(names(), min_size=1, max_size=3, unique=True),
    others=st.lists(names(), max_size=3, unique=True),
    held=st.lists(st.booleans(), min_size=3, max_size=3),
    spelling=st.lists(st.integers(0, 4), min_size=6, max_size=6),
)
def test_the_names_no_passage_holds_are_the_ones_found(asked, others, held, spelling):
    in_passages = [name for name, keep in zip(asked, held) if keep] + [n for n in others if n not in asked]
    passages = [
        f"{spelt(name, how)} was founded long ago, and employs many people." for name, how in zip(in_passages, spelling)
    ]
    question = "How do " + " and ".join(asked) + " compare?"
    expected = [name for name in asked if name not in in_passages]
    if any(" ".join(a.lower().split()) in " ".join(o.lower().split()) for a in asked for o in in_passages if a != o):
        return  # one asked name inside another held one: mentioned by construction of the other
    assert unmentioned_names(question, passages) == expected, (question, passages)
