"""A teacher's listing shows feedback 100 at a time (SECURITY.md, "Web"), and `feedback_before` leads to a next page
only when there is one: following it never reaches an empty page, and the pages hold every piece exactly once. The
oracle is what the test itself recorded, for counts around the page size."""

import pytest
from datasette.app import Datasette
from examples_helpers import make_database, signed_in

TEACHER = {"id": "teacher"}
METADATA = {
    "plugins": {
        "datasette-llm": {"warm_up": False, "allow_ask": {"id": ["teacher"]}, "allow_teach": {"id": ["teacher"]}}
    }
}
PAGE = 100


@pytest.mark.asyncio
@pytest.mark.parametrize("count", [1, PAGE - 1, PAGE, PAGE + 1, 2 * PAGE])
async def test_feedback_pages_end_where_the_feedback_does(tmp_path, count):
    ds = Datasette([str(make_database(tmp_path / "db.db"))], metadata=METADATA, secret="pages")
    auth = signed_in(ds, TEACHER)
    recorded = []
    for n in range(count):
        body = {"question": f"Cats older than {n}?", "verdict": "wrong", "comment": f"c{n}"}
        response = await ds.client.post("/-/llm/db/feedback", json=body, **auth)
        assert response.status_code == 201, response.text
        recorded.append(response.json()["feedback"]["id"])
    seen, pages, before = [], 0, None
    while True:
        params = {} if before is None else {"feedback_before": before}
        data = (await ds.client.get("/-/llm/db/examples.json", params=params, **auth)).json()
        pages += 1
        assert data["feedback"], f"page {pages} is empty: the one before said there was more"
        assert len(data["feedback"]) <= PAGE
        seen += [item["id"] for item in data["feedback"]]
        before = data["feedback_before"]
        if before is None:
            break
    assert sorted(seen) == sorted(recorded) and len(seen) == len(set(seen))
    assert pages == -(-count // PAGE)
