"""A store on real read-only media and on a real full disk, not simulated ones: the tests that simulate SQLite there
(tests/examples/test_examples_store.py) let an immutable open read everything, so examples still in the store's
-wal, left out by such an open, passed them (an outside tester, session 58). Here the directory is a read-only bind
mount, or a tmpfs with no byte left, in a private mount namespace (`unshare -m`, as root; skipped elsewhere), and
`datasette llm examples list` runs in it.

Oracle: the examples committed before the media changed, as sqlite3 reads them where it may write."""

import os
import re
import shutil
import sqlite3
import subprocess
import sys

import pytest

from datasette_llm.examples import ExampleStore


def _can_mount() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0


pytestmark = pytest.mark.skipif(not _can_mount(), reason="needs root and unshare -m for a private mount")

LIST = "from datasette_llm.cli import llm; import sys; llm(['examples', 'list', sys.argv[1]])"


def _store_with_examples_in_its_wal(folder, db_path):
    """A store whose last three examples are still in its -wal, copied without the transient -shm file."""
    live = folder / "live"
    store = ExampleStore(live / "examples.db")
    store.add("db", "first question", "select count(*) from cats", added_by="cli", schema_hash="h")
    holder = sqlite3.connect(live / "examples.db")  # holds the file: the adds' closes do not checkpoint
    holder.execute("select count(*) from examples").fetchone()
    for n in (1, 2, 3):
        store.add("db", f"question {n}", f"select count(*) from cats where age > {n}", added_by="cli", schema_hash="h")
    state = folder / "state"
    state.mkdir()
    for name in ("examples.db", "examples.db-wal"):
        shutil.copy(live / name, state / name)
    holder.close()
    assert (state / "examples.db-wal").stat().st_size > 0
    return state


def _listed_in(shell: str, state, db_path, **env) -> list[str]:
    script = f'{shell} && exec "$0" -c "$1" "$2"'
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, sys.executable, LIST, str(db_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DATASETTE_LLM_STATE_DIR": str(state), **env},
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    return re.findall(r"^#(\d+) ", result.stdout, re.M)


def test_a_read_only_mount_lists_the_examples_in_the_wal(tmp_path, db_path):
    state = _store_with_examples_in_its_wal(tmp_path, db_path)
    before = {p.name: p.read_bytes() for p in state.iterdir()}
    ids = _listed_in(f"mount --bind {state} {state} && mount -o remount,bind,ro {state}", state, db_path)
    assert ids == ["1", "2", "3", "4"]
    assert {p.name: p.read_bytes() for p in state.iterdir()} == before  # nothing written there


def test_a_full_disk_lists_the_examples_in_the_wal(tmp_path, db_path):
    source = _store_with_examples_in_its_wal(tmp_path, db_path)
    disk = tmp_path / "disk"
    disk.mkdir()
    state = disk / "state"
    fill = (
        f"mount -t tmpfs -o size=512k tmpfs {disk} && mkdir {state} && "
        f"cp {source}/examples.db {source}/examples.db-wal {state}/ && "
        f"(dd if=/dev/zero of={disk}/fill bs=4k 2>/dev/null || true)"
    )
    assert _listed_in(fill, state, db_path) == ["1", "2", "3", "4"]
