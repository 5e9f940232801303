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
