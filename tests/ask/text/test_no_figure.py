"""A question asking for a figure answered without one is warned (ask/text/no_figure.py)."""

import pytest

from datasette_llm.ask.text.no_figure import no_figure_warning

pytestmark = pytest.mark.no_datasette

# The real model's answers (session 33, benchmarks/fiction.py, a question's row read alone): wrong, and without a
# number the check of shown numbers could see.
WRONG = [
    ("In which year did Ulorin Bridge open?", "The old account books survive in a regional archive. [1]"),
    ("In which year was Caulustine Lighthouse first lit?", "The first keeper was Greta Morrow. Its first keeper"),
    ("How many arches does Kuorine Bridge have?", "Kuorine Bridge is a bridge in the valley of the Quenna [1]."),
    ("How long is Ostesten Bridge?", "It is a long bridge [1]."),
]
RIGHT = [
    ("In which year did Fenestin Bridge open?", "Fenestin Bridge opened in 1764 [1]."),
    ("How many workers did Theimbr Mill employ?", "842 workers [1]"),
    ("How many arches does it have?", "It rests on three stone arches [2]."),
    ("How many moons does Mars have?", "Not found in the data."),
    ("How deep is Lake Mmeras?", "No passage says how deep it is."),
    ("Who designed Lurow Bridge?", "Ines Kellan designed Lurow Bridge [1]."),  # asks for no figure
    ("What is shot-scraper?", "A command-line utility for taking screenshots [1]."),
]


@pytest.mark.parametrize("question,answer", WRONG)
def test_an_answer_without_the_figure_asked_for_is_warned(question, answer):
    (warning,) = no_figure_warning(question, answer)
    assert "states no figure" in warning


@pytest.mark.parametrize("question,answer", RIGHT)
def test_a_figure_a_refusal_or_a_question_for_no_figure_is_not_warned(question, answer):
    assert no_figure_warning(question, answer) == []
