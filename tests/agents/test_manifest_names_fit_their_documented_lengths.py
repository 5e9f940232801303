"""The manifest's human name fits the plugin-manifest limit of 20 characters for any instance title: a title of
exactly 20 is kept whole, a longer one is cut to 20 with "…" at the end.

agents/manifest.py: NAME_FOR_HUMAN_MAX = 20 (the ChatGPT plugin manifest's limit for `name_for_human`; a manifest
over it is refused by the client that reads it). The title is the instance's own (metadata `title`), so an
operator's long title must not break the manifest, and one that fits must not lose its last letter.
tests/agents/test_api.py checks the length for the default title only. Found by mutation testing (an outside
tester, session 53): without the clip, clipping at 19, or without name_for_model's fallback, the suite passed.
"""

import pytest
from datasette.app import Datasette
from examples_helpers import make_database


async def manifest_for(tmp_path, title: str) -> dict:
    ds = Datasette([str(make_database(tmp_path / "db.db"))], metadata={"title": title})
    response = await ds.client.get("/.well-known/ai-plugin.json")
    assert response.status_code == 200
    return response.json()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Twenty characters!!!"[:20], "Twenty characters!!!"[:20]),
        ("The City of Example Open Data Portal", "The City of Example…"),
        ("é" * 25, "é" * 19 + "…"),
    ],
)
async def test_name_for_human_fits_twenty_characters(tmp_path, title, expected):
    manifest = await manifest_for(tmp_path, title)
    assert len(manifest["name_for_human"]) <= 20, manifest["name_for_human"]
    assert manifest["name_for_human"] == expected


@pytest.mark.asyncio
@pytest.mark.parametrize("title", ["東京のデータ", "!!!", "—"])
async def test_name_for_model_is_never_empty(tmp_path, title):
    """`name_for_model` keeps only [a-z0-9_] of the title; a title with none of them (any non-Latin title) must still
    give a name a model can call (agents/manifest.name_for_model falls back to "datasette")."""
    manifest = await manifest_for(tmp_path, title)
    assert manifest["name_for_model"] == "datasette", manifest["name_for_model"]
