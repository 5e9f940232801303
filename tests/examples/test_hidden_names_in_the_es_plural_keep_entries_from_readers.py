"""A hidden table whose plural takes "es" (`box` -> "boxes", `address` -> "addresses") named in an admin's example
or feedback, in generated spellings (case, width, accents, quotes, brackets, as an SQL alias), keeps that entry
from a teacher who may not see the table: the oracle is the permission configuration (the teacher sees `cats`
alone), not the plugin's reading of names. Through the JSON API of a real Datasette.

An outside tester's mutant (session 50): with the "es" plural not read, every such entry reached the teacher."""

import json
import random
import sqlite3

import pytest
from datasette.app import Datasette
from examples_helpers import signed_in

ADMIN, TEACHER = {"id": "admin"}, {"id": "teacher"}
# Plurals in "es" only: `box` -> "boxe" by the plain "s" rule is no name.
HIDDEN = ("box", "address", "batch", "tax", "wish", "buzz", "bus")


def spellings(plural: str, rng: random.Random) -> list[str]:
    fullwidth = "".join(chr(ord(ch) + 0xFEE0) for ch in plural)
    accented = plural.replace("a", "á", 1).replace("o", "ó", 1).replace("e", "é", 1)
    mixed = "".join(ch.upper() if rng.random() < 0.5 else ch for ch in plural)
    return [plural, plural.upper(), plural.title(), mixed, fullwidth, accented, f'"{plural}"', f"[{plural}]"]


def make_paths(tmp_path):
    path = tmp_path / "db.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table cats (id integer primary key, name text)")
        conn.execute("insert into cats values (1, 'Tom')")
        for name in HIDDEN:
            conn.execute(f"create table {name} (id integer primary key, code text)")
            conn.execute(f"insert into {name} values (1, 'hunter2-{name}')")
    conn.close()
    return path


def make_ds(path):
    metadata = {
        "databases": {"db": {"tables": {name: {"allow": ADMIN} for name in HIDDEN}}},
        "plugins": {
            "datasette-llm": {
                "warm_up": False,
                "allow_ask": {"id": ["teacher", "admin"]},
                "allow_teach": {"id": ["teacher", "admin"]},
            }
        },
    }
    return Datasette([str(path)], metadata=metadata, secret="es-plural-secret")


@pytest.mark.asyncio
async def test_an_es_plural_of_a_hidden_table_keeps_examples_and_feedback_from_the_teacher(tmp_path):
    rng = random.Random(50)
    ds = make_ds(make_paths(tmp_path))
    admin = signed_in(ds, ADMIN)
    hidden_examples, hidden_feedback, texts = set(), set(), {}
    n = 0
    for name in HIDDEN:
        plural = name + "es"
        for spelling in spellings(plural, rng):
            n += 1
            # the hidden name in the question, or as the alias of visible SQL (the guard lets both through)
            if n % 2:
                pair = {"question": f"How many {spelling} are there? ({n})", "sql": "select count(*) from cats"}
            else:
                pair = {"question": f"Count the cats ({n})", "sql": f"select count(*) as {spelling} from cats"}
            added = await ds.client.post("/-/llm/db/examples", json=pair, **admin)
            assert added.status_code == 201, added.text
            hidden_examples.add(added.json()["example"]["id"])
            texts[added.json()["example"]["id"]] = pair
            sent = await ds.client.post("/-/llm/db/feedback", json={**pair, "verdict": "wrong"}, **admin)
            assert sent.status_code == 201, sent.text
            hidden_feedback.add(sent.json()["feedback"]["id"])
    control = await ds.client.post(
        "/-/llm/db/examples", json={"question": "How many cats?", "sql": "select count(*) from cats"}, **admin
    )
    assert control.status_code == 201, control.text

    listed = await ds.client.get("/-/llm/db/examples.json", **signed_in(ds, TEACHER))
    assert listed.status_code == 200, listed.text
    data = listed.json()
    shown = {e["id"] for e in data["examples"] + data["set_aside"]}
    leaked = [texts[i] for i in shown & hidden_examples]
    assert not leaked, leaked
    assert not {f["id"] for f in data["feedback"]} & hidden_feedback
    # not vacuous: the teacher sees the admin's example of `cats` alone, the admin every one
    assert shown == {control.json()["example"]["id"]}
    everything = (await ds.client.get("/-/llm/db/examples.json", **admin)).json()
    assert {e["id"] for e in everything["examples"]} >= hidden_examples
    assert "hunter2" not in json.dumps(data)
