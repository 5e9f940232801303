"""A small database for the examples tests: cats (id, name, age) and a secret table."""

import sqlite3
from pathlib import Path

HIDE_SECRET = {"databases": {"db": {"tables": {"secret": {"allow": False}}}}}


def make_database(path: Path) -> Path:
    """db.db-style file at `path` (its stem is the database name) with cats and secret."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """
            create table cats (id integer primary key, name text, age integer);
            insert into cats values (1, 'Tom', 3), (2, 'Felix', 5);
            create table secret (id integer primary key, launch_code text);
            insert into secret values (1, 'hunter2');
            """
        )
    conn.close()
    return path


def alter(path: Path, *statements: str) -> None:
    with sqlite3.connect(path) as conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()


def signed_in(ds, actor):
    """Cookies and headers of a signed-in browser that passed Datasette's CSRF check (0.65's token)."""
    token = ds.sign("token", "csrftoken")
    cookies = {"ds_csrftoken": token}
    if actor is not None:
        cookies["ds_actor"] = ds.sign({"a": actor}, "actor")
    return {"cookies": cookies, "headers": {"x-csrftoken": token}}


def teaching_metadata(*, admin: bool = True, **plugin) -> dict:
    """Metadata (a new dict each call) in which "asker" and "teacher" may ask and "teacher" may teach; with
    `admin`, "admin" may ask and teach too and the table `secret` is the admin's alone. `plugin`: more settings."""
    askers, teachers = (
        (["asker", "teacher", "admin"], ["teacher", "admin"]) if admin else (["asker", "teacher"], ["teacher"])
    )
    metadata = {
        "plugins": {
            "datasette-llm": {"warm_up": False, "allow_ask": {"id": askers}, "allow_teach": {"id": teachers}, **plugin}
        }
    }
    if admin:
        metadata["databases"] = {"db": {"tables": {"secret": {"allow": {"id": "admin"}}}}}
    return metadata


ADMIN, TEACHER = {"id": "admin"}, {"id": "teacher"}


def hidden_tables_datasette(tmp_path: Path, hidden, secret: str):
    """A Datasette over db.db with `cats` (the teacher's) and a table per name in `hidden` (the admin's alone,
    each holding the row code='hunter2'); "admin" and "teacher" may ask and teach. Returns (datasette, path)."""
    from datasette.app import Datasette

    path = tmp_path / "db.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table cats (id integer primary key, name text)")
        conn.execute("insert into cats values (1, 'Tom')")
        for name in hidden:
            conn.execute(f'create table "{name}" (id integer primary key, code text)')
            conn.execute(f"insert into \"{name}\" values (1, 'hunter2')")
    conn.close()
    metadata = {
        "databases": {"db": {"tables": {name: {"allow": ADMIN} for name in hidden}}},
        "plugins": {
            "datasette-llm": {
                "warm_up": False,
                "allow_ask": {"id": ["teacher", "admin"]},
                "allow_teach": {"id": ["teacher", "admin"]},
            }
        },
    }
    return Datasette([str(path)], metadata=metadata, secret=secret), path


async def assert_kept_from_the_teacher(ds, pairs) -> None:
    """The admin adds each {question, sql} pair as an example and as feedback, and one pair over `cats` alone: the
    teacher's listing shows that one only, no feedback of the pairs and no hidden row; the admin's shows every
    one (so the check is not vacuous)."""
    import json

    admin = signed_in(ds, ADMIN)
    examples, feedback, texts = set(), set(), {}
    for pair in pairs:
        added = await ds.client.post("/-/llm/db/examples", json=pair, **admin)
        assert added.status_code == 201, added.text
        examples.add(added.json()["example"]["id"])
        texts[added.json()["example"]["id"]] = pair
        sent = await ds.client.post("/-/llm/db/feedback", json={**pair, "verdict": "wrong"}, **admin)
        assert sent.status_code == 201, sent.text
        feedback.add(sent.json()["feedback"]["id"])
    control = await ds.client.post(
        "/-/llm/db/examples", json={"question": "How many cats?", "sql": "select count(*) from cats"}, **admin
    )
    assert control.status_code == 201, control.text

    listed = await ds.client.get("/-/llm/db/examples.json", **signed_in(ds, TEACHER))
    assert listed.status_code == 200, listed.text
    data = listed.json()
    shown = {e["id"] for e in data["examples"] + data["set_aside"]}
    leaked = [texts[i] for i in shown & examples]
    assert not leaked, leaked
    assert not {f["id"] for f in data["feedback"]} & feedback
    assert shown == {control.json()["example"]["id"]}
    everything = (await ds.client.get("/-/llm/db/examples.json", **admin)).json()
    assert {e["id"] for e in everything["examples"]} >= examples
    assert "hunter2" not in json.dumps(data)
