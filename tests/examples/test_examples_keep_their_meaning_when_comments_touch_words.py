"""An example's SQL is stored without its comments (examples/check.py, `without_comments`: "they change nothing
SQLite reads"), each comment replaced by a space, as SQLite itself reads a comment: `name/*c*/n` is the column
`name` under the alias `n`, and `id/**/from` is `id from`. With each comment dropped instead of replaced, the whole
suite passed (an outside tester's mutation run, session 53) while an example whose comment touched the words on
both sides was refused as naming a column that does not exist (`namen`, `idfrom`) or stored as another query.

Generated: SELECTs over the examples' `cats` table with block comments put between words with no space on either
side, added through `datasette llm examples add`. Oracle: plain sqlite3 runs the SQL as written; the stored SQL,
run by sqlite3, must give the same column names and rows.
"""

import random
import sqlite3

from click.testing import CliRunner

from datasette_llm.cli import llm
from datasette_llm.examples import ExampleStore

COMMENTS = ["/**/", "/* c */", "/*x*/"]


def statements(rng: random.Random) -> list[str]:
    out = [
        "select name/*c*/n from cats order by id",
        "select id/**/from cats order by id",
        "select name/**/as/**/label/**/from/**/cats/**/where/**/age>3",
        "select count(*)/*c*/total from cats",
    ]
    words = ["select", "id", "as", "k,", "name", "nm", "from", "cats", "where", "age", ">=", "3", "order by", "id"]
    for _ in range(12):
        out.append("".join(word + (rng.choice(COMMENTS) if rng.random() < 0.6 else " ") for word in words).strip())
    return out


def test_comments_touching_words_on_both_sides_are_stored_as_sqlite_reads_them(db_path, state):
    conn = sqlite3.connect(db_path)
    rng = random.Random(5353)
    for number, sql in enumerate(statements(rng), start=1):
        cursor = conn.execute(sql)  # SQLite reads it: one SELECT of these columns and rows
        expected = ([d[0] for d in cursor.description], cursor.fetchall())
        assert expected[1], sql
        result = CliRunner().invoke(llm, ["examples", "add", db_path, f"question {number}", sql])
        assert result.exit_code == 0, (sql, result.output)
        assert result.stdout == f"Added example #{number}.\n", (sql, result.output)
        (example,) = [e for e in ExampleStore(state / "examples.db").examples("db") if e.id == number]
        assert "/*" not in example.sql, example.sql  # stored without its comments
        cursor = conn.execute(example.sql)
        assert ([d[0] for d in cursor.description], cursor.fetchall()) == expected, (sql, example.sql)
    conn.close()
