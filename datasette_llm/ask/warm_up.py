"""Read each database's schema into the local model before the first visitor asks.

When `datasette serve` starts, a background thread at low priority saves the model state after the SQL prompt
prefix of every database Ask serves (models/prompt_states.py), as an anonymous visitor sees it. A question
never waits behind it: the warm-up reads in pieces of PREFIX_CHUNK tokens, stops as soon as a request is
running or queued, and carries on once the model has been quiet for QUIET_SECONDS. Prefixes saved by an
earlier run are only checked, not read again. `warm_up()` does the same for one database as one actor sees it,
while they type a question (the Ask page starts it).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import replace

from ..config import settings_for
from ..models import ChatModel, ChatOptions, chat_model_for
from .conversation import sql_messages, sql_prefix
from .few_shot import Shots
from .pipeline import AskPipeline

logger = logging.getLogger("datasette_llm")

QUIET_SECONDS = 2.0  # between the pipeline's model calls (SQL, then the answer) the model is idle for less
MAX_TRIES = 20  # times a database's warm-up may give way to questions before it is left for the page's own
LOWER_PRIORITY = 10  # nice increment of the warm-up thread (and the llama.cpp threads it starts)
SLOTS = ("sql", "answer")  # the model's cache slots a question uses, in the order it uses them


def serving() -> bool:
    """Whether this process is `datasette serve` running a server: not `serve --get`, which makes one request and
    exits (a model still loading then aborted the process at exit, session 44), nor a test client or a
    `datasette llm` command."""
    try:
        import click
    except ImportError:  # pragma: no cover - datasette depends on click
        return False
    context = click.get_current_context(silent=True)
    return context is not None and context.info_name == "serve" and not context.params.get("get")


def databases_to_warm(datasette, settings) -> list[str]:
    if not settings.warm_up:
        return []
    names = [name for name in datasette.databases if name != "_internal" and settings.enabled_for(name)]
    if settings.warm_up_databases is not None:
        names = [name for name in names if name in settings.warm_up_databases]
    return names


def start(datasette, databases: Sequence[str] | None = None) -> threading.Thread | None:
    """Warm `databases` (default: those the settings name) in a daemon thread; None when there is nothing to do."""
    settings = settings_for(datasette)
    names = list(databases) if databases is not None else databases_to_warm(datasette, settings)
    model = chat_model_for(settings)
    if not names or not model.prompt_cache:
        return None
    thread = threading.Thread(target=_run, args=(datasette, names, model), name="datasette-llm-warm-up", daemon=True)
    thread.start()
    return thread


def start_if_serving(datasette) -> threading.Thread | None:
    return start(datasette) if serving() else None


def _run(datasette, names: list[str], model: ChatModel) -> None:
    started = time.perf_counter()
    open_contexts(model)
    lower_priority()
    results = asyncio.run(warm_all(datasette, names, model))
    logger.info("datasette-llm: warm-up of %s finished in %.1fs", results, time.perf_counter() - started)


def open_contexts(model: ChatModel) -> None:
    """Open the model's SQL and answer contexts at normal priority, before the warm-up lowers its own: a question
    that needs one waits for it to open, and opened at low priority beside a question writing SQL, the answer
    context took 4.6 s instead of 0.5 s (measured), which the first question's answer then waited for."""
    try:
        model.open_slots(SLOTS)
    except Exception:  # a missing or broken model file: the question reports it
        logger.debug("datasette-llm: could not open the model's contexts", exc_info=True)


def lower_priority() -> None:
    """Lower this thread's CPU priority by LOWER_PRIORITY (Linux applies nice per thread; threads it starts inherit
    it). By, not to: set to 10, it raised the warm-up above questions in a server run at nice 19 (as root), whose
    prompts then read at 1.1% of a core beside it (an outside tester, session 42)."""
    try:
        thread = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + LOWER_PRIORITY))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        pass


def quiet(model: ChatModel) -> bool:
    """No request running or queued, and none for QUIET_SECONDS (the next stage of a question may follow)."""
    last = getattr(model, "last_active", 0.0)
    return not model.busy() and time.monotonic() - last >= QUIET_SECONDS


async def _until_quiet(model: ChatModel) -> None:
    while not quiet(model):
        await asyncio.sleep(0.5)


async def warm_all(datasette, names: Sequence[str], model: ChatModel) -> dict[str, bool]:
    """{database: whether its prefix state is saved}. Gives way to questions; never raises. The answer prompts'
    instructions first: every database's questions share them, and read last, after every schema, the first
    questions' answers read them (135 tokens, 6 s at load 3; an outside tester, session 42)."""
    results = {}
    if names:
        await _until_quiet(model)
        try:
            ready = await asyncio.to_thread(warm_answers, model, lambda: not quiet(model))
            logger.info("datasette-llm: answer prompts warmed: %s", ready)
        except Exception:
            logger.debug("datasette-llm: warm-up of the answer prompts failed", exc_info=True)
    for name in names:
        results[name] = False
        for _ in range(MAX_TRIES):
            await _until_quiet(model)
            try:
                results[name] = await warm_database(datasette, name, model)
            except Exception:  # a warm-up is an optimisation: questions report real problems themselves
                logger.debug("datasette-llm: warm-up of %s failed", name, exc_info=True)
                break
            if results[name] or not prefix_pending(model):
                break
    return results


def warm_answers(model: ChatModel, should_stop) -> bool:
    """Load the answer context and save the state after the answer prompts' instructions: the first question
    otherwise waits for both (measured: its answer took 7.4 s instead of 4.7 s)."""
    from .answer import answer_messages, answer_options
    from .text.answer_text import passage_messages, passage_options

    ready = True
    # as a question's prompts are made, so that their shared start is the one saved
    for messages, options in (
        (answer_messages("warm-up", "select 1"), answer_options(1)),
        (passage_messages("warm-up", [], ""), passage_options(1)),
    ):
        ready = model.prepare_prefix(messages, options, should_stop) and ready
    return ready


def prefix_pending(model: ChatModel) -> bool:
    # After giving way the prefix may still be missing; a model without prefix states has nothing to retry.
    return getattr(model, "states", None) is not None


async def warm_database(datasette, database: str, model: ChatModel) -> bool:
    """Save the state after `database`'s SQL prompt prefix, as an anonymous visitor would see the schema."""
    pipeline = AskPipeline(datasette, database, "warm-up", model=model)
    await pipeline.prepare()
    if not sql_prefix(pipeline.schema):
        return False
    messages, options = await shared_prompt(pipeline)
    return model.prepare_prefix(messages, options, lambda: not quiet(model))


async def shared_prompt(pipeline: AskPipeline) -> tuple[list[dict], ChatOptions]:
    """The SQL prompt of a question not yet asked and the options that mark its shared start: the schema and the
    examples kept for every question, as the pipeline's actor would be shown them."""
    pipeline.shots = Shots(standing=tuple(await pipeline.kept_examples()))
    messages = sql_messages(pipeline.schema, "", (), (), pipeline.shots.standing)  # no question: it ends shared
    return messages, replace(pipeline.sql_request()[1], max_tokens=1)


async def warm_up(
    datasette, database: str, actor=None, *, tables: Sequence[str] = (), model: ChatModel | None = None
) -> bool:
    """Read the SQL prompt's constant part (instructions + schema) into the model's prompt cache ahead of
    the first question, e.g. while someone types it. Same permission checks as a question."""
    pipeline = AskPipeline(datasette, database, "warm-up", actor=actor, tables=tables, model=model)
    if not pipeline.model.prompt_cache:
        return False
    await pipeline.prepare()
    return await pipeline.model.warm(*await shared_prompt(pipeline))
