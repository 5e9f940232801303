"""Answers from text: retrieve the best rows (hybrid search), fit their passages into the budget, answer
only from them with numbered citations, or say the data does not hold the answer.
"""

from __future__ import annotations

import asyncio
import json
import re

import numpy as np

from ... import permissions
from ...context import LINE_END
from ...models import ChatModel, ChatOptions
from .. import prompts
from ..answer import answer_options
from .passages import Passage, best_window, compact_text, fits_whole, rank_chunks, split_chunks
from .rows import (
    ROW_CELL_CHARS,
    ROW_TEXT_CHARS,
    Reader,
    full_row,
    row_label,
    row_text,
    text_collections,
)

NOT_FOUND = "Not found in the data."
# Of the passages' budget, what the one row a question names (and the search ranks first) is read within. Its whole
# budget would read a long README for longer; a passage's share of 4 cut READMEs short (the demo's 10 questions at
# 600 tokens for 4 rows: 7 of 10 right against 10 of 10 at 1,000). Session 34, the demo's 10 and 40 generated
# "What is <repo>?" questions, one run per share: 0.5 10/10 and 40/40, p50 3.74 and 3.45 s; 0.3 10/10 and 40/40,
# p50 3.05 and 2.61 s; 0.2 9/10 and 40/40. The fictional reports are shorter than either: 46/48 at 0.3 and 0.5.
# Those shares were of 1,000 tokens; the budget is 600 since session 45, and half of it reads the named row within
# the same 300 tokens as 0.3 of 1,000 did.
NAMED_ALONE_SHARE = 0.5
# What the database's text may not do in the prompt: start a line any other way than "\n" (context.LINE_END: a
# lone "\r" or a Unicode line separator ends a line too), carry a bracketed number (only the real passage headers
# do: that is what an answer cites), or start a line like the prompt's own notes, question or passages.
BRACKETED_NUMBER = re.compile(r"\[(\s*\d+\s*)\]")
PROMPT_WORD_LINE = re.compile(r"^(\s*)(?=(?:notes|question|passages)\s*:)", re.IGNORECASE | re.MULTILINE)


def _cleaned_chunks(row: dict) -> tuple[str, list[str]]:
    """The row's text as a reader sees it, and that text in chunks."""
    text = compact_text(row_text(row))
    return text, split_chunks(text)


async def hits_for(datasette, actor, database: str, question: str, k: int, restrict: dict | None, reader: Reader):
    """((table, pk tuple, url, score) of the best rows, notes, alone): hybrid search, or a cosine ranking within
    `restrict` ({table: set of embeddings ids}) for the both-path. `alone`: the question names one row outright and
    the search ranks that row first too, so it is the only hit (build_passages reads it within NAMED_ALONE_SHARE of
    the budget): "What is shot-scraper?" is answered from shot-scraper's README, and the three other rows' passages
    cost a second of reading and lent their words and citations to the answer. When the search ranks another row
    first ("Which plugin shows a map in datasette?" names datasette), every hit stays. Measured (session 33,
    docs/measurements.md): 40 generated "What is <repo>?" questions on the demo database right 35 -> 40, p50 5.35
    -> 3.39 s; 10 that name a repo in passing 8 -> 8 (the row alone whatever the search said: 0). A question that
    asks nothing but what the row it names is ("What is shot-scraper?", name_match.asks_only_about) is read alone
    whatever the search says: the search ranked shot-scraper-scripts first. Session 34: 4 of 60 questions changed,
    all right before and after, prompt 951 -> 737 and 1,172 -> 765 tokens on the demo's two."""
    from ...embeddings import semantic_search

    if not restrict:
        # `reader.tables`: a question scoped to tables (`table=`) reads only theirs (the passages came from the
        # whole database while the notes said "scoped to": an outside tester, session 33).
        scopes = sorted(reader.tables) if reader.tables is not None else [None]
        hits, notes = [], []
        for table in scopes:
            result = await semantic_search(
                datasette, actor, question, database=database, table=table, limit=k, mode="hybrid"
            )
            # A collection that matches no table (an llm collection, or a name given with `embed --sql`) has no
            # row to read a passage from (an outside tester's such collection made every text answer a 500).
            hits += [(h.table, tuple(h.pk), h.url, h.score) for h in result.hits if h.url is not None]
            notes += result.notes
        if len(scopes) > 1:
            hits.sort(key=lambda hit: -hit[3])  # stable: one table's own order stands
        named, only_about = await _named_hits(datasette, actor, database, question, reader)
        notes = list(dict.fromkeys(notes))
        if len(named) == 1 and (only_about or (hits and hits[0][:2] == named[0][:2])):
            return named, notes, True
        seen = {(table, pk) for table, pk, _, _ in named}
        return (named + [hit for hit in hits if (hit[0], hit[1]) not in seen])[:k], notes, False
    from ...config import settings_for
    from ...embeddings import INDEXES, QUERY_EMBEDDINGS
    from ...embeddings.semantic_ranking import query_model

    settings = settings_for(datasette)
    db = permissions.get_database(datasette, database)
    found = []
    for collection in await text_collections(datasette, actor, database, settings.table_prefix):
        ids = restrict.get(collection.table)
        if not ids:
            continue
        model = query_model(settings, collection.collection.model)
        vector = await QUERY_EMBEDDINGS.get(model, question)
        index = await INDEXES.get(db, collection.store, collection.collection.id)
        positions = [i for i, id_ in enumerate(index.ids) if id_ in ids]
        if not positions or index.dimensions != len(vector):  # another model's vectors: nothing to compare
            if positions:
                QUERY_EMBEDDINGS.forget(model, question)
            continue
        scores = index.matrix[positions] @ np.asarray(vector, dtype=np.float32)
        pks = await db.primary_keys(collection.table)
        for position, score in zip(positions, scores):
            id_ = index.ids[position]
            pk = tuple(json.loads(id_)) if len(pks) > 1 else (id_,)
            found.append((collection.table, pk, row_url(datasette, database, collection.table, pks, pk), float(score)))
    found.sort(key=lambda item: -item[3])
    return found[:k], [], False


def row_url(datasette, database: str, table: str, pks: list, pk: tuple) -> str:
    """The row's page, its key encoded as Datasette encodes it: a key is database content, and a raw
    "../../-/ask?q=x" made the Sources link another page of the site (found by an outside attacker)."""
    from datasette.utils import path_from_row_pks

    return datasette.urls.row(database, table, path_from_row_pks(dict(zip(pks or ["rowid"], pk)), pks, not pks))


async def _named_hits(datasette, actor, database: str, question: str, reader: Reader) -> tuple[list[tuple], bool]:
    """Rows the question names outright ("What is Datasette Lite?"), first; score 1.0 marks them. And whether the
    question asks nothing but what the first of them is (name_match.asks_only_about)."""
    from ...config import settings_for
    from .name_match import asks_only_about, named_spans

    db = permissions.get_database(datasette, database)
    found, spans = [], []
    for collection in await text_collections(datasette, actor, database, settings_for(datasette).table_prefix):
        if reader.tables is not None and collection.table not in reader.tables:
            continue
        pks = await db.primary_keys(collection.table)
        for pk, span in await named_spans(
            db, collection.table, question, allowed=reader.allowed, time_limit_ms=reader.time_limit_ms
        ):
            found.append((collection.table, pk, row_url(datasette, database, collection.table, pks, pk), 1.0))
            spans.append(span)
    return found[:2], bool(spans) and asks_only_about(question, spans[0])


async def build_passages(
    datasette,
    actor,
    database: str,
    question: str,
    *,
    chat: ChatModel,
    embedder,
    budget_tokens: int,
    reader: Reader,
    k: int = 4,
    restrict: dict | None = None,
    before_reading=None,
):
    """Numbered passages from the best rows, each within budget_tokens / k, and notes on what was cut.
    `before_reading`: awaited once the rows are chosen, before any is read (embedding the question may take a
    while: a table revoked meanwhile is read no more; AskPipeline.still_allowed)."""
    hits, notes, alone = await hits_for(datasette, actor, database, question, k, restrict, reader)
    if before_reading is not None:
        await before_reading()
    db = permissions.get_database(datasette, database)
    if not hits:
        return [], notes
    if alone:
        budget_tokens = int(budget_tokens * NAMED_ALONE_SHARE)
    hits = sorted(hits, key=lambda hit: not names_in_question(hit, question))  # stable: exact names first
    per_passage = max(64, budget_tokens // len(hits))
    from ...embeddings import QUERY_EMBEDDINGS

    # The search above embedded the question already, with the same model where the collection's is the configured
    # one: its vector is kept for this asker (a text question was embedded twice; an outside tester, session 42).
    question_vector = await QUERY_EMBEDDINGS.get(embedder, question)
    passages = []
    for table, pk, url, score in hits:
        row, cut = await full_row(db, table, list(pk), reader)
        if row is None:
            continue
        if cut:
            notes.append(
                f"row {row_label(row, pk)} of {table}: {', '.join(cut[:5])}{'…' if len(cut) > 5 else ''} cut "
                f"(a row is read up to {ROW_TEXT_CHARS:,} characters, {ROW_CELL_CHARS:,} a column)"
            )
        # Off the event loop: a row's text may be megabytes (what is cleaned and split is linear in it, session 27).
        text, chunks = await asyncio.to_thread(_cleaned_chunks, row)
        header = f"[{len(passages) + 1}] {table}: {row_label(row, pk)}\n"
        budget = per_passage - chat.count_tokens(header)
        if fits_whole(chunks, chat.count_tokens, budget):  # shown whole whatever the scores: nothing to embed
            scores = [0.0] * len(chunks)
        else:
            scores = await rank_chunks(question, chunks, question_vector, embedder.aembed)
        shown, _ = best_window(chunks, scores, chat.count_tokens, budget)
        passages.append(
            Passage(
                len(passages) + 1,
                database,
                table,
                pk,
                row_label(row, pk),
                url,
                shown,
                len(text),
                len(shown.replace("…", "")),
                score,
            )
        )
    for p in passages:
        if p.clipped:
            notes.append(
                f"passage [{p.number}] ({p.label}) is {p.shown_chars:,} of {p.full_chars:,} characters, "
                "around the best-matching part"
            )
    return passages, notes


def names_in_question(hit, question: str) -> bool:
    """Whether the question names the row itself (its key's last part, e.g. "shot-scraper")."""
    words = set(re.findall(r"[\w.-]+", question.lower()))
    return any(str(value).lower().rsplit("/", 1)[-1] in words for value in hit[1])


def attribute(answer: str, passages, threshold: float = 0.6) -> list:
    """Passages that contain most of the answer's content words: for answers that forgot their [n] markers.
    Reported as matched, not cited, so nobody mistakes it for the model's own citation."""
    words = {w for w in re.findall(r"[a-z][a-z0-9-]{3,}", answer.lower())}
    if not words:
        return []
    scored = []
    for passage in passages:
        overlap = len(words & set(re.findall(r"[a-z][a-z0-9-]{3,}", passage.text.lower()))) / len(words)
        if overlap >= threshold:
            scored.append((overlap, passage))
    return [p for _, p in sorted(scored, key=lambda item: -item[0])[:2]]


CITATION = re.compile(r"\[(\d{1,2})\]")


def cited_numbers(answer: str, count: int) -> tuple[list[int], list[int]]:
    """(valid citation numbers in order of first use, numbers that match no passage)."""
    valid, invalid = [], []
    for match in CITATION.finditer(answer):
        number = int(match.group(1))
        target = valid if 1 <= number <= count else invalid
        if number not in target:
            target.append(number)
    return valid, invalid


def is_not_found(answer: str) -> bool:
    return answer.strip().lower().startswith("not found in the data")


def framed(text: str, *, one_line: bool = False) -> str:
    """Database text as the passages prompt shows it: data that cannot pass for the prompt's structure (before,
    a README line "[2] other-repo" read as a passage of its own, so one row's claim could be cited as another's)."""
    text = BRACKETED_NUMBER.sub(r"(\1)", LINE_END.sub(" " if one_line else "\n", text))
    return PROMPT_WORD_LINE.sub(r"\1> ", text)


def passage_source(p) -> str:
    """One passage as the model reads it after its number: its table and label, then its text."""
    return f"{framed(p.table, one_line=True)}: {framed(p.label, one_line=True)}\n{framed(p.text)}"


def passage_messages(question: str, passages, notes) -> list[dict]:
    blocks = "\n\n".join(f"[{p.number}] {passage_source(p)}" for p in passages)
    note_text = ("Notes: " + "; ".join(notes) + "\n") if notes else ""
    return [
        {"role": "system", "content": prompts.TEXT_ANSWER_SYSTEM},
        {
            "role": "user",
            "content": prompts.TEXT_ANSWER_USER.format(
                question=question, passages=blocks or "(no passages were found)", notes=note_text
            ),
        },
    ]


def passage_options(max_tokens: int) -> ChatOptions:
    return answer_options(max_tokens, prompts.TEXT_ANSWER_USER)


async def answer_from_passages(chat: ChatModel, question: str, passages, notes, max_tokens: int, on_token=None):
    messages = passage_messages(question, passages, notes)
    options = passage_options(max_tokens)
    pieces = []
    async for piece in chat.stream(messages, options):
        if not piece:
            continue
        pieces.append(piece)
        if on_token is not None:
            await on_token(piece)
    return "".join(pieces).strip(), messages


async def restrict_from_rows(datasette, database: str, collections, result) -> dict:
    """{table: ids} of the SQL result's rows that have embeddings: the column whose values best match the ids
    of a collection (a primary key, or a foreign key to that table) decides."""
    db = permissions.get_database(datasette, database)
    from ...embeddings import INDEXES

    restrict = {}
    for collection in collections:
        index = await INDEXES.get(db, collection.store, collection.collection.id)
        ids = set(index.ids)
        best, best_overlap = None, 0
        for position in range(len(result.columns)):
            values = {str(row[position]) for row in result.rows if row[position] is not None}
            overlap = len(values & ids)
            if overlap > best_overlap:
                best, best_overlap = values & ids, overlap
        if best:
            restrict[collection.table] = best
    return restrict
