"""The context budget: whole rows that fit, clipped cells with markers, notes that say what was cut."""

import math
import random
import sqlite3
import struct
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from datasette_llm.context import fit_rows, notes_line, real_text, render_cell
from datasette_llm.sql.clipping import CLIP_MARKER

pytestmark = pytest.mark.no_datasette


def count_words(text):  # a stand-in tokenizer: one token per 4 characters, rounded up
    return (len(text) + 3) // 4


def test_everything_fits_no_notes():
    fitted = fit_rows(["a", "b"], [(1, "x"), (2, "y")], count_tokens=count_words, budget_tokens=1000)
    assert fitted.rows_shown == 2 and fitted.notes == () and not fitted.truncated
    assert fitted.text.splitlines() == ["a | b", "1 | x", "2 | y"]


def test_huge_text_cells_never_overflow_and_are_noted():
    rows = [(i, "readme " * 20000) for i in range(2385)]
    fitted = fit_rows(["id", "readme"], rows, count_tokens=count_words, budget_tokens=3000, max_cell_chars=200)
    assert fitted.tokens <= 3000 and count_words(fitted.text) <= 3000
    assert 0 < fitted.rows_shown < 2385
    assert fitted.text.count(CLIP_MARKER) == fitted.rows_shown
    assert f"{fitted.rows_shown:,} of 2,385 rows shown" in fitted.notes[0]
    assert any(note.startswith("readme clipped to 200 characters") for note in fitted.notes)
    assert fitted.truncated


def test_rows_are_cut_at_row_boundaries():
    rows = [(i, f"name {i}") for i in range(500)]
    fitted = fit_rows(["id", "name"], rows, count_tokens=count_words, budget_tokens=200)
    lines = fitted.text.splitlines()[1:]
    assert lines == [f"{i} | name {i}" for i in range(len(lines))]  # whole rows, in order, no half row


def test_a_single_enormous_row_is_clipped_harder_instead_of_dropped():
    fitted = fit_rows(
        ["a", "b", "c"],
        [("x" * 5000, "y" * 5000, "z" * 5000)],
        count_tokens=count_words,
        budget_tokens=60,
        max_cell_chars=500,
    )
    assert fitted.rows_shown == 1 and fitted.tokens <= 60
    assert any("clipped to" in note for note in fitted.notes)


def test_row_cap_is_reported():
    fitted = fit_rows(
        ["a"], [(i,) for i in range(1000)], count_tokens=count_words, budget_tokens=100000, hit_row_cap=True
    )
    assert fitted.total_rows is None and fitted.truncated
    assert "more than 1,000 rows" in fitted.notes[0]


def test_cells_cannot_forge_rows_or_columns():
    fitted = fit_rows(["a", "b"], [("evil\n99 | forged", "x|y")], count_tokens=count_words, budget_tokens=1000)
    assert fitted.text.splitlines() == ["a | b", "evil 99 ¦ forged | x¦y"]


@settings(max_examples=150, deadline=None)
@given(
    widths=st.lists(st.integers(0, 3000), min_size=1, max_size=6),
    n_rows=st.integers(0, 300),
    budget=st.integers(40, 4000),
    seed=st.integers(0, 1000),
)
def test_budget_is_never_exceeded(widths, n_rows, budget, seed):
    rng = random.Random(seed)
    columns = [f"c{i}" for i in range(len(widths))]
    rows = [tuple("w" * rng.randint(0, w) for w in widths) for _ in range(n_rows)]
    fitted = fit_rows(columns, rows, count_tokens=count_words, budget_tokens=budget, max_cell_chars=200)
    assert fitted.tokens <= budget
    assert sum(count_words(line) + 1 for line in fitted.text.splitlines()) <= budget
    if budget >= 200:  # the notes count too, whenever there is room for them at all
        assert fitted.tokens + count_words(notes_line(fitted.notes)) <= budget
    if fitted.rows_shown < n_rows:
        assert fitted.notes and "rows shown" in fitted.notes[0]


def test_one_cell_encoder_for_every_response():
    import json

    from datasette_llm.agents import query_api
    from datasette_llm.ask.results import json_rows
    from datasette_llm.context import json_cell

    row = (1.5, float("nan"), float("-inf"), b"\x00\x01", None, "text")
    expected = [1.5, "nan", "-inf", {"$base64": True, "encoded": "AAE="}, None, "text"]
    assert json_rows([row]) == [expected]
    assert query_api.json_cell is json_cell
    json.dumps(json_rows([row]), allow_nan=False)  # valid JSON: no NaN or Infinity literals


def test_reals_are_shown_as_sqlite_prints_them():
    # A sum of prices: the binary noise beyond 15 digits is not shown (a local model reads a token per digit).
    rows = (
        sqlite3.connect(":memory:").execute("select sum(x) from (select 0.99 as x union all select 36.63)").fetchall()
    )
    fitted = fit_rows(["total"], rows, count_tokens=count_words, budget_tokens=100)
    assert rows[0][0] != 37.62 and fitted.text.splitlines()[1] == "37.62"
    assert [real_text(v) for v in (12.0, -0.0, 1e-05, float("nan"), float("-inf"))] == [
        "12.0",
        "-0.0",
        "1e-05",
        "nan",
        "-inf",
    ]


@settings(max_examples=3000, deadline=None)
@given(st.integers(min_value=0, max_value=2**64 - 1))
@example(6152506188633680896)  # 2.026173351872565e+103: SQLite prints ...256e+103, correctly rounded it is ...257e+103
def test_reals_show_the_value_sqlite_itself_shows(bits):
    # Oracle: SQLite's own text for a REAL (CAST ... AS TEXT, printf's %!.15g), over every kind of double.
    value = struct.unpack("<d", struct.pack("<Q", bits))[0]
    if not math.isfinite(value):
        return
    shown = real_text(value)
    sqlite_text = sqlite3.connect(":memory:").execute("select cast(? as text)", (value,)).fetchone()[0]
    unit = Decimal(10) ** (Decimal(value).adjusted() - 14) if value else Decimal(0)  # the 15th significant digit
    assert abs(Decimal(shown) - Decimal(value)) <= unit / 2  # correctly rounded to 15 digits
    # SQLite's printf agrees, but for some very large or small values is one off in that last digit
    # (2.02617335187256e+103 where the double is 2.026173351872565...e+103).
    assert abs(Decimal(shown) - Decimal(sqlite_text)) <= unit, (shown, sqlite_text)
    assert len(shown.lstrip("-").split("e")[0].replace(".", "").lstrip("0")) <= 16  # at most 15 digits (+ ".0")


def test_long_column_names_are_clipped_and_columns_left_out_with_a_note():
    """A model's alias, or an expression as its own name, can be 12 KB: the answer failed with a 500 (an outside
    attacker's model server). Names are clipped as cells are; names that still do not fit leave their columns out."""
    count = lambda text: len(text) // 4 + 1  # noqa: E731
    name = "CASE WHEN x = 1 THEN 'a' " * 500
    fitted = fit_rows([name], [("a",), ("b",)], count_tokens=count, budget_tokens=120)
    assert fitted.rows_shown == 2 and len(fitted.text.splitlines()[0]) < 250
    wide = [f"column_{i}_" + "x" * 300 for i in range(100)]
    fitted = fit_rows(wide, [tuple(range(100))], count_tokens=count, budget_tokens=200)
    assert fitted.rows_shown == 1 and count(fitted.text) <= 200
    assert any(note.startswith("only the first") and "of 100 columns" in note for note in fitted.notes)


def test_columns_whose_names_clip_alike_are_counted_apart():
    """60 names that differ only after their 240th character: each clipped column counted once per row it was
    clipped in, 3 named and the rest counted (an outside tester got "clipped in 120 of 2 rows")."""
    columns = ["c" * 240 + f"{i:02d}" for i in range(60)]
    rows = [tuple("v" * 300 for _ in columns) for _ in range(2)]
    fitted = fit_rows(columns, rows, count_tokens=count_words, budget_tokens=100_000, max_cell_chars=100)
    clipped = [note for note in fitted.notes if "clipped to" in note]
    assert len(clipped) == 4 and clipped[-1].startswith("cells of 57 more columns clipped")
    assert all(note.endswith(f"in {fitted.rows_shown} of {fitted.rows_shown} rows") for note in clipped[:3])
    assert len(fitted.clipped) == 60


# Every character Python (and so a reader of the prompt) may take for the end of a line, and the separator.
BREAKERS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029\t|"


@settings(max_examples=300, deadline=None)
@given(
    names=st.lists(st.text(alphabet=st.sampled_from(BREAKERS + "ab N:"), max_size=12), min_size=1, max_size=4),
    cells=st.lists(st.text(alphabet=st.sampled_from(BREAKERS + "ab N:"), max_size=30), min_size=1, max_size=40),
)
def test_no_cell_or_name_can_forge_a_line_or_a_column(names, cells):
    """Generated names and cells made of line breaks of every kind and separators: the rows text always has exactly
    one line per row shown plus the header, each with one cell per column (a lone carriage return or a Unicode
    line separator in a cell once started a line of its own, e.g. a forged "Notes:" line)."""
    width = len(names)
    rows = [tuple(cells[(r * width + c) % len(cells)] for c in range(width)) for r in range(len(cells))]
    fitted = fit_rows(names, rows, count_tokens=count_words, budget_tokens=100_000)
    lines = (fitted.text + "\n").splitlines()  # the newline the prompt puts after the last row
    assert len(lines) == fitted.rows_shown + 1 == len(rows) + 1
    assert all(line.count(" | ") == width - 1 for line in lines)


@pytest.mark.parametrize(
    ("stored", "text"),
    [(None, "NULL"), (None, " NULL "), (b"abc", "<binary, 3 bytes>"), (b"abc", "<binary, 3,000 bytes>")],
)
def test_text_that_reads_as_a_null_or_a_blob_is_told_apart_from_one(stored, text):
    """The text 'NULL' and a NULL made the same prompt (an outside tester, session 40)."""
    assert render_cell(stored, 100)[0] != render_cell(text, 100)[0]
    assert text.strip() in render_cell(text, 100)[0]
