"""The examples chosen for a question come "from the examples that were not kept" (docs/examples.md), and the guard
looks at most at few_shot.MAX_CHECKED of the best-ranked ones for a question. The kept examples, already in the
prompt, are not candidates, so they must not take those places: an outside tester's mutation run (session 55,
tier 2 in session 56) found that letting them be looked at (and passed over) first passed the suite, and then a
store whose kept examples ranked above MAX_CHECKED places chose nothing for the question.

Oracle: more kept examples than MAX_CHECKED, each ranked above one example that was not kept and scores well
above the minimum: that one is chosen.
"""

import pytest

from datasette_llm.ask.few_shot import MAX_CHECKED, MIN_SCORE, REPEAT_SCORE, Shot, choose
from datasette_llm.sql.results import SchemaInfo

pytestmark = pytest.mark.no_datasette

SCHEMA = SchemaInfo(tables={"dogs": ("id", "name", "age"), "owners": ("id", "name")})
ALLOWED = {"dogs", "owners"}


def tokens(text):
    return (len(text) + 3) // 4


def test_an_example_ranked_below_many_kept_ones_is_still_chosen():
    kept_score = (MIN_SCORE + REPEAT_SCORE) / 2  # too little like the question to be repeated next to it
    kept = [Shot(f"Dog {n}?", f"select name from dogs where id = {n}", "example", n, kept_score) for n in range(60)]
    assert len(kept) > MAX_CHECKED
    other = Shot("Owner names?", "select name from owners", "example", 1000, (MIN_SCORE + kept_score) / 2)
    chosen = choose(
        [*kept, other],
        schema=SCHEMA,
        allowed=ALLOWED,
        count_tokens=tokens,
        budget_tokens=10_000,
        limit=3,
        shown=kept,
    )
    assert [shot.ref for shot in chosen] == [1000]
