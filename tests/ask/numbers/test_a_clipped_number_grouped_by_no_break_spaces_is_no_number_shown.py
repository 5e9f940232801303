"""The digits a clipped cell ends on are no number shown, however the number's thousands are grouped: with no-break
spaces ("1 234 567", U+00A0, which group thousands) the whole number before the clip is cut, not only its last group
(an outside tester, session 58: "1 234 5…[clipped]" let 1 234, 1,234 and 1234 pass)."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers
from datasette_llm.context import fit_rows

CELL = "Commune de Lorval, population: 1\u00a0234\u00a0567 habitants."


@pytest.mark.parametrize("answer", ["1\u00a0234", "1,234", "1234", "1\u00a0234\u00a05"])
def test_a_number_grouped_by_no_break_spaces_cut_by_the_clip_is_not_shown(answer):
    limit = CELL.index("1\u00a0234\u00a05") + len("1\u00a0234\u00a05")
    fitted = fit_rows(
        ["nom", "fiche"],
        [("Lorval", CELL)],
        count_tokens=lambda t: (len(t) + 3) // 4,
        budget_tokens=4000,
        max_cell_chars=limit,
    )
    assert fitted.clipped
    assert unverified_numbers(f"The population is {answer}.", fitted.text, "What is the population?")


def test_the_whole_number_shown_passes():
    fitted = fit_rows(
        ["nom", "fiche"], [("Lorval", CELL)], count_tokens=lambda t: (len(t) + 3) // 4, budget_tokens=4000
    )
    assert unverified_numbers("The population is 1\u00a0234\u00a0567.", fitted.text, "What is the population?") == []
