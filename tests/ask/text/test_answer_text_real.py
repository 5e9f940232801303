"""Answers from text end to end with the real default models on the demo database."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask

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
