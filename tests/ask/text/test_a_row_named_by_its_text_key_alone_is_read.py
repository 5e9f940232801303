"""A question that names a row by its text primary key ("What is quill-press?" over `tools(slug, readme,
topic)`, a table with no `name` or `title` column and more than two columns, so that Datasette 0.65 gives it no
label column) is answered from that row alone: name_match compares names with "a single primary key" too
(its docstring; docs/ask.md: "the question names one row outright ... then that row alone").

Through POST /{db}/-/ask.json on a real Datasette with a scripted model, over a generated family of tables; the
oracle is the prompt the scripted model was sent (the passages it was shown) and the row plain sqlite3 holds for
the slug the question names."""

import random
import re
import sqlite3

import pytest
import sqlite_utils
from ask_helpers import use_scripted_models
from datasette.app import Datasette

PARTS = ["quill", "ember", "harbor", "lantern", "mosaic", "orbit", "pebble", "ripple", "summit", "tundra"]
TOPICS = ["maps", "charts", "search", "exports", "imports", "caching"]


def make_tools(path, rng):
    slugs = []
    while len(slugs) < 7:
        slug = f"{rng.choice(PARTS)}-{rng.choice(PARTS)}"
        if slug not in slugs and slug.split("-")[0] != slug.split("-")[1]:
            slugs.append(slug)
    rows = [
        {
            "slug": slug,
            # Readmes share most of their words, so that the search alone does not single the named row out.
            "readme": f"A small tool for {rng.choice(TOPICS)} and {rng.choice(TOPICS)} in datasette projects, "
            f"release {rng.randint(2, 99)}. It reads tables and writes reports for {rng.choice(TOPICS)}.",
            "topic": rng.choice(TOPICS),
        }
        for slug in slugs
    ]
    db = sqlite_utils.Database(path)
    db["tools"].insert_all(rows, pk="slug")
    db.close()
    return slugs


def shown_passages(prompt: str) -> list[tuple[int, str]]:
    body = re.search(r"Passages:\n(.*?)\nQuestion: ", prompt, re.S).group(1)
    parts = re.split(r"(?m)^\[(\d+)\] ", body)
    return [(int(parts[i]), parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(3))
async def test_a_question_naming_a_row_by_its_text_key_reads_that_row_alone(
    tmp_path, monkeypatch, embedding_model, seed
):
    from datasette_llm.embeddings import embed_table, enable_fts

    rng = random.Random(seed)
    path = tmp_path / "tools.db"
    slugs = make_tools(path, rng)
    embed_table(path, "tools", columns=["readme", "topic"], model=embedding_model)
    enable_fts(path, "tools", ["readme", "topic"])
    made = use_scripted_models(monkeypatch, embedding_model, ["It is a small tool [1]."])
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}})
    conn = sqlite3.connect(path)
    for slug in rng.sample(slugs, 2):
        question = rng.choice([f"What is {slug}?", f"What does {slug} do?", f"Tell me about {slug}"])
        response = await ds.client.post("/tools/-/ask.json", json={"question": question, "mode": "text"})
        assert response.status_code == 200, response.text
        prompt = made[-1].calls[-1][-1]["content"]
        shown = shown_passages(prompt)
        readme = conn.execute("select readme from tools where slug = ?", [slug]).fetchone()[0]
        assert len(shown) == 1, (question, [text.split("\n")[0] for _, text in shown])
        assert shown[0][1].startswith(f"tools: {slug}\n"), (question, shown[0][1][:80])
        assert readme[:40] in shown[0][1], (question, shown[0][1][:200])
        assert [p["label"] for p in response.json()["passages"]] == [slug]
    conn.close()
