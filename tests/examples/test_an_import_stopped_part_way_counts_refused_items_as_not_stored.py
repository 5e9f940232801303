"""An import that the store stops part way says how many of its items were stored (docs/examples.md: "one that
stops part way says how many of its items were stored, and running it again adds the rest"). Items the guard
refused before the stop were checked but not stored: an outside tester's mutation run (session 56) found that
counting every checked item as stored passed the suite, whose imports held only valid items.

Oracle: the count of what the store holds after the stop, for a full store and for a lock, with refused items
before it.
"""

import json

from click.testing import CliRunner

from datasette_llm.cli import llm
from datasette_llm.examples import ExampleStore


def run_import(*args):
    result = CliRunner().invoke(llm, ["examples", "import", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def items(tmp_path):
    """Two refused items (a table that does not exist, an empty question) among four good ones."""
    pairs = [
        {"question": "Dogs?", "sql": "select * from dogs"},
        {"question": "Cats older than 1?", "sql": "select name from cats where age > 1"},
        {"question": "  ", "sql": "select name from cats"},
        {"question": "Cats older than 2?", "sql": "select name from cats where age > 2"},
        {"question": "Cats older than 3?", "sql": "select name from cats where age > 3"},
        {"question": "Cats older than 4?", "sql": "select name from cats where age > 4"},
    ]
    file = tmp_path / "mixed.json"
    file.write_text(json.dumps(pairs))
    return file


def test_a_full_store_stops_an_import_and_refused_items_are_not_counted_as_stored(
    db_path, state, tmp_path, monkeypatch
):
    from datasette_llm.examples import store as store_module

    monkeypatch.setattr(store_module, "MAX_EXAMPLES_PER_DATABASE", 2)
    failed = run_import(db_path, items(tmp_path))
    assert failed.exit_code == 1, failed.output
    assert "as many trusted examples as it may" in failed.output
    # items 1-4 were checked (two refused, two stored); the fifth found the store full
    assert "The first 4 items were checked before it and 2 of them are stored." in failed.output, failed.output
    assert len(ExampleStore(state / "examples.db").examples("db")) == 2


def test_a_lock_stops_an_import_and_refused_items_are_not_counted_as_stored(db_path, state, tmp_path, monkeypatch):
    from datasette_llm.examples.store import ExampleStoreBusy

    real = ExampleStore.get_or_add_many
    calls = []

    def busy_on_the_second_write(self, *args, **kwargs):  # 3 items a write here: the second write fails
        calls.append(1)
        if len(calls) == 2:
            raise ExampleStoreBusy("The examples store is busy: another process is writing to it. Try again.")
        return real(self, *args, **kwargs)

    monkeypatch.setattr("datasette_llm.examples.check.ADD_BATCH", 3)
    monkeypatch.setattr(ExampleStore, "get_or_add_many", busy_on_the_second_write)
    failed = run_import(db_path, items(tmp_path))
    assert failed.exit_code == 1, failed.output
    assert "The first 3 items were checked before it and 1 of them are stored" in failed.output, failed.output
    assert len(ExampleStore(state / "examples.db").examples("db")) == 1
