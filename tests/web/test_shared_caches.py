"""What a shared cache in front of Datasette (nginx, Varnish, a CDN) may keep of the plugin's answers: nothing.

An outside tester behind real caches (session 46) found that a cache gave one request's answer to another: the
Ask page that asks its question by itself, opened directly, to everyone who followed another site's link; a
search's 403 for another site's fetch to ordinary clients; an https:// manifest to http:// requests; a 502 for a
minute after the model server was back; rows of a table made private for 10 minutes. The oracles here do not
name those: no response of any route may be stored, signed in or not, whatever it is; and, for caches told to
ignore that, for every route and generated sets of request headers that a cache does not key on by default, a
response that differs from the one without them must name the headers that made it differ in `Vary`.
"""

import json
import random
import re

import pytest
from datasette.app import Datasette
from datasette_versions import DATASETTE_1
from search_helpers import make_table, use_fake_model

from datasette_llm.embeddings import embed_table
from datasette_llm.web.routes import all_routes

# One GET a route: the routes that only take a POST answer a GET with an error, which must not be stored either.
GETS = {
    r"^/-/ask$": "/-/ask",
    r"^/(?P<database>[^/]+)/-/ask$": "/data/-/ask?q=How+many+docs%3F",
    r"^/(?P<database>[^/]+)/-/ask\.json$": "/data/-/ask.json?question=How+many",
    r"^/(?P<database>[^/]+)/-/ask\.stream$": "/data/-/ask.stream",
    r"^/\.well-known/ai-plugin\.json$": "/.well-known/ai-plugin.json",
    r"^/-/llm/openapi\.(?P<format>json|yaml)$": "/-/llm/openapi.json",
    r"^/-/llm/logo\.svg$": "/-/llm/logo.svg",
    r"^/-/llm/schema\.json$": "/-/llm/schema.json?database=data",
    r"^/-/llm/query\.json$": "/-/llm/query.json?database=data&sql=select+count(*)+from+docs",
    r"^/-/mcp$": "/-/mcp",
    r"^/-/llm/(?P<database>[^/]+)/examples\.json$": "/-/llm/data/examples.json",
    r"^/-/llm/(?P<database>[^/]+)/examples$": "/-/llm/data/examples",
    r"^/-/llm/(?P<database>[^/]+)/examples/(?P<id>[^/]+)/remove$": "/-/llm/data/examples/1/remove",
    r"^/-/llm/(?P<database>[^/]+)/feedback$": "/-/llm/data/feedback",
    r"^/-/llm/(?P<database>[^/]+)/feedback/(?P<id>[^/]+)/remove$": "/-/llm/data/feedback/1/remove",
    r"^/-/semantic-search$": "/-/semantic-search?q=zebra+river&database=data",
    r"^/(?P<database>[^/]+)/(?P<table>[^/]+)/-/semantic-search$": "/data/docs/-/semantic-search?q=zebra+river",
}
# Request headers a cache does not key on unless Vary names them, with values browsers, proxies and attackers send.
HEADERS = {
    "Sec-Fetch-Site": ["none", "same-origin", "same-site", "cross-site"],
    "Sec-Fetch-Dest": ["document", "empty", "image", "iframe", "script"],
    "Sec-Fetch-Mode": ["navigate", "cors", "no-cors"],
    "X-Forwarded-Proto": ["https", "http"],
    "X-Forwarded-Host": ["other.example"],
    "X-Forwarded-For": ["203.0.113.9"],
    "Origin": ["https://other.example", "http://localhost"],
    "Referer": ["https://other.example/page"],
    "Accept": ["application/json", "text/html", "*/*"],
    "Accept-Language": ["fr"],
    "User-Agent": ["curl/8.0"],
}
# What differs between two runs of one request: timings, and on 0.65 the page's CSRF token.
VOLATILE = re.compile(
    r'"(timings|seconds|ms|elapsed)[^"]*": ?(\{[^{}]*\}|[0-9.e-]+)|\b[0-9.]+ s\)'
    r'|csrftoken="[^"]*"|csrftoken" value="[^"]*"'
)


@pytest.fixture
def datasette(tmp_path, monkeypatch):
    list(use_fake_model(monkeypatch))  # the fake embedding model for every lookup
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": i, "text": f"zebra river report {i}"} for i in range(12)])
    embed_table(str(path), "docs")
    return Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}})


def cache_control(response) -> dict:
    parts = [part.strip().lower() for part in response.headers.get("cache-control", "").split(",") if part.strip()]
    return dict((part.split("=", 1) + [""])[:2] for part in parts)


def storable(response) -> bool:
    """Whether a shared cache may keep the response and serve it without asking the server again."""
    directives = cache_control(response)
    return not ({"no-store", "private", "no-cache"} & set(directives)) and directives.get("max-age") != "0"


def vary(response) -> set[str]:
    return {part.strip().lower() for part in response.headers.get("vary", "").split(",") if part.strip()}


def seen(response) -> tuple:
    """What a client gets, without the timings that differ between two runs of the same request."""
    return response.status_code, VOLATILE.sub("", response.text)


def header_sets(rng: random.Random, count: int) -> list[dict]:
    """Each header alone with each value, then `count` random combinations of two to four."""
    sets = [{name: value} for name, values in HEADERS.items() for value in values]
    for _ in range(count):
        names = rng.sample(sorted(HEADERS), rng.randint(2, 4))
        sets.append({name: rng.choice(HEADERS[name]) for name in names})
    return sets


@pytest.mark.asyncio
async def test_a_cache_keys_on_every_header_an_answer_depends_on(datasette):
    assert set(GETS) == {pattern for pattern, _ in all_routes()}  # a new route is added here too
    rng = random.Random(46)
    problems = []
    for path in GETS.values():

        async def get(headers, path=path):
            return await datasette.client.get(path, headers=headers)

        base = await get({})
        if seen(await get({})) != seen(base):
            problems.append((path, "two identical requests differ: normalise what differs"))
            continue
        for headers in header_sets(rng, 12):
            variant = await get(headers)
            if seen(variant) == seen(base):
                continue
            # The headers that make the difference: drop each in turn while the difference stays.
            needed = dict(headers)
            for name in list(needed):
                fewer = {key: value for key, value in needed.items() if key != name}
                if seen(await get(fewer)) != seen(base):
                    needed = fewer
            for response in (base, variant):  # either may be the one a cache keeps first
                missing = {name.lower() for name in needed} - vary(response)
                if missing:
                    problems.append((path, response.status_code, needed, sorted(missing)))
    assert not problems, problems[:10]


@pytest.mark.asyncio
async def test_no_answer_of_the_plugin_is_kept_by_a_shared_cache(datasette):
    statuses = set()
    for path in GETS.values():
        for headers in (
            {},
            {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "empty"},
            {"Origin": "https://x.example"},
        ):
            response = await datasette.client.get(path, headers=headers)
            statuses.add(response.status_code)
            if path != "/-/llm/logo.svg":  # a fixed picture, kept for a day
                assert not storable(response), (path, headers, response.status_code, cache_control(response))
    assert {200, 302, 403, 405} <= statuses  # the oracle saw successes, redirects, refusals and wrong methods
    # What is refused before Datasette reads it (web/body_limits.py), and a cookie Datasette 0.65's CSRF layer could
    # not decode (its 500 reached no wrapper, and nginx kept it for a minute: a second tester, session 46).
    refused = [
        ("GET", "/data/-/ask", {"cookie": b"x=\xff"}, b""),
        ("GET", "/-/llm/openapi.json", {"cookie": b"ds_actor=\xfe\xff"}, b""),
        ("POST", "/data/-/ask.json", {"content-type": "application/json", "content-length": "99999999"}, b"{}"),
        ("POST", "/-/mcp", {"content-type": "multipart/form-data; boundary=x"}, b"--x--"),
        ("POST", "/-/llm/query.json", {"content-type": "application/x-www-form-urlencoded"}, b"sql=\xff"),
    ]
    for method, path, headers, body in refused:
        response = await datasette.client.request(method, path, headers=headers, content=body)
        # Datasette 1.0 reads a request with such a cookie as any other.
        assert response.status_code in (400, 413, 415) or (DATASETTE_1 and "cookie" in headers), (path, response)
        assert not storable(response) and {"sec-fetch-site", "origin"} <= vary(response), (path, response.headers)


@pytest.mark.asyncio
async def test_an_answer_for_a_signed_in_actor_is_never_stored(datasette):
    """Datasette itself makes every response to a request with a cookie or a token private: the plugin's headers
    must not undo that."""
    cookies = {"ds_actor": datasette.sign({"a": {"id": "alice"}}, "actor")}
    for path in GETS.values():
        response = await datasette.client.get(path, cookies=cookies)
        assert not storable(response), (path, response.status_code, response.headers.get("cache-control"))
        assert {"cookie", "authorization"} <= vary(response), (path, response.headers.get("vary"))
        json.dumps(dict(response.headers))  # headers are plain text
