"""The storage tables are created in one transaction, and a store another process created meanwhile is taken as it
is: a build killed while creating them leaves none of them (a `collections` without `embeddings` is refused by every
later build), and two first builds at once do not fail on "table already exists"."""

import sqlite3

import pytest

from datasette_llm.embeddings import store
from datasette_llm.embeddings.store import StoreTables, ensure_store, store_state

pytestmark = pytest.mark.no_datasette


def tables_in(path):
    with sqlite3.connect(path) as conn:
        names = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
    conn.close()
    return names


def test_a_creation_that_fails_half_way_leaves_no_table(tmp_path, monkeypatch):
    path = tmp_path / "data.db"
    sqlite3.connect(path).close()

    def killed(conn):
        raise KeyboardInterrupt  # Ctrl-C after the two tables, before llm's migration records

    monkeypatch.setattr(store, "_record_llm_migrations", killed)
    conn = sqlite3.connect(path)
    with pytest.raises(KeyboardInterrupt):
        ensure_store(conn, StoreTables())
    conn.close()
    assert tables_in(path) == set()


def test_a_store_another_process_made_meanwhile_is_used(tmp_path, monkeypatch):
    path = tmp_path / "data.db"
    sqlite3.connect(path).close()
    real = store.store_state
    calls = []

    def racing(conn, tables, *, write=False):
        calls.append(write)
        if len(calls) == 1:  # we looked: nothing there; then another builder makes the store
            other = sqlite3.connect(path)
            ensure_store(other, tables)
            other.close()
            return False
        return real(conn, tables, write=write)

    monkeypatch.setattr(store, "store_state", racing)
    conn = sqlite3.connect(path)
    ensure_store(conn, StoreTables())  # no "table collections already exists"
    monkeypatch.setattr(store, "store_state", real)
    assert store_state(conn, StoreTables())
    conn.close()
    with sqlite3.connect(path) as check:
        rows = check.execute("select name from _sqlite_migrations order by name").fetchall()
    check.close()
    assert [r[0] for r in rows] == sorted(store.LLM_MIGRATIONS)  # recorded once
