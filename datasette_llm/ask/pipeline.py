"""The Ask pipeline: question -> schema -> SQL (validated, repaired) -> rows -> grounded answer.

`ask()` is the Python API; the CLI, the JSON API, the page and MCP all call it and share `AskResult.to_json`.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field, replace

from .. import permissions
from ..config import Settings, settings_for
from ..context import FittedRows, fit_rows, json_cell
from ..errors import BadRequest, NotFound
from ..models import ChatModel, ChatOptions, chat_model_for
from ..sql.execute import QueryFailed, QueryResult, run_select, time_limit_for
from ..sql.guard import check_select
from ..sql.join_links import check_joins, foreign_links
from ..sql.replies import extract_sql
from ..sql.results import GuardedSQL, Rejection, SchemaInfo
from . import prompts
from .repairs.implicit_keys import implicit_links
from .repairs.key_literals import mend_key_literals
from .repairs.logic_checks import logic_doubts
from .repairs.sql_fix import (
    MAX_FIXES,
    auto_fix,
    bridge_join,
    drop_broken_join,
    fix_ambiguous,
    fix_outer_aggregates,
    join_missing_table,
)
from .repairs.unasked_joins import drop_unasked_joins
from .repairs.unasked_values import unasked_values
from .repairs.value_hints import Probe, ValueHint, looks_empty, replace_literal, value_hints
from .schema import PromptSchema, TableSchema, load_tables, render_schema
from .sql_vote import choose, result_signature

EventCallback = Callable[[str, dict], Awaitable[None]]

SCHEMA_SHARE = 0.6  # of the context window, at most, for the schema in the SQL prompt
# A local model reads the answer's rows at its measured speed for at most this long (issue 19: a result fitted
# only to the window took minutes to read on 2 cores), and always at least MIN_ROW_TOKENS.
ANSWER_READ_SECONDS = 5.0
ASSUMED_READ_RATE = 40.0  # prompt tokens a second before the model has measured its own
MIN_ROW_TOKENS = 160
# ...and writes the answer for about this long at most: answers that listed every row took 25-40 s (issue 19).
# The table shows the rows; an answer the budget stops ends at its last full line or sentence, marked "…".
ANSWER_WRITE_SECONDS = 5.0
ASSUMED_WRITE_RATE = 12.0  # tokens written a second before the model has measured its own
# Never fewer: a five-item list ("The five repos with the most releases are ...") is about 50 tokens, and under
# load the measured speed drops, which cut such answers short.
MIN_ANSWER_TOKENS = 80
# A local model answers a result of more rows than this with a lead-in read from its first rows: the table under
# the answer shows every row. Answers that read and listed 24 rows took 12-14 s here (issue 19); listing them was
# all the model did, and the prompt could not talk it out of it.
ANSWER_LIST_ROWS = 10
LEAD_IN_TOKENS = 40
MAX_HISTORY_TURNS = 6
# Every SQL reply starts so (the prompt asks for a ```sql block, and greedy decoding writes exactly these
# tokens): a local model reads them with the prompt instead of writing them, 3 tokens fewer per attempt.
SQL_REPLY_START = "```sql\n"


@dataclass(frozen=True)
class Attempt:
    reply: str
    sql: str | None
    error: str | None = None
    error_kind: str | None = None
    suggestions: tuple[str, ...] = ()
    row_count: int | None = None
    seconds: float = 0.0
    fixes: tuple[str, ...] = ()  # names corrected without asking the model again


@dataclass(frozen=True)
class Candidate:
    """One sampled query when several vote (setting sql_candidates): the chosen one is the answer's SQL."""

    sql: str | None
    error: str | None
    row_count: int | None
    votes: int
    chosen: bool


@dataclass(frozen=True)
class Outcome:
    """What became of one query the model wrote: validated, mended, run, or the reason it could not be."""

    guarded: GuardedSQL | None = None
    result: QueryResult | None = None
    error: str | None = None
    kind: str | None = None
    suggestions: tuple[str, ...] = ()
    fixes: tuple[str, ...] = ()
    doubts: tuple[str, ...] = ()  # JOINs that link nothing, when the query ran anyway (last attempt)


@dataclass(frozen=True)
class AskResult:
    question: str
    database: str
    path: str
    sql: str | None
    attempts: tuple[Attempt, ...]
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    row_count: int
    truncated: bool
    notes: tuple[str, ...]
    answer: str | None
    model: str
    timings: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    error: str | None = None
    warnings: tuple[str, ...] = ()
    route: dict = field(default_factory=dict)
    citations: tuple[dict, ...] = ()
    passages: tuple[dict, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    row_cap_hit: bool = False  # the query returned more rows than were fetched (`truncated` also covers fitting)

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict:
        data = asdict(self)
        data["ok"] = self.ok
        data["rows"] = json_rows(self.rows)
        data["attempts"] = [asdict(a) for a in self.attempts]
        data["candidates"] = [asdict(c) for c in self.candidates]
        return data


def json_rows(rows) -> list[list]:
    """Rows as JSON-ready lists (the one cell encoder: blobs as Datasette writes them, no NaN or Infinity)."""
    return [[json_cell(value) for value in row] for row in rows]


def check_question(question, settings: Settings) -> str:
    if not isinstance(question, str) or not question.strip():
        raise BadRequest("Please enter a question.")
    question = question.strip()
    if len(question) > settings.max_question_chars:
        raise BadRequest(
            f"The question is {len(question):,} characters long; the limit is {settings.max_question_chars:,}."
        )
    if "\x00" in question:
        raise BadRequest("The question contains a NUL character.")
    return question


def normalise_history(history) -> list[dict]:
    """Earlier turns as [{"question": str, "sql": str | None}], newest last; rows are never carried over."""
    if history is None:
        return []
    if not isinstance(history, list):
        raise BadRequest("history must be a list of {question, sql} objects.")
    turns = []
    for item in history[-MAX_HISTORY_TURNS:]:
        if not isinstance(item, dict) or not isinstance(item.get("question"), str):
            raise BadRequest("Each history item needs a 'question' string (and optionally 'sql').")
        sql = item.get("sql")
        turns.append({"question": item["question"][:2000], "sql": sql[:4000] if isinstance(sql, str) else None})
    return turns


def sql_prefix(schema: PromptSchema) -> str:
    """The part of the first SQL prompt that is the same for every question on this schema ("" when the schema
    was cut to fit, since the question then chose what stays: a saved state would serve no other question)."""
    if schema.omitted_tables or schema.examples_omitted:
        return ""
    return prompts.SQL_QUESTION.split("{question}", 1)[0].format(schema=schema.text)


def sql_messages(schema: PromptSchema, question: str, history: Sequence[dict]) -> list[dict]:
    """System + schema first (constant per database, so llama.cpp reuses the cached prefix), then turns."""
    messages = [{"role": "system", "content": prompts.SQL_SYSTEM}]
    turns = [turn for turn in history if turn.get("sql")]
    first = turns[0]["question"] if turns else question
    messages.append({"role": "user", "content": prompts.SQL_QUESTION.format(schema=schema.text, question=first)})
    if turns:
        messages.append({"role": "assistant", "content": f"```sql\n{turns[0]['sql']}\n```"})
        for turn in turns[1:]:
            messages.append({"role": "user", "content": prompts.SQL_FOLLOWUP.format(question=turn["question"])})
            messages.append({"role": "assistant", "content": f"```sql\n{turn['sql']}\n```"})
        messages.append({"role": "user", "content": prompts.SQL_FOLLOWUP.format(question=question)})
    return messages


def _same_problem(retry: GuardedSQL | Rejection, rejection: Rejection) -> bool:
    return isinstance(retry, Rejection) and retry.identifier == rejection.identifier


@dataclass
class SqlConversation:
    """The SQL conversation across attempts: what the model was told, and what was already tried."""

    messages: list[dict]
    first: list[dict] = field(default_factory=list)  # the first prompt: voting samples more queries from it
    failed: set[str] = field(default_factory=set)  # queries that were rejected or failed, as the model wrote them
    hinted: bool = False  # the values really stored were sent back (once)
    reconsidered: bool = False  # a doubt about the logic was sent back (once)
    offered: set[str] = field(default_factory=set)  # stored values a hint showed: asked for, in the question's words

    def __post_init__(self):
        self.first = self.first or self.messages

    def send_back(self, reply: str, error: str, suggestions: Sequence[str] = ()):
        self.messages = self.messages + repair_turn(reply, error, suggestions)

    def ask_to_reconsider(self, reply: str, doubts: Sequence[str]):
        self.messages = self.messages + reconsider_turn(reply, doubts)


@dataclass(frozen=True)
class MendedRun:
    """A query that ran, after the mends that need no model call, and what those mends changed."""

    guarded: GuardedSQL
    result: QueryResult
    fixes: tuple[str, ...] = ()


def repair_turn(reply: str, error: str, suggestions: Sequence[str] = ()) -> list[dict]:
    """The failed reply and the request to fix it, appended to the SQL conversation."""
    hints = f"Closest valid names: {', '.join(suggestions)}.\n" if suggestions else ""
    return [
        {"role": "assistant", "content": reply},
        {"role": "user", "content": prompts.SQL_REPAIR.format(error=error, hints=hints)},
    ]


def reconsider_turn(reply: str, doubts: Sequence[str]) -> list[dict]:
    """The reply whose query ran but looks wrong, and what looks wrong about it."""
    return [
        {"role": "assistant", "content": reply},
        {"role": "user", "content": prompts.SQL_RECONSIDER.format(doubts="; ".join(doubts))},
    ]


NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?")
NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "twenty": "20",
    "hundred": "100",
}


def _numbers(text: str) -> set[str]:
    found = set()
    for raw in NUMBER.findall(text):
        number = raw.replace(",", "").rstrip(".")
        found.add(number)
        if "." in number:  # 12.0 in the rows supports "12" in the answer, 3.14159 supports 3.14
            whole, fraction = number.split(".", 1)
            found.add(whole)
            found.update(f"{whole}.{fraction[:n]}" for n in range(1, len(fraction)))
            try:
                found.add(str(round(float(number))))
                found.update(f"{float(number):.{n}f}" for n in range(1, 3))
            except ValueError:
                pass
    return found


def unverified_numbers(answer: str, shown_text: str, question: str, counts: Sequence[int] = ()) -> list[str]:
    """Numbers in the answer that appear neither in the rows shown, the question, nor the row counts."""
    seen = _numbers(shown_text) | _numbers(question) | {str(c) for c in counts}
    seen |= {digit for word, digit in NUMBER_WORDS.items() if re.search(rf"\b{word}\b", question, re.I)}
    return sorted(_numbers(answer) - seen, key=lambda n: float(n) if n.lstrip("-").replace(".", "", 1).isdigit() else 0)


def answer_row_budget(model: ChatModel, window_budget: int) -> tuple[int, str]:
    """Tokens of rows the answer may read, and why the rest is left out: the context window, or, for a local
    model, the time it takes to read them at the speed measured on this machine (ANSWER_READ_SECONDS)."""
    window = (window_budget, "did not fit in the model's context")
    if not model.prompt_cache:  # an API model reads fast: only its window bounds the rows
        return window
    rate = model.reading_speed() or ASSUMED_READ_RATE
    timed = max(MIN_ROW_TOKENS, int(ANSWER_READ_SECONDS * rate))
    if timed >= window_budget:
        return window
    return timed, f"were left out to answer in time (the model reads about {rate:.0f} tokens a second here)"


def is_lead_in(model: ChatModel, row_count: int) -> bool:
    """Whether the answer to `row_count` rows is a lead-in to the table (ANSWER_LIST_ROWS), not a full answer."""
    return model.prompt_cache and row_count > ANSWER_LIST_ROWS


def answer_token_budget(model: ChatModel, configured: int, lead_in: bool = False) -> tuple[int, float | None]:
    """Tokens the answer may be, and the writing speed that bounds them (None when only the setting does)."""
    if not model.prompt_cache:  # an API model writes fast: the setting alone bounds the answer
        return configured, None
    rate = model.writing_speed() or ASSUMED_WRITE_RATE
    timed = LEAD_IN_TOKENS if lead_in else max(MIN_ANSWER_TOKENS, int(ANSWER_WRITE_SECONDS * rate))
    return (timed, rate) if timed < configured else (configured, None)


def end_cut_answer(text: str) -> str:
    """An answer stopped by its token budget, ended after its last full line or sentence and marked "…"."""
    text = text.rstrip()
    ends = [text.rfind("\n")] + [text.rfind(mark) + 1 for mark in (". ", "; ", ", ")]
    cut = max(ends)
    if cut > len(text) // 3:
        text = text[:cut].rstrip().rstrip(",;")
    return text + " …"


class AskPipeline:
    """One question's run. Methods are the stages; `run` ties them together."""

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
        self.timings: dict = {}
        self.tokens = {"sql_prompt": 0, "sql_completion": 0, "answer_prompt": 0, "answer_completion": 0}
        self.notes: list[str] = []
        self.attempts: list[Attempt] = []
        self.mode = mode or "auto"
        self.route = None
        self.passages: list = []
        self.citations: list = []
        self.citation_kind = "cited"  # or "matched": attributed by text overlap when the model gave no [n]
        self.candidates: list[Candidate] = []

    async def emit(self, stage: str, **data):
        if self.on_event is not None:
            await self.on_event(stage, data)

    def _count_sql_tokens(self, reply):
        self.tokens["sql_prompt"] += reply.prompt_tokens
        self.tokens["sql_completion"] += reply.completion_tokens

    def _clock(self, name, started):
        self.timings[name] = round(self.timings.get(name, 0) + time.perf_counter() - started, 3)

    async def prepare(self):
        started = time.perf_counter()
        self.db = await permissions.require_ask(self.datasette, self.actor, self.database)
        self.tables: list[TableSchema] = await load_tables(
            self.datasette, self.database, self.actor, table_prefix=self.settings.table_prefix
        )
        if self.focus:
            missing = [t for t in self.focus if t not in {x.name for x in self.tables}]
            if missing:
                raise NotFound(f"Table {missing[0]!r} does not exist in {self.database!r} (or you may not view it).")
        budget = int(self.model.context_window() * SCHEMA_SHARE)
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
        self.notes.extend(self.schema.notes)
        # The guard knows every visible table; the prompt may show fewer when the schema was cut.
        self.allowed = {t.name for t in self.tables}
        self.time_limit_ms = time_limit_for(self.datasette, self.settings.sql_time_limit_ms)
        declared = foreign_links(self.tables)
        # Links the database does not declare but its names and data show serve the checks, mends and hints.
        self.links = declared + await implicit_links(
            Probe(self.db, self.allowed, self.time_limit_ms), self.tables, declared
        )
        self.guard_schema = SchemaInfo(tables={t.name: t.columns for t in self.tables}, links=self.links)
        self._clock("schema", started)

    def check_and_fix(
        self, sql: str, *, final: bool = False
    ) -> tuple[GuardedSQL | Rejection, tuple[str, ...], tuple[str, ...]]:
        """Validate; when a name is almost right and only one real name fits, fix it and validate again.

        A JOIN whose ON clause names a column the joined table lacks but one table between them holds gets that
        table between them (sql_fix.bridge_join). On the `final` attempt a column that lives in one other table
        the foreign keys reach is also mended by joining that table (the repair turns showed the model that
        JOIN). Returns (checked, fixes, doubts):
        doubts describe JOINs that link nothing and could not be fixed.
        """
        if not sql:
            return Rejection("the reply contained no SQL query", "empty", None, ()), (), ()
        fixes = []
        checked = self.guard(sql)
        while isinstance(checked, Rejection) and len(fixes) < MAX_FIXES:
            fixed = auto_fix(sql, checked, self.guard_schema, self.allowed)
            retry = self.guard(fixed[0]) if fixed else None
            if retry is None or _same_problem(retry, checked):
                bridged = bridge_join(sql, checked, self.guard_schema)  # no model call: on every attempt
                if bridged is not None:
                    fixed, retry = bridged, self.guard(bridged[0])
            if final and (retry is None or _same_problem(retry, checked)):
                joined = join_missing_table(sql, checked, self.guard_schema, self.allowed) or drop_broken_join(
                    sql, checked, self.guard_schema
                )
                if joined is not None:
                    fixed, retry = joined, self.guard(joined[0])
            if fixed is None or _same_problem(retry, checked):
                break  # no fix, or it did not help: report the model's own error
            sql, change = fixed
            fixes.append(change)
            checked = retry
        if isinstance(checked, Rejection):
            return checked, tuple(fixes), ()
        joins = check_joins(checked.sql, self.guard_schema.tables, self.links)
        if joins.changes:
            relinked = self.guard(joins.sql)
            if isinstance(relinked, GuardedSQL):
                checked = relinked
                fixes.extend(joins.changes)
        return checked, tuple(fixes), tuple(joins.problems)

    async def try_sql(self, sql: str, *, final: bool = False, attempt: int | None = None) -> Outcome:
        """Validate (with deterministic fixes) and run one query the model wrote.

        A JOIN that links nothing is an error unless this is the `final` attempt, when the query runs and the
        doubt is kept for a warning. `attempt` numbers the progress event sent before the query runs.
        """
        checked, fixes, doubts = self.check_and_fix(sql, final=final)
        if isinstance(checked, Rejection):
            return Outcome(error=checked.reason, kind=checked.kind, suggestions=tuple(checked.suggestions))
        if doubts and not final:
            return Outcome(error="; ".join(doubts), kind="unlinked_join")
        if attempt is not None:
            await self.emit("running", attempt=attempt, sql=checked.sql)
        started = time.perf_counter()
        try:
            try:
                result = await self.run_query(checked)
            except QueryFailed as error:
                mended = self.mend_failed(checked, error)
                if mended is None:
                    raise
                checked, change = mended
                fixes = fixes + (change,)
                result = await self.run_query(checked)
        except QueryFailed as error:
            return Outcome(checked, error=error.message, kind=error.code, fixes=fixes)
        finally:
            self._clock("sql_execution", started)
        return Outcome(checked, result, fixes=fixes, doubts=doubts)

    def guard(self, sql: str) -> GuardedSQL | Rejection:
        return check_select(sql, self.guard_schema, max_rows=self.settings.max_rows, allowed_tables=self.allowed)

    async def run_query(self, guarded: GuardedSQL) -> QueryResult:
        return await run_select(
            self.db,
            guarded.sql,
            allowed_tables=self.allowed,
            max_rows=self.settings.max_rows,
            time_limit_ms=self.time_limit_ms,
        )

    async def vote(self, messages, first: Outcome) -> tuple[GuardedSQL, QueryResult]:
        """Sample more queries from the first prompt (its prefix is cached) and keep the result most agree on."""
        count = self.settings.sql_candidates
        pool = [first]
        for seed in range(1, count):
            await self.emit("writing_sql", candidate=seed + 1, of=count)
            options = ChatOptions(
                max_tokens=self.settings.sql_max_tokens,
                temperature=0.8,
                top_p=0.95,
                seed=seed,
                cache_slot="sql",
                prefix=sql_prefix(self.schema),
                reply_prefix=SQL_REPLY_START,
            )
            started = time.perf_counter()
            reply = await self.model.chat(messages, options)
            self._clock("sql_generation", started)
            self._count_sql_tokens(reply)
            pool.append(await self.try_sql(extract_sql(reply.text)))
        signatures = [result_signature(o.result) if o.result is not None else None for o in pool]
        chosen, _ = choose(signatures)
        self.candidates = [
            Candidate(
                sql=o.guarded.sql if o.guarded else None,
                error=o.error,
                row_count=len(o.result.rows) if o.result else None,
                votes=signatures.count(signature) if signature is not None else 0,
                chosen=index == chosen,
            )
            for index, (o, signature) in enumerate(zip(pool, signatures))
        ]
        if chosen:
            self.notes.append(
                f"{self.candidates[chosen].votes} of {count} sampled queries agreed on this result; "
                "the first query written disagreed"
            )
        return pool[chosen].guarded, pool[chosen].result

    def mend_failed(self, checked: GuardedSQL, error: QueryFailed) -> tuple[GuardedSQL, str] | None:
        """A deterministic fix for an SQLite error whose cause is unambiguous, validated again; else None."""
        if "misuse of aggregate" in error.message:
            fixed = fix_outer_aggregates(checked.sql)
        elif "ambiguous column name: " in error.message:
            name = error.message.split("ambiguous column name: ", 1)[1].strip()
            fixed = fix_ambiguous(checked.sql, name, self.guard_schema.tables)
        else:
            return None
        if fixed is None:
            return None
        guarded = self.guard(fixed[0])
        return None if isinstance(guarded, Rejection) else (guarded, fixed[1])

    async def check_values(self, checked: GuardedSQL) -> list[ValueHint]:
        """Literals of a query that matched nothing, checked against the values really stored."""
        started = time.perf_counter()
        own = {t: self.guard_schema.tables[t] for t in checked.tables if t in self.guard_schema.tables}
        hints = await value_hints(
            self.db,
            checked.sql,
            own,
            allowed=self.allowed,
            time_limit_ms=self.time_limit_ms,
            other_tables=self.guard_schema.tables,
            question=self.question,
            links=self.links,
        )
        self._clock("sql_execution", started)
        return hints

    async def look_up_key_names(self, checked: GuardedSQL):
        """Names compared with foreign-key columns, looked up through the table the key references (no model
        call). Returns (guarded, result, fixes) when that mend applies and the mended query runs, else None."""
        started = time.perf_counter()
        try:
            probe = Probe(self.db, self.allowed, self.time_limit_ms)
            mended = await mend_key_literals(probe, checked.sql, self.guard_schema.tables, self.links)
        finally:
            self._clock("sql_execution", started)
        return await self.run_mended(mended[0], mended[1]) if mended else None

    async def drop_unasked_joins(self, checked: GuardedSQL):
        """The query without JOINs that only repeat rows of a table the question does not name (no model call).
        Returns (guarded, result, fixes) when there is one to drop and the mended query runs, else None."""
        dropped = drop_unasked_joins(checked.sql, self.question, self.guard_schema.tables, self.links)
        return await self.run_mended(dropped[0], (dropped[1],)) if dropped else None

    async def values_not_asked_for(self, checked: GuardedSQL, offered: set[str]) -> list[str]:
        """A doubt naming the query's literals that the question does not mention (nor reaches through their rows),
        leaving out the stored values a value hint offered for the question's own words."""
        started = time.perf_counter()
        try:
            return await unasked_values(
                Probe(self.db, self.allowed, self.time_limit_ms),
                checked.sql,
                self.question,
                self.guard_schema.tables,
                self.links,
                offered=offered,
            )
        finally:
            self._clock("sql_execution", started)

    async def run_mended(self, sql: str, changes: tuple[str, ...]):
        """Validate and run a mended query: (guarded, result, changes), or None if it fails either."""
        guarded = self.guard(sql)
        if isinstance(guarded, Rejection):
            return None
        started = time.perf_counter()
        try:
            return guarded, await self.run_query(guarded), changes
        except QueryFailed:
            return None
        finally:
            self._clock("sql_execution", started)

    async def substitute_values(self, checked: GuardedSQL, hints: Sequence[ValueHint]):
        """Put the stored spelling in place of literals that differ from it only in case, spaces or punctuation.

        Returns (guarded, result, fixes) when the rewritten query finds something, else None.
        """
        sql, changes = checked.sql, []
        for hint in hints:
            if hint.replacement is None:
                continue
            rewritten = replace_literal(sql, hint.column, hint.literal, hint.replacement)
            if rewritten is not None:
                sql = rewritten
                changes.append(f"{hint.literal!r} → {hint.replacement!r} (as stored in {hint.table}.{hint.column})")
        mended = await self.run_mended(sql, tuple(changes)) if changes else None
        return None if mended is None or looks_empty(mended[1]) else mended

    async def generate_sql(self) -> tuple[GuardedSQL | None, QueryResult | None]:
        """The repair loop: write, validate and mend, run, review; send back what fails, at most once per kind
        of doubt; (query, rows) of the first attempt that passes, or (None, None)."""
        talk = SqlConversation(messages=sql_messages(self.schema, self.question, self.history))
        options = ChatOptions(
            max_tokens=self.settings.sql_max_tokens,
            temperature=0.0,
            cache_slot="sql",
            prefix=sql_prefix(self.schema),
            reply_prefix=SQL_REPLY_START,
        )
        for number in range(1, self.max_attempts + 1):
            last = number == self.max_attempts
            reply, sql = await self.write_sql(talk, options, number)
            outcome = await self.try_sql(sql, final=last, attempt=number)
            if outcome.error is not None:
                self.send_back_error(talk, reply, sql, outcome)
                continue
            run = await self.mend_run(outcome)
            unmatched: tuple[str, ...] = ()  # literals that match no stored value, when the query runs anyway
            if looks_empty(run.result):
                checked = await self.check_empty(talk, reply, run, may_send_back=not last)
                if checked is None:
                    continue  # sent back with a value hint
                run, unmatched = checked
            doubts = logic_doubts(
                run.guarded.sql, self.question, self.guard_schema.tables, self.links, row_cap=self.settings.max_rows
            )
            if doubts and not last and not talk.reconsidered:
                self.send_back_doubts(talk, reply, run, doubts)
                continue
            return await self.accept(talk, reply, outcome, run, outcome.doubts + tuple(doubts) + unmatched)
        return None, None

    async def write_sql(self, talk: SqlConversation, options: ChatOptions, number: int):
        """One reply of the model and the query in it; a query that already failed is sampled anew."""
        await self.emit("writing_sql", attempt=number)
        started = time.perf_counter()
        reply = await self.model.chat(talk.messages, options)
        sql = extract_sql(reply.text)
        if sql and sql in talk.failed:
            # Greedy decoding tends to repeat a query that was just rejected; sample a different one.
            self._count_sql_tokens(reply)
            reply = await self.model.chat(talk.messages, replace(options, temperature=0.7, seed=number))
            sql = extract_sql(reply.text)
        self._clock("sql_generation", started)
        self._count_sql_tokens(reply)
        await self.emit("checking", attempt=number, sql=sql)
        return reply, sql

    def send_back_error(self, talk: SqlConversation, reply, sql: str, outcome: Outcome):
        """A query that was rejected or failed: recorded, and sent back with the error and the closest names."""
        self.attempts.append(
            Attempt(
                reply=reply.text,
                sql=outcome.guarded.sql if outcome.guarded else sql or None,
                error=outcome.error,
                error_kind=outcome.kind,
                suggestions=outcome.suggestions,
                row_count=None,
                seconds=reply.seconds,
            )
        )
        talk.send_back(reply.text, outcome.error, outcome.suggestions)
        talk.failed.add(sql)

    async def mend_run(self, outcome: Outcome) -> MendedRun:
        """The query after the mends that need no model call (tried on every attempt), with its rows."""
        run = MendedRun(guarded=outcome.guarded, result=outcome.result, fixes=outcome.fixes)
        for mend in (self.look_up_key_names, self.drop_unasked_joins):
            mended = await mend(run.guarded)
            if mended is not None:
                guarded, result, changes = mended
                run = MendedRun(guarded=guarded, result=result, fixes=run.fixes + changes)
        return run

    async def check_empty(self, talk: SqlConversation, reply, run: MendedRun, *, may_send_back: bool):
        """A query that found nothing: the stored spelling put in place of a literal (no model call, every
        attempt), else the values really stored sent back once; None when sent back, else (run, unmatched)."""
        hints = await self.check_values(run.guarded)
        substituted = await self.substitute_values(run.guarded, hints)
        if substituted is not None:
            guarded, result, changes = substituted
            return MendedRun(guarded=guarded, result=result, fixes=run.fixes + changes), ()
        if hints and may_send_back and not talk.hinted:
            talk.hinted = True
            talk.offered.update(value for hint in hints for value in hint.values)
            error = "the query returned no rows. " if not run.result.rows else "the query matched no rows. "
            error += "; ".join(hint.message() for hint in hints)
            self.attempts.append(
                Attempt(
                    reply=reply.text,
                    sql=run.guarded.sql,
                    error=error,
                    error_kind="no_rows_value_mismatch",
                    row_count=len(run.result.rows),
                    seconds=reply.seconds,
                )
            )
            talk.send_back(reply.text, error)
            return None
        return run, tuple(hint.message() for hint in hints)

    def send_back_doubts(self, talk: SqlConversation, reply, run: MendedRun, doubts: Sequence[str]):
        """Once: a query whose logic looks wrong goes back with the reason (a doubt that remains is a warning)."""
        talk.reconsidered = True
        self.attempts.append(
            Attempt(
                reply=reply.text,
                sql=run.guarded.sql,
                error="; ".join(doubts),
                error_kind="doubtful_logic",
                row_count=len(run.result.rows),
                seconds=reply.seconds,
                fixes=run.fixes,
            )
        )
        talk.ask_to_reconsider(reply.text, doubts)

    async def accept(self, talk: SqlConversation, reply, outcome: Outcome, run: MendedRun, doubts: Sequence[str]):
        """The attempt that stands: recorded, its mends and remaining doubts noted (or voted on, when set)."""
        self.attempts.append(
            Attempt(
                reply=reply.text,
                sql=run.guarded.sql,
                row_count=len(run.result.rows),
                seconds=reply.seconds,
                fixes=run.fixes,
            )
        )
        if run.fixes:  # what ran differs from what the model wrote: say so wherever the result is shown
            self.notes.append("the query was mended before it ran: " + "; ".join(run.fixes))
        # Values the question never mentions are only shown: sent back on Spider, the model fixed none of 9
        # queries and dropped a right 'France' for "French singers" (benchmarks/results/spider-s5-rerun5.json).
        unasked = await self.values_not_asked_for(run.guarded, talk.offered)
        self.notes.extend(f"warning: {doubt}; the result may be wrong" for doubt in tuple(doubts) + tuple(unasked))
        if self.settings.sql_candidates > 1:
            return await self.vote(talk.first, replace(outcome, guarded=run.guarded, result=run.result))
        return run.guarded, run.result

    async def answer(self, guarded: GuardedSQL, result: QueryResult) -> tuple[str, FittedRows]:
        # The rows exist before the prose does: show them now (the page draws the table while the answer streams).
        await self.emit(
            "rows",
            sql=guarded.sql,
            columns=list(result.columns),
            rows=json_rows(result.rows),
            row_count=len(result.rows),
            truncated=result.hit_row_cap,
        )
        lead_in = is_lead_in(self.model, len(result.rows))
        max_tokens, write_rate = answer_token_budget(self.model, self.settings.answer_max_tokens, lead_in)
        options = ChatOptions(
            max_tokens=max_tokens,
            temperature=0.0,
            cache_slot="answer",
            prefix=prompts.ANSWER_SYSTEM,
        )
        base_messages = [
            {"role": "system", "content": prompts.ANSWER_SYSTEM},
            {
                "role": "user",
                "content": prompts.ANSWER_USER.format(
                    question=self.question, sql=guarded.sql, shown="", rows="", notes=""
                ),
            },
        ]
        overhead = self.model.count_message_tokens(base_messages) + 64
        budget, reason = answer_row_budget(self.model, self.model.context_window() - overhead - options.max_tokens)
        fitted = await asyncio.to_thread(
            fit_rows,
            result.columns,
            result.rows,
            count_tokens=self.model.count_tokens,
            budget_tokens=budget,
            max_cell_chars=self.settings.max_cell_chars,
            hit_row_cap=result.hit_row_cap,
            left_out=reason,
            max_rows=ANSWER_LIST_ROWS if lead_in else None,
            over_max_rows=f"are in the table under the answer (a local model answers a long result from its first "
            f"{ANSWER_LIST_ROWS} rows, to answer in time)",
        )
        shown = (
            f"{fitted.rows_shown:,} of {fitted.total_rows:,} rows"
            if fitted.total_rows is not None
            else f"{fitted.rows_shown:,} of more than {fitted.rows_fetched:,} rows"
        )
        notes = ("Notes: " + "; ".join(fitted.notes) + "\n") if fitted.notes else ""
        messages = [
            base_messages[0],
            {
                "role": "user",
                "content": prompts.ANSWER_USER.format(
                    question=self.question, sql=guarded.sql, shown=shown, rows=fitted.text, notes=notes
                ),
            },
        ]
        await self.emit("answering", rows_shown=fitted.rows_shown, notes=list(fitted.notes))
        started = time.perf_counter()
        pieces = []
        async for piece in self.model.stream(messages, options):
            if piece:
                pieces.append(piece)
                await self.emit("answer_token", text=piece)
        self._clock("answer", started)
        text = "".join(pieces).strip()
        self.tokens["answer_prompt"] += self.model.count_message_tokens(messages)
        written = self.model.count_tokens(text) if text else 0
        self.tokens["answer_completion"] += written
        if write_rate is not None and written >= max_tokens - 2:
            text = end_cut_answer(text)
            self.notes.append(
                f"the answer was stopped after {max_tokens} tokens to answer in time (the model writes about "
                f"{write_rate:.0f} tokens a second here); the table shows the rows themselves"
            )
        return text, fitted

    async def choose_route(self):
        from .route import choose_path
        from .text.answer_text import text_collections

        self.collections = await text_collections(self.datasette, self.actor, self.database, self.settings.table_prefix)
        if self.focus:
            self.collections = [c for c in self.collections if c.table in self.schema.tables]
        self.route = choose_path(self.question, has_text_index=bool(self.collections), forced=self.mode)
        if self.route.path != "sql" and not self.collections:
            raise BadRequest(
                f"No table in {self.database!r} has embeddings, so the question cannot be answered "
                "from text. Build them with `datasette llm embed`, or ask with mode=sql."
            )
        await self.emit("route", **self.route.to_json())

    async def answer_from_text(self, restrict=None):
        from ..models import embedding_model_for
        from .text.answer_text import (
            NOT_FOUND,
            answer_from_passages,
            attribute,
            build_passages,
            cited_numbers,
            is_not_found,
        )

        await self.emit("retrieving")
        started = time.perf_counter()
        embedder = embedding_model_for(self.settings)
        overhead = (
            self.model.count_message_tokens(
                [
                    {"role": "system", "content": prompts.TEXT_ANSWER_SYSTEM},
                    {
                        "role": "user",
                        "content": prompts.TEXT_ANSWER_USER.format(question=self.question, passages="", notes=""),
                    },
                ]
            )
            + 200
        )
        budget = self.model.context_window() - overhead - self.settings.answer_max_tokens
        passages, notes = await build_passages(
            self.datasette,
            self.actor,
            self.database,
            self.question,
            chat=self.model,
            embed=embedder.embed,
            budget_tokens=min(budget, self.settings.text_budget_tokens),
            k=self.settings.text_passages,
            restrict=restrict,
        )
        self._clock("retrieval", started)
        self.passages = passages
        self.notes.extend(notes)
        if not passages:
            return NOT_FOUND, ()
        await self.emit("answering", passages=len(passages), notes=list(notes))
        started = time.perf_counter()

        async def on_token(piece):
            await self.emit("answer_token", text=piece)

        answer, messages = await answer_from_passages(
            self.model, self.question, passages, notes, self.settings.answer_max_tokens, on_token
        )
        self._clock("answer", started)
        self.tokens["answer_prompt"] += self.model.count_message_tokens(messages)
        warnings = []
        if is_not_found(answer):
            return NOT_FOUND, ()
        valid, invalid = cited_numbers(answer, len(passages))
        if invalid:
            warnings.append(
                f"The answer cites passage(s) {', '.join(map(str, invalid))}, which do not exist; "
                "those citations were ignored."
            )
        self.citations = [passages[n - 1] for n in valid]
        if not valid:
            matched = attribute(answer, passages)
            self.citations = matched
            self.citation_kind = "matched"
            warnings.append(
                "The model did not mark its sources; the passages listed are those whose text "
                "contains most of the answer."
                if matched
                else "The answer cites no passage and matches none; check it against the passages below."
            )
        return answer, tuple(warnings)

    async def run(self) -> AskResult:
        started = time.perf_counter()
        await self.emit("started", question=self.question)
        await self.prepare()
        await self.choose_route()
        if self.route.path == "text":
            answer, warnings = await self.answer_from_text()
            self.timings["total"] = round(time.perf_counter() - started, 3)
            return self._result(None, None, None, answer=answer, warnings=warnings)
        guarded, result = await self.generate_sql()
        if guarded is None:
            self.timings["total"] = round(time.perf_counter() - started, 3)
            last = self.attempts[-1].error if self.attempts else "no attempt"
            return self._result(
                None,
                None,
                None,
                error=(f"Could not write a valid query after {len(self.attempts)} attempts. Last problem: {last}"),
            )
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
            unsupported = unverified_numbers(
                answer, fitted.text, self.question, (fitted.rows_shown, fitted.rows_fetched)
            )
            if unsupported:
                warnings = (
                    f"The answer mentions {', '.join(unsupported)}, which do not appear in the rows "
                    "the model was shown; check them against the table below.",
                )
        else:
            if result.hit_row_cap:
                self.notes.append(
                    f"the query returned more than {len(result.rows):,} rows; the first {len(result.rows):,} are shown"
                )
        self.timings["total"] = round(time.perf_counter() - started, 3)
        return self._result(guarded, result, fitted, answer=answer, warnings=warnings)

    def _result(self, guarded, result, fitted, *, answer=None, error=None, warnings=()) -> AskResult:
        notes = list(self.notes) + (list(fitted.notes) if fitted else [])
        if guarded is not None and guarded.limit_added:
            notes.append(f"LIMIT {self.settings.max_rows} added to the query")
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
            notes=tuple(notes),
            answer=answer,
            model=self.model.name,
            timings=dict(self.timings),
            tokens=dict(self.tokens),
            error=error,
            warnings=tuple(warnings),
            route=self.route.to_json() if self.route else {},
            citations=tuple({**p.to_json(), "how": self.citation_kind} for p in self.citations),
            passages=tuple(p.to_json() for p in self.passages),
            candidates=tuple(self.candidates),
            row_cap_hit=bool(result and result.hit_row_cap),
        )


async def warm_up(
    datasette, database: str, actor=None, *, tables: Sequence[str] = (), model: ChatModel | None = None
) -> bool:
    """Read the SQL prompt's constant part (instructions + schema) into the model's prompt cache ahead of
    the first question, e.g. while someone types it. Same permission checks as a question."""
    pipeline = AskPipeline(datasette, database, "warm-up", actor=actor, tables=tables, model=model)
    if not pipeline.model.prompt_cache:
        return False
    await pipeline.prepare()
    options = ChatOptions(max_tokens=1, cache_slot="sql", prefix=sql_prefix(pipeline.schema))
    return await pipeline.model.warm(sql_messages(pipeline.schema, "", ()), options)


async def ask(datasette, database: str, question: str, actor=None, **options) -> AskResult:
    """Answer `question` from `database` as `actor` sees it. See AskPipeline for the options."""
    return await AskPipeline(datasette, database, question, actor=actor, **options).run()
