"""A hidden table whose plural takes "es" (`box` -> "boxes", `address` -> "addresses") named in an admin's example
or feedback, in generated spellings (case, width, accents, quotes, brackets, as an SQL alias), keeps that entry
from a teacher who may not see the table: the oracle is the permission configuration (the teacher sees `cats`
alone), not the plugin's reading of names. Through the JSON API of a real Datasette.

An outside tester's mutant (session 50): with the "es" plural not read, every such entry reached the teacher."""

import random

import pytest
from examples_helpers import assert_kept_from_the_teacher, hidden_tables_datasette

# Plurals in "es" only: `box` -> "boxe" by the plain "s" rule is no name.
HIDDEN = ("box", "address", "batch", "tax", "wish", "buzz", "bus")


def spellings(plural: str, rng: random.Random) -> list[str]:
    fullwidth = "".join(chr(ord(ch) + 0xFEE0) for ch in plural)
    accented = plural.replace("a", "á", 1).replace("o", "ó", 1).replace("e", "é", 1)
    mixed = "".join(ch.upper() if rng.random() < 0.5 else ch for ch in plural)
    return [plural, plural.upper(), plural.title(), mixed, fullwidth, accented, f'"{plural}"', f"[{plural}]"]


@pytest.mark.asyncio
async def test_an_es_plural_of_a_hidden_table_keeps_examples_and_feedback_from_the_teacher(tmp_path):
    rng = random.Random(50)
    ds, _ = hidden_tables_datasette(tmp_path, HIDDEN, "es-plural-secret")
    pairs = []
    for name in HIDDEN:
        for spelling in spellings(name + "es", rng):
            n = len(pairs) + 1
            # the hidden name in the question, or as the alias of visible SQL (the guard lets both through)
            if n % 2:
                pairs.append({"question": f"How many {spelling} are there? ({n})", "sql": "select count(*) from cats"})
            else:
                pairs.append({"question": f"Count the cats ({n})", "sql": f"select count(*) as {spelling} from cats"})
    await assert_kept_from_the_teacher(ds, pairs)
