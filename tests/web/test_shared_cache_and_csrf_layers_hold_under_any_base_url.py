"""Under a `base_url` setting (Datasette behind a proxy at a path prefix) every route of the plugin is reached at the
prefixed path, and the plugin's layers hold there as at the root: no answer may be kept by a shared cache (RFC 9111:
Cache-Control no-store; the logo aside), each names the request headers it reads in Vary, and Datasette's CSRF refusal
of a JSON request is the plugin's JSON error with Datasette's 403 (web/csrf_refusals.py). A generated family: base
URLs of one to three segments, every plugin route, GET and the refused JSON POST, over real HTTP (uvicorn). Oracles:
RFC 9111, RFC 9110 (403, Content-Type), and the same request at the root."""

from __future__ import annotations

import json
import random
import string

import httpx
import pytest
from datasette_versions import DATASETTE_1
from route_helpers import items_datasette, plugin_paths
from server_helpers import serve_in_thread

JSON_POSTS = ["/db/-/ask.json", "/db/-/ask.stream", "/-/llm/db/examples", "/-/llm/db/feedback"]


def base_urls(rng: random.Random, count: int) -> list[str]:
    alphabet = string.ascii_lowercase + string.digits + "-_"
    return [
        "/"
        + "/".join("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))) for _ in range(rng.randint(1, 3)))
        + "/"
        for _ in range(count)
    ]


def refused_request(ds) -> dict:
    if DATASETTE_1:
        return {"Origin": "http://localhost:6274", "Sec-Fetch-Site": "same-site"}
    return {"Cookie": "ds_csrftoken=" + ds.sign("t", "csrftoken")}


@pytest.mark.parametrize("base", base_urls(random.Random(50), 3))
def test_the_layers_hold_under_a_base_url(tmp_path, base):
    ds = items_datasette(tmp_path, settings={"base_url": base})
    prefix = base.rstrip("/")
    with serve_in_thread(ds.app()) as url, httpx.Client(timeout=30) as client:
        for path in plugin_paths():
            at_root = client.get(url + path)
            response = client.get(url + prefix + path)
            assert response.status_code == at_root.status_code, (base, path, response.status_code)  # reached
            if path != "/-/llm/logo.svg":
                assert "no-store" in response.headers.get("cache-control", ""), (base, path, response.headers)
            names = {part.strip().lower() for part in response.headers.get("vary", "").split(",")}
            assert {"origin", "sec-fetch-site"} <= names, (base, path, response.headers.get("vary"))
        for path in JSON_POSTS:
            response = client.post(
                url + prefix + path, content=b"{}", headers={"Content-Type": "application/json", **refused_request(ds)}
            )
            assert response.status_code == 403, (base, path, response.text[:200])
            assert response.headers["content-type"].startswith("application/json"), (base, path, response.text[:200])
            assert json.loads(response.text)["status"] == 403
