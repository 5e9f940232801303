"""Saved prefix states: a schema is read once, then loaded by any later request, model or process."""

import os
import time

import pytest

from datasette_llm.models import ChatOptions
from datasette_llm.models.llama_cpp import LlamaCppChatModel
from datasette_llm.models.prompt_states import PrefixStates

# The llama.cpp backend alone: the Datasette 1.0 leg of the test command leaves these model tests out.
pytestmark = pytest.mark.backend

SYSTEM = "You are an expert SQLite data analyst. Reply with one SQL query in a ```sql code block."


def schema(table: str, columns: int = 12) -> str:
    cols = ", ".join(f"{table}_field_{i} TEXT" for i in range(columns))
    return f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, {cols});\n" * 3


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
def test_a_warm_up_gives_way_to_a_question(default_gguf, tmp_path):
    model = fresh(default_gguf, tmp_path)
    text = schema("releases", columns=60)
    calls = []

    def should_stop():
        calls.append(time.monotonic())
        return len(calls) > 2  # a question arrived while the second piece was being read

    assert model.prepare_prefix(messages(text, ""), options(text), should_stop) is False
    assert not list(tmp_path.glob("*.llstate"))
    assert model.prepare_prefix(messages(text, ""), options(text)) is True  # quiet again: finished, saved
    assert len(list(tmp_path.glob("*.llstate"))) == 1
    read = model.tokens_read
    assert model.prepare_prefix(messages(text, ""), options(text)) is True  # saved already: nothing read
    assert model.tokens_read == read
    model.close()
