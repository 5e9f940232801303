"""Answers from text end to end with the real default models on the demo database."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils
from datasette.app import Datasette
from server_helpers import serve_openai

from datasette_llm.ask.pipeline import ask
from datasette_llm.models import chat_model_for

# What the real model writes from passages: Datasette's version does not change it (the surfaces around it are
# tested in both legs), so the test command runs these in one leg (the marker one_leg).
pytestmark = pytest.mark.one_leg

ROOT = Path(__file__).resolve().parent.parent.parent.parent
DEMO = ROOT / "demo-db" / "build" / "simonw_releases.db"


@pytest.fixture(scope="module")
def demo_copy(tmp_path_factory):
    if not DEMO.exists():
        subprocess.run([sys.executable, str(ROOT / "setup-scripts" / "build_demo_db.py")], check=True)
    target = tmp_path_factory.mktemp("demo") / "simonw_releases.db"
    shutil.copy(DEMO, target)
    return target


@pytest.mark.asyncio
async def test_what_is_shot_scraper_cites_the_shot_scraper_repo(demo_copy, chat_model):
    result = await ask(Datasette([str(demo_copy)]), "simonw_releases", "What is shot-scraper?", model=chat_model)
    assert result.path == "text", result.route
    assert any(p["label"] == "simonw/shot-scraper" for p in result.passages)
    assert result.citations, (result.answer, result.warnings)
    assert {c["label"] for c in result.citations} <= {p["label"] for p in result.passages}
    assert "simonw/shot-scraper" in {c["label"] for c in result.citations}
    assert "screenshot" in result.answer.lower()


@pytest.mark.asyncio
async def test_question_whose_answer_is_absent_is_not_found(demo_copy, chat_model):
    result = await ask(
        Datasette([str(demo_copy)]),
        "simonw_releases",
        "What is the boiling point of liquid nitrogen in kelvin?",
        model=chat_model,
        mode="text",
    )
    assert result.answer == "Not found in the data.", result.answer
    assert result.citations == ()


# Reports in the form of benchmarks/fiction.py: invented places beside look-alikes, each fact a sentence about
# "it" among sentences of no fact. The earlier prompt (a second "If the passages do not contain the answer,
# reply exactly: Not found" closing the question) made the real model refuse 14 of 48 such questions with the
# right report listed first, all three below among them (`benchmarks/text_answers.py`, session 32).
REPORTS = [
    (
        "Kuorine Bridge",
        "Kuorine Bridge is a bridge in the valley of the Marrow. A society of volunteers looks after what remains. It "
        "rests on 5 stone arches. It opened to traffic in 1802. The old account books survive in a regional archive. "
        "The bridge is 681 metres long. Visitors come mostly in the summer months. Records of its early years were "
        "kept by the parish. Its history is told in a small museum nearby. It was designed by the engineer Edda "
        "Sarrow. Several painters of the region chose it as a subject.",
    ),
    (
        "Kurrine Bridge",
        "Kurrine Bridge is a bridge in the valley of the Quenna. Visitors come mostly in the summer months. A footpath "
        "along the water leads to it from the village green. It was designed by the engineer Edda Tidd. Several "
        "painters of the region chose it as a subject. It opened to traffic in 1796. The bridge is 752 metres long. "
        "Its history is told in a small museum nearby. It rests on 31 stone arches. Floods in a wet spring once "
        "damaged part of it. Schoolchildren of the district visit it every autumn.",
    ),
    (
        "Leror Mine",
        "Leror Mine is a mine in the valley of the Quenna. The nearest village grew up around it. Visitors come mostly "
        "in the summer months. Its main shaft reaches 832 metres. Its history is told in a small museum nearby. Its "
        "appearance has changed little over the generations. The mine closed in 1899. It was owned by Edda Ollery "
        "for most of its life. The old account books survive in a regional archive. At most 417 miners worked "
        "there. Several painters of the region chose it as a subject.",
    ),
    (
        "Lerror Mine",
        "Lerror Mine is a mine in the valley of the Quenna. It was owned by Rurik Vost for most of its life. Its "
        "history is told in a small museum nearby. Records of its early years were kept by the parish. Its main "
        "shaft reaches 394 metres. The mine closed in 1891. At most 789 miners worked there. The nearest village "
        "grew up around it. Some of its original fittings were sold to collectors. The site lies at the end of a "
        "narrow road through the hills. The old account books survive in a regional archive.",
    ),
    (
        "Ttlline Mine",
        "Ttlline Mine is a mine in the valley of the Quenna. Its main shaft reaches 590 metres. A society of "
        "volunteers looks after what remains. It was owned by Ada Tidd for most of its life. At most 315 miners "
        "worked there. The mine closed in 1986. Local people still tell stories about it. The nearest village grew "
        "up around it. Floods in a wet spring once damaged part of it. Records of its early years were kept by the "
        "parish. A footpath along the water leads to it from the village green.",
    ),
    (
        "Tolline Mine",
        "Tolline Mine is a mine in the valley of the Marrow. Its main shaft reaches 122 metres. A footpath along the "
        "water leads to it from the village green. Its history is told in a small museum nearby. Records of its "
        "early years were kept by the parish. At most 299 miners worked there. Floods in a wet spring once damaged "
        "part of it. Some of its original fittings were sold to collectors. Several painters of the region chose "
        "it as a subject. The mine closed in 1847. It was owned by Edda Kellan for most of its life.",
    ),
]


@pytest.fixture(scope="module")
def reports_db(tmp_path_factory, embedding_model):
    from datasette_llm.embeddings import embed_table

    path = tmp_path_factory.mktemp("reports") / "reports.db"
    rows = [{"id": i, "title": title, "report": report} for i, (title, report) in enumerate(REPORTS, 1)]
    sqlite_utils.Database(path)["reports"].insert_all(rows, pk="id")
    embed_table(path, "reports", columns=["title", "report"], model=embedding_model)
    return path


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "question, value, title",
    [
        ("How many arches does Kuorine Bridge have?", "5", "Kuorine Bridge"),
        ("How many miners worked at Leror Mine?", "417", "Leror Mine"),
        ("How many miners worked at Tolline Mine?", "299", "Tolline Mine"),
    ],
)
async def test_a_fact_the_report_of_its_subject_states_is_answered_and_cited(
    reports_db, chat_model, question, value, title
):
    result = await ask(Datasette([str(reports_db)]), "reports", question, model=chat_model, mode="text")
    assert value in re.findall(r"\d+", result.answer), result.answer
    assert title in {c["label"] for c in result.citations}, (result.answer, result.citations)


@pytest.mark.asyncio
async def test_a_question_about_what_no_report_holds_is_still_not_found(reports_db, chat_model):
    question = "How many seats does the Taerras Opera House have?"
    result = await ask(Datasette([str(reports_db)]), "reports", question, model=chat_model, mode="text")
    assert result.answer == "Not found in the data.", result.answer


@pytest.fixture(scope="module")
def small_server(default_gguf):
    """llama_cpp.server with a window of 1,024 tokens: the passages fitted again fill it, so a smaller window is a
    shorter read (2,048 tokens took 157 s of a loaded CI run)."""
    yield from serve_openai(default_gguf, n_ctx=1024)


@pytest.mark.model
@pytest.mark.asyncio
async def test_a_real_server_that_refuses_the_passages_has_them_fitted_again(tmp_path, embedding_model, small_server):
    """llama_cpp.server with a window of 1,024 tokens, the plugin told 8,192 and a passages budget of 6,000: the
    first prompt is refused, the window learned from what the server says, and the answer written from passages
    fitted again (the scripted test above checks the same logic; this is the real server's refusal)."""
    openai_server = small_server
    from datasette_llm.config import load_settings
    from datasette_llm.embeddings import embed_table

    def guide(name, topic):
        sentences = [
            f"Section {n}: {name} {topic} step {n} uses option --level-{n} and writes report {n}." for n in range(260)
        ]
        return f"# {name}\n\n{name} is a tool that {topic}.\n\n" + " ".join(sentences)

    path = tmp_path / "guides.db"
    db = sqlite_utils.Database(path)
    db["guides"].insert_all(
        [
            {"name": "kestrel", "body": guide("kestrel", "archives web pages as PDF files")},
            {"name": "heron", "body": guide("heron", "converts spreadsheets to SQLite databases")},
        ],
        pk="name",
    )
    db.close()
    embed_table(path, "guides", columns=["name", "body"], model=embedding_model)
    settings = load_settings(
        {
            "chat_model": f"openai:{openai_server['model']}-passages",  # a model of its own: nothing learned yet
            "openai_base_url": openai_server["base_url"],
            "openai_api_key": openai_server["api_key"],
            "context_window": 8192,
            "text_budget_tokens": 6000,
        },
        {},
    )
    result = await ask(
        Datasette([str(path)]),
        "guides",
        "Which tools write reports, and with which options?",
        settings=settings,
        mode="text",
    )
    model = chat_model_for(settings)
    assert model.context_window() == 1024  # the server refused the first prompt and said its window
    assert result.path == "text" and result.answer and result.passages
    assert result.tokens["answer_prompt"] + 64 <= 1024
    assert {p["label"] for p in result.passages} == {"kestrel", "heron"}
