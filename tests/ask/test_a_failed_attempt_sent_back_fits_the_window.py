"""A query sent back with its error is fitted to the model's window like the rest of the conversation: with a window
of 2,048 tokens (Ollama's default) and a schema that fills its share, a first reply of a few hundred characters that
names a missing column made the second prompt too long, and the whole question was refused with a 400
`context_overflow` (the attempts dropped), where a short failed reply is mended at once (outside tester 57n).
Oracle: the same question, the same second reply; the length of the failed first reply must not decide whether the
question is answered."""

import random

import pytest
import sqlite_utils
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.config import Settings
from datasette_llm.errors import ContextOverflow
from datasette_llm.models.token_estimate import estimated_tokens

QUESTION = "Which rows of table_1 are there?"
GOOD = "select id from table_1"


@pytest.fixture(scope="module")
def wide_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("sendback") / "wide.db"
    db = sqlite_utils.Database(path)
    for t in range(40):
        db[f"table_number_{t}"].insert({"id": 1, **{f"column_{c}_of_{t}": "x" for c in range(8)}}, pk="id")
    db["table_1"].insert({"id": 1, "name": "one"}, pk="id")
    db.close()
    return path


def failed_reply(aliases: int) -> str:
    names = ", ".join(f"t.name as n{i}" for i in range(aliases))
    return f"select t.nosuch_column, {names} from table_1 t where t.id > 0 order by t.id desc"


class EstimatingModel(ScriptedModel):
    """Counts tokens as the OpenAI-compatible backend does for a server (Ollama, llama.cpp, vLLM): the estimate."""

    def count_tokens(self, text):
        return estimated_tokens(text)


async def asked(wide_db, first_sql: str):
    model = EstimatingModel([sql_reply(first_sql), sql_reply(GOOD), "There is 1 row."], context=2048)
    try:
        result = await ask(Datasette([str(wide_db)]), "wide", QUESTION, model=model, settings=Settings(warm_up=False))
    except ContextOverflow as error:
        return f"context_overflow: {error}", model
    return result, model


@pytest.mark.asyncio
@pytest.mark.parametrize("aliases", [0, 12, 20, 30])
async def test_a_failed_reply_of_any_ordinary_length_is_sent_back_and_mended(wide_db, aliases):
    first = failed_reply(aliases)
    assert len(first) < 600  # a reply well within sql_max_tokens (384 tokens)
    result, model = await asked(wide_db, first)
    assert not isinstance(result, str), f"a {len(first)}-character failed reply: {result}"
    assert result.error is None and result.rows == ((1,),), result.error
    for messages, options in zip(model.calls, model.options):
        assert model.count_message_tokens(messages) + options.max_tokens <= 2048


def failed_of_length(chars: int, n: int) -> str:
    sql = f"select t.nosuch_{n}, " + ", ".join(f"t.name as n{i}" for i in range(200))
    return sql[: chars - len(" from table_1 t")] + " from table_1 t"


CASES = [(w, f, c) for w in (1024, 1536, 2048, 4096) for f in (1, 2) for c in (100, 500, 1200)]
NOT_AGAIN = "the query was not written again: the latest attempt and what was wrong with it do not fit"


@pytest.mark.asyncio
@pytest.mark.parametrize(("window", "failures", "chars"), random.Random(57).sample(CASES, 12))
async def test_every_attempt_fits_the_window_and_fails_only_when_nothing_can_give_way(wide_db, window, failures, chars):
    """Generated windows, failed attempts and their lengths: every prompt fits beside its reply; the latest failure
    is sent back (the schema gives way to it, then earlier attempts, then the reply's room down to the length of
    the query sent back); the question is answered, or, in a window too small for even that, told so without
    any exception. The estimate of a server's tokens is cautious (a 500-character query: about 330 tokens)."""
    replies = [sql_reply(failed_of_length(chars, n)) for n in range(failures)] + [sql_reply(GOOD), "There is 1 row."]
    model = EstimatingModel(replies, context=window)
    result = await ask(Datasette([str(wide_db)]), "wide", QUESTION, model=model, settings=Settings(warm_up=False))
    for messages, options in zip(model.calls, model.options):
        assert model.count_message_tokens(messages) + options.max_tokens <= window
    if result.error is not None:
        assert result.error.startswith("Could not write a valid query after") and not result.rows
        assert any(note.startswith(NOT_AGAIN) for note in result.notes), result.notes
        assert window < 2048 or chars > 500  # room enough for ordinary queries in Ollama's default window
        return
    assert result.rows == ((1,),) and len(result.attempts) == failures + 1
    last_sql_prompt = str(model.calls[failures])
    assert f"nosuch_{failures - 1}" in last_sql_prompt  # the latest failure is always sent back
    if failures == 2 and "nosuch_0" not in last_sql_prompt:
        assert "earlier attempts were left out of the prompt to fit the model's context window" in result.notes
