"""Shapes of amounts an outside tester found unread in answers (session 54), each an invented number that passed:
"a million" / "half a million" / "two dozen", an amount glued to a currency code ("USD12 million"), a scale after a
hyphen ("$12-million"), Markdown's underscores ("__42__"), a minus before a currency sign ("-$12"), a figure space
between groups ("12 500" with U+2007), a number after a decimal and a comma ("91.5,88.2"), and digits a clipped cell
ends on inside an exponent or hexadecimal number. Each shape is flagged when invented and passes when shown."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers
from datasette_llm.sql.clipping import CLIP_MARKER

pytestmark = pytest.mark.no_datasette

ROWS = "name | amount\nAcme | 12\nBeta | 408\nGamma | 91.5\nDelta | 40"
INVENTED = [
    ("Acme has over a million customers.", "a million"),
    ("Beta has half a million customers.", "half a million"),
    ("Beta has an eighth of a billion.", "a billion"),
    ("Acme sold two dozen.", "two dozen"),
    ("Acme made USD12 million.", "12 million"),
    ("Beta charged EUR99 a unit.", "99"),
    ("Acme is worth CHF3.5 billion.", "3.5 billion"),
    ("Acme signed a $12-million deal.", "12-million"),
    ("It was a 12-million-dollar deal.", "12-million"),
    ("Beta has a 408-thousand-strong network.", "408-thousand"),
    ("There are __42__ dogs.", "42"),
    ("There are _42_ dogs.", "42"),
    ("Acme made -$12.", "12"),
    ("Delta made -€40.", "40"),
    ("Beta lost -$408M.", "408M"),
    ("It has 12\u2007408 people.", "12,408"),
    ("The amounts were 91.5,88.2 and 12.", "88.2"),
    ("Amounts: [91.5,99999].", "99999"),
    ("Top: 91.5,12.5,64.25.", "12.5"),
]


@pytest.mark.parametrize("answer, flagged", INVENTED)
def test_an_invented_amount_is_flagged(answer, flagged):
    assert flagged in unverified_numbers(answer, ROWS, "How much?")  # as written (a sign before a currency: not)


SHOWN = [
    ("Acme has about a million customers.", "name | n\nAcme | 1,000,000"),
    ("Beta has half a million customers.", "name | n\nBeta | 500,000"),
    ("Acme sold two dozen.", "name | n\nAcme | 24"),
    ("Acme sold a dozen.", "name | n\nAcme | 12"),
    ("Acme made USD12 million.", "name | n\nAcme | 12,000,000"),
    ("Acme signed a $12-million deal.", "name | n\nAcme | 12000000"),
    ("There are __42__ dogs.", "name | n\nRex | 42"),
    ("Acme made -$12.", "name | n\nAcme | -12"),
    ("It has 12\u2007408 people.", "name | n\nAcme | 12408"),
    ("The amounts were 91.5,88.2 and 12.", "v\n91.5\n88.2\n12"),
    ("The grand total is 42, a grand total.", "name | n\nAll | 42"),
    ("It ran 10-$12 a day.", "name | low | high\nA | 10 | 12"),
    ("col_2 and x_86 hold 408.", "name | n\nBeta | 408"),
]


@pytest.mark.parametrize("answer, rows", SHOWN)
def test_a_shown_amount_in_these_shapes_passes(answer, rows):
    assert unverified_numbers(answer, rows, "How much?") == []


@pytest.mark.parametrize("cell", ["value 1.5e", "value 1.5e+", "value 1.5E-", "key 0x1f", "key 0X"])
def test_digits_a_cell_is_cut_on_are_no_number_shown(cell):
    answer = "It is 31." if "0x1f" in cell else "It is 1.5."
    assert unverified_numbers(answer, "note\n" + cell + CLIP_MARKER, "What is it?") != []
