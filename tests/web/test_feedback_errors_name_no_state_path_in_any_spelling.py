"""An asker who may not teach is never told where the server keeps its state, however the state directory is
spelt: through a symlink, with `..` in it, or plainly (SECURITY.md, "Web": a damaged store or a directory that
cannot be written told any anonymous asker where the server keeps its state; session 40). The oracle is the
filesystem: no spelling of the directory (as configured, resolved, or the store file's) appears in what the
asker reads, while the teacher, who may mend the store, is told."""

import json
import os

import pytest
from datasette.app import Datasette
from examples_helpers import make_database, signed_in, teaching_metadata

ASKER, TEACHER = {"id": "asker"}, {"id": "teacher"}
METADATA = teaching_metadata(admin=False)
BODY = {"question": "How many cats are there?", "sql": "select count(*) from cats", "verdict": "wrong"}


def spellings(tmp_path):
    """(configured spelling, real directory) pairs, each of a state directory of its own."""
    (tmp_path / "sub").mkdir()
    pairs = []
    for i, kind in enumerate(["plain", "symlink", "dotdot", "dotdot-symlink"]):
        real = tmp_path / f"real-state-{i}"
        real.mkdir()
        link = tmp_path / f"linked-state-{i}"
        link.symlink_to(real, target_is_directory=True)
        name = link.name if "symlink" in kind else real.name
        configured = tmp_path / "sub" / ".." / name if "dotdot" in kind else tmp_path / name
        pairs.append((str(configured), real))
    return pairs


def damage(directory, how):
    directory.mkdir(parents=True, exist_ok=True)
    for name in os.listdir(directory):
        target = directory / name
        if target.is_file():
            target.unlink()
    store = directory / "examples.db"
    if how == "garbage":
        store.write_bytes(b"garbage " * 500)
    elif how == "header":
        store.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4080)


@pytest.mark.asyncio
@pytest.mark.parametrize("how", ["garbage", "header"])
async def test_no_spelling_of_the_state_directory_reaches_an_asker(tmp_path, monkeypatch, how):
    path = make_database(tmp_path / "db.db")
    for configured, real in spellings(tmp_path):
        monkeypatch.setenv("DATASETTE_LLM_STATE_DIR", configured)
        damage(real, how)
        ds = Datasette([str(path)], metadata=METADATA, secret="state-paths")
        forms = {configured, str(real), str(real.resolve()), os.path.normpath(configured)}
        asked = await ds.client.post("/-/llm/db/feedback", json=BODY, **signed_in(ds, ASKER))
        assert asked.status_code >= 500 and asked.json()["ok"] is False, (configured, asked.status_code, asked.text)
        text = json.dumps(asked.json()) + asked.text
        leaked = [form for form in forms if form in text]
        assert not leaked, (configured, leaked, asked.text)
        taught = await ds.client.post("/-/llm/db/feedback", json=BODY, **signed_in(ds, TEACHER))
        assert taught.status_code == asked.status_code
        assert any(form in taught.text for form in forms), (configured, taught.text)
