"""A hidden table whose name is no word (it starts with a digit, or is made of symbols: `2024`, `3d`, `💰`,
`€uro`) named in an admin's example or feedback, quoted as SQLite reads names (`"2024"`, `[3d]`, `` `💰` ``),
keeps that entry from a teacher who may not see the table. The oracle: sqlite3 itself resolves each spelling to
the hidden table, and the permission configuration hides it from the teacher. Through the JSON API of a real
Datasette.

An outside tester's mutant (session 50): with the quoted and bare names of SQLite's own reading left out of the
generous reading, these names were read by words alone, found nothing, and every such entry reached the teacher."""

import json
import random
import sqlite3
import unicodedata

import pytest
from datasette.app import Datasette
from examples_helpers import signed_in

ADMIN, TEACHER = {"id": "admin"}, {"id": "teacher"}
HIDDEN = ("2024", "3d", "401k", "💰", "€uro", "9lives")


def spellings(name: str, rng: random.Random) -> list[str]:
    """Quoted as SQLite reads a name, and bare or in full width (the generous reading: any case or width)."""
    cased = "".join(ch.upper() if rng.random() < 0.5 else ch for ch in name)
    wide = "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in cased)
    return [f'"{name}"', f"[{cased}]", f"`{cased}`", name, cased, wide, f'"{wide}"', f"[{wide}]"]


def same_name(spelling: str, name: str) -> bool:
    """The oracle of a spelling: it is the name, quoted or not, in any case or width."""
    bare = spelling.strip('"[]`')
    return unicodedata.normalize("NFKC", bare).casefold() == unicodedata.normalize("NFKC", name).casefold()


def make_path(tmp_path):
    path = tmp_path / "db.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table cats (id integer primary key, name text)")
        conn.execute("insert into cats values (1, 'Tom')")
        for name in HIDDEN:
            conn.execute(f'create table "{name}" (id integer primary key, code text)')
            conn.execute(f"insert into \"{name}\" values (1, 'hunter2')")
    conn.close()
    return path


@pytest.mark.asyncio
async def test_a_hidden_name_that_is_no_word_keeps_examples_and_feedback_from_the_teacher(tmp_path):
    rng = random.Random(50)
    path = make_path(tmp_path)
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
    ds = Datasette([str(path)], metadata=metadata, secret="no-word-names")
    admin = signed_in(ds, ADMIN)
    hidden_examples, hidden_feedback, texts = set(), set(), {}
    n = 0
    conn = sqlite3.connect(path)
    for name in HIDDEN:
        for spelling in spellings(name, rng):
            # the oracle: SQLite reads a quoted spelling as the hidden table; every spelling is the name
            assert same_name(spelling, name), spelling
            if spelling[0] in '"[`' and spelling.strip('"[]`') in (name, name.upper(), name.lower()):
                assert conn.execute(f"select code from {spelling}").fetchall() == [("hunter2",)], spelling
            n += 1
            if n % 2 or spelling[0] not in '"[`':  # a bare name is no SQL alias
                pair = {"question": f"How many rows has {spelling}? ({n})", "sql": "select count(*) from cats"}
            else:
                pair = {"question": f"Count the cats ({n})", "sql": f"select count(*) as {spelling} from cats"}
            added = await ds.client.post("/-/llm/db/examples", json=pair, **admin)
            assert added.status_code == 201, added.text
            hidden_examples.add(added.json()["example"]["id"])
            texts[added.json()["example"]["id"]] = pair
            sent = await ds.client.post("/-/llm/db/feedback", json={**pair, "verdict": "wrong"}, **admin)
            assert sent.status_code == 201, sent.text
            hidden_feedback.add(sent.json()["feedback"]["id"])
    conn.close()
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
    assert shown == {control.json()["example"]["id"]}  # not vacuous
    assert "hunter2" not in json.dumps(data)
