"""What the command line writes is what a terminal shows: database text, a model's reply and other people's
examples reach stdout and stderr, and no control, format or line-separator character of theirs may act on the
terminal (an outside tester, session 40: a row's note `\\x1b[1A\\rA  999` rewrote the row above it on screen)."""

import json
import sqlite3
import unicodedata

from ask_helpers import ScriptedModel, sql_reply
from click.testing import CliRunner
from datasette.cli import cli
from hypothesis import given, settings
from hypothesis import strategies as st

from datasette_llm.terminal import DRAWN_WITHOUT_WIDTH, json_text, shown

HOSTILE = [
    "\x1b[1A\rA           999",  # cursor up, carriage return: overwrites the row above
    "\x1b]52;c;ZXZpbA==\x07",  # OSC 52: writes the clipboard
    "\x1b]8;;http://203.0.113.1/\x1b\\link\x1b]8;;\x1b\\",  # OSC 8: a hyperlink
    "\x9b2J",  # C1 CSI: clears the screen
    "7\u202e0812",  # right-to-left override: 7 then 0812 drawn backwards
    "1807\u200b5",  # a zero-width space: drawn as 18075
    "1807\u034f5 7\ufe0f0 3\u31640",  # drawn with no width, though not format characters (a second tester)
    "a\u2028b\x00c\x7fd\x08e",
]


def acting(text: str) -> list[str]:
    """The characters of `text` a terminal acts on rather than shows (newline and tab are the output's own)."""
    return [
        ch
        for ch in text
        if ch not in "\n\t"
        and (unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") or DRAWN_WITHOUT_WIDTH.match(ch) is not None)
    ]


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec="utf-8"), max_size=40) | st.lists(st.sampled_from(HOSTILE)).map("".join))
def test_shown_text_holds_nothing_a_terminal_acts_on_and_json_text_is_the_same_data(text):
    assert acting(shown(text)) == []
    assert shown(shown(text)) == shown(text)
    assert acting(json_text({"value": text})) == []
    assert json.loads(json_text({"value": text}, indent=2)) == {"value": text}


def test_ask_prints_rows_answer_notes_and_warnings_without_the_datas_controls(tmp_path, monkeypatch):
    import datasette_llm.ask.pipeline as pipeline

    path = tmp_path / "ledger.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table ledger (name text, amount integer, note text)")
        conn.executemany(
            "insert into ledger values (?, ?, ?)", [("A", 100, "ok"), ("B", 200, HOSTILE[0]), ("C", 300, HOSTILE[4])]
        )
    answer = "A has 100 " + "".join(HOSTILE)
    model = ScriptedModel([sql_reply("select name, amount, note from ledger"), answer])
    monkeypatch.setattr(pipeline, "chat_model_for", lambda settings: model)
    done = CliRunner().invoke(cli, ["llm", "ask", str(path), "Amounts \x1b[2J?"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert acting(done.stdout) == [] and acting(done.stderr) == [], (done.stdout, done.stderr)
    assert "\\x1b[1A\\rA" in done.stdout  # the note is there, as its escapes
    assert "A has 100" in done.stdout


def test_examples_list_json_and_export_escape_what_acts_on_a_terminal(tmp_path, monkeypatch):
    from datasette_llm.examples import STATE_DIR_ENV
    from datasette_llm.examples.store import ExampleStore

    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path / "state"))
    path = tmp_path / "db.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table cats (name text)")
    question = "How many cats " + "".join(HOSTILE).replace("\x00", "") + "?"
    added = CliRunner().invoke(cli, ["llm", "examples", "add", str(path), question, "select count(*) from cats"])
    assert added.exit_code == 0, added.output
    assert ExampleStore(tmp_path / "state" / "examples.db").examples("db")[0].question == question.strip()
    for args in (["list", str(path)], ["list", str(path), "--json"], ["export", str(path)]):
        done = CliRunner().invoke(cli, ["llm", "examples", *args], catch_exceptions=False)
        assert done.exit_code == 0, done.output
        assert acting(done.stdout) == [], (args, done.stdout)
    exported = CliRunner().invoke(cli, ["llm", "examples", "export", str(path)]).stdout
    assert json.loads(exported)[0]["question"] == question.strip()  # the same data, escaped only as JSON escapes


def test_an_export_that_cannot_be_written_leaves_the_file_it_would_replace(tmp_path, monkeypatch):
    """Written in place, a full disk left the export it replaced cut short, invalid JSON (an outside tester, session
    40); now it is written beside it and renamed over it."""
    import os

    from datasette_llm.examples import STATE_DIR_ENV

    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path / "state"))
    path = tmp_path / "db.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table cats (name text)")
    CliRunner().invoke(cli, ["llm", "examples", "add", str(path), "How many cats?", "select count(*) from cats"])
    target = tmp_path / "examples.json"
    target.write_text("[]\n")

    def full(fd):  # the text written, not yet on the disk: the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    done = CliRunner().invoke(cli, ["llm", "examples", "export", str(path), "-o", str(target)])
    monkeypatch.undo()
    assert done.exit_code != 0 and "cannot be written" in done.output
    assert target.read_text() == "[]\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
