"""How the tables of one SELECT hang together: aliases, ON equalities on foreign keys, steps from the FROM
table, which joined tables repeat another's rows, and the NOT IN that asks about them without the JOIN."""

import pytest
import sqlglot
from sqlglot import exp

from datasette_llm.ask.repairs.join_tree import JoinTree, aliases, limit_one, summarised, unused_repeats
from datasette_llm.sql.join_links import Link

pytestmark = pytest.mark.no_datasette

PETS = {
    "Student": ("StuID", "LName", "Fname", "Age", "Major"),
    "Has_Pet": ("StuID", "PetID"),
    "Pets": ("PetID", "PetType", "pet_age"),
}
PET_LINKS = (Link("Has_Pet", "StuID", "Student", "StuID"), Link("Has_Pet", "PetID", "Pets", "PetID"))
STUDENT_PETS = "FROM Student AS T1 JOIN Has_Pet AS T2 ON T1.StuID = T2.StuID JOIN Pets AS T3 ON T2.PetID = T3.PetID"
CATS = f"SELECT T1.Fname {STUDENT_PETS} WHERE T3.PetType = 'cat'"


def parse(sql):
    return sqlglot.parse_one(sql, read="sqlite")


def tree_of(select, columns=PETS, links=PET_LINKS):
    return JoinTree(select, aliases(select, columns), links, columns)


def where(select):
    return select.args["where"].this


def steps(joins):
    return {alias: (step.parent, step.fans_out, step.condition.sql()) for alias, step in joins.steps.items()}


# -- aliases ----------------------------------------------------------------------------------------------


def test_aliases_map_to_the_real_table_names_in_from_then_join_order():
    select = parse("SELECT * FROM pets AS p JOIN has_pet ON has_pet.PetID = p.PetID JOIN nowhere AS n ON 1")
    # Lower-case keys, names as declared; a table the schema does not have is left out.
    assert list(aliases(select, PETS).items()) == [("p", "Pets"), ("has_pet", "Has_Pet")]


def test_aliases_skip_subqueries_in_from():
    select = parse("SELECT * FROM (SELECT * FROM Pets) AS sub JOIN Student AS S ON 1")
    assert aliases(select, PETS) == {"s": "Student"}


# -- equalities and steps ---------------------------------------------------------------------------------


def test_each_on_equality_is_matched_to_its_foreign_key_and_direction():
    joins = tree_of(parse(CATS))
    assert [(e.condition.sql(), e.left, e.right, e.link, e.left_references_right) for e in joins.equalities] == [
        ("T1.StuID = T2.StuID", "t1", "t2", PET_LINKS[0], False),  # Has_Pet (right) references Student
        ("T2.PetID = T3.PetID", "t2", "t3", PET_LINKS[1], True),  # Has_Pet (left) references Pets
    ]


def test_steps_from_the_from_table_and_which_of_them_fan_out():
    joins = tree_of(parse(CATS))
    # One student, many Has_Pet rows (fans out); one Has_Pet row, one pet (does not).
    assert steps(joins) == {"t2": ("t1", True, "T1.StuID = T2.StuID"), "t3": ("t2", False, "T2.PetID = T3.PetID")}
    assert joins.repeats == {"t2": "t1", "t3": "t1"}  # both repeat the students' rows
    assert joins.chain("t3") == ["t3", "t2"] and joins.chain("t2") == ["t2"]


def test_written_the_other_way_round_the_tree_is_rooted_at_pets():
    select = parse(
        "SELECT T1.PetType FROM Pets AS T1 JOIN Has_Pet AS T2 ON T2.PetID = T1.PetID "
        "JOIN Student AS T3 ON T3.StuID = T2.StuID"
    )
    joins = tree_of(select)
    assert [(e.left, e.right, e.left_references_right) for e in joins.equalities] == [
        ("t2", "t1", True),
        ("t3", "t2", False),
    ]
    assert steps(joins) == {"t2": ("t1", True, "T2.PetID = T1.PetID"), "t3": ("t2", False, "T3.StuID = T2.StuID")}
    assert joins.repeats == {"t2": "t1", "t3": "t1"}


def test_an_equality_on_no_foreign_key_gives_no_step():
    joins = tree_of(parse("SELECT T1.Fname FROM Student AS T1 JOIN Pets AS T2 ON T1.Age = T2.pet_age"))
    assert [(e.left, e.right, e.link) for e in joins.equalities] == [("t1", "t2", None)]
    assert joins.steps == {} and joins.repeats == {}


def test_a_one_to_one_key_does_not_repeat_rows():
    columns = {"people": ("id", "name"), "details": ("id", "height")}
    links = (Link("details", "id", "people", "id", one_to_one=True),)
    joins = tree_of(parse("SELECT P.name FROM people AS P JOIN details AS D ON P.id = D.id"), columns, links)
    assert steps(joins) == {"d": ("p", False, "P.id = D.id")}
    assert joins.repeats == {}


def test_alias_of_a_column():
    joins = tree_of(parse(CATS))
    assert joins.alias_of(exp.column("Age", "t1")) == "t1"
    assert joins.alias_of(exp.column("Fname")) == "t1"  # unqualified, one table has it
    assert joins.alias_of(exp.column("StuID")) is None  # unqualified, two tables have it
    assert joins.alias_of(exp.column("Fname", "T9")) is None  # no such alias


# -- exclusion and without --------------------------------------------------------------------------------


def test_exclusion_asks_for_the_rows_with_no_related_row_where_the_condition_holds():
    select = parse(CATS)
    joins = tree_of(select)
    assert joins.exclusion(where(select).this, "T3.PetType = 'cat'") == (
        "T1.StuID NOT IN (SELECT T2.StuID FROM Has_Pet AS T2 JOIN Pets AS T3 ON T2.PetID = T3.PetID "
        "WHERE T3.PetType = 'cat')"
    )
    assert joins.exclusion(exp.column("PetType"), None) == (
        "T1.StuID NOT IN (SELECT T2.StuID FROM Has_Pet AS T2 JOIN Pets AS T3 ON T2.PetID = T3.PetID)"
    )
    assert joins.exclusion(exp.column("PetID", "T2"), None) == "T1.StuID NOT IN (SELECT T2.StuID FROM Has_Pet AS T2)"


def test_no_exclusion_for_a_column_of_a_table_that_repeats_nothing():
    joins = tree_of(parse(CATS))
    assert joins.exclusion(exp.column("Fname", "T1"), None) is None
    assert joins.exclusion(exp.column("StuID"), None) is None  # ambiguous
    assert joins.exclusion(exp.Literal.string("cat"), None) is None  # not a column


def test_without_replaces_the_condition_and_drops_the_chain():
    select = parse(CATS)
    joins = tree_of(select)
    condition = where(select)
    exclusion = joins.exclusion(condition.this, "T3.PetType = 'cat'")
    assert joins.without(condition, exclusion, joins.chain("t3")) == (
        "SELECT T1.Fname FROM Student AS T1 WHERE NOT T1.StuID IN (SELECT T2.StuID FROM Has_Pet AS T2 "
        "JOIN Pets AS T3 ON T2.PetID = T3.PetID WHERE T3.PetType = 'cat')"
    )
    assert select.sql() == CATS  # the query itself is not changed


def test_without_refuses_when_a_dropped_table_is_still_needed():
    select = parse(f"SELECT T1.Fname, T2.PetID {STUDENT_PETS} WHERE T3.PetType = 'cat'")
    joins = tree_of(select)
    assert joins.without(where(select), "1 = 1", ["t3", "t2"]) is None  # T2.PetID is read
    select = parse(CATS)
    joins = tree_of(select)
    assert joins.without(where(select), "1 = 1", ["t2"]) is None  # T3 is joined through T2


def test_without_refuses_a_select_inside_another_statement():
    outer = parse(f"SELECT * FROM x WHERE y IN (SELECT T1.StuID {STUDENT_PETS} WHERE T3.PetType = 'cat')")
    inner = next(select for select in outer.find_all(exp.Select) if select is not outer)
    joins = tree_of(inner)
    assert joins.without(where(inner), "1 = 1", joins.chain("t3")) is None


# -- unused_repeats, summarised, limit_one ----------------------------------------------------------------


@pytest.mark.parametrize(
    "sql, unused",
    [
        (f"SELECT T1.Fname {STUDENT_PETS}", {"t2": "t1", "t3": "t1"}),  # neither joined table is read
        (f"SELECT T1.Fname, T2.PetID {STUDENT_PETS}", {"t3": "t1"}),
        (CATS, {}),  # T3 is read in WHERE, and reached through T2
        (f"SELECT T1.Fname, PetType {STUDENT_PETS}", {}),  # unqualified: the table that has it
        (f"SELECT T1.Fname, StuID {STUDENT_PETS}", {"t3": "t1"}),  # ambiguous: both holders count as used
    ],
)
def test_unused_repeats(sql, unused):
    select = parse(sql)
    assert unused_repeats(select, tree_of(select)) == unused


@pytest.mark.parametrize(
    "sql, expected",
    [
        (f"SELECT T1.Fname {STUDENT_PETS}", False),
        (f"SELECT count(*) {STUDENT_PETS}", True),
        (f"SELECT T1.Fname {STUDENT_PETS} GROUP BY T1.Fname", True),
        (f"SELECT T1.Fname {STUDENT_PETS} ORDER BY T1.Age LIMIT 1", True),
        (f"SELECT T1.Fname {STUDENT_PETS} LIMIT 2", False),
        # An aggregate inside a subquery summarises that subquery, not this SELECT.
        ("SELECT Fname FROM Student WHERE Age > (SELECT avg(Age) FROM Student)", False),
    ],
)
def test_summarised(sql, expected):
    assert summarised(parse(sql)) is expected


@pytest.mark.parametrize(
    "sql, expected",
    [
        ("SELECT 1 LIMIT 1", True),
        ("SELECT 1 LIMIT 1 OFFSET 2", True),
        ("SELECT 1 LIMIT 10", False),
        ("SELECT 1", False),
    ],
)
def test_limit_one(sql, expected):
    assert limit_one(parse(sql)) is expected
