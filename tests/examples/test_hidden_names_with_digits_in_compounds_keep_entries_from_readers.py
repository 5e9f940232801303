"""A hidden table whose name holds a digit (`q3`, `tier2`, `h1b`, `covid19`, `top100`), named as the first part of
an alias or a compound word (`q3_total`, `Tier2-count`) in an admin's example or feedback, in generated spellings,
keeps that entry from a teacher who may not see the table, as a hidden name without a digit does (`note_count`):
the oracle is the permission configuration (the teacher sees `cats` alone), not the plugin's reading of names.
Through the JSON API of a real Datasette.

An outside tester (session 50): names were split into parts at digits too, so `q3_total` read as `q` and `total`
and 25 of 25 such entries reached the teacher."""

import random

import pytest
from examples_helpers import assert_kept_from_the_teacher, hidden_tables_datasette

HIDDEN = ("q3", "tier2", "h1b", "covid19", "top100", "note")  # `note`: no digit, read so before
SUFFIXES = ("total", "count", "sum", "rows", "by_month")


def spellings(name: str, rng: random.Random) -> list[str]:
    suffix = rng.choice(SUFFIXES)
    fullwidth = "".join(chr(ord(ch) + 0xFEE0) for ch in f"{name}_{suffix}")
    mixed = "".join(ch.upper() if rng.random() < 0.5 else ch for ch in name)
    return [f"{name}_{suffix}", f"{name.upper()}_{suffix}", f'"{mixed}-{suffix}"', fullwidth, f'"{name}.{suffix}"']


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", [50, 51])
async def test_a_hidden_name_with_a_digit_in_a_compound_keeps_examples_and_feedback_from_the_teacher(tmp_path, seed):
    rng = random.Random(seed)
    ds, _ = hidden_tables_datasette(tmp_path, HIDDEN, "digit-name-secret")
    pairs = []
    for name in HIDDEN:
        for spelling in spellings(name, rng):
            n = len(pairs) + 1
            # the hidden name in the question, or as the alias of visible SQL (the guard lets both through)
            if n % 2:
                pairs.append({"question": f"How many {spelling} are there? ({n})", "sql": "select count(*) from cats"})
            else:
                pairs.append({"question": f"Count the cats ({n})", "sql": f"select count(*) as {spelling} from cats"})
    await assert_kept_from_the_teacher(ds, pairs)
