"""An answer may say how many rows the query returned, or how many it read, though no row holds that number: the
pipeline states those counts itself (ask/pipeline.py passes rows shown and rows fetched to the numbers check), so
"There are 2 such dogs" over two rows of names is no unshown number, while a count the rows do not have is (an
outside tester's gap P15, session 56)."""

import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "answer,flagged",
    [("There are 2 such dogs: Rex and Bella.", False), ("There are 7 such dogs: Rex and Bella.", True)],
)
async def test_the_row_count_is_a_number_the_pipeline_shows(tmp_path, answer, flagged):
    model = ScriptedModel([sql_reply("select name from dogs where age > 4"), answer])
    datasette = Datasette([str(make_pets_db(tmp_path / "pets.db"))])
    result = await ask(datasette, "pets", "Which dogs are older than four?", model=model)
    assert result.rows == (("Rex",), ("Bella",))
    assert any("mentions 7" in w for w in result.warnings) is flagged, result.warnings
    assert not any("mentions 2" in w for w in result.warnings), result.warnings
