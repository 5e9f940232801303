"""Identifiers and questions compared word by word: how names split and how loosely words are stemmed."""

import pytest

from datasette_llm.ask.repairs.name_words import identifier_words, question_stems, stem
from datasette_llm.ask.repairs.unasked_joins import drop_unasked_joins
from datasette_llm.sql.join_links import Link

pytestmark = pytest.mark.no_datasette


@pytest.mark.parametrize(
    "name, words",
    [
        ("SourceAirport", ["source", "airport"]),
        ("Student_Enrolment_Courses", ["student", "enrolment", "courses"]),
        ("singer_in_concert", ["singer", "in", "concert"]),
        ("pet_age", ["pet", "age"]),
        ("PetID", ["pet", "id"]),  # a run of capitals is one word
        ("HTMLParser", ["html", "parser"]),  # ... up to the capital that starts the next word
        ("ID", ["id"]),
        ("Year2010", ["year", "2010"]),  # digits are a word of their own
        ("__x__", ["x"]),  # underscores only separate
        ("", []),
    ],
)
def test_identifier_words(name, words):
    assert identifier_words(name) == words


@pytest.mark.parametrize(
    "word, stemmed",
    [
        # More than five letters: the first five, so endings and plurals meet.
        ("concert", "conce"),
        ("concerts", "conce"),
        ("enrolment", "enrol"),
        ("enrolled", "enrol"),
        ("airport", "airpo"),
        ("classes", "class"),
        # Five letters: a plural loses its -s, so it meets its four-letter singular; -ss is no plural.
        ("teams", "team"),
        ("names", "name"),  # only the -s: "name" keeps its e
        ("class", "class"),
        ("stage", "stage"),
        # Shorter: without a final -s or -es.
        ("dogs", "dog"),
        ("pets", "pet"),
        ("ages", "ag"),  # -es goes before -s is tried
        ("pet", "pet"),
        ("bus", "bu"),  # loose, not correct English: "bus" and "bu" meet
        ("id", "id"),
    ],
)
def test_stem(word, stemmed):
    assert stem(word) == stemmed


def test_a_concert_table_is_named_by_concerts_and_enrolment_by_enrolled():
    assert stem("concert") in question_stems("How many concerts were there in 2014?")
    assert stem("enrolment") in question_stems("Which students enrolled in two courses?")
    assert stem("pet") in question_stems("Who owns PETS?")  # case does not matter


def test_an_unrelated_word_does_not_match():
    assert stem("concert") not in question_stems("How many singers are there?")
    assert stem("stadium") not in question_stems("Which stage is the largest?")


def test_question_stems_keep_order_and_drop_digits_and_punctuation():
    assert question_stems("How many concerts are there?") == ["how", "many", "conce", "are", "there"]
    assert question_stems("Which students ENROLLED in 2010?") == ["which", "stude", "enrol", "in"]
    assert question_stems("Dogs, classes, bus!") == ["dog", "class", "bu"]
    assert question_stems("") == []


def test_a_possessive_s_leaves_no_stem():
    # "What's" splits into "what" and "s"; "s" stems to nothing, and an empty stem is left out.
    assert question_stems("What's the pets' average age?") == ["what", "the", "pet", "avera", "age"]


@pytest.mark.parametrize(
    "singular, plural", [("team", "teams"), ("song", "songs"), ("year", "years"), ("dog", "dogs"), ("store", "stores")]
)
def test_a_word_and_its_plural_meet(singular, plural):
    assert stem(singular) == stem(plural)


def test_a_join_with_a_table_the_question_names_in_the_plural_is_kept():
    sql = "SELECT T1.name FROM player AS T1 JOIN team AS T2 ON T1.id = T2.player_id"
    columns = {"player": ("id", "name"), "team": ("id", "player_id", "name")}
    links = (Link("team", "player_id", "player", "id"),)
    assert drop_unasked_joins(sql, "Which players are in teams?", columns, links) is None
    assert drop_unasked_joins(sql, "Which players are there?", columns, links) is not None
