"""Answer stage: the rows fitted to the model's budget (tokens and time), the answer streamed from them or
from passages of text, and the numbers in it checked against what the model was shown."""

from __future__ import annotations

import asyncio

from ..context import FittedRows, fit_rows, notes_line
from ..errors import ContextOverflow, ModelBusy, ModelError
from ..models import ChatModel, ChatOptions
from ..models.reply_cache import BUDGET_SLACK
from ..sql.execute import QueryResult
from ..sql.results import GuardedSQL
from ..timing import clock
from . import prompts
from .numbers import invisible_dropped, unverified_numbers
from .results import json_rows
from .schema_tables import clip_cell

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
# With a local model, a result of more rows than this is answered by the table itself, with no model call. Answers
# that read and restated 24 rows took 12-14 s here (issue 19); a lead-in read from the first 10 rows still took 4-7
# s to restate the first two or three ("Total sales per country are as follows: Argentina: $37.62 …"), and could
# call the largest of the first 10 rows the largest of all.
ANSWER_LIST_ROWS = 10


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


def answered_by_the_table(model: ChatModel, row_count: int) -> bool:
    """Whether `row_count` rows are answered by the table itself, with no model call (ANSWER_LIST_ROWS)."""
    return model.prompt_cache and row_count > ANSWER_LIST_ROWS


def partial_answer_warning(fitted: FittedRows) -> tuple[str, ...]:
    """A warning under an answer the model wrote from some of the rows. The model is told which rows it reads and
    that others were left out, but may still write "The total number of pages is 360" from 1 of 6 rows (an
    outside tester's trust oracle with the real model, session 29): this says so whatever the answer says."""
    if fitted.total_rows is None:
        read = f"{fitted.rows_shown:,} of more than {fitted.rows_fetched:,} rows"
    elif fitted.rows_shown < fitted.rows_fetched:
        read = f"{fitted.rows_shown:,} of the {fitted.rows_fetched:,} rows"
    else:
        return ()
    return (f"The model read only {read} to write this answer; it may not hold for the others (the table below).",)


def table_answer(row_count: int, hit_row_cap: bool) -> str:
    """The answer to a result the table answers: what the database returned, and nothing a model wrote."""
    if hit_row_cap:
        return f"The query returned more than {row_count:,} rows; the first {row_count:,} are listed in the results."
    if row_count == 0:
        return "The query returned no rows."
    if row_count == 1:
        return "The query returned 1 row; it is listed in the results."
    return f"The query returned {row_count:,} rows; they are listed in the results."


def row_cap_note(row_count: int) -> str:
    """The note of a result the row cap cut (no model read the rows: the SQL-only and table answers)."""
    return f"the query returned more than {row_count:,} rows; the first {row_count:,} are shown"


def appear(numbers) -> str:
    """ "does not appear" for one number, "do not appear" for several."""
    return "does not appear" if len(numbers) == 1 else "do not appear"


def answer_token_budget(model: ChatModel, configured: int) -> tuple[int, float | None]:
    """Tokens the answer may be, and the writing speed that bounds them (None when only the setting does)."""
    if not model.prompt_cache:  # an API model writes fast: the setting alone bounds the answer
        return configured, None
    rate = model.writing_speed() or ASSUMED_WRITE_RATE
    timed = max(MIN_ANSWER_TOKENS, int(ANSWER_WRITE_SECONDS * rate))
    return (timed, rate) if timed < configured else (configured, None)


def end_cut_answer(text: str) -> str:
    """An answer stopped by its token budget, ended after its last full line or sentence and marked "…"."""
    text = text.rstrip()
    ends = [text.rfind("\n")] + [text.rfind(mark) + 1 for mark in (". ", "; ", ", ")]
    cut = max(ends)
    if cut > len(text) // 3:
        text = text[:cut].rstrip().rstrip(",;")
    return text + " …"


def answer_options(max_tokens: int, user: str = prompts.ANSWER_USER) -> ChatOptions:
    """Greedy, on the answer cache slot, whose instructions and the fixed start of the `user` template are the
    saved prefix."""
    return ChatOptions(
        max_tokens=max_tokens,
        temperature=0.0,
        cache_slot="answer",
        prefix_messages=1,
        prefix_next=prompts.fixed_start(user),
    )


def answer_messages(question: str, sql: str, shown: str = "", rows: str = "", notes: str = "") -> list[dict]:
    """The prompt of an answer from rows: the question and the SQL, then the rows."""
    user = prompts.ANSWER_USER.format(question=question, sql=sql, shown=shown, rows=rows, notes=notes)
    return [{"role": "system", "content": prompts.ANSWER_SYSTEM}, {"role": "user", "content": user}]


TOO_BIG = "the rows do not fit the model's context window beside the question and the SQL: the table is the answer"


class Answering:
    """AskPipeline's answer stages: from the query's rows, or from passages of text (state: AskPipeline)."""

    async def answer(self, guarded: GuardedSQL, result: QueryResult) -> tuple[str, FittedRows | None]:
        """The answer and the rows the model read (None: the table answers, no model read them)."""
        # The rows exist before the prose does: show them now (the page draws the table while the answer streams).
        await self.emit(
            "rows",
            sql=guarded.sql,
            columns=list(result.columns),
            rows=json_rows(result.rows),
            row_count=len(result.rows),
            truncated=result.hit_row_cap,
        )
        if answered_by_the_table(self.model, len(result.rows)):
            reason = (
                f"more than {ANSWER_LIST_ROWS} rows: the table is the answer (a local model takes 10 s or more to "
                "restate them)"
            )
            return await self._table_answer(result, reason), None
        max_tokens, write_rate = answer_token_budget(self.model, self.settings.answer_max_tokens)
        options = answer_options(max_tokens)
        for attempt in range(2):
            fitted = await self._fit(guarded, result, options)
            if fitted is None:  # not even one column name fits: a question never fails because its result is large
                return await self._table_answer(result, TOO_BIG), None
            messages = self._messages_for(guarded, fitted)
            await self.emit("answering", rows_shown=fitted.rows_shown, notes=self.row_notes(fitted))
            started = clock()
            pieces = []
            kept_before = self.reply_scope.hits
            try:
                async for piece in self.model.stream(messages, options):
                    if piece:
                        pieces.append(piece)
                        await self.emit("answer_token", text=invisible_dropped(piece))  # as the final answer
                break
            except ContextOverflow as error:
                if pieces:
                    raise
                # A server that counts more tokens, or has a smaller window, than the model assumed said so: the
                # rows are fitted again with what it said, once (session 37: a llama.cpp server of 2,048 tokens
                # was sent 7,898, and every answer over numbers became the table).
                if attempt == 0 and error.learned:
                    continue
                return await self._table_answer(result, TOO_BIG), None
            except ModelBusy:
                raise  # a queue that is full now: the client retries the question (503 with Retry-After)
            except ModelError as error:
                # The query ran and its rows are real: a model that fails while answering (a reply longer than
                # max_tokens allow, a time limit, a lost connection) costs the answer, not the rows (an outside
                # tester, session 34: a 502 for the whole question).
                reason = f"the model failed while writing the answer: {error.message}"
                return await self._table_answer(result, reason), None
        self.timings.add("answer", started)
        # What the page shows is what the numbers were checked in: no character a reader does not see (a U+202E
        # showed "1807" as 7081 and a zero-width space 1807 5 as 18075, unwarned; session 34).
        text = invisible_dropped("".join(pieces)).strip()
        written = self.model.count_tokens(text) if text else 0
        self._count_answer_tokens(messages, written, cached=self.reply_scope.hits > kept_before)
        return self._end_if_stopped(
            text, written, max_tokens, write_rate, "the table shows the rows themselves"
        ), fitted

    async def _fit(self, guarded: GuardedSQL, result: QueryResult, options: ChatOptions) -> FittedRows | None:
        """The rows that fit the model's window beside the question and the SQL, as the model counts now."""
        overhead = self.model.count_message_tokens(answer_messages(self.question, guarded.sql)) + 64
        budget, reason = answer_row_budget(self.model, self.model.context_window() - overhead - options.max_tokens)
        try:
            return await asyncio.to_thread(
                fit_rows,
                result.columns,
                result.rows,
                count_tokens=self.model.count_tokens,
                budget_tokens=budget,
                max_cell_chars=self.settings.max_cell_chars,
                hit_row_cap=result.hit_row_cap,
                left_out=reason,
            )
        except ValueError:
            return None

    def _messages_for(self, guarded: GuardedSQL, fitted: FittedRows) -> list[dict]:
        shown = (
            f"{fitted.rows_shown:,} of {fitted.total_rows:,} rows"
            if fitted.total_rows is not None
            else f"{fitted.rows_shown:,} of more than {fitted.rows_fetched:,} rows"
        )
        return answer_messages(
            self.question, guarded.sql, shown=shown, rows=fitted.text, notes=notes_line(self.row_notes(fitted))
        )

    def row_notes(self, fitted: FittedRows) -> list[str]:
        """What the answer prompt says about the rows: what was left out of them, and rows tied at the LIMIT."""
        return list(fitted.notes) + ([self.ties.note()] if self.ties is not None else [])

    def _count_answer_tokens(self, messages, written: int, cached: bool) -> None:
        """What the model read and wrote for the answer (nothing, for a reply written before: reply_cache.py)."""
        if not cached:
            self.tokens["answer_prompt"] += self.model.count_message_tokens(messages)
            self.tokens["answer_completion"] += written

    def _end_if_stopped(self, text: str, written: int, max_tokens: int, write_rate: float | None, rest: str) -> str:
        """An answer its time budget stopped (answer_token_budget), ended at a full line or sentence and noted."""
        if write_rate is None or written < max_tokens - BUDGET_SLACK:
            return text
        self.notes.append(
            f"the answer was stopped after {max_tokens} tokens to answer in time (the model writes about "
            f"{write_rate:.0f} tokens a second here); {rest}"
        )
        return end_cut_answer(text)

    async def _table_answer(self, result: QueryResult, reason: str) -> str:
        count = len(result.rows)
        notes = [reason]
        if result.hit_row_cap:
            notes.append(row_cap_note(count))
        self.notes.extend(notes)
        text = table_answer(count, result.hit_row_cap)
        await self.emit("answering", rows_shown=0, notes=notes)
        await self.emit("answer_token", text=text)
        return text

    def _passages_budget(self) -> int:
        """Tokens for the passages beside the question and the answer, as the model counts now."""
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
        return min(budget, self.settings.text_budget_tokens)

    async def answer_from_text(self, restrict=None):
        from ..models import embedding_model_for
        from .text.answer_text import (
            CITATION,
            NOT_FOUND,
            Reader,
            answer_from_passages,
            attribute,
            build_passages,
            cited_numbers,
            is_not_found,
            passage_source,
        )
        from .text.citations import citation_warnings
        from .text.no_figure import no_figure_warning
        from .text.over_all_rows import partial_read_warning
        from .text.unmentioned import unmentioned_names

        await self.emit("retrieving")
        started = clock()
        embedder = embedding_model_for(self.settings)
        reader = Reader(
            frozenset(self.allowed),
            self.time_limit_ms,
            frozenset(c.table for c in self.collections) if self.focus else None,
        )
        # Written at the measured speed for about ANSWER_WRITE_SECONDS, as an answer from rows: a real model
        # repeated two sentences five times over 143 s (an outside tester, session 29).
        max_tokens, write_rate = answer_token_budget(self.model, self.settings.answer_max_tokens)
        streamed = []

        async def on_token(piece):
            streamed.append(piece)
            await self.emit("answer_token", text=invisible_dropped(piece))  # as the final answer

        for attempt in range(2):
            passages, notes = await build_passages(
                self.datasette,
                self.actor,
                self.database,
                self.question,
                chat=self.model,
                embedder=embedder,
                budget_tokens=self._passages_budget(),
                reader=reader,
                k=self.settings.text_passages,
                restrict=restrict,
                before_reading=self.still_allowed,
            )
            if attempt == 0:
                self.timings.add("retrieval", started)
            self.passages = passages
            if not passages:
                self.notes.extend(notes)
                return NOT_FOUND, ()
            # The passages exist before the prose does: show them now (the page lists them while the answer
            # streams; a second list, fitted again, replaces the first).
            await self.emit("passages", passages=[passage.to_json() for passage in passages])
            await self.emit("answering", passages=len(passages), notes=list(notes))
            started = clock()
            kept_before = self.reply_scope.hits
            try:
                answer, messages = await answer_from_passages(
                    self.model, self.question, passages, notes, max_tokens, on_token
                )
                break
            except ContextOverflow as error:
                # A server that counts more tokens, or has a smaller window, than the model assumed said so: the
                # passages are fitted again with what it said, once, as the rows are (session 37 left this out).
                if streamed or attempt or not error.learned:
                    raise
        self.notes.extend(notes)
        answer = invisible_dropped(answer)  # as the rows' answer above
        self.timings.add("answer", started)
        written = self.model.count_tokens(answer) if answer else 0
        self._count_answer_tokens(messages, written, cached=self.reply_scope.hits > kept_before)
        answer = self._end_if_stopped(answer, written, max_tokens, write_rate, "the sources below have the rest")
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
        # Each passage as the model read it, without the "[3] " that opens it: the passages' numbers are no
        # numbers of their text ("has 1 arch [1]" was taken as shown, an outside tester, session 31).
        blocks = {p.number: passage_source(p) for p in passages}
        # The passages only: the plugin's own notes are no data ("100,000 a column" of a note about a cut row let
        # "cost 100,000 crowns" pass; session 34).
        shown = "\n".join(blocks.values())
        # In a thread: passages of tens of KB take the check tens of ms (it reads them as a page draws them).
        unsupported = await asyncio.to_thread(unverified_numbers, CITATION.sub("", answer), shown, self.question)
        if unsupported:
            warnings.append(
                f"The answer mentions {', '.join(unsupported)}, which {appear(unsupported)} in the passages the "
                "model was shown; check them against the sources."
            )
        warnings.extend(citation_warnings(answer, blocks, self.question))
        warnings.extend(partial_read_warning(self.question, len(passages)))
        warnings.extend(no_figure_warning(self.question, answer))
        absent = unmentioned_names(self.question, blocks.values())
        if absent:
            names = ", ".join(f"“{name}”" for name in absent)
            # Named, the look-alike the answer is about is seen at once ("Lero Mine" asked, "Leror Mine" cited).
            cited = ", ".join(f"“{clip_cell(passages[n - 1].label, 80)}” [{n}]" for n in valid[:3])
            about = f"it cites {cited}" if cited else "the answer may be about something else"
            warnings.append(f"No passage mentions {names}, which the question names: {about}.")
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
