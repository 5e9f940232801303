"""The Ask index (/-/ask) and the "Ask a question" menu link name only databases the actor may view and ask:
a database Datasette hides from the actor (its `allow` block) must never be listed there, on generated
configurations of databases, allow blocks and actors. (Mutation testing, session 46: can_ask answering True for
an actor who may not view the database passed the whole suite.)"""

from __future__ import annotations

import random
import re
import sqlite3

import pytest
from datasette.app import Datasette

ACTORS = [None, {"id": "alice"}, {"id": "bob"}, {"id": "carol"}]
ALLOWS = [None, {"id": "alice"}, {"id": ["alice", "bob"]}, {"id": "bob"}, {"id": "*"}, False]


def _configuration(tmp_path, rng: random.Random):
    paths, databases = [], {}
    for i in range(rng.randrange(2, 5)):
        name = f"db{i}"
        path = tmp_path / f"{name}.db"
        conn = sqlite3.connect(path)
        conn.execute("create table items (id integer primary key, title text)")
        conn.commit()
        conn.close()
        paths.append(str(path))
        allow = rng.choice(ALLOWS)
        if allow is not None:
            databases[name] = {"allow": allow}
    return paths, {"databases": databases}


def _cookies(ds, actor):
    return {"ds_actor": ds.sign({"a": actor}, "actor")} if actor else {}


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(8))
async def test_the_ask_index_lists_no_database_the_actor_may_not_view(tmp_path, seed):
    rng = random.Random(seed)
    paths, metadata = _configuration(tmp_path, rng)
    ds = Datasette(paths, metadata=metadata)
    for actor in ACTORS:
        cookies = _cookies(ds, actor)
        viewable = set()
        for name in ds.databases:
            if name == "_internal":
                continue
            if (await ds.client.get(f"/{name}.json", cookies=cookies)).status_code == 200:
                viewable.add(name)
        response = await ds.client.get("/-/ask", cookies=cookies)
        assert response.status_code in (200, 302), (actor, response.status_code)
        if response.status_code == 302:
            listed = set(re.findall(r"^/([^/]+)/-/ask", response.headers["location"]))
        else:
            listed = set(re.findall(r'href="/([^/"]+)/-/ask"', response.text))
        assert listed <= viewable, (actor, metadata, listed - viewable)
        assert viewable <= listed, (actor, metadata, viewable - listed)  # may run SQL there, so may ask
        menu = await ds.client.get("/", cookies=cookies)  # any page: the menu's link
        if not viewable and menu.status_code == 200:
            assert 'href="/-/ask"' not in menu.text, (actor, metadata)
