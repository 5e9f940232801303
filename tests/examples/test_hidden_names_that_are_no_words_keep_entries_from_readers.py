"""A hidden table whose name is no word (it starts with a digit, or is made of symbols: `2024`, `3d`, `💰`,
`€uro`) named in an admin's example or feedback, quoted as SQLite reads names (`"2024"`, `[3d]`, `` `💰` ``),
keeps that entry from a teacher who may not see the table. The oracle: sqlite3 itself resolves each spelling to
the hidden table, and the permission configuration hides it from the teacher. Through the JSON API of a real
Datasette.

An outside tester's mutant (session 50): with the quoted and bare names of SQLite's own reading left out of the
generous reading, these names were read by words alone, found nothing, and every such entry reached the teacher."""

import random
import sqlite3
import unicodedata

import pytest
from examples_helpers import assert_kept_from_the_teacher, hidden_tables_datasette

HIDDEN = ("2024", "3d", "401k", "💰", "€uro", "9lives")


def spellings(name: str, rng: random.Random) -> list[str]:
    """Quoted as SQLite reads a name, and bare or in full width (the generous reading: any case or width)."""
    cased = "".join(ch.upper() if rng.random() < 0.5 else ch for ch in name)
    wide = "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in cased)
    return [f'"{name}"', f"[{cased}]", f"`{cased}`", name, cased, wide, f'"{wide}"', f"[{wide}]"]


def same_name(spelling: str, name: str) -> bool:
    """The oracle of a spelling: it is the name, quoted or not, in any case or width."""
    bare = spelling.strip('"[]`')
    return unicodedata.normalize("NFKC", bare).casefold() == unicodedata.normalize("NFKC", name).casefold()


@pytest.mark.asyncio
async def test_a_hidden_name_that_is_no_word_keeps_examples_and_feedback_from_the_teacher(tmp_path):
    rng = random.Random(50)
    ds, path = hidden_tables_datasette(tmp_path, HIDDEN, "no-word-names")
    pairs = []
    conn = sqlite3.connect(path)
    for name in HIDDEN:
        for spelling in spellings(name, rng):
            # the oracle: SQLite reads a quoted spelling as the hidden table; every spelling is the name
            assert same_name(spelling, name), spelling
            if spelling[0] in '"[`' and spelling.strip('"[]`') in (name, name.upper(), name.lower()):
                assert conn.execute(f"select code from {spelling}").fetchall() == [("hunter2",)], spelling
            n = len(pairs) + 1
            if n % 2 or spelling[0] not in '"[`':  # a bare name is no SQL alias
                pairs.append({"question": f"How many rows has {spelling}? ({n})", "sql": "select count(*) from cats"})
            else:
                pairs.append({"question": f"Count the cats ({n})", "sql": f"select count(*) as {spelling} from cats"})
    conn.close()
    await assert_kept_from_the_teacher(ds, pairs)
