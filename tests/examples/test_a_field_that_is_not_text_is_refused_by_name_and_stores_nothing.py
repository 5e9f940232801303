"""The teaching JSON endpoints answer "400 bad JSON or a missing or empty field (the message names it)"
(docs/examples.md), and a refused request stores nothing. A field sent as a number, a boolean, a list or an object
is not text: refused with its name. An outside tester's mutation run (session 56) found that dropping that check
passed the suite: the store's own check still refused most such values, but a falsy non-text comment (`false`, `0`,
`[]`, `{}`) was then taken for no comment and the feedback stored.

Oracle: for each non-text value of each field, a 400 whose message names the field, and nothing stored.
"""

import pytest
from datasette.app import Datasette
from examples_helpers import TEACHER, signed_in, teaching_metadata

from datasette_llm.examples import ExampleStore

NOT_TEXT = [False, 0, [], {}, True, 5, ["q"], {"q": 1}]
GOOD = {"question": "How many cats?", "sql": "select count(*) from cats"}


@pytest.mark.asyncio
@pytest.mark.parametrize("value", NOT_TEXT, ids=repr)
async def test_non_text_fields_are_refused_by_name(db_path, state, value):
    ds = Datasette([db_path], metadata=teaching_metadata())
    auth = signed_in(ds, TEACHER)
    sends = [("/-/llm/db/examples", {**GOOD, field: value}, field) for field in ("question", "sql")]
    sends += [
        ("/-/llm/db/feedback", {**GOOD, "verdict": verdict, field: value}, field)
        for verdict in ("wrong", "right")
        for field in ("question", "sql", "comment")
    ]
    for path, body, field in sends:
        answer = await ds.client.post(path, json=body, **auth)
        assert answer.status_code == 400, (path, body, answer.text)
        assert f"The field {field!r} must be text" in answer.json()["error"], (body, answer.text)
    store = ExampleStore(state / "examples.db")
    assert store.examples("db") == [] and store.feedback("db") == []
