"""The Ask page cuts long cells where Datasette's own tables do: its `data-truncate-cells` is Datasette's
`truncate_cells_html` setting, as Datasette itself reports it (`/-/settings.json`), for a family of values, 0
(Datasette's "no truncation") among them."""

import html
import re

import pytest
from datasette.app import Datasette
from examples_helpers import make_database


@pytest.mark.asyncio
@pytest.mark.parametrize("value", [None, 0, 1, 2, 31, 100, 2048, 100_000])
async def test_the_page_cuts_cells_at_datasettes_setting(tmp_path, value):
    path = make_database(tmp_path / "db.db")
    settings = {} if value is None else {"truncate_cells_html": value}
    ds = Datasette([str(path)], settings=settings, metadata={"plugins": {"datasette-llm": {"warm_up": False}}})
    datasettes = (await ds.client.get("/-/settings.json")).json()["truncate_cells_html"]
    page = await ds.client.get("/db/-/ask")
    assert page.status_code == 200
    shown = re.search(r'data-truncate-cells="([^"]*)"', page.text)
    assert shown is not None
    assert int(html.unescape(shown.group(1))) == datasettes
