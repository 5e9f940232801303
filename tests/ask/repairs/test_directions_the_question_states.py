"""A comparison or a sort the other way from the question's words ("under age 30" kept as `age > 30`, "from old to
young" sorted youngest first) goes back to the model once. Oracle: what each English phrase means, written out
here phrase by phrase, against every operator, side and number; and no Spider gold query is doubted
(test_logic_checks.py)."""

from __future__ import annotations

import itertools

import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.ask.repairs.logic_checks import logic_doubts

COLUMNS = {"people": ("id", "name", "age", "salary", "born", "birth_date", "city")}

# phrase before the number -> the side of the number its values are on
PHRASES = {
    "under": "below",
    "under age": "below",
    "below": "below",
    "less than": "below",
    "fewer than": "below",
    "younger than": "below",
    "lower than": "below",
    "smaller than": "below",
    "at most": "below",
    "before": "below",
    "earlier than": "below",
    "over": "above",
    "above": "above",
    "more than": "above",
    "greater than": "above",
    "older than": "above",
    "higher than": "above",
    "larger than": "above",
    "at least": "above",
    "after": "above",
    "later than": "above",
    "exceeding": "above",
}
# operator -> the side of the number it keeps with the column on the left (flipped with the column on the right)
OPERATORS = {">": "above", ">=": "above", "<": "below", "<=": "below"}
NUMBERS = ["30", "2.5", "1990"]


def doubts(sql, question):
    return logic_doubts(sql, question, COLUMNS, ())


@pytest.mark.parametrize(("phrase", "number"), list(itertools.product(PHRASES, NUMBERS)))
def test_a_comparison_against_the_questions_direction_is_doubted(phrase, number):
    question = f"Which people have a value {phrase} {number}?"
    for operator, column_left in itertools.product(OPERATORS, (True, False)):
        kept = OPERATORS[operator] if column_left else {"above": "below", "below": "above"}[OPERATORS[operator]]
        where = f"age {operator} {number}" if column_left else f"{number} {operator} age"
        found = doubts(f"SELECT name FROM people WHERE {where}", question)
        if kept == PHRASES[phrase]:
            assert found == [], (where, question)
        else:
            assert found == [
                f'{where} keeps age {kept} {float(number):g}, but the question says "{phrase} {number}": '
                "compare the other way"
            ], (where, question)
        # another number than the question's may be meant ("under 30" as `age <= 29`): never doubted
        assert doubts(f"SELECT name FROM people WHERE age {operator} 7", question) == []


@pytest.mark.parametrize(
    "question",
    [
        "Which people are not more than 30?",
        "Which people do not have more than 30 of them?",
        "Which people have no more than 30?",
        "Who isn't older than 30?",
        "Who never earned over 30?",
    ],
)
def test_a_negated_direction_is_left_alone(question):
    for operator in OPERATORS:
        assert doubts(f"SELECT name FROM people WHERE age {operator} 30", question) == []


def test_a_direction_in_having_and_in_a_subquery_is_read_where_it_is():
    question = "Which cities have more than 3 people under 30?"
    having = "SELECT city FROM people WHERE age > 30 GROUP BY city HAVING count(*) < 3"
    assert doubts(having, question) == [
        'age > 30 keeps age above 30, but the question says "under 30": compare the other way',
        'COUNT(*) < 3 keeps COUNT(*) below 3, but the question says "more than 3": compare the other way',
    ]
    nested = "SELECT city FROM people WHERE id IN (SELECT id FROM people WHERE age >= 30)"
    assert len(doubts(nested, question)) == 1


# phrase -> the order it asks for, for any column
ORDER_PHRASES = {
    "in descending order": "DESC",
    "in decreasing order": "DESC",
    "from highest to lowest": "DESC",
    "from the largest to the smallest": "DESC",
    "from most to least": "DESC",
    "in reverse alphabetical order": "DESC",
    "from high to low": "DESC",
    "in ascending order": "ASC",
    "in increasing order": "ASC",
    "from lowest to highest": "ASC",
    "from the smallest to the largest": "ASC",
    "from least to most": "ASC",
    "alphabetically": "ASC",
    "from low to high": "ASC",
}
WRITTEN = {"": "ASC", " ASC": "ASC", " DESC": "DESC"}


@pytest.mark.parametrize("phrase", list(ORDER_PHRASES))
def test_a_sort_against_the_questions_order_is_doubted(phrase):
    question = f"List the people by salary {phrase}."
    for written, sorted_as in WRITTEN.items():
        found = doubts(f"SELECT name FROM people ORDER BY salary{written}", question)
        want = ORDER_PHRASES[phrase]
        first = {"ASC": "lowest", "DESC": "highest"}
        if sorted_as == want:
            assert found == []
        else:
            assert found == [
                f"ORDER BY salary{written} lists the {first[sorted_as]} first, "
                f"but the question asks for the {first[want]} first: sort {want}"
            ]


def test_old_to_young_is_read_for_an_age_only():
    """From old to young is an age from high to low, but a birth date from low to high: only an age is read."""
    question = "List the people sorted from old to young."
    assert len(doubts("SELECT name FROM people ORDER BY age", question)) == 1
    assert doubts("SELECT name FROM people ORDER BY age DESC", question) == []
    for column, written in itertools.product(("birth_date", "born"), ("", " DESC")):
        assert doubts(f"SELECT name FROM people ORDER BY {column}{written}", question) == []
    assert len(doubts("SELECT name FROM people ORDER BY age DESC", "Sort them from the youngest to the oldest")) == 1


def test_a_sort_is_left_alone_when_the_question_asks_for_both_orders_or_several_keys():
    both = "Sort by salary in descending order and by name alphabetically."
    assert doubts("SELECT name FROM people ORDER BY salary", both) == []
    assert doubts("SELECT name FROM people ORDER BY salary, name", "Sort by salary in descending order.") == []


@pytest.mark.asyncio
async def test_the_model_is_asked_once_to_compare_the_other_way(tmp_path):
    db = make_pets_db(tmp_path / "pets.db")
    wrong, right = "select name from dogs where age > 5", "select name from dogs where age < 5"
    model = ScriptedModel([sql_reply(wrong), sql_reply(right), "Fido."])
    result = await ask(Datasette([str(db)]), "pets", "Which dogs are younger than 5?", model=model)
    assert result.rows == (("Fido",),) and result.attempts[0].error_kind == "doubtful_logic"
    assert model.calls[1][-1]["content"].startswith(
        "That query runs, but it may not answer the question: age > 5 keeps age above 5, but the question says "
        '"younger than 5": compare the other way'
    )
