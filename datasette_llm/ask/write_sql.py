"""Write SQL stage: the repair loop. The model writes a query; what fails goes back with the error, what
looks wrong goes back once with the doubt; the first attempt that passes stands (or a vote between samples)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace

from ..embeddings.source import row_id
from ..models import ChatOptions
from ..sql.execute import QueryResult, guard_limit
from ..sql.failures import QueryFailed, QueryTimeout
from ..sql.names import quote_name
from ..sql.replies import close_fence, extract_sql, statement_written
from ..sql.results import GuardedSQL
from ..timing import clock
from . import repairs
from .conversation import SQL_REPLY_START, SqlConversation, next_start, shared_messages, sql_messages, sql_prefix
from .repairs.value_hints import Probe, looks_empty
from .results import Attempt, Candidate, MendedRun, Outcome
from .sql_vote import choose, result_signature

SENT_BACK_MARGIN = 32  # tokens of a reply beyond the length of the query sent back, at the least


class WritingSql:
    """AskPipeline's SQL stages: the repair loop and voting (state: AskPipeline; one query's checks: Mending)."""

    async def generate_sql(self) -> tuple[GuardedSQL | None, QueryResult | None]:
        """The repair loop: write, validate and mend, run, review; send back what fails, at most once per kind
        of doubt; (query, rows) of the first attempt that passes, or (None, None)."""
        messages, options = self.sql_request()
        talk = SqlConversation(messages=messages)
        self.sql_doubts, self.sql_notes_from = (), len(self.notes)
        for number in range(1, self.max_attempts + 1):
            last = number == self.max_attempts
            if number > 1:
                fitted = await self.fit_sent_back(talk, options)
                if fitted is None:
                    self.notes.append(
                        "the query was not written again: the latest attempt and what was wrong with it do not fit "
                        "the model's context window beside the schema"
                    )
                    break
                talk.messages, options = fitted
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
            # First whether the rows' text answers instead: then no doubt about the query matters.
            counted = await self.one_row_count(run.guarded)
            if counted and self.text_may_answer():  # the figure is in the row's text: the passages read it whole
                return self.leave_to_text(reply, run, "; ".join(counted), "a count of one row cannot answer it")
            measured = await self.text_measured(run.guarded)
            if measured:
                doubt = f"{measured} measures the text of the rows instead of reading what it says"
                return self.leave_to_text(reply, run, doubt, f"{measured} measures the text, it does not read it")
            cut = await self.cut_text_row(run)
            if cut:
                doubt = f"the row's text is longer than the {self.settings.max_cell_chars} characters a cell is read"
                return self.leave_to_text(reply, run, doubt, "its text is longer than the answer reads of a cell", cut)
            doubts = await asyncio.to_thread(
                repairs.LOGIC_CHECKS.apply,
                run.guarded.sql,
                self.question,
                self.guard_schema.tables,
                self.links,
                row_cap=guard_limit(self.settings.max_rows),
                types={t.name: t.column_types for t in self.tables},
            )
            doubts += await self.arbitrary_values(run.guarded, len(run.result.rows))
            doubts += await self.integer_divisions(run.guarded, len(run.result.rows))
            doubts += counted
            if doubts and not last and not talk.reconsidered:
                self.send_back_doubts(talk, reply, run, doubts)
                continue
            self.sql_doubts = outcome.doubts + tuple(doubts)  # unmatched literals aside: the rows say so already
            return await self.accept(talk, reply, outcome, run, outcome.doubts + tuple(doubts) + unmatched)
        return None, None

    async def fit_sent_back(self, talk: SqlConversation, options: ChatOptions):
        """(messages, options) of the next attempt, fitted to the model's window beside the reply; None when even
        the first prompt with the schema cut to the least cannot hold the latest attempt. A query sent back with
        its error went in whole on top of a first prompt fitted to leave room for one reply only: with a window of
        2,048 tokens and a schema filling its share, a failed query of 481 characters made the second prompt too
        long and the whole question was refused, attempts and all (an outside tester, session 57). Earlier
        attempts go first, then the schema, the turns and the examples of the first prompt, then the reply's room
        down to what the query sent back took."""
        window = self.model.context_window()

        def fits(messages) -> bool:
            return self.model.count_message_tokens(messages) + options.max_tokens <= window

        if fits(talk.messages):
            return talk.messages, options
        first = talk.messages[: len(talk.first)]
        latest = talk.messages[len(talk.first) :][-2:]  # the latest reply and what was wrong with it
        if fits(first + latest):
            note = "earlier attempts were left out of the prompt to fit the model's context window"
            if note not in self.notes:
                self.notes.append(note)
            return first + latest, options
        reserve = self.model.count_message_tokens(first + latest) - self.model.count_message_tokens(first)
        await self.render_schema(reserve=reserve)
        first, options = self.sql_request(reserve=reserve)
        if fits(first + latest):
            return first + latest, options
        # Last, the reply's room: what the window leaves, while that holds a query as long as the one sent back.
        room = window - self.model.count_message_tokens(first + latest)
        if room >= self.model.count_tokens(latest[0]["content"]) + SENT_BACK_MARGIN:
            return first + latest, replace(options, max_tokens=room)
        return None

    def sql_request(self, reserve: int = 0) -> tuple[list[dict], ChatOptions]:
        """The first SQL prompt of this question and its greedy options (voting samples from the same); `reserve`
        tokens of the window are left for an attempt sent back."""
        options = ChatOptions(
            max_tokens=self.settings.sql_max_tokens,
            temperature=0.0,
            cache_slot="sql",
            prefix=sql_prefix(self.schema),
            prefix_messages=shared_messages(self.shots.standing),
            prefix_next=next_start(),
            reply_prefix=SQL_REPLY_START,
            complete_when=statement_written,
        )
        return self.sql_messages_that_fit(options.max_tokens + reserve), options

    def sql_messages_that_fit(self, reply_tokens: int) -> list[dict]:
        """The first SQL prompt with as many of the conversation's newest turns, then of the examples chosen for
        the question, as fit the model's window beside the reply. The schema is fitted to what the rest leaves
        (AskPipeline.render_schema); the turns (up to 6 of 6,000 characters, as the page sends them) went in whole,
        and a window of 2,048 tokens refused every later question of a conversation as too long (an outside
        tester, session 56). The oldest turns go first, then the least similar examples, each with a note."""
        turns, chosen = list(self.history), list(self.shots.chosen)
        while True:
            messages = sql_messages(self.schema, self.question, turns, chosen, self.shots.standing)
            if self.model.count_message_tokens(messages) + reply_tokens <= self.model.context_window():
                break
            if turns:
                turns = turns[1:]
            elif chosen:
                chosen = chosen[:-1]
            else:
                break
        left_out = len(self.history) - len(turns)
        were = "turn was" if left_out == 1 else "turns were"
        note = f"the conversation's {left_out} oldest {were} left out of the prompt to fit the model's context window"
        if left_out and note not in self.notes:
            self.notes.append(note)
        if len(chosen) < len(self.shots.chosen):
            dropped = len(self.shots.chosen) - len(chosen)
            self.shots = replace(self.shots, chosen=tuple(chosen))
            self.notes.append(
                f"{dropped} of the examples chosen for the question {'was' if dropped == 1 else 'were'} left out of "
                "the prompt to fit the model's context window"
            )
        return messages

    async def write_sql(self, talk: SqlConversation, options: ChatOptions, number: int):
        """One reply of the model and the query in it; a query that already failed is sampled anew."""
        await self.emit("writing_sql", attempt=number)
        started = clock()
        reply = await self._write(talk.messages, options)
        sql = await asyncio.to_thread(extract_sql, reply.text)  # off the event loop, as in mend.py
        if sql and sql in talk.failed:
            # Greedy decoding tends to repeat a query that was just rejected; sample a different one.
            self._count_sql_tokens(reply)
            reply = await self._write(talk.messages, replace(options, temperature=0.7, seed=number))
            sql = await asyncio.to_thread(extract_sql, reply.text)
        self.timings.add("sql_generation", started)
        self._count_sql_tokens(reply)
        await self.emit("checking", attempt=number, sql=sql)
        return reply, sql

    async def _write(self, messages, options: ChatOptions):
        """The model's reply, stopped once its query is written (statement_written) and its fence closed, so that
        the conversation reads as if the model had written the fence itself."""
        reply = await self.model.chat(messages, options)
        return replace(reply, text=close_fence(reply.text))

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

    def record_doubt(self, reply, run: MendedRun, doubt: str) -> None:
        """An attempt whose query ran but whose logic looks wrong, recorded with the doubt."""
        self.attempts.append(
            Attempt(
                reply=reply.text,
                sql=run.guarded.sql,
                error=doubt,
                error_kind="doubtful_logic",
                row_count=len(run.result.rows),
                seconds=reply.seconds,
                fixes=run.fixes,
            )
        )

    def leave_to_text(self, reply, run: MendedRun, doubt: str, reason: str, rows=None) -> tuple[None, None]:
        """No query: the question goes to the rows' text (AskPipeline.text_instead; `rows`: {table: embeddings ids}
        to read only those), with the attempt recorded."""
        self.record_doubt(reply, run, doubt)
        self.text_reason, self.text_rows = reason, rows
        return None, None

    async def cut_text_row(self, run: MendedRun) -> dict | None:
        """{table: {its id}} when the query shows the one row of a table with embeddings a `column = literal` pins,
        and a text of it longer than a cell is read (max_cell_chars): its passages read the text whole. "Who designed
        Lurow Bridge?" as `SELECT report FROM reports WHERE title = 'Lurow Bridge'` was answered from the report's
        first 200 characters: "designed by unknown individuals" (session 32)."""
        rows, limit = run.result.rows, self.settings.max_cell_chars
        if not self.text_may_answer() or len(rows) != 1:
            return None
        if not any(isinstance(value, str) and len(value) > limit for value in rows[0]):
            return None
        found = await asyncio.to_thread(repairs.CUT_TEXT_ROW.apply, run.guarded.sql, self.guard_schema.tables, False)
        if found is None or found[0] not in {collection.table for collection in self.collections}:
            return None
        table, column, literal = found
        keys = await self.db.primary_keys(table) or ["rowid"]
        sql = (
            f"select {', '.join(map(quote_name, keys))} from {quote_name(table)} where {quote_name(column)} = {literal}"
        )
        try:
            pinned = await Probe(self.db, self.allowed, self.time_limit_ms).rows(sql, 2)
        except (QueryFailed, QueryTimeout):
            return None
        return {table: {row_id(pinned[0])}} if len(pinned) == 1 else None

    async def text_measured(self, checked: GuardedSQL) -> str | None:
        """The measure of a text with embeddings the query shows (`LENGTH(report)`), when text may answer."""
        if not self.text_may_answer():
            return None
        embedded = [collection.table for collection in self.collections]
        return await asyncio.to_thread(
            repairs.TEXT_MEASURED.apply, checked.sql, self.question, self.guard_schema.tables, embedded
        )

    def send_back_doubts(self, talk: SqlConversation, reply, run: MendedRun, doubts: Sequence[str]):
        """Once: a query whose logic looks wrong goes back with the reason (a doubt that remains is a warning)."""
        talk.reconsidered = True
        self.record_doubt(reply, run, "; ".join(doubts))
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
        as_text = await self.numbers_stored_as_text(run.guarded)  # only shown, too: Spider's gold orders them so
        unread = await self.dates_not_read(run.guarded)  # only shown: '03/05/2024' is May or March
        warned = tuple(doubts) + tuple(unasked) + tuple(as_text) + tuple(unread)
        self.notes.extend(f"warning: {doubt}; the result may be wrong" for doubt in warned)
        if self.settings.sql_candidates > 1:
            return await self.vote(talk.first, replace(outcome, guarded=run.guarded, result=run.result))
        return run.guarded, run.result

    async def vote(self, messages, first: Outcome) -> tuple[GuardedSQL, QueryResult]:
        """Sample more queries from the first prompt (its prefix is cached) and keep the result most agree on."""
        count = self.settings.sql_candidates
        pool = [first]
        for seed in range(1, count):
            await self.emit("writing_sql", candidate=seed + 1, of=count)
            options = replace(self.sql_request()[1], temperature=0.8, top_p=0.95, seed=seed)
            started = clock()
            reply = await self._write(messages, options)
            self.timings.add("sql_generation", started)
            self._count_sql_tokens(reply)
            pool.append(await self.try_sql(await asyncio.to_thread(extract_sql, reply.text)))
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
