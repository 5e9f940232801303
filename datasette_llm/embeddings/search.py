"""Search a Datasette instance's embeddings collections by meaning, by keyword (FTS BM25), or both fused.

semantic_search() checks the request, picks the collections (targets.py), ranks by meaning
(semantic_ranking.py) and by keyword (keyword_ranking.py), fuses the rankings (ranking.py) and fetches the rows
(hits.py) into a SearchResult (results.py), timing each stage."""

from __future__ import annotations

import sqlite3

from datasette.database import QueryInterrupted

from .. import permissions
from ..config import settings_for
from ..errors import BadRequest, ModelBusy
from ..models.reply_cache import SCOPE, ReplyScope, asker_key
from ..sql.failures import unreadable_message
from ..timing import Timings, clock
from .hits import existing_keys, fetch_hits
from .keyword_ranking import keyword_ranking
from .ranking import CANDIDATES, fuse
from .results import SearchResult
from .semantic_ranking import semantic_ranking
from .store import StoreTables
from .targets import search_targets

MODES = ("semantic", "keyword", "hybrid")
MAX_LIMIT = 100
TIMING_DIGITS = 4  # seconds to 0.1 ms: a search takes milliseconds


class SearchUnavailable(ModelBusy):
    """The database is busy (locked by a writer) or too slow: retry later (503 with Retry-After)."""

    code = "search_unavailable"


def check_params(q, limit, mode, max_chars: int = 2000) -> tuple[str, int, str]:
    """Validated (q, limit, mode), or a BadRequest that says what is allowed. `q` is at most `max_chars` long
    (the setting max_question_chars, as for questions): a link can start a search, and a hosted embedding model
    charges by length."""
    q = (q or "").strip()
    if not q:
        raise BadRequest("The search query is empty: give some words to search for (q=...).")
    if len(q) > max_chars:
        raise BadRequest(f"The search query is {len(q):,} characters long; the limit is {max_chars:,}.")
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}, got {limit!r}.") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be from 1 to {MAX_LIMIT}, got {limit}.")
    mode = (mode or "hybrid").strip().lower()
    if mode not in MODES:
        raise BadRequest(f"mode must be one of {', '.join(MODES)}, got {mode!r}.")
    return q, limit, mode


async def semantic_search(
    datasette,
    actor,
    q: str,
    database: str | None = None,
    table: str | None = None,
    limit: int = 10,
    mode: str = "hybrid",
) -> SearchResult:
    """Search the embeddings collections the actor may see and return the best rows.

    Stable API (the web page, the JSON endpoint, the CLI and `ask` retrieval call it):
    - `actor`: the Datasette actor dict or None; hits only come from tables the actor may view.
    - `database` / `table`: narrow the search; omitted, every visible collection is searched. `table` may
      also name an llm collection that matches no table.
    - `limit`: 1..100. `mode`: "semantic" (cosine over the vectors), "keyword" (SQLite FTS BM25, for tables
      with full-text search) or "hybrid" (both rankings fused; semantic only where a table has no FTS).
    Raises BadRequest (400) for an empty q or a bad limit/mode, NotFound (404, listing what exists) for an
    unknown database, table or collection, ModelNotReady (503) when the embedding model is missing.
    """
    q, limit, mode = check_params(q, limit, mode, settings_for(datasette).max_question_chars)
    # The query's vector is kept per asker (embeddings/index.QueryEmbeddings): a search of its own is its actor's,
    # or, anonymous, its own request's; one within a question is the question's asker's.
    scope = SCOPE.set(ReplyScope(asker_key(actor))) if SCOPE.get() is None else None
    try:
        return await _search(datasette, actor, q, database, table, limit, mode)
    except (sqlite3.DatabaseError, QueryInterrupted) as error:
        # A writer holding the file (a build committing) or a slow disk: retryable, not a server bug; a damaged
        # file (a 500 before: an outside tester, session 36) is said to be damaged.
        raise SearchUnavailable(
            unreadable_message(error, "search"),
            retry_after=2,
        ) from None
    finally:
        if scope is not None:
            SCOPE.reset(scope)


async def _search(datasette, actor, q, database, table, limit, mode) -> SearchResult:
    started = clock()
    settings = settings_for(datasette)
    store = StoreTables(settings.table_prefix or "")
    timings = Timings(TIMING_DIGITS)
    notes: list[str] = []
    targets = await search_targets(datasette, actor, database, table, store, notes)
    if mode == "keyword" and table is not None and targets:
        target = targets[0]
        if not target.table or not await permissions.visible_fts_table(datasette, actor, target.database, target.table):
            raise BadRequest(
                f"{target.label} has no full-text search index, so mode=keyword cannot be used; "
                "use mode=semantic or hybrid, or enable FTS on the table."
            )
    depth = max(limit, CANDIDATES) if mode == "hybrid" else limit
    by_key = {(t.database, t.table or t.collection.name): t for t in targets}
    semantic, model_names = ([], [])
    if mode != "keyword":
        semantic, model_names = await _semantic_of_rows_that_exist(
            datasette, targets, by_key, q, depth, timings, notes, strict=table is not None
        )
    keyword = await keyword_ranking(datasette, actor, targets, q, depth, timings, notes) if mode != "semantic" else []
    if mode == "hybrid":
        fused = fuse(semantic, keyword)
    else:  # one ranking alone keeps its own order
        fused = fuse(semantic, [], weight=1.0) if mode == "semantic" else fuse([], keyword, weight=0.0)
    chosen = fused[: limit * 2]  # a row may still go between the rankings and the read
    fetching = clock()
    hits = await fetch_hits(datasette, chosen, by_key, mode)
    timings.add("rows", fetching)
    timings.add("total", started)
    return SearchResult(
        q,
        mode,
        limit,
        tuple(hits[:limit]),
        ", ".join(model_names) or None,
        tuple(t.label for t in targets),
        timings,
        tuple(notes),
    )


MAX_DEPTH = 16_384  # vectors read past rows deleted since the build, at most, a search


async def _semantic_of_rows_that_exist(datasette, targets, by_key, q, depth, timings, notes, *, strict):
    """The `depth` best vectors of rows that exist, over every target: each collection read on its own, so one
    whose nearest vectors are all of deleted rows cannot crowd the others out (a third outside tester, session 37:
    20,000 stale vectors blanked a database-wide search)."""
    ranked, model_names = [], []
    for target in targets:
        kept, names = await _one_collection(datasette, target, by_key, q, depth, timings, notes, strict=strict)
        ranked += kept
        model_names += [name for name in names if name not in model_names]
    ranked.sort(key=lambda item: -item[1])
    return ranked[:depth], model_names


async def _one_collection(datasette, target, by_key, q, depth, timings, notes, *, strict):
    """One collection's `depth` best vectors of rows that exist: vectors of rows deleted since the build are
    passed over, the ranking read twice as deep each time they take places, up to MAX_DEPTH (four rounds came back
    short when more than 7 in 8 of the nearest rows were gone: a second outside tester, session 37), then a note
    says so."""
    wanted, alive = depth, {}
    while True:
        said: list[str] = []  # each round's notes are the same: the last round's are kept
        ranked, model_names = await semantic_ranking(datasette, [target], q, wanted, timings, said, strict=strict)
        new = [key for key, _ in ranked if key not in alive]
        found = await existing_keys(datasette, new, by_key)
        alive.update((key, key in found) for key in new)
        kept = [(key, score) for key, score in ranked if alive[key]]
        if len(kept) >= depth or len(ranked) < wanted:  # enough, or every vector read
            break
        if wanted >= MAX_DEPTH:
            said.append(
                f"{target.label}: the {wanted:,} nearest vectors are mostly of rows deleted since they were "
                "embedded, so fewer rows than asked for came back; run `datasette llm embed` again to update it"
            )
            break
        wanted = min(wanted * 2, MAX_DEPTH)
    notes.extend(said)
    return kept[:depth], model_names
