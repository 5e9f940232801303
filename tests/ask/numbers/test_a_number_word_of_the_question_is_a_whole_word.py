"""The question's number words count as shown ("the five repos": 5) only as words: "often" holds no "ten", nor
"content" or "attention". Mutant: the words found without word boundaries, so an invented 10 passed for "How
often ...?"."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers

pytestmark = pytest.mark.no_datasette


@pytest.mark.parametrize("question", ["How often do the dogs bark?", "What is the content of the note?"])
def test_a_number_word_inside_another_word_is_not_the_questions_number(question):
    assert unverified_numbers("They bark 10 times.", "name | v\nRex | 3", question) == ["10"]


def test_a_number_word_of_the_question_counts():
    assert unverified_numbers("They bark 10 times.", "name | v\nRex | 3", "Do they bark ten times?") == []
