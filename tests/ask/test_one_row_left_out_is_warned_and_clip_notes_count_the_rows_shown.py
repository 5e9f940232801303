"""Two edges the suite let pass (an outside tester's mutants, session 58, gap_mutants.sh): the warning under an answer
written from some of the rows must come when exactly one row was left out, and a clip note counts the clipped cells
among the rows the model was shown ("in C of S rows", S the rows shown), not among the rows fetched.

Generated rows; the oracle is the rows themselves."""

import random
import re

import pytest

from datasette_llm.ask.answer import partial_answer_warning
from datasette_llm.context import FittedRows, fit_rows


def tokens(text):
    return (len(text) + 3) // 4


@pytest.mark.parametrize("fetched", [2, 3, 10, 1000])
def test_a_result_with_exactly_one_row_left_out_is_warned(fetched):
    fitted = FittedRows(
        text="", rows_shown=fetched - 1, rows_fetched=fetched, total_rows=fetched, clipped={}, notes=(), tokens=0
    )
    warning = partial_answer_warning(fitted)
    assert warning and f"{fetched - 1:,} of the {fetched:,} rows" in warning[0], warning


@pytest.mark.parametrize("seed", range(10))
def test_a_result_fitted_with_one_row_too_many_is_warned(seed):
    rng = random.Random(seed)
    rows = [(f"r{i}", "w" * rng.randint(5, 12)) for i in range(rng.randint(3, 12))] + [("last", "z" * 150)]
    found = None
    for budget in range(400, 20, -1):
        fitted = fit_rows(["name", "body"], rows, count_tokens=tokens, budget_tokens=budget)
        if fitted.rows_shown == len(rows) - 1:
            found = fitted
            break
    assert found is not None
    assert partial_answer_warning(found)


@pytest.mark.parametrize("seed", range(10))
def test_a_clip_note_counts_the_rows_shown(seed):
    rng = random.Random(seed)
    rows = [(f"r{i}", "x" * rng.choice([10, 300])) for i in range(rng.randint(15, 30))]
    rows[0] = ("r0", "x" * 300)  # a clipped cell among the rows shown
    budget = 60 + 20 * rng.randint(1, 3)  # some rows fit, not all
    fitted = fit_rows(["name", "body"], rows, count_tokens=tokens, budget_tokens=budget, max_cell_chars=50)
    assert 0 < fitted.rows_shown < len(rows) and fitted.clipped
    for note in fitted.notes:
        match = re.fullmatch(r"body clipped to (\d+) characters in (\d+) of (\d+) rows", note)
        if match:
            limit = int(match.group(1))
            clipped = sum(1 for _, body in rows[: fitted.rows_shown] if len(body) > limit)
            assert (int(match.group(2)), int(match.group(3))) == (clipped, fitted.rows_shown), (note, fitted.rows_shown)
