"""The OpenAPI spec (JSON and YAML) names the instance by the title Datasette itself gives it
(`/-/metadata.json`, on 1.0 `get_instance_metadata()`), or "Datasette" when it has none, for a family of titles
(markup, quotes, non-ASCII, an empty one)."""

import pytest
import yaml
from datasette.app import Datasette
from examples_helpers import make_database

TITLES = [None, "", "Cats", "Les chats d'Élodie", 'A "quoted" <b>title</b>', "データ", "  spaced  "]


@pytest.mark.asyncio
@pytest.mark.parametrize("title", TITLES)
async def test_the_spec_names_the_instance(tmp_path, title):
    metadata = {} if title is None else {"title": title}
    ds = Datasette([str(make_database(tmp_path / "db.db"))], metadata=metadata)
    if hasattr(ds, "get_instance_metadata"):  # Datasette 1.0 serves no /-/metadata.json: its own API
        await ds.invoke_startup()
        datasettes = (await ds.get_instance_metadata()).get("title") or "Datasette"
    else:
        datasettes = (await ds.client.get("/-/metadata.json")).json().get("title") or "Datasette"
    for path in ("/-/llm/openapi.json", "/-/llm/openapi.yaml"):
        response = await ds.client.get(path)
        assert response.status_code == 200
        spec = response.json() if path.endswith("json") else yaml.safe_load(response.text)
        assert spec["info"]["title"].startswith(datasettes + " "), (path, spec["info"]["title"], datasettes)
