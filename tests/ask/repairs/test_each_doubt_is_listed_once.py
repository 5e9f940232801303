"""Each doubt is listed once (logic_checks/__init__.py logic_doubts: `list(dict.fromkeys(doubts))`): the same
impossible condition written in both halves of a UNION is one thing for the model to reconsider, not two. No test
had a repeated doubt: a version that listed it twice survived (outside tester, session 56, mutant L06).
"""

import pytest

from datasette_llm.ask.repairs.logic_checks import logic_doubts

pytestmark = pytest.mark.no_datasette

COLUMNS = {"films": ("id", "title", "year", "genre")}


def test_the_same_doubt_from_two_halves_of_a_union_is_listed_once():
    half = "SELECT title FROM films WHERE year = 2014 AND year = 2015"
    found = logic_doubts(f"{half} AND genre = 'drama' UNION {half} AND genre = 'comedy'", "Which films?", COLUMNS, ())
    assert len(found) == 1
    assert found[0].startswith("year = 2014 AND year = 2015 can never hold for one row")
