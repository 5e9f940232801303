"""A number starts where its run of digits starts: in "91.5,88.2" the second number is 88.2, never the 8.2 inside it.
Mutant: NUMBER without its `(?<!\\d)`, which read 8.2 (flagged though the rows hold 88.2). The check reading 88.2
itself is finding F1 of this session (today it reads only 91.5); this test holds either way."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers

pytestmark = pytest.mark.no_datasette


@pytest.mark.parametrize("answer", ["Scores: 91.5,88.2 and 77.", "Scores: [91.5,88.2,77]."])
def test_the_numbers_of_a_list_without_spaces_are_read_from_their_first_digit(answer):
    assert unverified_numbers(answer, "v\n91.5\n88.2\n77", "What are the scores?") == []
