"""An answer's shown numbers given to the wrong thing (datasette_llm/ask/attribution.py).

The real cases come from an outside tester's run of the real default model (session 29, /tmp/attack29): the
model's SQL, the rows it was shown and its answer, as they were. The generated tests build tables and answers
whose pairings are right or wrong by construction, so the oracle is the construction, not the check.
"""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from datasette_llm.ask.attribution import (
    attribution_warnings,
    filtered_names,
    numbers_of_other_rows,
    unlabelled_pairings,
)
from datasette_llm.context import fit_rows

pytestmark = pytest.mark.no_datasette


def shown(columns, rows) -> str:
    return fit_rows(columns, rows, count_tokens=len, budget_tokens=100_000).text


TWO_PRICES = (
    "SELECT price FROM products WHERE name = 'Delta Blender X4491' UNION ALL "
    "SELECT price FROM products WHERE name = 'Indigo Kettle' ORDER BY price DESC LIMIT 1"
)


def test_one_value_given_to_two_names_the_rows_never_show():
    text = shown(["price"], [(92241.03,)])
    answer = (
        "The price of Delta Blender X4491 is $92,241.03, and the price of Indigo Kettle is also $92,241.03. "
        "Therefore, they are equally expensive."
    )
    assert unlabelled_pairings(answer, TWO_PRICES, text, 1) == ["Delta Blender X4491", "Indigo Kettle"]
    assert attribution_warnings(answer, TWO_PRICES, text, "Which is more expensive?", 1) == (
        "The rows do not say which of “Delta Blender X4491” and “Indigo Kettle” each value belongs to (the "
        "query did not return the column that names them); how the answer pairs values with names is the "
        "model's guess.",
    )


def test_unlabelled_rows_paired_with_names_in_order():
    sql = "SELECT founded FROM cities WHERE name IN ('Ravenville', 'Kestrelville', 'Saffronford')"
    text = shown(["founded"], [(1659,), (1496,), (1467,)])
    answer = "Ravenville was founded in 1659, Kestrelville in 1496, and Saffronford in 1467."
    assert unlabelled_pairings(answer, sql, text, 3) == ["Ravenville", "Kestrelville", "Saffronford"]
    # with the names in the rows, the pairing is the database's
    sql = sql.replace("SELECT founded", "SELECT name, founded")
    text = shown(["name", "founded"], [("Ravenville", 1659), ("Kestrelville", 1496), ("Saffronford", 1467)])
    assert unlabelled_pairings(answer, sql, text, 3) == []
    assert attribution_warnings(answer, sql, text, "When were they founded?", 3) == ()


def test_a_negative_value_stated_without_its_sign_for_two_names():
    # the real model, given one row of -11792630 (B's population minus A's)
    sql = (
        "SELECT (SELECT population FROM cities WHERE name = 'Bravoburg') - population "
        "FROM cities WHERE name = 'Lumen Falls'"
    )
    text = shown(["d"], [(-11792630,)])
    answer = "Bravoburg has a population of 11,792,630, and Lumen Falls has a population of 11,792,630."
    assert unlabelled_pairings(answer, sql, text, 1) == ["Bravoburg", "Lumen Falls"]


def test_a_name_inside_a_columns_name_is_no_label():
    # a second outside tester (session 30), the real model on Chinook: Jazz's average given to Classical too
    sql = (
        "SELECT AVG(T1.Milliseconds) AS AverageLengthJazz, AVG(t1.Milliseconds) AS AverageLengthClassical "
        "FROM Track T1 JOIN Genre T2 ON T1.GenreId = T2.GenreId WHERE T2.Name = 'Jazz' UNION "
        "SELECT AVG(T1.Milliseconds), AVG(t1.Milliseconds) FROM Track T1 JOIN Genre T2 ON T1.GenreId = T2.GenreId "
        "WHERE T2.Name = 'Classical'"
    )
    rows = [(291755.38, 291755.38), (293867.57, 293867.57)]
    answer = (
        "The average length of Jazz tracks is 291,755.38 milliseconds, and the average length of Classical tracks "
        "is also 291,755.38 milliseconds."
    )
    text = shown(["AverageLengthJazz", "AverageLengthClassical"], rows)
    assert unlabelled_pairings(answer, sql, text, 2) == ["Jazz", "Classical"]
    labelled = shown(["genre", "average"], [("Jazz", 291755.38), ("Classical", 293867.57)])
    assert unlabelled_pairings(answer, sql, labelled, 2) == []


def test_one_of_several_unlabelled_rows_given_to_all_the_names_is_a_pairing():
    # the real model (session 30): two rows, one value each, the answer gives one of them to both tracks
    sql = "SELECT milliseconds FROM track WHERE name = 'Princess of the Dawn' OR name = 'Overdose'"
    text = shown(["Milliseconds"], [(375418,), (369319,)])
    answer = "The tracks Princess of the Dawn and Overdose are both 375,418 milliseconds long."
    assert unlabelled_pairings(answer, sql, text, 2) == ["Princess of the Dawn", "Overdose"]
    # one row, one number for both: a combined number, no pairing
    assert unlabelled_pairings(answer, sql, shown(["Milliseconds"], [(375418,)]), 1) == []


def test_one_number_given_to_each_name_is_a_pairing():
    # the same tester: 31 is the three artists' albums together (11, 10 and 10)
    sql = (
        "SELECT COUNT(*) FROM Album WHERE ArtistId IN (SELECT ArtistId FROM Artist WHERE Name IN "
        "('Deep Purple', 'U2', 'Metallica'))"
    )
    text = shown(["COUNT(*)"], [(31,)])
    answer = "Deep Purple, U2, and Metallica each have 31 albums."
    assert unlabelled_pairings(answer, sql, text, 1) == ["Deep Purple", "U2", "Metallica"]
    assert unlabelled_pairings("Deep Purple, U2, and Metallica have 31 albums in all.", sql, text, 1) == []


@pytest.mark.parametrize(
    "answer",
    [
        "The combined population of Tundraford and Jasperburg is 1,710,597.",  # one number for both
        "Tundraford and Jasperburg were founded 87 years apart.",
        "The price of Tundraford is 1,710,597.",  # one name
        "The two cities hold 1,710,597 and 87 people.",  # no name
    ],
)
def test_one_number_for_all_the_names_is_no_pairing(answer):
    sql = "SELECT SUM(population) FROM cities WHERE name IN ('Tundraford', 'Jasperburg')"
    assert unlabelled_pairings(answer, sql, shown(["n"], [(1710597,)]), 1) == []
    # from two unlabelled rows, a number stated for both names is one name's value given to both
    two = shown(["n"], [(1710597,), (87,)])
    if "Tundraford and Jasperburg" in answer:
        assert unlabelled_pairings(answer, sql, two, 2) == ["Tundraford", "Jasperburg"]


def test_rows_of_the_one_name_the_query_picked_are_that_names():
    sql = "SELECT amount FROM payments WHERE name = 'Ann'"
    text = shown(["amount"], [(512,), (768,)])
    assert unlabelled_pairings("Ann paid 512 and 768.", sql, text, 2) == []


def test_a_name_is_read_whole_where_a_shorter_name_starts_it():
    text = shown(["name", "price"], [("Delta", 5120), ("Delta Blender", 6144)])
    assert numbers_of_other_rows("The Delta Blender costs 6,144.", text, "q", (2, 2)) == []
    assert numbers_of_other_rows("The Delta costs 6,144.", text, "q", (2, 2)) == [("6,144", ["Delta"])]


def test_names_of_other_columns_are_not_one_filter():
    # two conditions on two columns: the rows are the ones both pick, not one per name
    sql = "SELECT count(*), sum(total) FROM sales WHERE region = 'North' AND status = 'paid'"
    text = shown(["count(*)", "sum(total)"], [(5, 300)])
    assert filtered_names(sql) == {"region": ["North"], "status": ["paid"]}
    assert unlabelled_pairings("North has 5 paid sales totalling 300.", sql, text, 1) == []


def test_filtered_names_read_from_tokens():
    sql = (
        "select a.price from products a where a.name = 'X' or 'Y' = a.name or name in ('Z', 'it''s', 3) "
        "union select 1 from t where other in (select 'no' from u)"
    )
    assert filtered_names(sql) == {"name": ["X", "Y", "Z", "it's"]}
    assert filtered_names("select 'unclosed") == {}


def test_a_number_beside_names_whose_rows_do_not_hold_it():
    # the model wrote "Umber Blender" for the shown "Ember Blender": its price stands beside two other names
    text = shown(
        ["name", "price"], [("Umber Clock Pro4738", 79733.58), ("Ember Blender", 32718.26), ("Umber Desk", 373.19)]
    )
    answer = (
        "The 3 most expensive products are Umber Clock Pro4738, Umber Blender, and Umber Desk, with prices of "
        "$79,733.58, $32,718.26, and $373.19 respectively."
    )
    question = "What are the 3 most expensive products and their prices?"
    assert numbers_of_other_rows(answer, text, question, (3, 3)) == [
        ("32,718.26", ["Umber Clock Pro4738", "Umber Desk"])
    ]
    right = answer.replace("Umber Blender", "Ember Blender")
    assert numbers_of_other_rows(right, text, question, (3, 3)) == []
    swapped = "Umber Desk and Umber Clock Pro4738 cost $79,733.58 and $373.19 respectively."
    assert numbers_of_other_rows(swapped, text, question, (3, 3)) == [
        ("79,733.58", ["Umber Desk"]),
        ("373.19", ["Umber Clock Pro4738"]),
    ]


def test_numbers_of_the_question_and_row_counts_are_not_attributed():
    text = shown(["name", "n"], [("Rock", 3), ("Jazz", 10)])
    assert numbers_of_other_rows("Rock has 10 albums.", text, "Which genre has 10 albums?", (2, 2)) == []
    assert numbers_of_other_rows("Rock has 10 albums.", text, "Which genre has most albums?", (2, 2)) == [
        ("10", ["Rock"])
    ]
    assert numbers_of_other_rows("Both of the 2 genres, Rock and Jazz, ...", text, "q", (2, 2)) == []


NAMES = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=4, max_size=9).map(str.title),
    min_size=2,
    max_size=6,
    unique_by=str.lower,
)


STATEMENTS = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=4)


@given(names=NAMES, data=st.data())
def test_generated_answers_warn_exactly_when_a_value_is_none_of_its_sentences_names(names, data):
    # Sentences (or lines) of statements "name: value", each value a name's own or another's; the oracle: a value
    # is warned of when no name of its sentence holds it, or, with "respectively", when the name paired with it in
    # order does not.
    values = data.draw(st.lists(st.integers(1000, 999_999), min_size=len(names), max_size=len(names), unique=True))
    rows = list(zip(names, values))
    text = shown(["name", "amount"], rows)
    units = data.draw(st.lists(STATEMENTS, max_size=5))
    units = [[(who % len(names), whose % len(names)) for who, whose in unit] for unit in units]
    written, wrong = [], []
    for unit in units:
        whos = list(dict.fromkeys(who for who, _ in unit))
        style = data.draw(st.sampled_from(["has", "colon", "respectively"]))
        if style == "respectively" and len(whos) >= 2:
            whoses = [dict(unit)[who] for who in whos]
            written.append(
                f"{', '.join(names[w] for w in whos)} have {', '.join(f'{values[w]:,}' for w in whoses)} respectively. "
            )
            wrong += [(f"{values[whose]:,}", [names[who]]) for who, whose in zip(whos, whoses) if who != whose]
            continue
        if style == "colon":
            written.append(", ".join(f"{names[who]}: ${values[whose]:,}" for who, whose in unit) + "\n")
        else:
            written.append(", and ".join(f"{names[who]} has {values[whose]:,}" for who, whose in unit) + ". ")
        wrong += [(f"{values[whose]:,}", [names[w] for w in whos]) for _, whose in unit if whose not in whos]
    answer = "".join(written)
    assert numbers_of_other_rows(answer, text, "What are the amounts?", (len(rows), len(rows))) == wrong


@given(names=NAMES, data=st.data())
def test_generated_unlabelled_rows_warn_when_the_answer_pairs_them(names, data):
    # Names the rows never show: "Amount" is the header's word, which labels (a CI run drew it, session 31).
    assume("amount" not in {name.lower() for name in names})
    values = data.draw(st.lists(st.integers(100, 99_999), min_size=len(names), max_size=len(names), unique=True))
    listed = ", ".join(f"'{name}'" for name in names)
    sql = f"SELECT amount FROM things WHERE name IN ({listed})"
    text = shown(["amount"], [(value,) for value in values])
    order = data.draw(st.permutations(range(len(names))))
    paired = " ".join(f"{names[i]} has {values[j]:,}." for i, j in zip(order, range(len(names))))
    assert unlabelled_pairings(paired, sql, text, len(values)) == [names[i] for i in sorted(order)]
    # the same rows stated without names, or the names with one number for all: no pairing
    assert unlabelled_pairings(" ".join(f"{v:,}." for v in values), sql, text, len(values)) == []
    total = shown(["total"], [(sum(values),)])
    together = f"{' and '.join(names)} have {sum(values):,} in all."
    assert unlabelled_pairings(together, sql.replace("SELECT amount", "SELECT SUM(amount)"), total, 1) == []
