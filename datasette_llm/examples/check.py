"""The SQL guard applied to trusted examples: when they are added, and again when the database's schema changes.

An example is added only if the guard accepts its SQL against the tables the actor who adds it may see, so a
table hidden by Datasette's permissions is refused exactly as an unknown table is. Each example remembers a
hash of the whole database schema it was last checked against; when the schema changes, `recheck` runs the
guard again over the whole schema (whoever added an example saw it, and the reader's own permissions apply
when it is used) and sets aside the examples that no longer pass, with the guard's reason.

Each example and piece of feedback keeps the tables its SQL reads (`reads_text`), found by the guard against the
tables the actor who sent it may see. A listing shows someone only the entries whose SQL reads tables they may
see (`readable_by`, in visibility.py with the rest of who is shown what), or everything to someone who may see
every table. The decision never looks at names in the SQL text: a hidden table's name and a name that exists
nowhere are both refused by the guard, so an entry naming either is left out alike, and writing entries and
listing them cannot tell a teacher which tables exist.
Comments are dropped from an example's SQL when it is added (`without_comments`): they change nothing SQLite
does, and text in them would reach every prompt the example is shown in.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, replace

from .. import permissions
from ..errors import BadRequest, DatasetteLLMError, StoreFull
from ..sql.guard import check_select, check_select_off_loop
from ..sql.lexer import without_comments
from ..sql.names import fold
from ..sql.results import GuardedSQL, Rejection, SchemaInfo
from .mentions import names_text
from .store import Example, ExampleStore, actor_key
from .store_file import STORE_ERRORS
from .vectors import ADD_WAIT_SECONDS, vectors_on_adding
from .visibility import (  # noqa: F401 - imported from here too
    AskerView,
    Viewer,
    actor_id,
    actor_schemas,
    readable_by,
    shown_to,
    viewer_tables,
)

logger = logging.getLogger("datasette_llm")

# Re-check outcomes are written this many at a time, in one transaction (a commit an example was most of the time).
RECHECK_BATCH = 100
# Pairs of an import checked, then stored in one transaction (each in its own took 2 ms, 15 under load: session 48).
ADD_BATCH = 200


def schema_hash(schema_info: SchemaInfo) -> str:
    """A short hash of the tables (and views) and their columns, the same whatever order they were read in."""
    shape = sorted((name, list(columns)) for name, columns in schema_info.tables.items())
    return hashlib.sha256(json.dumps(shape).encode()).hexdigest()[:16]


def database_schema(conn: sqlite3.Connection) -> SchemaInfo:
    """Every table and view of the database file, whoever may see them (runs in Datasette's read thread)."""
    return SchemaInfo.from_connection(conn)


def check_example(sql: str, schema: SchemaInfo, *, allowed_tables: set[str] | None = None) -> str | None:
    """None when the guard accepts the query, else its reason for refusing it."""
    return rejection_reason(check_select(sql, schema, allowed_tables=allowed_tables))


def rejection_reason(result: GuardedSQL | Rejection) -> str | None:
    return result.reason if isinstance(result, Rejection) else None


@dataclass(frozen=True)
class AddOutcome:
    """What became of one (question, SQL) pair offered to the store."""

    question: str
    sql: str
    status: str  # "added" | "present" | "refused"
    example: Example | None = None
    reason: str | None = None  # why it was refused

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "sql": self.sql,
            "status": self.status,
            "example": self.example.to_json() if self.example else None,
            "reason": self.reason,
        }


async def add_example(
    datasette, database: str, question: str, sql: str, *, actor, store: ExampleStore, added_by: str | None = None
) -> Example:
    """Check the SQL against the tables `actor` may see and store the example; BadRequest with the guard's
    reason when it is refused. `added_by` defaults to the actor's id."""
    return (await add_one(datasette, database, question, sql, actor=actor, store=store, added_by=added_by)).example


async def add_one(
    datasette, database: str, question: str, sql: str, *, actor, store: ExampleStore, added_by: str | None = None
) -> AddOutcome:
    """add_example, telling whether the example is new ("added") or was stored already ("present")."""
    (outcome,) = await add_examples(datasette, database, [(question, sql)], actor=actor, store=store, added_by=added_by)
    if outcome.example is None:
        raise BadRequest(f"The example was refused: {outcome.reason}", reason=outcome.reason)
    return outcome


async def add_with_feedback(
    datasette, database: str, question: str, sql: str, *, actor, store: ExampleStore, comment: str | None
) -> tuple:
    """ "This is right": (the feedback, the AddOutcome of its example), stored together or not at all (BadRequest
    with the guard's reason when the example is refused; StoreFull when either store is full)."""
    added_by = actor_id(actor)
    allowed, visible, full = await actor_schemas(datasette, actor, database)
    shown_question, shown_sql, checked, reason = await _check_pair(store, question, sql, allowed, visible)
    if reason is not None:
        raise BadRequest(f"The example was refused: {reason}", reason=reason)
    feedback_reads, feedback_names = await _feedback_checks(allowed, visible, question, sql, comment)
    example = {
        "question": shown_question,
        "sql": shown_sql,
        "added_by": added_by,
        "schema_hash": schema_hash(full),
        "reads": reads_text(checked),
        "names": await asyncio.to_thread(names_text, visible, shown_question, shown_sql),
        "author": actor_key(actor),
    }
    feedback, stored, created = await asyncio.to_thread(
        store.record_right,
        database,
        question,
        sql,
        comment=comment,
        actor=added_by,
        reads=feedback_reads,
        names=feedback_names,
        example=example,
    )
    if created:
        await vectors_on_adding(datasette, store, database, [stored], ADD_WAIT_SECONDS)
    return feedback, AddOutcome(shown_question, shown_sql, "added" if created else "present", stored)


def reads_text(checked: GuardedSQL | Rejection) -> str:
    """What an entry keeps in `reads`: the tables (and views) of a query the guard accepted, as a sorted JSON list
    of lower-case names; "" when the guard refused it."""
    if isinstance(checked, GuardedSQL):
        return json.dumps(sorted({fold(name) for name in checked.tables}))
    return ""


async def feedback_checks(datasette, actor, database: str, question, sql, comment) -> tuple[str | None, str]:
    """(reads_text of the SQL, names_text of the question, SQL and comment) for feedback, against the tables the
    actor who sends it may see."""
    allowed, visible, _ = await actor_schemas(datasette, actor, database)
    return await _feedback_checks(allowed, visible, question, sql, comment)


async def _feedback_checks(allowed, visible: SchemaInfo, question, sql, comment) -> tuple[str | None, str]:
    names = await asyncio.to_thread(names_text, visible, question, sql, comment)  # up to 0.8 s of Unicode
    if sql is None or not str(sql).strip():
        return None, names
    return reads_text(await check_select_off_loop(str(sql), visible, allowed_tables=allowed)), names


async def fill_checks(
    datasette, database: str, store: ExampleStore, entries: list, schema: SchemaInfo | None = None
) -> list:
    """Entries stored before `reads` and `names` were kept get them now, over the whole schema (whoever wrote
    them is not known any more, so every name counts; a query the guard refuses now, "", is shown only to those
    who may see every table). `schema`: the database's whole schema, when the caller has read it already."""
    missing = [entry for entry in entries if entry.names is None]
    if not missing:
        return entries
    if schema is None:
        schema = await permissions.get_database(datasette, database).execute_fn(database_schema)
    filled = {}
    for entry in missing:
        reads = entry.reads
        if entry.sql is not None and reads is None:
            reads = reads_text(await check_select_off_loop(entry.sql, schema))
        names = await asyncio.to_thread(names_text, schema, entry.question, entry.sql, getattr(entry, "comment", None))
        filled[id(entry)] = replace(entry, reads=reads, names=names)
    try:
        for entry in missing:
            await asyncio.to_thread(store.set_checks, entry, filled[id(entry)].reads, filled[id(entry)].names)
    except STORE_ERRORS as error:  # cannot be written: the checks made here serve this read all the same
        logger.warning("datasette-llm: the checks of %s's examples could not be recorded: %s", database, error)
    return [filled.get(id(entry), entry) for entry in entries]


async def add_examples(
    datasette,
    database: str,
    pairs: Iterable[tuple[object, object]],
    *,
    actor,
    store: ExampleStore,
    added_by: str | None = None,
    cli: bool = False,
) -> list[AddOutcome]:
    """Check and store many pairs (an import), reading the schema once; one outcome a pair, in order. `cli`: the
    command line adds them (one author, which finds any author's example: ExampleStore.get_or_add)."""
    # The actor is the author, unless a name is given for one that is not an actor (the command line, a script).
    author = None if cli or added_by is not None else actor_key(actor)
    if added_by is None:
        added_by = actor_id(actor)
    allowed, visible, full = await actor_schemas(datasette, actor, database)
    current_hash = schema_hash(full)
    # The names its text mentions are looked for among those its author may see; whoever runs the command line
    # may read the database file, so all of them (its SQL is still checked as an anonymous visitor's). An outside
    # tester (session 24): a CLI example naming a hidden table in its question recorded no name, so every asker
    # was shown it.
    named = full if cli else visible
    outcomes: list[AddOutcome] = []
    pairs = iter(pairs)
    try:
        while chunk := list(itertools.islice(pairs, ADD_BATCH)):
            await _add_pairs(
                outcomes, store, database, chunk, allowed, visible, named, current_hash, added_by, cli, author
            )
    except DatasetteLLMError as error:  # the store failed part way: say what is stored (an import is idempotent)
        if not outcomes:
            raise
        stored = sum(outcome.status != "refused" for outcome in outcomes)
        error.message = (
            f"{error.message} The first {len(outcomes):,} items were checked before it and {stored:,} of them are "
            "stored"
        )
        if isinstance(error, StoreFull):
            error.message += "."
        else:
            error.message += (
                "; run the same import again to add the rest (those stored are reported as already present)."
            )
        raise
    added = [outcome.example for outcome in outcomes if outcome.status == "added"]
    await vectors_on_adding(datasette, store, database, added, None if cli else ADD_WAIT_SECONDS)
    return outcomes


async def _check_pair(
    store, question, sql, allowed, visible
) -> tuple[str, str, GuardedSQL | Rejection | None, str | None]:
    """(question, SQL as it would be stored, the guard's verdict, the reason the pair is refused or None)."""
    try:
        question, sql = store.clean_pair(question, sql)  # as sent: a NUL in a comment is refused too
        sql = without_comments(sql).strip()
    except BadRequest as error:
        return str(question or ""), str(sql or ""), None, error.message
    checked = await check_select_off_loop(sql, visible, allowed_tables=allowed)
    return question, sql, checked, rejection_reason(checked)


async def _add_pairs(
    outcomes: list[AddOutcome], store, database, pairs, allowed, visible, named, current_hash, added_by, cli, author
) -> None:
    """Check each pair against what the actor may see and store those that pass, with the names of `named` their
    text mentions, in one write (a pair's outcome appended to `outcomes` once it is stored or refused). StoreFull
    once the store is full, the pairs before it stored; a failed write stores none of them."""
    checked = [await _check_pair(store, question, sql, allowed, visible) for question, sql in pairs]
    passed = [(question, sql, verdict) for question, sql, verdict, reason in checked if reason is None]

    def store_passed():
        items = [
            {
                "question": question,
                "sql": sql,
                "added_by": added_by,
                "schema_hash": current_hash,
                "reads": reads_text(verdict),
                "names": names_text(named, question, sql),
                "author": author,
            }
            for question, sql, verdict in passed
        ]
        return store.get_or_add_many(database, items, cli=cli)

    stored, full = await asyncio.to_thread(store_passed) if passed else ([], None)
    results = iter(stored)
    # The command line (whoever may read the file and its store) is told that a pair its actor may not add is stored
    # already: `export` writes every example, hidden tables' too, and its import refused them (an outside tester,
    # session 56). Nothing is written; a web teacher is never told of another's example this way.
    kept = {}
    if cli and any(reason is not None for *_, reason in checked):
        for example in await asyncio.to_thread(store.examples, database, include_set_aside=True):
            kept.setdefault((example.question, example.sql), example)  # the first stored, as get_or_add finds it
    for question, sql, _, reason in checked:
        if reason is not None:
            if (question, sql) in kept:
                outcomes.append(AddOutcome(question, sql, "present", kept[(question, sql)]))
            else:
                outcomes.append(AddOutcome(question, sql, "refused", reason=reason))
            continue
        result = next(results, None)
        if result is None:  # the store was full from this pair on
            raise full
        example, created = result
        outcomes.append(AddOutcome(question, sql, "added" if created else "present", example))


# The re-check running for a (loop, store, database, schema hash): requests that need it meanwhile wait for it
# instead of each checking every example again (an outside tester: 10 questions at once after one schema change
# re-checked 1,500 examples 10 times, 27-29 s each, and two got 503 from the guard's queue; session 18).
_RECHECKS: dict[tuple, asyncio.Future] = {}


async def recheck(datasette, database: str, store: ExampleStore, schema: SchemaInfo | None = None) -> list[Example]:
    """Check again the examples last checked against another schema (the database's now, `schema` when the caller
    has read it already); return those set aside by this re-check (every caller that waited for it gets them).

    Still valid: the new hash is recorded. Refused: set aside with the guard's reason. A set-aside example that
    passes again becomes active.
    """
    if schema is None:
        schema = await permissions.get_database(datasette, database).execute_fn(database_schema)
    current_hash = schema_hash(schema)
    key = (id(asyncio.get_running_loop()), str(store.path), database, current_hash)
    running = _RECHECKS.get(key)
    if running is None:
        running = _RECHECKS[key] = asyncio.ensure_future(_recheck(database, store, schema, current_hash))
        running.add_done_callback(lambda _: _RECHECKS.pop(key, None))
    return list(await asyncio.shield(running))  # a caller that goes away does not stop it for the others


async def recheck_and_read(datasette, database: str, store: ExampleStore) -> tuple[list[Example], list[Example]]:
    """(the examples set aside by the re-check, every example of the database as the schema read now judges it).

    Re-checked first (recheck); an example the store then holds with another schema's outcome is checked again
    here against the schema this read, and listed so: a re-check in another process, started under a schema that
    has changed since, can write after this one (an outside tester listing while a column came and went, from two
    servers and the command line: 60 of 60 examples that no longer validate listed as active, and valid ones as
    set aside; session 44)."""
    schema = await permissions.get_database(datasette, database).execute_fn(database_schema)
    set_aside = await recheck(datasette, database, store, schema)
    examples = await asyncio.to_thread(store.examples, database, include_set_aside=True)
    return set_aside, await as_judged_by(examples, schema)


async def as_judged_by(examples: list[Example], schema: SchemaInfo) -> list[Example]:
    """`examples` with the outcome of a check against `schema` where the one stored is another schema's."""
    current = schema_hash(schema)
    judged = []
    for example in examples:
        if example.schema_hash != current:
            status, reason = await _outcome(example.sql, schema)
            example = replace(example, schema_hash=current, status=status, reason=reason)
        judged.append(example)
    return judged


async def _outcome(sql: str, schema: SchemaInfo) -> tuple[str, str | None]:
    """(status, reason) of an example's SQL checked against `schema`: "active", or "set_aside" with the guard's
    reason."""
    reason = rejection_reason(await check_select_off_loop(sql, schema))
    return ("active" if reason is None else "set_aside"), reason


async def _recheck(database: str, store: ExampleStore, schema: SchemaInfo, current_hash: str) -> list[Example]:
    stale = [
        example
        for example in await asyncio.to_thread(store.examples, database, include_set_aside=True)
        if example.schema_hash != current_hash
    ]
    set_aside = []
    for start in range(0, len(stale), RECHECK_BATCH):
        batch = stale[start : start + RECHECK_BATCH]
        outcomes = []
        for example in batch:
            outcomes.append((example.id, *await _outcome(example.sql, schema)))
        try:
            await asyncio.to_thread(store.set_checked_many, outcomes, schema_hash=current_hash)
        except STORE_ERRORS as error:  # cannot be written: the outcomes hold for this read, and are made again next
            logger.warning("datasette-llm: the re-check of %s's examples could not be recorded: %s", database, error)
        for example, (_, status, reason) in zip(batch, outcomes):
            if status == "set_aside" and example.status == "active":  # as set_checked_many records it
                set_aside.append(replace(example, schema_hash=current_hash, status=status, reason=reason))
    return set_aside
