"""A question that says "not" answered by a query with no negation anywhere ("students who do not have a cat" with
`WHERE PetType = 'cat'`) goes back to the model once (logic_checks/directions.negation_left_out). Oracle: every
negated phrase against every way SQL says no (none doubted) and against queries that say nothing of it (each
doubted); negations that SQL says with a comparison, "or not", and "no" for a number are left alone; and no Spider
gold query is doubted (test_logic_checks.py)."""

from __future__ import annotations

import itertools

import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.ask.repairs.logic_checks import logic_doubts

COLUMNS = {"owners": ("id", "name", "active"), "dogs": ("id", "name", "age", "owner_id")}

NEGATED = [
    "Which owners do not have a dog?",
    "Which owners don't have dogs?",
    "List the owners without any dog.",
    "Which owners have no dogs?",
    "Which owners have never had a dog?",
    "Name the owners who are not active.",
    "Which owners doesn't own a dog?",
    "Owners that own none of the dogs?",
]
SAYS_NO = [
    "SELECT name FROM owners WHERE id NOT IN (SELECT owner_id FROM dogs)",
    "SELECT name FROM owners AS o WHERE NOT EXISTS (SELECT 1 FROM dogs AS d WHERE d.owner_id = o.id)",
    "SELECT name FROM owners EXCEPT SELECT o.name FROM owners AS o JOIN dogs AS d ON d.owner_id = o.id",
    "SELECT o.name FROM owners AS o LEFT JOIN dogs AS d ON d.owner_id = o.id WHERE d.id IS NULL",
    "SELECT name FROM owners WHERE active = 0",
    "SELECT name FROM owners WHERE active = 'N'",
    "SELECT name FROM owners WHERE active = FALSE",
    "SELECT name FROM owners WHERE active != 1",
    "SELECT name FROM owners WHERE active <> 1",
    "SELECT name FROM owners WHERE name NOT LIKE 'A%'",
    "SELECT name FROM owners WHERE (SELECT COUNT(*) FROM dogs WHERE owner_id = owners.id) = 0",
    "SELECT name FROM owners WHERE (SELECT COUNT(*) FROM dogs WHERE owner_id = owners.id) < 1",
    "SELECT name FROM owners WHERE (SELECT COUNT(*) FROM dogs WHERE owner_id = owners.id) <= 0",
    "SELECT name FROM owners WHERE 1 > (SELECT COUNT(*) FROM dogs WHERE owner_id = owners.id)",
]
SAYS_NOTHING = [
    "SELECT name FROM owners",
    "SELECT o.name FROM owners AS o JOIN dogs AS d ON d.owner_id = o.id",
    "SELECT name FROM owners WHERE id IN (SELECT owner_id FROM dogs)",
    "SELECT name FROM owners AS o WHERE EXISTS (SELECT 1 FROM dogs AS d WHERE d.owner_id = o.id)",
    "SELECT name FROM owners WHERE active = 1",
    "SELECT name FROM owners WHERE (SELECT COUNT(*) FROM dogs WHERE owner_id = owners.id) > 0",
    "SELECT name FROM owners WHERE 0 < (SELECT COUNT(*) FROM dogs WHERE owner_id = owners.id)",
]


def negation_doubts(sql, question):
    return [d for d in logic_doubts(sql, question, COLUMNS, ()) if "nothing in the query leaves rows out" in d]


@pytest.mark.parametrize(("question", "sql"), list(itertools.product(NEGATED, SAYS_NO)))
def test_a_query_that_says_no_in_any_way_is_not_doubted(question, sql):
    assert negation_doubts(sql, question) == []


@pytest.mark.parametrize(("question", "sql"), list(itertools.product(NEGATED, SAYS_NOTHING)))
def test_a_query_that_says_nothing_of_the_negation_is_doubted(question, sql):
    (doubt,) = negation_doubts(sql, question)
    assert doubt.startswith('the question says "') and "write it again unchanged" in doubt


@pytest.mark.parametrize(
    "question",
    [
        "Which owners have no more than 3 dogs?",
        "Which dogs are not older than 5?",
        "Which dogs do not have the minimum age?",
        "Owners whose dogs are not higher than average age?",
        "Which dogs are no less than 3 and no more than 9 years old?",
        "Is Rex older than 5 or not?",
        "What is the owner no. of Rex?",
        "Which dog no?",
        "Which owners have dogs?",  # no negation at all
        "How many dogs does Ana own?",
    ],
)
def test_negations_sql_says_otherwise_and_questions_without_one_are_left_alone(question):
    for sql in SAYS_NOTHING:
        assert negation_doubts(sql, question) == [], (question, sql)


def test_the_doubt_quotes_the_questions_words():
    (doubt,) = negation_doubts("SELECT name FROM owners", "Find the owners who do not have a dog pet.")
    assert doubt.startswith('the question says "do not have a dog", but nothing in the query leaves rows out')


@pytest.mark.asyncio
async def test_the_model_is_asked_once_to_leave_the_rows_out(tmp_path):
    db = make_pets_db(tmp_path / "pets.db")
    wrong = "select name from owners where id in (select owner_id from dogs where name = 'Rex')"
    right = "select name from owners where id not in (select owner_id from dogs where name = 'Rex')"
    model = ScriptedModel([sql_reply(wrong), sql_reply(right), "Ben."])
    result = await ask(Datasette([str(db)]), "pets", "Which owners do not have a dog named Rex?", model=model)
    assert result.rows == (("Ben",),) and result.attempts[0].error_kind == "doubtful_logic"
    assert model.calls[1][-1]["content"].startswith(
        'That query runs, but it may not answer the question: the question says "do not have a dog", but nothing'
    )
