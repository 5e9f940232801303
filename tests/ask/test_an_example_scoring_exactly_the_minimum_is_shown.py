"""docs/examples.md: examples chosen for a question each score "at least 0.35" (few_shot.MIN_SCORE). An example whose
score is exactly the minimum is chosen; one a hair below is not.

The score is the cosine of the question vectors plus half the share of the question's content words the example's
question has: orthogonal vectors (cosine 0) and 7 of 10 words shared give 0.5 * 0.7, which is 0.35 exactly in
binary floating point. (Outside tester 55i: the comparison could be made strict, `>`, and no test noticed.)"""

import numpy as np
import pytest

from datasette_llm.ask.few_shot import MIN_SCORE, Shot, ShotPool, choose, rank
from datasette_llm.sql.results import SchemaInfo

pytestmark = pytest.mark.no_datasette

SCHEMA = SchemaInfo(tables={"cats": ("id", "name")})
ASKED = "zebra quokka walrus heron bison lynx otter badger ferret marmot"


def chosen_for(example_question):
    pool = ShotPool(
        [Shot(example_question, "select count(*) from cats", "example", 1)], np.array([[0.0, 1.0]], dtype=np.float32)
    )
    ranked = rank(pool, ASKED, np.array([1.0, 0.0], dtype=np.float32))
    picked = choose(
        ranked, schema=SCHEMA, allowed={"cats"}, count_tokens=lambda t: len(t) // 4, budget_tokens=1000, limit=3
    )
    return ranked[0].score, picked


def test_an_example_at_exactly_the_minimum_score_is_chosen():
    score, picked = chosen_for("zebra quokka walrus heron bison lynx otter")  # 7 of the 10 words
    assert score == MIN_SCORE == 0.35
    assert [shot.ref for shot in picked] == [1]


def test_an_example_just_below_the_minimum_is_not():
    score, picked = chosen_for("zebra quokka walrus heron bison lynx")  # 6 of 10: 0.3
    assert score < MIN_SCORE
    assert picked == []
