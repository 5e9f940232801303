"""Numbers stored as text (ask/repairs/numbers_as_text.py), three parts of the documented rule no test held:

- only texts that are plain numbers (digits, a sign, a point) are compared: a code such as 'a1' or 'Route 66'
  holds digits but is no number, and CAST reads it as 0, so with it among them text order and number order
  "differ" for every column of codes;
- each column is probed (and warned) once, however many times the query uses it;
- up to 4 columns (MAX_COLUMNS) are probed for one query: the fifth is not, the second is.
"""

import sqlite3

import pytest
from ask_helpers import probed

from datasette_llm.ask.repairs.numbers_as_text import MAX_COLUMNS, numbers_as_text

COLUMNS = {"parts": ("id", "code", "a", "b", "c", "d", "e")}


@pytest.fixture
def parts_db(tmp_path):
    path = tmp_path / "parts.db"
    conn = sqlite3.connect(path)
    conn.execute("create table parts (id integer primary key, code text, a text, b text, c text, d text, e text)")
    # code: plain numbers in order as text and as numbers ('5' < '9'), beside codes that are no numbers;
    # a..e: numbers as text of several lengths, out of order as text ('100' before '99')
    rows = [
        (1, "5", "99", "99", "99", "99", "99"),
        (2, "a1", "100", "100", "100", "100", "100"),
        (3, "9", "7", "7", "7", "7", "7"),
        (4, "Route 66", "1500", "1500", "1500", "1500", "1500"),
    ]
    conn.executemany("insert into parts values (?, ?, ?, ?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()
    return path


def warnings(path, sql):
    return probed(path, ("parts",), numbers_as_text, sql, COLUMNS)


def test_codes_with_digits_are_not_numbers(parts_db):
    assert warnings(parts_db, "select id from parts order by code desc") == []
    assert warnings(parts_db, "select max(code) from parts") == []


def test_a_column_used_twice_is_warned_once(parts_db):
    found = warnings(parts_db, "select id from parts where a > 50 order by a desc")
    assert len(found) == 1 and found[0].startswith("a holds numbers stored as text"), found


def test_up_to_four_columns_are_warned(parts_db):
    assert MAX_COLUMNS == 4
    two = warnings(parts_db, "select id from parts order by a, b")
    assert [w.split(" ", 1)[0] for w in two] == ["a", "b"]
    five = warnings(parts_db, "select id from parts order by a, b, c, d, e")
    assert [w.split(" ", 1)[0] for w in five] == ["a", "b", "c", "d"]
