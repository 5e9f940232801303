"""Saved prefix states: a schema is read once, then loaded by any later request, model or process."""

import os
import time
from types import SimpleNamespace

import pytest

from datasette_llm.models import ChatOptions
from datasette_llm.models.llama_cpp import FIRST_PREFIX_PIECE, PREFIX_CHUNK, LlamaCppChatModel
from datasette_llm.models.prompt_states import PrefixStates

# The llama.cpp backend alone: the Datasette 1.0 leg of the test command leaves these model tests out.
pytestmark = pytest.mark.no_datasette

SYSTEM = "You are an expert SQLite data analyst. Reply with one SQL query in a ```sql code block."


def schema(table: str, columns: int = 12) -> str:
    """About 100 tokens with the prefix's words (12 columns): more than a question, less than a minute to read."""
    cols = ", ".join(f"{table}_field_{i} TEXT" for i in range(columns))
    return f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, {cols});\n"


def prefix_of(text: str) -> str:
    return f"{text}\n\n-- Using valid SQLite, answer the following question for the tables provided above.\nQuestion: "


def messages(text: str, question: str) -> list[dict]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prefix_of(text) + question}]


def options(text: str) -> ChatOptions:
    return ChatOptions(max_tokens=24, cache_slot="sql", prefix=prefix_of(text))


# --- the store alone ---------------------------------------------------------------------------------


def test_keys_depend_on_tokens_and_identity(tmp_path):
    store = PrefixStates(tmp_path)
    assert store.key("model-a", [1, 2, 3]) == store.key("model-a", [1, 2, 3])
    assert store.key("model-a", [1, 2, 3]) != store.key("model-a", [1, 2, 4])
    assert store.key("model-a", [1, 2, 3]) != store.key("model-b", [1, 2, 3])


def test_directory_is_bounded_least_recently_used_first(tmp_path):
    store = PrefixStates(tmp_path, max_bytes=2500)
    for age, name in enumerate(["old", "used", "new"]):
        path = store.path(name)
        path.write_bytes(b"x" * 1000)
        os.utime(path, (time.time() - 100 + age * 10, time.time() - 100 + age * 10))
    os.utime(store.path("used"))  # loaded just now: most recently used
    store.prune()
    assert not store.has("old") and store.has("used") and store.has("new")


def test_a_half_written_file_a_killed_writer_left_is_removed_once_stale(tmp_path):
    """An outside tester's killed writer left a `.tmp` file that no bound ever removed (session 19)."""
    store = PrefixStates(tmp_path, max_bytes=10)
    stale, fresh_one = tmp_path / "a.llstate.1.2.tmp", tmp_path / "b.llstate.1.3.tmp"
    stale.write_bytes(b"x" * 100)
    fresh_one.write_bytes(b"x" * 100)  # being written right now, perhaps
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    store.prune()
    assert not stale.exists() and fresh_one.exists()


# --- with the real model -----------------------------------------------------------------------------


def fresh(gguf, state_dir):
    return LlamaCppChatModel("states", gguf, n_ctx=2048, state_dir=state_dir)


@pytest.mark.model
def test_a_saved_prefix_is_loaded_not_read_again_and_answers_the_same(default_gguf, tmp_path):
    text = schema("repos")
    question = "How many repos are there?"
    plain = LlamaCppChatModel("plain", default_gguf, n_ctx=2048)  # no saved states at all
    expected = plain.complete(messages(text, question), ChatOptions(max_tokens=24, cache_slot="sql")).text

    first = fresh(default_gguf, tmp_path)
    assert first.complete(messages(text, question), options(text)).text == expected
    prompt_tokens = first.tokens_read
    assert len(list(tmp_path.glob("*.llstate"))) == 1

    second = fresh(default_gguf, tmp_path)  # as after a restart
    assert second.complete(messages(text, question), options(text)).text == expected
    assert second.tokens_read < 30 < prompt_tokens  # only the question and the reply header were read
    for model in (plain, first, second):
        model.close()


@pytest.mark.model
def test_switching_databases_reads_neither_schema_again(default_gguf, tmp_path):
    model = fresh(default_gguf, tmp_path)
    a, b = schema("albums"), schema("tracks")
    model.complete(messages(a, "How many albums?"), options(a))
    model.complete(messages(b, "How many tracks?"), options(b))
    read = model.tokens_read
    for text, question in [(a, "Count albums"), (b, "Count tracks"), (a, "List albums"), (b, "List tracks")]:
        model.complete(messages(text, question), options(text))
    assert model.tokens_read - read < 4 * 30  # each switch loads the other schema's state
    model.close()


@pytest.mark.model
def test_a_damaged_state_file_is_ignored_and_replaced(default_gguf, tmp_path):
    text = schema("owners")
    model = fresh(default_gguf, tmp_path)
    expected = model.complete(messages(text, "How many owners?"), options(text)).text
    (saved,) = tmp_path.glob("*.llstate")
    saved.write_bytes(saved.read_bytes()[:1000])  # cut short, e.g. by a full disk
    again = fresh(default_gguf, tmp_path)
    assert again.complete(messages(text, "How many owners?"), options(text)).text == expected
    assert saved.stat().st_size > 1000  # read again and saved whole
    model.close()
    again.close()


@pytest.mark.model
def test_a_warm_up_gives_way_to_a_question_and_keeps_what_it_read(default_gguf, tmp_path):
    """A warm-up stopped part-way saved nothing, and the question that stopped it, on another schema, loaded that
    schema into the context: the warm-up read its prefix again from the start (an outside tester, session 41:
    chinook's 2,590 tokens read 2,560 over five tries and never saved; its first question read 2,086 itself)."""
    model = LlamaCppChatModel("states", default_gguf, n_ctx=2048, state_dir=tmp_path, n_batch=64)  # pieces of 64
    text = schema("releases", columns=40)  # about 300 tokens: several pieces
    whole = model.count_tokens(prefix_of(text))
    assert whole > PREFIX_CHUNK

    def should_stop():
        return model.tokens_read > 0  # a question arrives once the first piece is read: stopped in the second

    assert model.prepare_prefix(messages(text, ""), options(text), should_stop) is False
    first = model.tokens_read
    assert first == 64  # the first piece; what the second had read was dropped
    other = schema("owners")
    model.complete(messages(other, "How many owners?"), options(other))  # the question, on another schema
    read = model.tokens_read
    assert model.prepare_prefix(messages(text, ""), options(text)) is True  # quiet again: finished, saved
    llama = model._model("sql")
    prompt, tokens, _, _ = model._prompt(llama, messages(text, ""))
    (stage,) = model._prefix_tokens(llama, messages(text, ""), prompt, tokens, options(text))
    assert first + (model.tokens_read - read) == len(stage)  # the rest only: every token of the prefix read once
    saved = len(list(tmp_path.glob("*.llstate")))
    assert saved == 2  # the two schemas' states; the part kept while stopped is gone
    read = model.tokens_read
    assert model.prepare_prefix(messages(text, ""), options(text)) is True  # saved already: nothing read
    assert model.tokens_read == read
    model.close()


@pytest.mark.model
def test_states_are_private_and_a_cache_that_cannot_be_written_costs_only_the_saving(default_gguf, tmp_path):
    """The states hold the schema and example rows in clear: 0600 files in a 0700 directory (they were 0644 in
    0755). A cache directory that is a file made every question a 500 after reading the whole prefix (an outside
    tester, session 19): the question is answered as without saved states."""
    import stat

    text = schema("owners")
    model = fresh(default_gguf, tmp_path / "states")
    expected = model.complete(messages(text, "How many owners?"), options(text)).text
    (saved,) = (tmp_path / "states").glob("*.llstate")
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "states").stat().st_mode) == 0o700
    model.close()
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory should be")
    again = fresh(default_gguf, blocked)
    assert again.complete(messages(text, "How many owners?"), options(text)).text == expected
    again.close()


def with_examples(text: str, examples, question: str) -> list[dict]:
    """The schema prompt, examples as earlier turns, then the question (as ask/conversation.py builds it)."""
    turns = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prefix_of(text) + examples[0][0]}]
    for n, (asked, sql) in enumerate(examples):
        if n:
            turns.append({"role": "user", "content": f"Question: {asked}"})
        turns.append({"role": "assistant", "content": f"```sql\n{sql};\n```"})
    return turns + [{"role": "user", "content": f"Question: {question}"}]


@pytest.mark.model
def test_examples_kept_for_every_question_are_saved_with_the_schema_and_read_once(default_gguf, tmp_path):
    """prefix_messages: the state after the schema and the kept examples is saved, so a later question (in a
    restarted process too) reads only itself, and answers as if it had read everything."""
    text = schema("repos")
    examples = [
        (f"How many repos have field {n} set?", f"select count(*) from repos where repos_field_{n} is not null")
        for n in range(6)
    ]
    kept = ChatOptions(max_tokens=24, cache_slot="sql", prefix=prefix_of(text), prefix_messages=1 + 2 * len(examples))
    first = fresh(default_gguf, tmp_path)
    first.complete(with_examples(text, examples, "How many repos are there?"), kept)
    assert len(list(tmp_path.glob("*.llstate"))) == 2  # the schema's, and with the examples (the same for all)
    after_examples = first.tokens_read

    second = fresh(default_gguf, tmp_path)  # as after a restart
    question = "How many repos have field 5 set?"
    plain = LlamaCppChatModel("plain", default_gguf, n_ctx=2048)  # no saved states at all
    expected = plain.complete(with_examples(text, examples, question), ChatOptions(max_tokens=24)).text
    assert second.complete(with_examples(text, examples, question), kept).text == expected
    assert second.tokens_read < 30 < after_examples // 2  # the question alone: the examples were loaded
    for model in (plain, first, second):
        model.close()


@pytest.mark.model
def test_when_the_kept_examples_change_only_they_are_read_again(default_gguf, tmp_path):
    """The schema's own state is saved on the way to the examples': an example more (or an actor who sees other
    examples), in a restarted process too, loads the schema and reads only the examples."""
    text = schema("repos")
    examples = [
        (f"How many repos have field {n} set?", f"select count(*) from repos where repos_field_{n} is not null")
        for n in range(4)
    ]
    first = fresh(default_gguf, tmp_path)
    first.complete(with_examples(text, examples, "How many repos?"), kept_options(text, examples))
    schema_tokens = first.count_tokens(prefix_of(text))
    assert len(list(tmp_path.glob("*.llstate"))) == 2  # the schema's and the schema with the examples'

    more = examples + [("List the repos", "select id from repos")]
    second = fresh(default_gguf, tmp_path)  # as after a restart
    question = "How many repos have field 2 set?"
    plain = LlamaCppChatModel("plain", default_gguf, n_ctx=2048)
    expected = plain.complete(with_examples(text, more, question), ChatOptions(max_tokens=24)).text
    assert second.complete(with_examples(text, more, question), kept_options(text, more)).text == expected
    # The examples and the question, not the schema (read again, it would be schema_tokens more).
    _, tokens, _, _ = second._prompt(second._model("sql"), with_examples(text, more, question))
    assert second.tokens_read <= len(tokens) - schema_tokens, (second.tokens_read, len(tokens), schema_tokens)
    for model in (plain, first, second):
        model.close()


def kept_options(text: str, examples) -> ChatOptions:
    return ChatOptions(max_tokens=24, cache_slot="sql", prefix=prefix_of(text), prefix_messages=1 + 2 * len(examples))


@pytest.mark.model
def test_what_every_prompt_shares_after_a_saved_start_is_saved_with_it(default_gguf, tmp_path):
    """The end of the shared turn, the next turn's role and its fixed start ("Question:") were read again after
    every load: 8 tokens an answer, 17-19 a SQL prompt with kept examples (an outside tester, session 41)."""
    from datasette_llm.ask.answer import answer_messages, answer_options
    from datasette_llm.ask.conversation import next_start, shared_messages, sql_messages, sql_prefix
    from datasette_llm.ask.few_shot import Shot
    from datasette_llm.ask.schema import PromptSchema
    from datasette_llm.ask.text.answer_text import passage_messages, passage_options
    from datasette_llm.models.llama_cpp_prompt import common_prefix

    model = fresh(default_gguf, tmp_path)
    prompt_schema = PromptSchema(database="pets", text=schema("dogs", columns=3), tables=("dogs",))
    standing = [Shot("Name the dogs", "select name from dogs", "example", 1), Shot("Ids?", "select id", "example", 2)]

    passage = SimpleNamespace(number=1, table="dogs", label="Rex", text="Rex is the oldest dog.")

    def sql(question):
        options = ChatOptions(
            max_tokens=1,
            cache_slot="sql",
            prefix=sql_prefix(prompt_schema),
            prefix_messages=shared_messages(standing),
            prefix_next=next_start(),
        )
        return sql_messages(prompt_schema, question, (), (), standing), options

    kinds = {
        "answer": lambda q: (
            answer_messages(q, "select count(*) from dogs", "1 row", "count(*)\n7"),
            answer_options(1),
        ),
        # the passages differ right after "Passages:" (none found for the first)
        "text": lambda q: (passage_messages(q, [] if "many" in q else [passage], ""), passage_options(1)),
        "sql": sql,
    }
    for kind, request in kinds.items():
        first, second = request("How many dogs are there?"), request("Which dog is the oldest?")
        model.complete(*first)  # reads the shared start and saves it
        llama = model._model(first[1].cache_slot)
        one, two = (model._prompt(llama, messages)[1] for messages, _ in (first, second))
        again = fresh(default_gguf, tmp_path)  # as after a restart, or with another schema in the context
        again.complete(*second)  # loads it and reads the rest
        # the saved start ends one token early (it may merge with what follows): at most that one again
        assert again.tokens_read <= len(two) - common_prefix(one, two) + 1, kind
        again.close()
    model.close()


class EvalRecorder:
    """Just enough of a llama_cpp.Llama for _read(): records the size of every piece it is given, read at `rate`
    tokens a second (None: at once)."""

    def __init__(self, rate=None):
        import numpy as np

        self.input_ids, self.n_tokens, self.pieces, self.rate = np.zeros(4096, dtype=np.intc), 0, [], rate
        self._ctx = SimpleNamespace(kv_cache_seq_rm=lambda *args: None)

    def eval(self, tokens):
        if self.rate:
            time.sleep(len(tokens) / self.rate)
        self.input_ids[self.n_tokens : self.n_tokens + len(tokens)] = tokens
        self.n_tokens += len(tokens)
        self.pieces.append(len(tokens))


@pytest.mark.parametrize("machine, smallest, largest", [(200.0, 16, 16), (3000.0, 16, 165), (None, 256, 256)])
def test_a_warm_up_reads_pieces_of_about_piece_seconds_at_the_rate_it_measures(
    tmp_path, monkeypatch, machine, smallest, largest
):
    """A piece of 256 tokens took 9.8-17.3 s on a loaded CPU, and the first question waited behind it (an outside
    tester, session 41): pieces are what the measured rate reads in PIECE_SECONDS (at least 16 tokens: 64 took
    3.5-9.5 s at load 8), and the first, before any rate is known, 32 (256 took 11.5 s at load 5; second testers,
    session 42). A machine slower than it seems (a loaded CPU) only makes pieces smaller."""
    import datasette_llm.models.llama_cpp_context

    monkeypatch.setattr(datasette_llm.models.llama_cpp_context, "PIECE_SECONDS", 0.05)
    model = LlamaCppChatModel("pieces", tmp_path / "never-loaded.gguf", n_ctx=4096, state_dir=tmp_path)
    assert model.read_rate is None
    llama = EvalRecorder(machine)
    assert model._read(llama, list(range(1, 401)), should_stop=lambda: False)
    assert llama.n_tokens == 400 and llama.pieces[0] == FIRST_PREFIX_PIECE
    assert all(smallest <= piece <= largest for piece in llama.pieces[1:-1]), llama.pieces
    question = EvalRecorder()
    assert model._read(question, list(range(1, 1001)))  # a question's prompt: in batches of n_batch, as llama.cpp
    assert question.pieces == [512, 488]


@pytest.mark.model
def test_a_question_given_up_or_a_warm_up_that_gives_way_stops_inside_the_batch_it_reads(default_gguf, tmp_path):
    """A given-up question still held the model for the rest of its 512-token batch, 21-201 s on a loaded machine,
    and the first question waited 4-10 s behind the smallest warm-up piece (an outside tester, session 43). Both
    stop inside the batch when another request waits (llama_cpp_stop.py), and the context holds what it held
    before, so the next request is answered as by a model that never read that batch. A question given up while
    no other waits finishes its batch: the next question on that schema reads on from there."""
    import asyncio
    import threading

    from datasette_llm.errors import ModelTimeout

    model = LlamaCppChatModel("states", default_gguf, n_ctx=2048, state_dir=tmp_path, n_batch=64)
    llama = model._model("sql")
    prompt = llama.tokenize(("CREATE TABLE t (" + ", ".join(f"c{i} TEXT" for i in range(80)) + ")").encode())
    assert len(prompt) > 300
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    assert model._read(llama, prompt, cancel=cancel) is False  # no other request waits: its first batch kept
    assert llama.n_tokens == model.tokens_read == 64

    # As the server's default (draft_tokens 16): a greedy reply, whose prompt _read reads (sampled candidates read
    # theirs in create_completion, between batches only).
    model = LlamaCppChatModel("states", default_gguf, n_ctx=2048, state_dir=tmp_path, draft_tokens=16)
    hello = [{"role": "user", "content": "Reply with the word: pineapple"}]
    model.open_slots(["default", "sql"])  # loaded: the first question is given up while it reads, not loads
    long_question = [
        {"role": "user", "content": "Describe: CREATE TABLE t (" + ", ".join(f"c{i} TEXT" for i in range(80))}
    ]

    async def given_up_while_another_waits():
        model.timeout = 0.3
        first = asyncio.ensure_future(model.chat(long_question, ChatOptions(max_tokens=4)))
        await asyncio.sleep(0.05)  # it has the model, and the timeout it was asked with
        model.timeout = 120.0
        second = asyncio.ensure_future(model.chat(hello, ChatOptions(max_tokens=8)))
        with pytest.raises(ModelTimeout):
            await first
        return (await second).text

    answer = asyncio.run(given_up_while_another_waits())
    assert 0 < model.tokens_read < 100  # the second's prompt only: the first's batch of 300+ tokens was dropped

    text, before = schema("releases", columns=40), model.tokens_read
    started = time.monotonic()
    assert model.prepare_prefix(messages(text, ""), options(text), lambda: time.monotonic() - started > 0.3) is False
    assert model.tokens_read == before  # its piece (n_batch tokens, as it can be stopped inside) dropped
    plain = LlamaCppChatModel("plain", default_gguf, n_ctx=2048)
    expected = plain.complete(hello, ChatOptions(max_tokens=8)).text
    assert answer == expected == model.complete(hello, ChatOptions(max_tokens=8, cache_slot="sql")).text
    for each in (model, plain):
        each.close()


def test_where_a_batch_cannot_be_stopped_a_question_given_up_stops_at_the_next(tmp_path):
    """Read in one go, a question given up at the model's timeout kept the model reading 543 s more, and the next
    two questions timed out without a start (a second outside tester, session 42). A context that cannot be
    stopped inside a batch (no abort callback) stops between two."""
    import threading

    model = LlamaCppChatModel("pieces", tmp_path / "never-loaded.gguf", n_ctx=4096, state_dir=tmp_path)
    cancel, llama = threading.Event(), EvalRecorder()
    real_eval = llama.eval

    def eval_then_give_up(tokens):
        real_eval(tokens)
        cancel.set()  # the request timed out while this batch was read

    llama.eval = eval_then_give_up
    assert model._read(llama, list(range(1, 2001)), cancel=cancel) is False
    assert llama.pieces == [512]


class StoppableRecorder(EvalRecorder):
    """An EvalRecorder that reads a piece in `seconds` and, like llama.cpp with its abort callback, stops inside it
    once the model's stop byte is raised (RuntimeError, nothing of the piece kept)."""

    def __init__(self, model, seconds):
        super().__init__()
        self.model, self.seconds = model, seconds
        model._stop._contexts.add(id(self))

    def eval(self, tokens):
        ends = time.monotonic() + self.seconds
        while time.monotonic() < ends:
            if self.model._stop.raised():
                raise RuntimeError("llama_decode returned 2")
            time.sleep(0.005)
        super().eval(tokens)


def test_given_up_questions_never_drop_two_batches_in_a_row(tmp_path):
    """A question given up drops its batch when another request waits; but questions each given up before one
    batch ended then dropped every batch, and none was ever answered (a second outside tester, session 43): after a
    dropped batch, the next given-up question finishes its batch, and the schema is read on."""
    import threading

    model = LlamaCppChatModel("pieces", tmp_path / "never-loaded.gguf", n_ctx=4096, state_dir=tmp_path)
    llama = StoppableRecorder(model, seconds=0.6)
    holders = [model._gate.places.enter("requests", RuntimeError) for _ in range(2)]  # this one and one waiting
    try:
        kept = []
        for _ in range(4):
            cancel = threading.Event()
            threading.Timer(0.1, cancel.set).start()  # given up while its first batch is read
            assert model._read(llama, list(range(1, 2001)), cancel=cancel) is False
            kept.append(llama.n_tokens)
        assert kept == [0, 512, 512, 1024], kept  # dropped, finished, dropped, finished
    finally:
        for holder in holders:
            model._gate.places.leave(holder)
    cancel = threading.Event()
    threading.Timer(0.1, cancel.set).start()
    assert model._read(llama, list(range(1, 2001)), cancel=cancel) is False
    assert llama.n_tokens == 1536  # no other waits: the batch is finished for the next question


def test_a_warm_up_that_gives_way_after_one_piece_has_measured_the_rate(tmp_path):
    """The rate was measured only once a whole prefix was read, so a warm-up that always gave way read pieces of
    256 tokens for good: 176-231 s each on a starved CPU (an outside tester, session 42)."""
    model = LlamaCppChatModel("pieces", tmp_path / "never-loaded.gguf", n_ctx=4096, state_dir=tmp_path)
    llama, checks = EvalRecorder(20_000.0), []
    assert model._read(llama, list(range(1, 1001)), should_stop=lambda: checks.append(1) or len(checks) > 1) is False
    assert llama.pieces == [FIRST_PREFIX_PIECE] and model.read_rate is not None


@pytest.mark.model
def test_a_warm_up_stopped_right_after_a_saved_stage_leaves_that_stage_saved(default_gguf, tmp_path):
    """Stopped right after it loaded the schema's state, before any kept example was read, a warm-up kept that
    state as its own part-way state, and deleted it once it finished: another set of kept examples then read the
    whole schema again (a second outside tester, session 41)."""
    text = schema("sales")
    shared = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": prefix_of(text) + "How many sales are there?"},
        {"role": "assistant", "content": "```sql\nselect count(*) from sales;\n```"},
        {"role": "user", "content": "Question: warm-up"},
    ]
    kept = ChatOptions(max_tokens=1, cache_slot="sql", prefix=prefix_of(text), prefix_messages=3)
    model = fresh(default_gguf, tmp_path)
    assert model.prepare_prefix(messages(text, ""), options(text))  # the schema's state alone, saved
    saved = set(tmp_path.glob("*.llstate"))
    calls = []
    assert model.prepare_prefix(shared, kept, lambda: calls.append(1) or len(calls) >= 3) is False
    assert model.prepare_prefix(shared, kept) is True  # finished: the schema and the example saved
    assert saved <= set(tmp_path.glob("*.llstate"))  # the schema's state is still there
    model.close()
