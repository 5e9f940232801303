"""A hidden table's name spelt out a character at a time (`v a u l t`, `S-E-C-R-E-T`, `p.a.y.r.o.l.l`), in an
admin's example or feedback, in generated separators and cases, keeps that entry from a teacher who may not see the
table: the oracle is the permission configuration (the teacher sees `cats` alone), not the plugin's reading of
names. Through the JSON API of a real Datasette.

An outside tester (session 50): such a `vault` reached the teacher; names were read only as whole words."""

import random

import pytest
from examples_helpers import assert_kept_from_the_teacher, hidden_tables_datasette

HIDDEN = ("vault", "secret", "payroll", "q3")
SEPARATORS = (" ", "  ", "-", ".", "_", " · ", "*", "/")


def spellings(name: str, rng: random.Random) -> list[str]:
    cased = [name, name.upper(), "".join(ch.upper() if rng.random() < 0.5 else ch for ch in name)]
    return [rng.choice(SEPARATORS).join(spelling) for spelling in cased for _ in range(2)]


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", [51, 52])
async def test_a_hidden_name_spelt_letter_by_letter_keeps_examples_and_feedback_from_the_teacher(tmp_path, seed):
    rng = random.Random(seed)
    ds, _ = hidden_tables_datasette(tmp_path, HIDDEN, "letter-by-letter-secret")
    pairs = []
    for name in HIDDEN:
        for spelling in spellings(name, rng):
            n = len(pairs) + 1
            if n % 3 == 0 and set(spelling) <= set(name + name.upper() + "_"):  # an alias SQLite reads as one name
                pairs.append({"question": f"Count the cats ({n})", "sql": f"select count(*) as {spelling} from cats"})
            else:
                pairs.append({"question": f"How many rows has {spelling}? ({n})", "sql": "select count(*) from cats"})
    await assert_kept_from_the_teacher(ds, pairs)
