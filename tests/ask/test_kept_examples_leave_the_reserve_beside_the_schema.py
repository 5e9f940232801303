"""docs/examples.md / ask/examples_stage.py: the examples kept for every question take `few_shot_kept_tokens`, "never
more than the window leaves beside the schema and PROMPT_RESERVE" (2,048 tokens for the question, turns and
reply). A model with a small window and a schema of several hundred tokens: the kept examples' cost plus the schema
stays within the window less the reserve.

(Outside tester 55i: the schema's tokens could be left out of that room, so the kept examples ate up to the
schema's size out of the reserve, and no test noticed.)"""

import sqlite3

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette
from datasette_versions import DATASETTE_1
from examples_helpers import signed_in
from search_helpers import FakeEmbeddingModel

from datasette_llm.ask.examples_stage import PROMPT_RESERVE

TEACHER = {"id": "teacher"}


def tokens(text):
    return (len(text) + 3) // 4  # as ScriptedModel counts


@pytest.mark.asyncio
@pytest.mark.parametrize("extra", [40, 150, 400])
async def test_kept_examples_fit_beside_the_schema_and_the_reserve(tmp_path, monkeypatch, extra):
    import datasette_llm.ask.pipeline
    import datasette_llm.web.ask

    path = tmp_path / "db.db"
    columns = ", ".join(f"measurement_column_number_{n:03d} integer" for n in range(60))
    with sqlite3.connect(path) as conn:
        conn.execute(f"create table cats (id integer primary key, name text, {columns})")
        conn.execute("insert into cats (id, name) values (1, 'Tom')")
    conn.close()
    embedder = FakeEmbeddingModel()
    for where in ("datasette_llm.models.embedding_model_for", "datasette_llm.ask.examples_stage.embedding_model_for"):
        monkeypatch.setattr(where, lambda *a, **k: embedder)
    plugin = {
        "warm_up": False,
        "allow_teach": {"id": "teacher"},
        "state_dir": str(tmp_path / "state"),
        "few_shot_kept_tokens": 5000,
        "few_shot_budget_tokens": 0,
        "few_shot_repeat": 0,
    }
    blocks = {"plugins": {"datasette-llm": plugin}}
    ds = Datasette([str(path)], secret="s", **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}))
    for n in range(60):
        added = await ds.client.post(
            "/-/llm/db/examples",
            json={
                "question": f"How many cats are older than {n} years?",
                "sql": f"select count(*) from cats where id > {n}",
            },
            **signed_in(ds, TEACHER),
        )
        assert added.status_code == 201, added.text

    # measure the schema's share of the first prompt with a large window
    made = []
    context = {"n": 100_000}

    def scripted(*args, **kwargs):
        made.append(ScriptedModel([sql_reply("select count(*) from cats")] * 2 + ["1"] * 2, context=context["n"]))
        return made[-1]

    for module in (datasette_llm.web.ask, datasette_llm.ask.pipeline):
        monkeypatch.setattr(module, "chat_model_for", scripted)

    async def ask():
        made.clear()
        r = await ds.client.post(
            "/db/-/ask.json", json={"question": "How many cats?", "mode": "sql"}, **signed_in(ds, TEACHER)
        )
        assert r.status_code == 200, r.text
        return r.json(), made[0].calls[0]

    _, messages = await ask()
    schema_tokens = tokens(messages[1]["content"])  # the schema, plus one example question (a few tokens)
    assert schema_tokens > 300
    context["n"] = PROMPT_RESERVE + schema_tokens + extra
    body, messages = await ask()
    kept = [e for e in body["examples"] if e["kept"]]
    cost = sum(tokens(f"Question: {e['question']}\n{e['sql']};\n") for e in kept)
    assert kept, body["examples"]
    # within what the window leaves (slack: schema_tokens also counts the prompt's own words and a question,
    # some 40 tokens)
    assert cost <= extra + 60, (cost, extra, schema_tokens)
