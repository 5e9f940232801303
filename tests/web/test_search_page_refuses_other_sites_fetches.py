"""The per-table search page embeds its query only for a request a browser would send for a link: SECURITY.md
("Browsers that say the request is another site's fetch, image or frame (`Sec-Fetch-Site: cross-site` without
`Sec-Fetch-Dest: document`) get a 403"; `same-site` is another site too). The oracle is that Fetch Metadata rule,
over every combination of the headers a browser sends: refused requests embed nothing, and the others search and
show the query they searched for in the search box."""

import html
import itertools
import re

import pytest
from datasette.app import Datasette
from search_helpers import make_table, use_fake_model

from datasette_llm.embeddings import embed_table

SITES = [None, "cross-site", "same-site", "same-origin", "none"]
DESTS = [None, "document", "empty", "image", "iframe", "frame", "script", "style", "object", "embed"]


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


def refused_by_the_rule(site, dest) -> bool:
    return site in ("cross-site", "same-site") and dest != "document"


@pytest.mark.asyncio
async def test_the_search_page_follows_fetch_metadata(tmp_path, fake_model):
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": i, "text": f"zebra river mango {i}"} for i in range(8)])
    embed_table(str(path), "docs", model=fake_model)
    ds = Datasette([str(path)])
    for n, (site, dest) in enumerate(itertools.product(SITES, DESTS)):
        query = f'zebra "walrus{n}" <b>&'
        headers = {k: v for k, v in (("sec-fetch-site", site), ("sec-fetch-dest", dest)) if v is not None}
        calls = fake_model.calls
        page = await ds.client.get(
            "/data/docs/-/semantic-search", params={"q": query, "mode": "semantic"}, headers=headers
        )
        if refused_by_the_rule(site, dest):
            assert page.status_code == 403, (site, dest, page.status_code)
            assert fake_model.calls == calls, (site, dest, "embedded the query of a refused request")
        else:
            assert page.status_code == 200, (site, dest, page.status_code)
            assert fake_model.calls == calls + 1, (site, dest)
            assert 'href="/data/docs/' in page.text
        box = re.search(r'<input type="search" name="q" value="([^"]*)"', page.text)
        assert box is not None and html.unescape(box.group(1)) == query, (site, dest, box and box.group(1))
