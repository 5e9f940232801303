"""Rows whose text is one long paragraph with no sentence end (a log line, a list of words, a README without
full stops) make chunks longer than a passage's share of the budget: each passage is still cut to its share,
at most `text_budget_tokens` (here 256) over the 4 rows read, each passage about a quarter (docs/ask.md: "It reads the
passages of the best 4 rows (`text_passages`) within `text_budget_tokens` (600 ...)").

Through POST /{db}/-/ask.json on a real Datasette with a scripted model (which counts a token per 4 characters),
over generated rows; the oracle is the prompt the scripted model was sent, read by the test, and the rows plain
sqlite3 holds: every passage shown is text of its row, and the passages together keep to the budget."""

import random
import re
import sqlite3

import pytest
import sqlite_utils
from ask_helpers import use_scripted_models
from datasette.app import Datasette

WORDS = "anvil basalt copper dune ember flint garnet heath indigo juniper kelp loam marl nickel ochre peat".split()
BUDGET = 256  # text_budget_tokens: a quarter of it (64 tokens) is less than one 500-character chunk


def tokens(text: str) -> int:
    return (len(text) + 3) // 4  # as the scripted model counts


@pytest.fixture(scope="module")
def notes_db(tmp_path_factory, embedding_model):
    from datasette_llm.embeddings import embed_table, enable_fts

    rng = random.Random(52)
    path = tmp_path_factory.mktemp("notes") / "notes.db"
    db = sqlite_utils.Database(path)
    db["notes"].insert_all(
        [
            {"id": i, "title": f"Note {i}", "body": " ".join(rng.choice(WORDS) for _ in range(rng.randint(250, 450)))}
            for i in range(1, 9)
        ],
        pk="id",
    )
    db.close()
    embed_table(path, "notes", columns=["title", "body"], model=embedding_model)
    enable_fts(path, "notes", ["title", "body"])
    return path


def shown_passages(prompt: str) -> list[tuple[int, str]]:
    body = re.search(r"Passages:\n(.*?)\nQuestion: ", prompt, re.S).group(1)
    body = re.split(r"(?m)^Notes: ", body)[0]  # the plugin's notes on what was cut follow the passages
    parts = re.split(r"(?m)^\[(\d+)\] ", body)
    return [(int(parts[i]), parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(3))
async def test_passages_of_long_paragraphs_keep_to_the_budget(notes_db, monkeypatch, embedding_model, seed):
    rng = random.Random(seed)
    made = use_scripted_models(monkeypatch, embedding_model, ["It mentions them [1]."])
    ds = Datasette(
        [str(notes_db)], metadata={"plugins": {"datasette-llm": {"warm_up": False, "text_budget_tokens": BUDGET}}}
    )
    conn = sqlite3.connect(notes_db)
    # each row's text as words: its columns as "column: value", in order
    rows = {title: f"title: {title} body: {body}" for title, body in conn.execute("select title, body from notes")}
    conn.close()
    question = f"Which note mentions {rng.choice(WORDS)} and {rng.choice(WORDS)}?"
    response = await ds.client.post("/notes/-/ask.json", json={"question": question, "mode": "text"})
    assert response.status_code == 200, response.text
    shown = shown_passages(made[-1].calls[-1][-1]["content"])
    assert len(shown) == 4, [text[:40] for _, text in shown]
    total = 0
    for number, block in shown:
        header, _, text = block.partition("\n")
        label = header.split(": ", 1)[1]
        words = text.replace("…", " ").split()
        assert " ".join(words[1:-1]) in rows[label], (number, text[:120])  # its own row's words, in order
        assert tokens(text.strip()) <= BUDGET // 4, (number, tokens(text), len(text))
        total += tokens(header) + tokens(text)
    assert total <= BUDGET, total
