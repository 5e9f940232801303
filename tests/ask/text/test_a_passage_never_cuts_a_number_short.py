"""An outside tester, session 59: a passage cut short where the numbers check still reads one number.

- best_window keeps a cut's last word when the next character `isspace()`: a no-break, narrow no-break or thin
  space is one, yet the numbers check groups digits parted by them ("1 234 567", French grouping): "…1 234…" was
  read as 1234 and the answer "1,234" passed, the row holding 1234567.
- split_chunks cuts a paragraph with no space in reach at CHUNK_CHARS, inside a number (a CSV line).
- A passage that starts mid-row opens with "…": before digits it is read (as_read, NFKC "...") as a decimal point,
  "…2024 was" shows 0.2024 and an answer's 0.2 passes.
Oracle: every number the numbers check reads in a passage is one it reads in the row's text.
"""

import pytest

from datasette_llm.ask.numbers import unverified_numbers, written_numbers
from datasette_llm.ask.text.passages import best_window, split_chunks
from datasette_llm.ask.written_numbers import as_read

pytestmark = pytest.mark.no_datasette


def numbers(text):
    return {w.token for w in written_numbers(as_read(text), read=True)}


@pytest.mark.parametrize("space", ["\u202f", "\u00a0", "\u2009"])
def test_a_window_cut_short_never_ends_inside_a_grouped_number(space):
    text = f"x budget 1{space}234{space}567 euros pour l'année et encore des mots ici"
    for budget in range(5, len(text)):
        passage, _ = best_window([text], [1.0], len, budget)
        assert numbers(passage) <= numbers(text), (budget, passage)


@pytest.mark.parametrize(
    "values",
    [
        [str(1000003 + i * 7919) for i in range(80)],  # 1000003,1007922,...
        [f"{1000003 + i * 7919:,}" for i in range(80)],  # 1,000,003,1,007,922,...: read as grouped
    ],
    ids=["plain", "grouped"],
)
@pytest.mark.parametrize("separator", [",", ";", "|"])
def test_a_chunk_never_ends_inside_a_number(values, separator):
    text = "Daily counts: " + separator.join(values)
    for chunk in split_chunks(text):
        assert numbers(chunk) <= numbers(text), chunk


def test_the_ellipsis_before_a_passage_is_no_decimal_point():
    passage, start = best_window(["intro words here", "2024 was a good year", "more"], [0, 1, 0], len, 22)
    assert start == 1 and passage.startswith("…")
    assert unverified_numbers("About 0.2 of them.", passage, "How many?") == ["0.2"]
