"""Questions asked at once through the Python API of a Datasette that has not started yet (a script's, or the
command line's) wait for one start-up: on Datasette 1.0 the first filled the actions before it had built the
internal catalog, so the others went on and failed with "no such table: catalog_views" (an outside tester, session
56). On 0.65 there is no start-up to wait for; the questions are answered all the same."""

import asyncio

import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask


@pytest.mark.parametrize("at_once", [2, 5])
def test_every_first_question_is_answered(tmp_path, at_once):
    datasette = Datasette([str(make_pets_db(tmp_path / "pets.db"))])

    async def one():
        model = ScriptedModel([sql_reply("select count(*) from dogs")])
        return await ask(datasette, "pets", "How many dogs?", model=model, sql_only=True)

    async def all_at_once():
        return await asyncio.gather(*[one() for _ in range(at_once)], return_exceptions=True)

    results = asyncio.run(all_at_once())
    assert [r.rows if not isinstance(r, BaseException) else repr(r) for r in results] == [((3,),)] * at_once
