"""The few-shot stage: which trusted examples reach the SQL prompt, in what order, and what they may show."""

import json
import sqlite3

import numpy as np
import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette
from datasette_versions import DATASETTE_1

from datasette_llm.ask.conversation import sql_messages, sql_prefix
from datasette_llm.ask.few_shot import Shot, ShotPool, choose, rank, shown_sql
from datasette_llm.ask.pipeline import ask
from datasette_llm.ask.schema import PromptSchema
from datasette_llm.sql.results import SchemaInfo

SCHEMA = SchemaInfo(tables={"dogs": ("id", "name", "age", "owner_id"), "owners": ("id", "name")})
ALLOWED = {"dogs", "owners"}


def tokens(text):
    return (len(text) + 3) // 4


def shot(question, sql, ref=None):
    return Shot(question, sql, "example", ref)


def test_rank_puts_the_question_sharing_most_words_first_without_vectors():
    pool = ShotPool(
        [
            shot("How many owners are there?", "select count(*) from owners", 1),
            shot("What is the average age of dogs?", "select avg(age) from dogs", 2),
            shot("List the names of all dogs", "select name from dogs", 3),
        ]
    )
    ranked = rank(pool, "What is the average age of the dogs owned by Ana?", None)
    assert [s.ref for s in ranked] == [2, 3, 1]
    assert ranked[0].score > ranked[1].score > ranked[2].score == 0.0


def test_rank_adds_cosine_similarity_to_word_overlap():
    vectors = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    pool = ShotPool([shot("alpha", "select 1", 1), shot("beta", "select 2", 2)], vectors)
    ranked = rank(pool, "gamma", np.array([0.0, 1.0], dtype=np.float32))
    assert [s.ref for s in ranked] == [2, 1] and ranked[0].score == pytest.approx(1.0)


def test_ranking_keeps_nothing_of_the_questions_asked():
    """Every question asked was kept in a cache of 16,384 (about 70 KB for one of 2,000 characters, 1.2 GB
    full: an outside tester's memory oracle, session 28). Ranking 300 distinct long questions now leaves
    behind no more than a few hundred KB; the pool's own words are read once and kept with it."""
    import gc
    import random
    import tracemalloc

    pool = ShotPool([shot("How many owners are there?", "select count(*) from owners", 1)])
    rng = random.Random(5)

    def question():
        words = ("".join(rng.choice("abcdefghij") for _ in range(3)) for _ in range(500))
        return " ".join(words) + " \U0001f600"

    rank(pool, question(), None)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _ in range(300):
        ranked = rank(pool, question(), None)
    del ranked
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    kept = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert kept < 500_000, kept


def test_the_pool_words_follow_its_examples():
    pool = ShotPool([shot("dogs by age", "select 1", 1), shot("owners by name", "select 2", 2)])
    assert pool.without(lambda s: s.ref == 1).words() == pool.words()[1:]
    assert ShotPool([shot("owners by name", "select 2", 2)]).words() == pool.words()[1:]
    pool.words()
    assert pool.without(lambda s: s.ref == 2).words() == pool.words()[:1]


def test_pool_needs_one_vector_per_example():
    with pytest.raises(ValueError):
        ShotPool([shot("a", "select 1")], np.zeros((2, 3), dtype=np.float32))


def test_choose_refuses_what_the_guard_refuses_for_this_actor():
    ranked = [
        Shot("secret codes?", "select code from secret", "example", 1, 2.0),  # a table the actor may not see
        Shot("drop them", "drop table dogs", "example", 2, 1.9),
        Shot("ages?", "select age from dogs", "example", 3, 1.8),
        Shot("owner names?", "select nope from owners", "example", 4, 1.7),  # a column that does not exist
    ]
    chosen = choose(ranked, schema=SCHEMA, allowed=ALLOWED, count_tokens=tokens, budget_tokens=1000, limit=5)
    assert [s.ref for s in chosen] == [3]


def test_choose_keeps_to_the_limit_the_budget_and_the_minimum_score_and_skips_repeats():
    ranked = [
        Shot("a", "select name from dogs", "example", 1, 0.9),
        Shot("b", "SELECT  name\nFROM dogs;", "example", 2, 0.8),  # the same query, spaced differently
        Shot("c", "select id, name, age, owner_id from dogs where age > 3 order by age", "example", 3, 0.7),
        Shot("d", "select name from owners", "example", 4, 0.6),
        Shot("e", "select id from owners", "example", 5, 0.1),  # too unlike the question
    ]
    chosen = choose(ranked, schema=SCHEMA, allowed=ALLOWED, count_tokens=tokens, budget_tokens=20, limit=3)
    assert [s.ref for s in chosen] == [1, 4]  # 3 does not fit what is left of the budget; 4 does
    assert chosen[0].sql == "select name from dogs"
    chosen = choose(ranked, schema=SCHEMA, allowed=ALLOWED, count_tokens=tokens, budget_tokens=1000, limit=2)
    assert [s.ref for s in chosen] == [1, 3]
    chosen = choose(ranked, schema=SCHEMA, allowed=ALLOWED, count_tokens=tokens, budget_tokens=1000, limit=9)
    assert 5 not in [s.ref for s in chosen]


def test_examples_are_earlier_turns_after_the_cached_prefix_the_most_similar_last():
    schema = PromptSchema(database="pets", text="CREATE TABLE dogs (id INTEGER, name TEXT);", tables=("dogs",))
    plain = sql_messages(schema, "How many dogs?", ())
    shots = [
        Shot("Name the dogs", "select name from dogs", "example", 1, 0.9),
        Shot("Ids?", "select id", "example", 2, 0.5),
    ]
    taught = sql_messages(schema, "How many dogs?", (), shots)
    prefix = sql_prefix(schema)
    assert prefix and plain[1]["content"].startswith(prefix) and taught[1]["content"].startswith(prefix)
    assert plain[1]["content"].endswith("above.\nQuestion: How many dogs?") and len(plain) == 2
    assert [m["role"] for m in taught] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert taught[1]["content"].endswith("Question: Ids?") and taught[2]["content"] == "```sql\nselect id;\n```"
    assert taught[3]["content"].endswith("Question: Name the dogs") and "select name from dogs;" in taught[4]["content"]
    assert taught[5]["content"].endswith("Question: How many dogs?")


def test_a_follow_up_keeps_its_earlier_turns_after_the_examples():
    schema = PromptSchema(database="pets", text="CREATE TABLE dogs (id INTEGER, name TEXT);", tables=("dogs",))
    history = [{"question": "How many dogs?", "sql": "select count(*) from dogs"}]
    taught = sql_messages(schema, "and their names?", history, [Shot("Ids?", "select id", "example", 2, 0.5)])
    assert [m["role"] for m in taught] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert taught[3]["content"].endswith("Question: How many dogs?")
    assert "select count(*) from dogs" in taught[4]["content"]
    assert "follow-up" in taught[5]["content"] and taught[5]["content"].endswith("Question: and their names?")


@pytest.fixture
def db_path(tmp_path):
    return make_pets_db(tmp_path / "pets.db")


class KeywordEmbedder:
    """Unit vectors along 'age' or 'secret': enough to rank examples without loading a model."""

    name = "keywords"

    async def aembed(self, texts):
        return np.array([[1.0, 0.0] if "age" in text else [0.0, 1.0] for text in texts], dtype=np.float32)


@pytest.mark.asyncio
async def test_the_pipeline_shows_and_lists_only_examples_the_actor_may_see(db_path, monkeypatch):
    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: KeywordEmbedder())
    metadata = {"databases": {"pets": {"tables": {"secret": {"allow": False}}}}}
    datasette = Datasette([str(db_path)], metadata=metadata)
    pool = ShotPool(
        [
            shot("What is the secret code?", "select code from secret", 7),
            shot("What is the age of Rex?", "select age from dogs where name = 'Rex'", 8),
        ],
        np.array([[0.6, 0.8], [1.0, 0.0]], dtype=np.float32),  # the secret one would pass the minimum score
    )
    model = ScriptedModel([sql_reply("select age from dogs where name = 'Fido'")])
    result = await ask(datasette, "pets", "What is the age of Fido?", model=model, sql_only=True, examples=pool)
    shown = model.calls[0][2:]  # the turns after the schema prompt: the examples, then the question
    # Rex's example, kept, and (very like the question) shown again right before it; nothing else
    assert {m["content"] for m in shown if m["role"] == "assistant"} == {
        "```sql\nselect age from dogs where name = 'Rex';\n```"
    }
    assert shown[-1]["content"].endswith("What is the age of Fido?")
    assert "secret" not in "".join(m["content"] for m in shown) + model.calls[0][1]["content"].split("Question:")[-1]
    assert [e["id"] for e in result.to_json()["examples"]] == [8]


@pytest.mark.asyncio
async def test_a_question_whose_asker_may_see_no_example_is_not_embedded(db_path, monkeypatch):
    """Every example over a hidden table still had each of the asker's questions embedded, which no example at all
    did not: what the asker's request did depended on what they may not see (an outside tester's noninterference
    oracle, session 42)."""
    embedded = []

    class Counting(KeywordEmbedder):
        async def aembed(self, texts):
            embedded.append(list(texts))
            return await super().aembed(texts)

    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: Counting())
    metadata = {"databases": {"pets": {"tables": {"secret": {"allow": False}}}}}
    datasette = Datasette([str(db_path)], metadata=metadata)
    # as the store keeps one: the tables its SQL read when it was added (examples/check.py reads_text)
    stored = Shot("What is the secret code?", "select code from secret", "example", 7, names="[]", reads='["secret"]')
    hidden = ShotPool([stored], np.array([[0.6, 0.8]], dtype=np.float32))
    for pool in (hidden, ShotPool([])):
        model = ScriptedModel([sql_reply("select age from dogs where name = 'Fido'")])
        result = await ask(datasette, "pets", "What is the age of Fido?", model=model, sql_only=True, examples=pool)
        assert result.examples == () and len(model.calls[0]) == 2
    assert embedded == []


@pytest.mark.asyncio
async def test_no_examples_means_the_same_prompt_and_no_examples_listed(db_path):
    datasette = Datasette([str(db_path)])
    model = ScriptedModel([sql_reply("select count(*) from dogs")])
    result = await ask(datasette, "pets", "How many dogs?", model=model, sql_only=True, examples=ShotPool([]))
    assert result.examples == () and len(model.calls[0]) == 2


CANNED = {
    "dog_ages": {"sql": "select name, age from dogs order by age", "title": "Ages of the dogs"},
    "owner_ages": {"sql": "select name from owners", "title": "Ages of the owners", "allow": {"id": "admin"}},
    "by_name": {"sql": "select age from dogs where name = :name", "title": "Age of a dog by name"},
    "secret_ages": {"sql": "select code from secret", "title": "Ages of the secret codes"},
}


def datasette_with_canned_queries(db_path):
    """Canned queries in metadata (0.65) or config (1.0); the `secret` table is hidden from everyone but admin."""
    database = {"queries": CANNED, "tables": {"secret": {"allow": {"id": "admin"}}}}
    if DATASETTE_1:
        return Datasette([str(db_path)], config={"databases": {"pets": database}})
    return Datasette([str(db_path)], metadata={"databases": {"pets": database}})


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("actor", "expected"),
    [(None, ["dog_ages"]), ({"id": "admin"}, ["dog_ages", "owner_ages", "secret_ages"])],
)
async def test_canned_queries_are_examples_only_for_actors_who_may_see_them(db_path, monkeypatch, actor, expected):
    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: KeywordEmbedder())
    datasette = datasette_with_canned_queries(db_path)
    model = ScriptedModel([sql_reply("select name, age from dogs")])
    result = await ask(datasette, "pets", "What are the ages?", actor=actor, model=model, sql_only=True)
    used = sorted(e["id"] for e in result.examples)
    assert used == expected and {e["source"] for e in result.examples} == {"canned"}
    examples = "".join(m["content"] for m in model.calls[0][2:]) + model.calls[0][1]["content"].split("Question:")[-1]
    assert ":name" not in examples  # a query with parameters answers no question as it stands
    assert ("secret" in examples) == (actor is not None)


def teaching_datasette(db_path):
    """Anyone may teach (`allow_teach: true`)."""
    blocks = {"plugins": {"datasette-llm": {"allow_teach": True}}}
    return Datasette([str(db_path)], **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}))


@pytest.mark.asyncio
async def test_stored_examples_guide_ask_and_one_the_schema_no_longer_fits_is_set_aside_and_said(db_path, monkeypatch):
    from datasette_llm.config import load_settings
    from datasette_llm.examples.store import ExampleStore

    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: KeywordEmbedder())
    store = ExampleStore.for_settings(load_settings({}))
    kept = store.add(
        "pets", "What is the age of Rex?", "select age from dogs where name = 'Rex'", added_by="t", schema_hash="old"
    )
    gone = store.add(
        "pets", "What is the age of the cats?", "select age from cats", added_by="t", schema_hash="old", names='["age"]'
    )
    model = ScriptedModel([sql_reply("select age from dogs where name = 'Fido'")])
    result = await ask(teaching_datasette(db_path), "pets", "What is the age of Fido?", model=model, sql_only=True)
    assert [e["id"] for e in result.examples] == [kept.id]
    assert any("1 trusted example no longer fit" in note for note in result.notes)
    assert store.get("pets", gone.id).status == "set_aside" and store.get("pets", kept.id).status == "active"


def test_the_prompt_shows_an_examples_sql_without_its_comments():
    sql = "select name -- the secret table\nfrom cats /* launch_code */ where name = '-- kept' ;"
    assert shown_sql(sql) == "select name from cats where name = '-- kept'"


@pytest.mark.asyncio
async def test_an_example_whose_text_names_a_hidden_table_reaches_only_those_who_may_see_it(db_path, monkeypatch):
    """A teacher who may see `secret` used its name (and its column `code`) as aliases: that example never goes
    into the prompt of an actor who may not see them. One who may not see them wrote the same words in theirs:
    their names were not kept (they did not see them), so it is used, as an example with any made-up alias is."""
    from datasette_llm.config import load_settings
    from datasette_llm.examples.check import add_example
    from datasette_llm.examples.store import ExampleStore

    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: KeywordEmbedder())
    datasette = datasette_with_canned_queries(db_path)
    store = ExampleStore.for_settings(load_settings({}))
    admins = await add_example(
        datasette,
        "pets",
        "What are the ages of the dogs?",
        "select age as secret, name as code from dogs",
        actor={"id": "admin"},
        store=store,
    )
    anyones = await add_example(
        datasette,
        "pets",
        "What are the ages of the dogs, oldest first?",
        "select age as secret from dogs order by age desc",
        actor=None,
        store=store,
    )
    for actor, expected in ((None, [anyones.id]), ({"id": "admin"}, sorted([admins.id, anyones.id]))):
        model = ScriptedModel([sql_reply("select name, age from dogs")])
        result = await ask(datasette, "pets", "What are the ages of the dogs?", actor=actor, model=model, sql_only=True)
        used = sorted(e["id"] for e in result.examples if e["source"] == "example")
        assert used == expected
        prompt = "".join(m["content"] for m in model.calls[0])
        assert ("name as code" in prompt) == (actor is not None)


@pytest.mark.asyncio
async def test_a_question_the_examples_make_fail_is_written_again_without_them(db_path, monkeypatch):
    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: KeywordEmbedder())
    datasette = Datasette([str(db_path)])
    pool = ShotPool(
        [shot("What is the age of Rex?", "select age from dogs where name = 'Rex'", 8)],
        np.array([[1.0, 0.0]], dtype=np.float32),
    )
    bad = sql_reply("select agee from dogs where name = 'Fido'")
    model = ScriptedModel([bad, bad, bad, sql_reply("select age from dogs where name = 'Fido'")])
    result = await ask(
        datasette, "pets", "What is the age of Fido?", model=model, sql_only=True, examples=pool, attempts=2
    )
    assert result.error is None and [list(row) for row in result.rows] == [[3]]
    with_examples, without = model.calls[0], model.calls[-1]
    assert "select age from dogs where name = 'Rex'" in "".join(m["content"] for m in with_examples)
    assert len(without) == 2 and "name = 'Rex'" not in "".join(m["content"] for m in without)
    assert result.examples == ()
    assert any("written again without examples" in note for note in result.notes)


# Queries of "Which dogs belong to Ana?" over pets.db: a JOIN off the keys, a table joined to itself on its key
# (both doubted: ask/repairs/logic_checks), and two that raise no doubt.
OFF_KEYS = "select dogs.name from dogs join owners on dogs.id = owners.id where owners.name = 'Ana'"
ITSELF = "select a.name from owners as a join owners as b on a.id = b.id where a.name = 'Ana'"
ON_KEYS = "select dogs.name from dogs join owners on dogs.owner_id = owners.id where owners.name = 'Ana'"
NESTED = "select name from dogs where owner_id = (select id from owners where name = 'Ana')"


@pytest.mark.parametrize(
    "with_examples, without, stands",
    [
        ((OFF_KEYS, OFF_KEYS), (ON_KEYS,), "without"),
        ((OFF_KEYS, ITSELF), (NESTED,), "without"),
        ((ITSELF, ITSELF), (OFF_KEYS, ON_KEYS), "without"),  # the one without mended when sent back: no doubt left
        ((ITSELF, ITSELF), (OFF_KEYS, OFF_KEYS), "with"),  # doubted both ways: the examples' query stands
        ((ITSELF, OFF_KEYS), tuple(f"select q from nowhere{n}" for n in range(3)), "with"),  # none valid without
        ((ON_KEYS,), (), "with"),  # no doubt: nothing is written again
        ((OFF_KEYS, NESTED), (), "with"),  # the doubt sent back was mended with the examples
    ],
)
@pytest.mark.asyncio
async def test_a_query_the_examples_leave_doubted_is_written_again_without_them(
    db_path, monkeypatch, with_examples, without, stands
):
    """The examples' breaks on Spider were forms copied where they do not fit (a JOIN off the keys), which the
    doubts flag and the model kept when sent back once (docs/measurements.md, session 52). A query written with
    examples that still stands with a doubt is written again without them, and that one stands when no doubt
    remains about it. Oracle: which query's rows come back (SQLite's), the prompts the model was sent, the notes."""
    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: KeywordEmbedder())
    datasette = Datasette([str(db_path)])
    example = "select dogs.name from dogs join owners on dogs.owner_id = owners.id where owners.name = 'Ben'"
    pool = ShotPool([shot("Which dogs belong to Ben?", example, 8)], np.array([[1.0, 0.0]], dtype=np.float32))
    model = ScriptedModel([sql_reply(sql) for sql in with_examples + without])
    result = await ask(datasette, "pets", "Which dogs belong to Ana?", model=model, sql_only=True, examples=pool)
    assert not model.replies  # every query scripted was asked for, no more
    expected = without[-1] if stands == "without" else with_examples[-1]
    conn = sqlite3.connect(db_path)
    assert sorted(result.rows) == sorted(conn.execute(expected).fetchall())
    conn.close()
    assert result.sql.lower().startswith(expected.lower())
    written_again = [note for note in result.notes if "looked wrong" in note and "without examples" in note]
    doubted = [note for note in result.notes if note.startswith("warning:") and "the result may be wrong" in note]
    if stands == "without":
        assert written_again and not doubted and result.examples == ()
        assert example not in "".join(m["content"] for m in model.calls[-1])
        assert example in "".join(m["content"] for m in model.calls[0])
    else:
        assert not written_again and [e["id"] for e in result.examples] == [8]
        assert bool(doubted) == (with_examples[-1] in (OFF_KEYS, ITSELF))


@pytest.mark.asyncio
async def test_without_examples_a_failing_question_is_not_written_twice(db_path):
    datasette = Datasette([str(db_path)])
    bad = sql_reply("select agee from dogs")
    model = ScriptedModel([bad, bad, bad])
    result = await ask(datasette, "pets", "How old?", model=model, sql_only=True, examples=ShotPool([]), attempts=2)
    assert result.error and "after 2 attempts" in result.error
    assert len(model.calls) == 3 and not model.replies


def test_examples_of_hidden_tables_never_take_the_places_of_visible_ones():
    """However many examples of tables the actor may not see rank above theirs, the actor's prompt gets the same
    examples as from a store without them (an outside tester found 60 such examples emptied an asker's list)."""
    visible = [Shot("ages of dogs?", "select age from dogs", "example", 1, 0.9, names='["age", "dogs"]')]
    hidden = [
        Shot(
            f"ages of dogs secret {i}?",
            f"select code from secret where id = {i}",
            "example",
            100 + i,
            1.5,
            '["secret"]',
        )
        for i in range(200)
    ]
    for pool in (visible, hidden + visible):
        chosen = choose(pool, schema=SCHEMA, allowed=ALLOWED, count_tokens=tokens, budget_tokens=1000, limit=3)
        assert [s.ref for s in chosen] == [1]


@pytest.mark.asyncio
@pytest.mark.parametrize(("actor", "told"), [(None, None), ({"id": "bob"}, 1), ({"id": "admin"}, 1)])
async def test_only_a_teacher_hears_of_examples_set_aside_and_only_of_those_they_may_see(
    db_path, monkeypatch, actor, told
):
    """A hidden table's change sets its examples aside: the count reaches only teachers, and only of examples
    the examples page shows them (an outside tester learnt of a hidden table's change as an asker). A name dropped
    since is one only the example's author is shown: whether others could see it is not known any more."""
    import sqlite3

    from datasette_llm.config import load_settings
    from datasette_llm.examples.check import add_example
    from datasette_llm.examples.store import ExampleStore

    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: KeywordEmbedder())
    with sqlite3.connect(db_path) as conn:
        conn.execute("create table cats (id integer primary key, name text, lives integer)")
    plugin = {"datasette-llm": {"allow_teach": {"id": ["admin", "bob"]}}}
    blocks = {"plugins": plugin, "databases": {"pets": {"tables": {"secret": {"allow": {"id": "admin"}}}}}}
    datasette = Datasette([str(db_path)], **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}))
    store = ExampleStore.for_settings(load_settings({}))
    await add_example(datasette, "pets", "Codes?", "select code from secret", actor={"id": "admin"}, store=store)
    await add_example(datasette, "pets", "Lives?", "select lives from cats", actor={"id": "bob"}, store=store)
    with sqlite3.connect(db_path) as conn:
        conn.execute("alter table secret drop column code")
        conn.execute("alter table cats drop column lives")
    model = ScriptedModel([sql_reply("select name from dogs")])
    result = await ask(datasette, "pets", "Names of dogs?", actor=actor, model=model, sql_only=True)
    notes = [note for note in result.notes if "set aside" in note]
    if told is None:
        assert notes == []
    else:
        assert len(notes) == 1 and notes[0].startswith(f"{told} trusted example")


def test_an_examples_score_does_not_depend_on_the_other_examples():
    """Which of two tied examples came first told an asker which hidden examples exist: a matrix product rounds
    a row's score differently with the number and place of the other rows (an outside tester, session 18)."""
    rng = np.random.default_rng(1)
    question = rng.standard_normal(384).astype(np.float32)
    question /= np.linalg.norm(question)
    mine = rng.standard_normal(384).astype(np.float32)
    mine /= np.linalg.norm(mine)
    scores = set()
    for others in range(0, 120, 7):
        vectors = rng.standard_normal((others, 384)).astype(np.float32)
        for place in {0, others // 2, others}:
            stacked = np.insert(vectors, place, mine, axis=0)
            shots = [Shot(f"other {n}", "select 1", "example", n) for n in range(len(stacked))]
            shots[place] = Shot("mine", "select 2", "example", "mine")
            ranked = rank(ShotPool(shots, stacked), "mine", question)
            scores.add(next(shot.score for shot in ranked if shot.ref == "mine"))
    assert len(scores) == 1, scores


@pytest.mark.asyncio
async def test_a_question_waits_for_a_long_recheck_only_briefly_and_uses_no_broken_example(db_path, monkeypatch):
    """After a schema change, 1,500 examples took 27 s to check again, and every question waited for it (an
    outside tester, session 18). A question now waits RECHECK_WAIT_SECONDS at most; an example the change broke
    is still never used, and the re-check carries on for the examples page."""
    import asyncio
    import time

    from datasette_llm.ask import few_shot_pool
    from datasette_llm.config import load_settings
    from datasette_llm.examples import check
    from datasette_llm.examples.store import ExampleStore

    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: KeywordEmbedder())
    store = ExampleStore.for_settings(load_settings({}))
    checked = {"added_by": "t", "reads": '["dogs"]', "names": '["age", "dogs", "name"]'}
    kept = store.add(
        "pets", "What is the age of Rex?", "select age from dogs where name = 'Rex'", schema_hash="old", **checked
    )
    broken = store.add(
        "pets", "What is the age of Rex the dog?", "select years from dogs", schema_hash="old", **checked
    )
    monkeypatch.setattr(few_shot_pool, "RECHECK_WAIT_ALWAYS", 1)  # a big store: two examples stand in for 1,500
    real = check.check_select_off_loop

    async def slow(sql, schema, **kwargs):
        await asyncio.sleep(1.0 + few_shot_pool.RECHECK_WAIT_SECONDS)
        return await real(sql, schema, **kwargs)

    monkeypatch.setattr(check, "check_select_off_loop", slow)
    model = ScriptedModel([sql_reply("select age from dogs where name = 'Fido'")])
    started = time.perf_counter()
    result = await ask(teaching_datasette(db_path), "pets", "What is the age of Fido?", model=model, sql_only=True)
    assert time.perf_counter() - started < few_shot_pool.RECHECK_WAIT_SECONDS + 0.9  # not 2 s: the two checks
    assert [e["id"] for e in result.examples] == [kept.id]  # `years` is no column of dogs: never in a prompt
    for _ in range(80):  # the re-check goes on without the question
        if store.get("pets", broken.id).status == "set_aside":
            break
        await asyncio.sleep(0.1)
    assert store.get("pets", broken.id).status == "set_aside"


def _garbage(path):
    path.write_bytes(b"not a database at all" * 100)


def _directory(path):
    path.mkdir()


def _another_programs(path):
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.execute("create table notes (x)")
    conn.close()


def _newer(path):
    import sqlite3

    from datasette_llm.examples.store import APPLICATION_ID

    with sqlite3.connect(path) as conn:
        conn.execute(f"pragma application_id = {APPLICATION_ID}")
        conn.execute("pragma user_version = 99")
    conn.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("damage", [_garbage, _directory, _another_programs, _newer])
async def test_a_store_that_cannot_be_read_leaves_the_examples_out_and_the_question_is_answered(db_path, damage):
    """An outside tester's damaged, foreign or newer store made every question a 500 for every visitor (session
    19): the question is answered without the trusted examples, says so, and does not show the store's path."""
    from datasette_llm.config import load_settings
    from datasette_llm.examples.state import state_dir

    path = state_dir(load_settings({})) / "examples.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    damage(path)
    model = ScriptedModel([sql_reply("select name from dogs")])
    result = await ask(teaching_datasette(db_path), "pets", "Which dogs are there?", model=model, sql_only=True)
    assert result.error is None and result.sql.startswith("select name from dogs")
    assert list(result.examples) == []
    assert "the trusted examples could not be read, so none were used" in result.notes
    assert str(path.parent) not in " ".join(result.notes)


@pytest.mark.asyncio
@pytest.mark.parametrize("failure", ["read-only", "disk full"])
async def test_a_store_that_cannot_be_written_still_guides_the_question(db_path, monkeypatch, failure):
    """A read-only or locked store, or a full disk: its examples are still read and used (checked against the
    schema of now) though the outcome of checking them again, their names and their vectors cannot be saved. A
    full disk failed every question with a 507 (an outside tester, session 36)."""
    from datasette_llm.config import load_settings
    from datasette_llm.errors import StoreFull
    from datasette_llm.examples.store import ExampleStore, ExampleStoreError

    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: KeywordEmbedder())
    store = ExampleStore.for_settings(load_settings({}))
    rex = "select age from dogs where name = 'Rex'"
    kept = store.add("pets", "What is the age of Rex?", rex, added_by="t", schema_hash="old", names="[]")
    max_sql = "select age from dogs where name = 'Max'"
    never_named = store.add("pets", "What is the age of Max?", max_sql, added_by="t", schema_hash="old")

    def read_only(*args, **kwargs):
        if failure == "disk full":
            raise StoreFull("The examples store could not be written: the disk is full.")
        raise ExampleStoreError("The examples store could not be used: attempt to write a readonly database.")

    for method in ("set_checked_many", "set_checks", "save_vector", "save_vectors"):
        monkeypatch.setattr(ExampleStore, method, read_only)
    model = ScriptedModel([sql_reply("select age from dogs where name = 'Fido'")])
    result = await ask(teaching_datasette(db_path), "pets", "What is the age of Fido?", model=model, sql_only=True)
    assert result.error is None
    # the one whose names were never recorded gets them for this question, unsaved (it was left out before session 51)
    assert sorted(e["id"] for e in result.examples) == sorted([kept.id, never_named.id])
    assert store.get("pets", never_named.id).names is None


@pytest.mark.asyncio
async def test_a_store_locked_by_another_process_delays_a_question_a_second_at_most(db_path, monkeypatch):
    import sqlite3
    import time

    from datasette_llm.config import load_settings
    from datasette_llm.examples.store import ExampleStore

    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: KeywordEmbedder())
    store = ExampleStore.for_settings(load_settings({}))
    rex = "select age from dogs where name = 'Rex'"
    kept = store.add("pets", "What is the age of Rex?", rex, added_by="t", schema_hash="old", names="[]")
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("begin immediate")  # another process writing, for longer than a question should wait
    try:
        model = ScriptedModel([sql_reply("select age from dogs where name = 'Fido'")])
        started = time.perf_counter()
        result = await ask(teaching_datasette(db_path), "pets", "What is the age of Fido?", model=model, sql_only=True)
        waited = time.perf_counter() - started
    finally:
        holder.execute("rollback")
        holder.close()
    assert result.error is None and [e["id"] for e in result.examples] == [kept.id]
    assert waited < 8  # the store's own writers wait 10 s; a question's writes are a cache (about 1 s a write)


@pytest.mark.asyncio
async def test_a_query_longer_than_the_model_may_write_is_sent_back_unchecked(db_path):
    """Checking and mending a query is pure Python in the server's process: an outside tester's model wrote chains
    of 280 CTEs, and four at once held Datasette's own pages 5.8 s (session 19). A query over the cap is sent
    back to the model with its length, before any parsing."""
    from datasette_llm.sql.replies import MAX_SQL_CHARS

    long_sql = "select name from dogs where " + " or ".join(f"age = {n}" for n in range(MAX_SQL_CHARS // 8))
    assert len(long_sql) > MAX_SQL_CHARS
    model = ScriptedModel([sql_reply(long_sql), sql_reply("select name from dogs")])
    result = await ask(teaching_datasette(db_path), "pets", "Which dogs?", model=model, sql_only=True)
    assert result.error is None and result.sql.startswith("select name from dogs") and len(result.sql) < 100
    assert result.attempts[0].error_kind == "too_long" and "characters long" in result.attempts[0].error


@pytest.mark.parametrize("kept", [False, True])
def test_the_guard_never_reads_an_example_too_long_for_what_is_left_of_the_budget(monkeypatch, kept):
    """An outside tester (session 22): 50 examples of 16,000-character SQL, too long for any budget, each went
    through the guard (0.3-0.6 s) before its cost was counted, and every question waited 14-30 s."""
    from datasette_llm.ask.few_shot import standing
    from datasette_llm.examples.check import AskerView

    guarded = []
    passes = AskerView.passes_guard
    monkeypatch.setattr(AskerView, "passes_guard", lambda self, sql: guarded.append(sql) or passes(self, sql))
    long_sql = "select name from dogs where " + " or ".join(f"age = {n}" for n in range(2_000))
    short = Shot("ages of dogs?", "select age from dogs", "example", 99, 0.8, names='["age", "dogs"]')
    huge = [Shot(f"dogs {n}?", long_sql + f" or id = {n}", "example", n, 0.9, names='["dogs"]') for n in range(40)]
    if kept:
        result = standing(
            ShotPool([short] + huge), schema=SCHEMA, allowed=ALLOWED, count_tokens=tokens, budget_tokens=200
        )
    else:
        result = choose(huge + [short], schema=SCHEMA, allowed=ALLOWED, count_tokens=tokens, budget_tokens=200, limit=3)
    assert [s.ref for s in result] == [99]
    assert guarded == ["select age from dogs"]


@pytest.mark.asyncio
async def test_what_a_question_read_of_the_store_serves_the_next_only_until_someone_writes(db_path, monkeypatch):
    """The examples a question read are kept for the next questions (every question reading 5,000 examples cost
    it 0.3 s), but an example another process adds or removes, or sets aside, counts from the next question on."""
    import sqlite3

    from datasette_llm.config import load_settings
    from datasette_llm.examples.check import database_schema, schema_hash
    from datasette_llm.examples.store import ExampleStore

    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: KeywordEmbedder())
    with sqlite3.connect(db_path) as conn:
        current = schema_hash(database_schema(conn))
    conn.close()
    datasette = teaching_datasette(db_path)
    store = ExampleStore.for_settings(load_settings({}))  # as the CLI, in another process, would
    rex = "select age from dogs where name = 'Rex'"
    first = store.add("pets", "What is the age of Rex?", rex, added_by="t", schema_hash=current, names="[]")

    async def shown():
        model = ScriptedModel([sql_reply("select age from dogs where name = 'Fido'")])
        result = await ask(datasette, "pets", "What is the age of Fido?", model=model, sql_only=True)
        return [e["id"] for e in result.examples]

    assert await shown() == [first.id]
    assert await shown() == [first.id]
    second = store.add("pets", "What is the age of Max?", rex.replace("Rex", "Max"), added_by="t", schema_hash=current)
    assert sorted(await shown()) == [first.id, second.id]
    store.remove("pets", first.id)
    assert await shown() == [second.id]
    store.set_checked(second.id, schema_hash=current, status="set_aside", reason="by hand")
    assert await shown() == []


@pytest.mark.asyncio
async def test_a_store_replaced_at_the_same_path_is_read_again(db_path, monkeypatch):
    """An outside tester (session 23): examples.db deleted and imported again up to the same count of writes,
    and the server went on showing the removed examples. Each store's count starts at a random number."""
    import sqlite3

    from datasette_llm.config import load_settings
    from datasette_llm.examples.check import database_schema, schema_hash
    from datasette_llm.examples.store import ExampleStore

    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: KeywordEmbedder())
    with sqlite3.connect(db_path) as conn:
        current = schema_hash(database_schema(conn))
    conn.close()
    datasette = teaching_datasette(db_path)

    async def shown():
        model = ScriptedModel([sql_reply("select age from dogs where name = 'Fido'")])
        result = await ask(datasette, "pets", "What is the age of Fido?", model=model, sql_only=True)
        return [e["question"] for e in result.examples]

    questions = []
    for name in ("Rex", "Max"):
        store = ExampleStore.for_settings(load_settings({}))
        for path in store.path.parent.glob("examples.db*"):
            path.unlink()
        sql = f"select age from dogs where name = '{name}'"
        example = store.add("pets", f"What is the age of {name}?", sql, added_by="t", schema_hash=current, names="[]")
        store.save_vectors([(example.id, np.array([1.0, 0.0], dtype=np.float32).tobytes())], "keywords")
        questions.append(await shown())
        questions.append(await shown())
    assert questions == [["What is the age of Rex?"]] * 2 + [["What is the age of Max?"]] * 2


@pytest.mark.asyncio
async def test_a_restored_backup_written_to_as_often_is_read_again(db_path, monkeypatch):
    """An outside tester (session 23): a backup restored and written to as many times as the live store had been
    since read as the store the server kept, and its removed example went on being shown."""
    import shutil
    import sqlite3

    from datasette_llm.config import load_settings
    from datasette_llm.examples.check import database_schema, schema_hash
    from datasette_llm.examples.store import ExampleStore

    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: KeywordEmbedder())
    with sqlite3.connect(db_path) as conn:
        current = schema_hash(database_schema(conn))
    conn.close()
    datasette = teaching_datasette(db_path)
    store = ExampleStore.for_settings(load_settings({}))
    vector = np.array([1.0, 0.0], dtype=np.float32).tobytes()

    def add(name):
        sql = f"select age from dogs where name = '{name}'"
        example = store.add("pets", f"What is the age of {name}?", sql, added_by="t", schema_hash=current, names="[]")
        store.save_vectors([(example.id, vector)], "keywords")
        return example

    async def shown():
        model = ScriptedModel([sql_reply("select age from dogs where name = 'Fido'")])
        result = await ask(datasette, "pets", "What is the age of Fido?", model=model, sql_only=True)
        return sorted(e["question"] for e in result.examples)

    bad = add("Rex")
    with sqlite3.connect(store.path) as conn:
        conn.execute("pragma wal_checkpoint(truncate)")
    conn.close()
    shutil.copy(store.path, store.path.with_name("backup.db"))
    add("Max")  # two writes on the live store
    assert await shown() == ["What is the age of Max?", "What is the age of Rex?"]
    for path in store.path.parent.glob("examples.db-*"):
        path.unlink()
    shutil.copy(store.path.with_name("backup.db"), store.path)  # restored, then written to twice
    store.remove("pets", bad.id)
    store.add("pets", "What is the age of Bella?", "select age from dogs where name = 'Bella'", added_by="t",
              schema_hash=current, names="[]")  # fmt: skip
    assert await shown() == ["What is the age of Bella?"]


@pytest.mark.skipif(DATASETTE_1, reason="Datasette 1.0 itself fails to store such a query (in SQLite)")
@pytest.mark.asyncio
async def test_a_canned_query_that_is_not_text_breaks_no_question(db_path):
    """An outside tester (session 35): a canned query whose title held a lone surrogate (a configuration can hold
    "\\ud800") failed every question of the database: its title could not be sent to the embedding model."""
    from datasette_llm.permissions import visible_canned_queries

    queries = {
        "odd_title": {"sql": "select name from dogs", "title": "Dogs \ud800 by name", "description": "x\udfff"},
        "odd_sql": {"sql": "select name from dogs where name = '\ud800'", "title": "Odd"},
    }
    datasette = Datasette([str(db_path)], metadata={"databases": {"pets": {"queries": queries}}})
    found = await visible_canned_queries(datasette, None, "pets")
    assert [q["name"] for q in found] == ["odd_title"]
    for query in found:
        json.dumps(query, ensure_ascii=False).encode("utf-8")  # every text a model may be sent
