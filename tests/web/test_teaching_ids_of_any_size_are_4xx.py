"""An id in a teaching URL (`/examples/{id}/remove`, `/feedback/{id}/remove`, `?feedback_before=`) of any size or
spelling is a 4xx with a JSON error, never a 500 (docs/http-api.md: 400 bad input, 404 unknown; SQLite's integers
end at 2^63 - 1, so a longer number names nothing that can exist). Oracle: the HTTP status class, over a generated
family of ids around SQLite's integer range and spellings Python's int() takes that are not ASCII digits."""

import random

import pytest
from datasette.app import Datasette
from examples_helpers import make_database, signed_in

TEACHER = {"id": "teacher"}
METADATA = {
    "plugins": {
        "datasette-llm": {"warm_up": False, "allow_ask": {"id": ["teacher"]}, "allow_teach": {"id": ["teacher"]}}
    }
}
MAX_INT64 = 2**63 - 1


def ids():
    rng = random.Random(2**63)
    around = [MAX_INT64 - 1, MAX_INT64, MAX_INT64 + 1, 2**64, 10**18 - 1, 10**18, 10**19 - 1, 10**19, 10**25]
    around += [rng.randint(10**18, 10**19 - 1) for _ in range(4)] + [rng.randint(10**19, 10**30) for _ in range(3)]
    spelt = ["0" * 19 + "1", "٣", "１２", "1_000", "+1", "-1", " 1", "1.0", "0x10"]
    return [str(n) for n in around] + spelt


@pytest.mark.asyncio
async def test_ids_of_any_size_are_a_4xx(tmp_path):
    ds = Datasette([str(make_database(tmp_path / "db.db"))], metadata=METADATA, secret="ids")
    auth = signed_in(ds, TEACHER)
    assert (
        await ds.client.post(
            "/-/llm/db/feedback", json={"question": "Cats?", "verdict": "wrong", "comment": "x"}, **auth
        )
    ).status_code == 201
    for raw in ids():
        from urllib.parse import quote

        for kind in ("examples", "feedback"):
            response = await ds.client.post(f"/-/llm/db/{kind}/{quote(raw)}/remove", json={}, **auth)
            assert 400 <= response.status_code < 500, (kind, raw, response.status_code, response.text[:200])
            assert response.json()["ok"] is False
        response = await ds.client.get("/-/llm/db/examples.json", params={"feedback_before": raw}, **auth)
        assert response.status_code in (200, 400), (raw, response.status_code, response.text[:200])
        assert (await ds.client.get("/-/llm/db/examples", params={"feedback_before": raw}, **auth)).status_code < 500
