"""Warm before the first visitor, never in a visitor's way; answers read rows for a bounded time."""

import os
import threading
import time

import pytest
import sqlite_utils
from ask_helpers import ScriptedModel, StopsAtMaxTokens, sql_reply
from datasette.app import Datasette

from datasette_llm.ask import prompts, warm_up
from datasette_llm.ask.answer import ANSWER_LIST_ROWS, answer_row_budget
from datasette_llm.ask.pipeline import ask
from datasette_llm.config import load_settings


@pytest.fixture
def paths(tmp_path):
    made = []
    for name in ("shop", "music"):
        path = tmp_path / f"{name}.db"
        db = sqlite_utils.Database(path)
        db["items"].insert_all(
            [{"id": i, "name": f"{name} item {i}", "text": "words " * 40} for i in range(300)], pk="id"
        )
        db.close()
        made.append(path)
    return made


class WarmableModel(ScriptedModel):
    """Records prepare_prefix calls; a question 'arrives' during the first one of a schema (cache slot "sql"),
    unless the test put None first in `prepared`."""

    prompt_cache = True
    states = object()

    def __init__(self, replies=(), speed=None):
        super().__init__(list(replies))
        self.prepared = []
        self.questions = 0
        self.speed = speed
        self.last_active = 0.0

    def reading_speed(self):
        return self.speed

    def busy(self):
        return self.questions > 0

    def prepare_prefix(self, messages, options, should_stop=lambda: False):
        self.prepared.append((messages, options, time.monotonic()))
        schemas = [p for p in self.prepared if p is not None and p[1].cache_slot == "sql"]
        if self.prepared[0] is not None and options.cache_slot == "sql" and len(schemas) == 1:
            self.questions = 1  # a visitor's question: the warm-up must give way at once

            def answered():
                self.questions = 0
                self.last_active = time.monotonic()

            threading.Timer(0.3, answered).start()
            return not should_stop()
        return True


def test_which_databases_are_warmed(paths):
    ds = Datasette([str(p) for p in paths])
    assert warm_up.databases_to_warm(ds, load_settings({})) == ["shop", "music"]
    assert warm_up.databases_to_warm(ds, load_settings({"warm_up_databases": ["music"]})) == ["music"]
    assert warm_up.databases_to_warm(ds, load_settings({"warm_up_databases": []})) == []
    assert warm_up.databases_to_warm(ds, load_settings({"databases": ["shop"]})) == ["shop"]
    assert warm_up.databases_to_warm(ds, load_settings({"warm_up": False})) == []


@pytest.mark.asyncio
async def test_startup_warms_only_a_server(paths, monkeypatch):
    started = []
    monkeypatch.setattr(warm_up, "start", lambda datasette: started.append(datasette))
    ds = Datasette([str(p) for p in paths])
    await ds.invoke_startup()  # a test client, as in `datasette llm ...` commands: no model work
    assert started == [] and not warm_up.serving()

    import click

    with click.Context(click.Command("serve"), info_name="serve"):
        assert warm_up.serving()
        warm_up.start_if_serving(ds)
    assert started == [ds]


@pytest.mark.asyncio
async def test_warm_up_gives_way_to_a_question_then_finishes(paths, monkeypatch):
    monkeypatch.setattr(warm_up, "QUIET_SECONDS", 0.2)
    model = WarmableModel()
    ds = Datasette([str(p) for p in paths])
    results = await warm_up.warm_all(ds, ["shop", "music"], model)
    assert results == {"shop": True, "music": True}
    *answers, (first, _, _), (retry, options, retried_at), (music, _, _) = model.prepared
    assert retry == first and "items" in first[1]["content"]
    # first the answer context and its instructions, which every database's questions share, so the first
    # question's answer does not wait for them (read after every schema, the first answers read them)
    assert [(o.cache_slot, o.prefix_messages, m[0]["content"]) for m, o, _ in answers] == [
        ("answer", 1, prompts.ANSWER_SYSTEM),
        ("answer", 1, prompts.TEXT_ANSWER_SYSTEM),
    ]
    # made as a question's are, so the shared start saved is a question's: the instructions and its turn's start
    assert [o.prefix_next for _, o, _ in answers] == ["Question:", "Passages:\n"]
    assert all(m[1]["content"].startswith(o.prefix_next) for m, o, _ in answers)
    assert retried_at - model.last_active >= 0.2  # only after the question was done and the model quiet
    assert first[1]["content"].endswith("Question: ") and options.prefix and options.cache_slot == "sql"
    assert len(model.calls) == 0  # nothing was generated


def test_start_up_opens_the_contexts_before_lowering_its_priority(paths, monkeypatch):
    """The first question may need a context while the warm-up runs: the warm-up opens them at normal priority
    (at low priority beside a question writing SQL, opening the answer context took 4.6 s instead of 0.5 s)."""
    monkeypatch.setattr(warm_up, "QUIET_SECONDS", 0.05)
    opened = []

    class Opening(WarmableModel):
        def open_slots(self, slots):
            opened.append((tuple(slots), os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))

    model = Opening()
    model.prepared.append(None)  # no visitor interruption in this test
    monkeypatch.setattr(warm_up, "chat_model_for", lambda settings: model)
    thread = warm_up.start(Datasette([str(paths[0])]), ["shop"])
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert opened == [(("sql", "answer"), os.getpriority(os.PRIO_PROCESS, 0))]
    assert [options.cache_slot for _, options, _ in model.prepared[1:]] == ["answer", "answer", "sql"]


@pytest.mark.asyncio
async def test_warm_up_prefix_is_the_questions_prefix(paths):
    model = WarmableModel([sql_reply("select count(*) from items"), "300 items."])
    model.prepared.append(None)  # no visitor interruption in this test
    ds = Datasette([str(paths[0])])
    assert await warm_up.warm_database(ds, "shop", model)
    _, options, _ = model.prepared[-1]
    result = await ask(ds, "shop", "How many items?", model=model)
    assert result.ok and model.calls[0][1]["content"].startswith(options.prefix)


def test_a_slow_model_reads_fewer_rows_than_its_window_holds():
    fast = WarmableModel(speed=None)
    fast.prompt_cache = False  # an API model: only the window counts
    assert answer_row_budget(fast, 6000) == (6000, "did not fit in the model's context")
    slow = WarmableModel(speed=50.0)
    budget, reason = answer_row_budget(slow, 6000)
    assert budget == 250 and "in time" in reason and "50 tokens a second" in reason
    assert answer_row_budget(WarmableModel(speed=5000.0), 6000)[0] == 6000


@pytest.mark.asyncio
async def test_a_huge_result_still_answers_with_notes_of_what_was_cut(paths):
    sql = sql_reply(f"select * from items limit {ANSWER_LIST_ROWS}")  # more rows are answered by the table
    model = WarmableModel([sql, "There are many items."], speed=40.0)
    result = await ask(Datasette([str(paths[0])]), "shop", "Show ten items with their text", model=model)
    assert result.ok and result.row_count == ANSWER_LIST_ROWS
    answer_prompt = model.calls[1][1]["content"]
    shown = answer_prompt.count("shop item")
    assert 0 < shown < ANSWER_LIST_ROWS
    note = next(n for n in result.notes if "rows shown" in n)
    assert note.startswith(f"{shown} of {ANSWER_LIST_ROWS} rows shown") and "left out to answer in time" in note
    # Whatever the answer says, a warning under it says it was written from some of the rows (session 29).
    assert result.warnings == (
        f"The model read only {shown} of the {ANSWER_LIST_ROWS} rows to write this answer; it may not hold for "
        "the others (the table below).",
    )


class TimedWriter(StopsAtMaxTokens, WarmableModel):
    """Writes at a known speed and stops at max_tokens (4 characters a token, as ScriptedModel counts)."""

    def __init__(self, replies, write_speed):
        super().__init__(replies, speed=40.0)
        self.write_speed = write_speed
        self.budgets = []

    def writing_speed(self):
        return self.write_speed


@pytest.mark.asyncio
async def test_a_long_answer_stops_in_time_at_a_full_line_and_says_so(paths):
    listing = "The items are:\n" + "".join(f"- shop item {i}: words words\n" for i in range(60))
    sql = sql_reply("select id, name from items limit 10")
    model = TimedWriter([sql, listing], write_speed=20.0)
    result = await ask(Datasette([str(paths[0])]), "shop", "List ten items", model=model)
    assert model.budgets[1] == 100  # 5 seconds at 20 tokens a second
    assert result.answer.endswith("words …") and len(result.answer) <= 100 * 4 + 2
    assert "\n- shop item" in result.answer and result.answer.count("- shop item") < 60
    note = next(n for n in result.notes if "answer was stopped" in n)
    assert "after 100 tokens" in note and "20 tokens a second" in note
    slow = TimedWriter([sql, listing], write_speed=5.0)
    await ask(Datasette([str(paths[0])]), "shop", "List ten items", model=slow)
    assert slow.budgets[1] == 80  # never fewer than MIN_ANSWER_TOKENS, however slow the machine is just now
    assert result.row_count == 10  # the rows themselves are all there


@pytest.mark.asyncio
async def test_a_long_result_is_answered_by_the_table_without_a_model_call(paths):
    events = []

    async def on_event(kind, data):
        events.append((kind, data))

    model = TimedWriter([sql_reply("select id, name from items")], write_speed=20.0)
    result = await ask(Datasette([str(paths[0])]), "shop", "List every item", model=model, on_event=on_event)
    assert len(model.calls) == 1  # the SQL; nothing read the rows to restate them
    assert result.row_count == 300 and len(result.rows) == 300 and not result.truncated  # the table has every row
    assert result.answer == "The query returned 300 rows; they are listed in the results."
    assert any(n.startswith(f"more than {ANSWER_LIST_ROWS} rows: the table is the answer") for n in result.notes)
    assert not result.warnings
    kinds = [kind for kind, _ in events]
    assert kinds.index("rows") < kinds.index("answering") < kinds.index("answer_token")
    assert next(d for k, d in events if k == "answer_token")["text"] == result.answer
    api = TimedWriter([sql_reply("select id, name from items"), "There are 300 items."], write_speed=20.0)
    api.prompt_cache = False  # an API model reads the whole result that fits its window
    await ask(Datasette([str(paths[0])]), "shop", "List every item", model=api)
    assert api.calls[1][1]["content"].count("shop item") == 300


@pytest.mark.asyncio
async def test_the_table_answers_from_one_row_more_than_a_model_restates(paths):
    limit = ANSWER_LIST_ROWS
    sql = sql_reply(f"select id, name from items order by id limit {limit}")
    model = TimedWriter([sql, "Ten items."], write_speed=20.0)
    result = await ask(Datasette([str(paths[0])]), "shop", f"The first {limit} items", model=model)
    assert len(model.calls) == 2 and result.answer == "Ten items."
    assert model.calls[1][1]["content"].count("shop item") == limit
    sql = sql_reply(f"select id, name from items order by id limit {limit + 1}")
    more = TimedWriter([sql, "Eleven items."], write_speed=20.0)
    result = await ask(Datasette([str(paths[0])]), "shop", f"The first {limit + 1} items", model=more)
    assert len(more.calls) == 1 and result.answer.startswith(f"The query returned {limit + 1} rows;")


@pytest.mark.asyncio
async def test_a_result_cut_at_the_row_cap_says_so_in_the_table_answer(paths):
    settings = load_settings({"max_rows": 50})
    model = TimedWriter([sql_reply("select id, name from items order by id limit 200")], write_speed=20.0)
    result = await ask(Datasette([str(paths[0])]), "shop", "Every item", model=model, settings=settings)
    assert result.row_count == 50 and result.truncated and result.row_cap_hit
    assert result.answer == "The query returned more than 50 rows; the first 50 are listed in the results."
    assert "the query returned more than 50 rows; the first 50 are shown" in result.notes


@pytest.mark.asyncio
async def test_a_short_answer_is_left_alone_and_an_api_model_is_not_timed(paths):
    model = TimedWriter([sql_reply("select count(*) from items"), "There are 300 items."], write_speed=12.0)
    result = await ask(Datasette([str(paths[0])]), "shop", "How many items?", model=model)
    assert result.answer == "There are 300 items." and not any("stopped" in n for n in result.notes)
    api = TimedWriter([sql_reply("select count(*) from items"), "There are 300 items."], write_speed=12.0)
    api.prompt_cache = False
    await ask(Datasette([str(paths[0])]), "shop", "How many items?", model=api)
    assert api.budgets[1] == load_settings({}).answer_max_tokens


@pytest.mark.asyncio
@pytest.mark.parametrize("in_table", [49, 50, 51, 300])
async def test_a_limit_the_guard_adds_never_hides_that_the_result_was_cut(tmp_path, in_table):
    """The model writes no LIMIT: the result is cut at max_rows, and the model and the user are told exactly when
    rows were left out (an outside tester found "1,000 of 1,000 rows" for a 1,500-row table)."""
    path = tmp_path / "shop.db"
    sqlite_utils.Database(path)["items"].insert_all([{"id": i, "name": f"item {i}"} for i in range(in_table)], pk="id")
    api = ScriptedModel([sql_reply("select id, name from items"), "Many items."])  # reads every row it is given
    settings = load_settings({"max_rows": 50})
    result = await ask(Datasette([str(path)]), "shop", "Every item", model=api, settings=settings)
    answer_prompt = api.calls[1][1]["content"]
    assert result.row_count == min(in_table, 50) and result.limit_added
    assert result.row_cap_hit == (in_table > 50) and result.truncated == (in_table > 50)
    if in_table > 50:
        assert "Result (50 of more than 50 rows)" in answer_prompt and "the query was cut at 50 rows" in answer_prompt
    else:
        assert f"Result ({in_table} of {in_table} rows)" in answer_prompt and "Notes:" not in answer_prompt
    assert result.sql.endswith(" LIMIT 51") and any(n.startswith("LIMIT 51 added") for n in result.notes)


@pytest.mark.asyncio
@pytest.mark.parametrize("width,name_chars", [(60, 244), (90, 120), (8, 2000)])
async def test_a_wide_result_with_long_names_still_answers_within_the_window(tmp_path, width, name_chars):
    """Everything the answer prompt carries counts against the window, the notes too (an outside tester's 60
    columns with 244-character names made the notes alone overflow it: a 400 for a valid question)."""
    path = tmp_path / "wide.db"
    names = [f"c{i:03d}_" + "n" * name_chars for i in range(width)]
    rows = [{name: f"{i}-" + "v" * 300 for name in names} for i in range(5)]
    sqlite_utils.Database(path)["wide"].insert_all(rows)
    api = ScriptedModel([sql_reply("select * from wide"), "Five rows."], context=8192)
    result = await ask(Datasette([str(path)]), "wide", "Show the wide rows", model=api)
    assert result.ok and result.answer == "Five rows." and result.row_count == 5, result.error
    assert api.count_message_tokens(api.calls[1]) + load_settings({}).answer_max_tokens <= 8192
    assert any("clipped" in note or "columns were shown" in note for note in result.notes)


@pytest.mark.asyncio
async def test_a_result_with_no_room_beside_a_long_query_is_answered_by_its_table(tmp_path):
    """When not even the rows' column names fit the window beside the question and the SQL, the table answers:
    a question never fails because its result is large."""
    path = tmp_path / "shop.db"
    sqlite_utils.Database(path)["items"].insert_all([{"id": i, "name": f"item {i}"} for i in range(3)], pk="id")
    long_sql = "select id, name from items where name <> '" + "x" * 2400 + "' order by id"
    api = ScriptedModel([sql_reply(long_sql), "Three items."], context=1200)
    result = await ask(Datasette([str(path)]), "shop", "Every item", model=api)
    assert result.ok and result.row_count == 3 and len(api.calls) == 1, result.error
    assert result.answer == "The query returned 3 rows; they are listed in the results."
    assert any("do not fit the model's context window" in note for note in result.notes)


@pytest.mark.asyncio
async def test_the_warm_up_reads_the_kept_examples_a_question_then_finds_saved(paths):
    """With trusted examples stored, the start-up warm-up's shared start is the schema and the kept examples,
    message for message what a visitor's question then sends."""
    from datasette_llm.examples.store import ExampleStore

    store = ExampleStore.for_settings(load_settings({}))
    for question, sql in [("How many items?", "select count(*) from items"), ("Names?", "select name from items")]:
        store.add("shop", question, sql, added_by="t", schema_hash="x", names='["items", "name"]', reads='["items"]')
    model = WarmableModel([sql_reply("select count(*) from items where name like '%1%'")])
    model.prepared.append(None)  # no visitor interruption in this test
    ds = Datasette([str(paths[0])])
    assert await warm_up.warm_database(ds, "shop", model)
    warmed, options, _ = model.prepared[-1]
    assert options.prefix_messages == 5 and "select name from items;" in warmed[4]["content"]
    result = await ask(ds, "shop", "How many item names have a 1 in them?", model=model, sql_only=True)
    assert result.ok and model.calls[0][:5] == warmed[:5] and model.options[0].prefix_messages == 5


@pytest.mark.asyncio
async def test_a_question_is_in_a_warm_ups_way_from_its_first_stage(paths):
    """A warm-up saw only queued model calls: a piece started while a question read its schema or retrieved
    passages, and its SQL waited behind the piece (an outside tester, session 42)."""
    model = ScriptedModel([sql_reply("select count(*) from items"), "300 items."])
    seen = []

    async def on_event(stage, data):
        seen.append((stage, model.busy()))

    result = await ask(Datasette([str(paths[0])]), "shop", "How many items?", model=model, on_event=on_event)
    assert result.ok and seen[0] == ("started", True) and all(busy for _, busy in seen)
    assert not model.busy()  # and not once it has ended


@pytest.mark.parametrize("start, lowered", [(0, 10), (5, 15), (15, 19)])
def test_the_warm_up_lowers_its_priority_by_ten_never_raises_it(start, lowered):
    """Set to 10, a server run at nice 19 (as root) had its warm-up above its questions (an outside tester, session
    42: the questions' prompts read at 1.1% of a core beside it)."""
    result = []

    def run():
        me = threading.get_native_id()
        try:
            os.setpriority(os.PRIO_PROCESS, me, start)
        except OSError:
            result.append(None)  # a lower nice than the process's own needs root
            return
        warm_up.lower_priority()
        result.append(os.getpriority(os.PRIO_PROCESS, me))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if result == [None]:
        pytest.skip("cannot set this thread's priority here")
    assert result == [lowered]
