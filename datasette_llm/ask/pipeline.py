"""The Ask pipeline: question -> schema -> SQL (validated, repaired) -> rows -> grounded answer.

`ask()` is the Python API; the CLI, the JSON API, the page and MCP all call it and share `AskResult.to_json`.
AskPipeline holds one question's state; its stages are methods, grouped by module: examples_stage.py (the
trusted examples in the SQL prompt), write_sql.py (the repair loop), mend.py (validate, mend and run one query),
answer.py (answer from rows or from text).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

from .. import permissions
from ..config import Settings, settings_for
from ..errors import BadRequest, ContextOverflow, DatasetteLLMError, ModelError
from ..models import ChatModel, chat_model_for
from ..models.reply_cache import SCOPE, ReplyScope, asker_key
from ..sql.authorizer import read_policy
from ..sql.execute import QueryResult, guard_limit, time_limit_for
from ..sql.join_links import foreign_links
from ..sql.results import GuardedSQL, SchemaInfo
from ..timing import Timings, clock
from . import repairs
from .answer import Answering, appear, partial_answer_warning, row_cap_note
from .attribution import attribution_warnings
from .conversation import sql_messages
from .examples_stage import UsingExamples
from .few_shot import ShotPool, Shots
from .mend import Mending
from .numbers import invisible_dropped, shown_with_table_names, unverified_numbers
from .question import check_question, normalise_history
from .repairs.value_hints import Probe
from .results import AskResult, Attempt, Candidate
from .schema import PromptSchema, render_schema
from .schema_tables import TableSchema, load_tables
from .write_sql import WritingSql

EventCallback = Callable[[str, dict], Awaitable[None]]

SCHEMA_SHARE = 0.6  # of the context window, at most, for the schema in the SQL prompt


FROM_ACTOR = object()  # AskPipeline's asker when the caller names none: the actor's own scope


class AskPipeline(UsingExamples, WritingSql, Mending, Answering):
    """One question's run. Methods are the stages; `run` ties them together. The state is set here, in
    `__init__` and `prepare`; the stage groups live in examples_stage.py, write_sql.py, mend.py and answer.py."""

    def __init__(
        self,
        datasette,
        database: str,
        question: str,
        *,
        actor=None,
        history=None,
        model: ChatModel | None = None,
        settings: Settings | None = None,
        tables: Sequence[str] = (),
        sql_only: bool = False,
        on_event: EventCallback | None = None,
        attempts: int | None = None,
        mode: str = "auto",
        examples: ShotPool | None = None,
        asker: str | None | object = FROM_ACTOR,
    ):
        self.datasette = datasette
        self.database = database
        self.settings = settings or settings_for(datasette)
        self.question = check_question(question, self.settings)
        self.actor = actor
        self.history = normalise_history(history)
        self.model = model or chat_model_for(self.settings)
        self.focus = tuple(tables)
        self.sql_only = sql_only
        self.on_event = on_event
        self.max_attempts = max(1, attempts or self.settings.repair_attempts)
        self.timings = Timings(digits=3)  # seconds per stage
        self.tokens = {"sql_prompt": 0, "sql_completion": 0, "answer_prompt": 0, "answer_completion": 0}
        # Replies written before for the same prompt are kept per asker (models/reply_cache.py); counted here. Over
        # HTTP the caller says who the asker is (asker_key); in process, the actor or the one anonymous user.
        if asker is FROM_ACTOR:
            asker = asker_key(actor) if actor is not None else ""
        self.reply_scope = ReplyScope(asker)
        self.notes: list[str] = []
        self.schema = None  # the schema prompt (render_schema)
        self.attempts: list[Attempt] = []
        self.mode = mode or "auto"
        self.route = None
        self.collections: list = []  # the tables with embeddings the actor sees (choose_route)
        self.text_reason: str | None = None  # why a query written cannot answer, so text does (write_sql.py)
        self.text_rows: dict | None = None  # ...and the rows whose text does, when the query told them
        self.sql_doubts: tuple[str, ...] = ()  # what still looks wrong in the query that stood (write_sql.py)
        self.sql_notes_from = 0  # where the notes written while that query was written begin
        self.passages: list = []
        self.citations: list = []
        self.citation_kind = "cited"  # or "matched": attributed by text overlap when the model gave no [n]
        self.candidates: list[Candidate] = []
        self.pool = examples  # None: the database's trusted examples and canned queries (ask/few_shot_pool.py)
        self.shots = Shots()  # the examples in this question's SQL prompt
        self.ties = None  # rows the query's LIMIT left out that sort like the last one shown (repairs/tied_rows.py)
        self.probing = None  # (the checked query, its Probe): its probes share one time budget (mend.probe_for)

    async def emit(self, stage: str, **data):
        if self.on_event is not None:
            await self.on_event(stage, data)

    def _count_sql_tokens(self, reply):
        self.tokens["sql_prompt"] += reply.prompt_tokens
        self.tokens["sql_completion"] += reply.completion_tokens

    async def prepare(self):
        started = clock()
        self.db = await permissions.require_ask(self.datasette, self.actor, self.database)
        self.tables: list[TableSchema] = await load_tables(
            self.datasette, self.database, self.actor, table_prefix=self.settings.table_prefix
        )
        if self.focus:
            shown = [x.name for x in self.tables]
            missing = [t for t in self.focus if t not in shown]
            if missing:  # as for a name that exists nowhere
                raise permissions.table_not_found(self.database, missing[0], shown)
        await self.render_schema()
        # The guard knows every visible table; the prompt may show fewer when the schema was cut.
        self.allowed = {t.name for t in self.tables}
        self.time_limit_ms = time_limit_for(self.datasette, self.settings.sql_time_limit_ms)
        declared = foreign_links(self.tables)
        # Links the database does not declare but its names and data show serve the checks, mends and hints.
        self.links = declared + await repairs.IMPLICIT_KEYS.apply(
            Probe(self.db, self.allowed, self.time_limit_ms), self.tables, declared
        )
        # The read policy too: the indexes of visible tables, for INDEXED BY and pragma_index_info (without it the
        # guard refused every index but SQLite's own; an outside tester, session 35).
        allowed = set(self.allowed)
        policy = await self.db.execute_fn(lambda conn: read_policy(conn, self.db, allowed))
        self.guard_schema = SchemaInfo(tables={t.name: t.columns for t in self.tables}, links=self.links, policy=policy)
        self.timings.add("schema", started)

    async def choose_route(self):
        from .route import choose_path
        from .text.rows import text_collections

        self.collections = await text_collections(self.datasette, self.actor, self.database, self.settings.table_prefix)
        if self.focus:
            self.collections = [c for c in self.collections if c.table in self.schema.tables]
        self.route = choose_path(self.question, has_text_index=bool(self.collections), forced=self.mode)
        document = await self.names_a_document()
        if document:
            self.route = replace(self.route, path="text", reason=f"names one row of {document}, which holds only text")
        if self.route.path != "sql" and not self.collections:
            raise BadRequest(
                f"No table in {self.database!r} has embeddings, so the question cannot be answered "
                "from text. Build them with `datasette llm embed`, or ask with mode=sql."
            )
        await self.emit("route", **self.route.to_json())

    async def still_allowed(self) -> None:
        """PermissionsChanged (503, ask again) when Datasette now refuses the actor asking or a table this question
        was decided to see: it was decided before the model wrote, and the prompts hold those tables' schema
        (permissions.require_still_allowed)."""
        await permissions.require_still_allowed(
            self.datasette, self.actor, self.database, self.allowed, table_prefix=self.settings.table_prefix
        )

    async def names_a_document(self) -> str | None:
        """The table when the question asks a fact of the one row it names in a table of nothing but text, which
        the search ranks first too: SQL cannot answer it (text/document_rows.py). Only in mode auto."""
        from .text.answer_text import hits_for
        from .text.document_rows import may_be_one_rows_fact, text_only
        from .text.rows import Reader

        if self.route.path != "sql" or self.route.forced or not self.text_may_answer():
            return None
        by_name = {t.name: t for t in self.tables}
        documents = frozenset(c.table for c in self.collections if c.table in by_name and text_only(by_name[c.table]))
        if not any(may_be_one_rows_fact(self.question, self.route.sql_cues, table) for table in documents):
            return None
        reader = Reader(frozenset(self.allowed), self.time_limit_ms, documents)
        try:
            hits, _, alone = await hits_for(self.datasette, self.actor, self.database, self.question, 1, None, reader)
        except (DatasetteLLMError, ModelError):  # no search now (a busy file, no embedding model): SQL, as asked
            return None
        if not alone or not may_be_one_rows_fact(self.question, self.route.sql_cues, hits[0][0]):
            return None
        return hits[0][0]

    async def render_schema(self, reserve: int = 0):
        """The schema prompt, cut to a share of the model's window and to what the rest of the first SQL prompt and
        its reply leave (its notes replace those of an earlier one). The share alone left a window of 1,024 tokens
        no room for the reply: 615 tokens of schema, 30 of instructions and question and 384 of reply, and every
        question on a schema of that size failed as too long for the window. `reserve`: tokens left besides, for
        an attempt sent back (WritingSql.fit_sent_back)."""
        window = self.model.context_window()
        frame = sql_messages(PromptSchema(self.database, "", ()), self.question, ())
        around = await asyncio.to_thread(self.model.count_message_tokens, frame)
        budget = min(int(window * SCHEMA_SHARE), window - around - self.settings.sql_max_tokens - reserve)
        earlier = self.schema.notes if self.schema is not None else ()
        # Off the event loop: counting tokens may load the model file the first time.
        self.schema = await asyncio.to_thread(
            render_schema,
            self.database,
            self.tables,
            self.model.count_tokens,
            budget,
            question=self.question,
            focus=self.focus,
        )
        self.notes[:] = [note for note in self.notes if note not in earlier] + list(self.schema.notes)

    async def sql_within_the_window(self) -> tuple[GuardedSQL | None, QueryResult | None]:
        """generate_sql; once more, the schema and examples fitted again, when a model server said a prompt was
        longer than its window and how long (session 37: a llama.cpp server of 2,048 tokens refused the first
        question on every database whose schema the plugin had fitted to the 8,192 it assumed)."""
        try:
            return await self.generate_sql()
        except ContextOverflow as error:
            if not error.learned:
                raise
        await self.render_schema()
        if self.shots:
            await self.choose_examples()
        return await self.generate_sql()

    async def run(self) -> AskResult:
        scope = SCOPE.set(self.reply_scope)
        try:
            with self.model.expecting():  # warm-ups give way from the first stage
                return await self._run()
        finally:
            SCOPE.reset(scope)

    async def _run(self) -> AskResult:
        started = clock()
        await self.emit("started", question=self.question)
        await self.prepare()
        await self.choose_route()
        if self.route.path != "text":
            await self.choose_examples()
        if self.route.path == "text":
            answer, warnings = await self.answer_from_text()
            self.timings.add("total", started)
            return self._result(None, None, None, answer=answer, warnings=warnings)
        guarded, result = await self.sql_within_the_window()
        if guarded is None and self.shots and not self.text_reason:
            guarded, result = await self.without_examples()
        elif guarded is not None and repairs.EXAMPLES_DOUBTED.apply(self.shots, self.sql_doubts):
            guarded, result = await self.unless_doubted(guarded, result)
        if guarded is None:
            last = self.attempts[-1].error if self.attempts else "no attempt"
            if self.text_may_answer():
                return await self.text_instead(last, started)
            self.timings.add("total", started)
            return self._result(
                None,
                None,
                None,
                error=f"Could not write a valid query after {self._attempts_made()}. Last problem: {last}",
            )
        self.ties = await self.tied_at_the_limit(guarded, result)
        if self.ties is not None:
            self.notes.append(self.ties.note())
        answer, fitted, warnings = None, None, ()
        if self.route.path == "both":
            from .text.answer_text import restrict_from_rows

            restrict = await restrict_from_rows(self.datasette, self.database, self.collections, result)
            if not restrict:
                self.notes.append(
                    "the query's rows could not be matched to rows with embeddings; searched all of them instead"
                )
            answer, warnings = await self.answer_from_text(restrict or None)
        elif not self.sql_only:
            answer, fitted = await self.answer(guarded, result)
            if fitted is not None:  # None: the table answered, with nothing a model wrote
                counts = (fitted.rows_shown, fitted.rows_fetched)  # row counts the pipeline states itself
                counts += self.ties.counts() if self.ties else ()
                unsupported = await asyncio.to_thread(
                    lambda: unverified_numbers(
                        answer, shown_with_table_names(fitted, self.tables, guarded.sql), self.question, counts
                    )
                )
                if unsupported:
                    warnings = (
                        f"The answer mentions {', '.join(unsupported)}, which {appear(unsupported)} in the rows "
                        "the model was shown; check them against the table below.",
                    )
                warnings = (
                    *warnings,
                    *attribution_warnings(answer, guarded.sql, fitted.text, self.question, fitted.rows_shown, counts),
                    *partial_answer_warning(fitted),
                )
        else:
            if result.hit_row_cap:
                self.notes.append(row_cap_note(len(result.rows)))
        self.timings.add("total", started)
        return self._result(guarded, result, fitted, answer=answer, warnings=warnings)

    def text_may_answer(self) -> bool:
        """Whether a question SQL cannot answer may be answered from text: the actor sees a table with embeddings
        and asked neither for SQL alone nor for the query without an answer (sql_only)."""
        return bool(self.collections) and not self.sql_only and not (self.route.forced and self.route.path == "sql")

    async def text_instead(self, last: str, started: float) -> AskResult:
        """The answer from the rows' text when no query SQL can answer the question with was written and SQL alone
        was not asked for: what the question asks is then usually written in a text column, not held by one.
        "Who designed Kuorine Bridge?" over a table of reports: the model asked for columns `designer`, `design`;
        "How many miners worked at Leror Mine?": COUNT(*) of the one report on it ("There is 1 miner"). Every such
        question was an error or such an answer (session 32's fiction benchmark in mode auto)."""
        reason = self.text_reason or f"no query could be written ({last})"
        self.route = replace(self.route, path="text", reason=f"{reason}, so from the text of the rows")
        await self.emit("route", **self.route.to_json())
        self.notes.append(f"{reason} ({self._attempts_made()}, last problem: {last}); answered from text instead")
        answer, warnings = await self.answer_from_text(self.text_rows)
        self.timings.add("total", started)
        return self._result(None, None, None, answer=answer, warnings=warnings)

    def _attempts_made(self) -> str:
        made = len(self.attempts)
        return f"{made} attempt{'s' if made != 1 else ''}"

    def _result(self, guarded, result, fitted, *, answer=None, error=None, warnings=()) -> AskResult:
        notes = list(self.notes) + (list(fitted.notes) if fitted else [])
        if guarded is not None and guarded.limit_added:
            limit, kept = guard_limit(self.settings.max_rows), self.settings.max_rows
            notes.append(
                f"LIMIT {limit} added to the query (at most {kept:,} rows are kept; one more tells if there are more)"
            )
        truncated = bool(result and result.hit_row_cap) or bool(fitted and fitted.truncated)
        return AskResult(
            question=self.question,
            database=self.database,
            path=self.route.path if self.route else "sql",
            sql=guarded.sql if guarded else None,
            attempts=tuple(self.attempts),
            columns=result.columns if result else (),
            rows=result.rows if result else (),
            row_count=len(result.rows) if result else 0,
            truncated=truncated,
            # Without format characters, as the answer: a column named "\u202eamount" in "amount clipped to 200
            # characters" drew the rest of the note, its numbers too, right to left (an outside tester, session 40).
            notes=tuple(invisible_dropped(note) for note in notes),
            answer=answer,
            model=self.model.name,
            timings=dict(self.timings),
            tokens={**self.tokens, "cached_replies": self.reply_scope.hits},
            error=error,
            warnings=tuple(invisible_dropped(warning) for warning in warnings),
            route=self.route.to_json() if self.route else {},
            citations=tuple({**p.to_json(), "how": self.citation_kind} for p in self.citations),
            passages=tuple(p.to_json() for p in self.passages),
            candidates=tuple(self.candidates),
            examples=tuple(self.shots.to_json()),
            row_cap_hit=bool(result and result.hit_row_cap),
            limit_added=bool(guarded and guarded.limit_added),
        )


async def ask(datasette, database: str, question: str, actor=None, **options) -> AskResult:
    """Answer `question` from `database` as `actor` sees it. See AskPipeline for the options."""
    return await AskPipeline(datasette, database, question, actor=actor, **options).run()
