"""Mend and run stages: validate one query the model wrote, mend what needs no model call (each heuristic
from ask/repairs), run it, and look up stored values when it finds nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from ..sql.execute import QueryResult, guard_limit, run_select
from ..sql.failures import QueryFailed
from ..sql.guard import check_select
from ..sql.replies import MAX_SQL_CHARS
from ..sql.results import GuardedSQL, Rejection
from ..sql.written_back import written_back_as_is
from ..timing import clock
from . import repairs
from .conversation import SqlConversation
from .repairs.sql_fix import MAX_FIXES
from .repairs.value_hints import Probe, ValueHint, looks_empty
from .results import Attempt, MendedRun, Outcome


def _same_problem(retry: GuardedSQL | Rejection, rejection: Rejection) -> bool:
    return isinstance(retry, Rejection) and retry.identifier == rejection.identifier


class Mending:
    """AskPipeline's stages for one query: validate and mend, run, mend after the run (state: AskPipeline)."""

    def check_and_fix(
        self, sql: str, *, final: bool = False
    ) -> tuple[GuardedSQL | Rejection, tuple[str, ...], tuple[str, ...]]:
        """Validate; when a name is almost right and only one real name fits, fix it and validate again.

        A column that names a part of a date (`published_year`) is read from the date column it names
        (sql_fix.date_part). A JOIN whose ON clause names a column the joined table lacks but one table between
        them holds gets that table between them (join_mends.bridge_join). On the `final` attempt a column that
        lives in one other table the foreign keys reach is also mended by joining that table (the repair turns
        showed the model that JOIN). Returns (checked, fixes, doubts):
        doubts describe JOINs that link nothing and could not be fixed.
        """
        if not sql:
            return Rejection("the reply contained no SQL query", "empty", None, ()), (), ()
        if len(sql) > MAX_SQL_CHARS:
            reason = f"the query is {len(sql):,} characters long; write one of at most {MAX_SQL_CHARS:,}"
            return Rejection(reason, "too_long", None, ()), (), ()
        fixes = []
        checked = self.guard(sql)
        # Mends write the query back from sqlglot's tree: only a query sqlglot writes back as itself is mended (a
        # cast it writes as another type would change the rows without a word; sql/written_back.py).
        mendable = isinstance(checked, Rejection) and written_back_as_is(sql)  # asked only when there is a fix to try
        while isinstance(checked, Rejection) and len(fixes) < MAX_FIXES and mendable:
            fixed = repairs.NAME_FIX.apply(sql, checked, self.guard_schema, self.allowed)
            retry = self.guard(fixed[0]) if fixed else None
            if retry is None or _same_problem(retry, checked):
                dated = repairs.DATE_PART.apply(sql, checked, self.guard_schema)
                if dated is not None:
                    fixed, retry = dated, self.guard(dated[0])
            if retry is None or _same_problem(retry, checked):
                bridged = repairs.BRIDGE_JOIN.apply(sql, checked, self.guard_schema)  # no model call: on every attempt
                if bridged is not None:
                    fixed, retry = bridged, self.guard(bridged[0])
            if final and (retry is None or _same_problem(retry, checked)):
                joined = repairs.MISSING_TABLE.apply(
                    sql, checked, self.guard_schema, self.allowed
                ) or repairs.BROKEN_JOIN.apply(sql, checked, self.guard_schema)
                if joined is not None:
                    fixed, retry = joined, self.guard(joined[0])
            if fixed is None or _same_problem(retry, checked):
                break  # no fix, or it did not help: report the model's own error
            sql, change = fixed
            fixes.append(change)
            checked = retry
        if isinstance(checked, Rejection):
            return checked, tuple(fixes), ()
        joins = repairs.JOIN_LINKS.apply(checked.sql, self.guard_schema.tables, self.links)
        problems = list(joins.problems)
        if joins.changes:
            # The relink writes the whole query back from sqlglot's tree too (an outside tester, session 59: a cast
            # ran as another type, only the JOIN listed): a query sqlglot writes as another is not relinked.
            relinked = self.guard(joins.sql) if written_back_as_is(checked.sql) else None
            if isinstance(relinked, GuardedSQL):
                checked = relinked
                fixes.extend(joins.changes)
            else:  # the JOINs that link nothing go back unmended, not unsaid: a cross join ran without a word
                problems = joins.mended + problems
        return checked, tuple(fixes), tuple(problems)

    async def try_sql(self, sql: str, *, final: bool = False, attempt: int | None = None) -> Outcome:
        """Validate (with deterministic fixes) and run one query the model wrote.

        A JOIN that links nothing is an error unless this is the `final` attempt, when the query runs and the
        doubt is kept for a warning. `attempt` numbers the progress event sent before the query runs.
        """
        await self.still_allowed()  # the model wrote for a while: nothing Datasette refuses now is read
        # Parsing and mending a long statement takes tens of milliseconds of pure Python: off the event loop, so
        # a model's (or an attacker's) 6 KB reply cannot hold every other request (it held them 0.5 s).
        checked, fixes, doubts = await asyncio.to_thread(self.check_and_fix, sql, final=final)
        if isinstance(checked, Rejection):
            return Outcome(error=checked.reason, kind=checked.kind, suggestions=tuple(checked.suggestions))
        if doubts and not final:
            return Outcome(error="; ".join(doubts), kind="unlinked_join")
        if attempt is not None:
            await self.emit("running", attempt=attempt, sql=checked.sql)
        started = clock()
        try:
            try:
                result = await self.run_query(checked)
            except QueryFailed as error:
                mended = await asyncio.to_thread(self.mend_failed, checked, error)
                if mended is None:
                    raise
                checked, change = mended
                fixes = fixes + (change,)
                result = await self.run_query(checked)
        except QueryFailed as error:
            return Outcome(checked, error=error.message, kind=error.code, fixes=fixes)
        finally:
            self.timings.add("sql_execution", started)
        return Outcome(checked, result, fixes=fixes, doubts=doubts)

    def guard(self, sql: str) -> GuardedSQL | Rejection:
        limit = guard_limit(self.settings.max_rows)
        return check_select(sql, self.guard_schema, max_rows=limit, allowed_tables=self.allowed)

    async def run_query(self, guarded: GuardedSQL) -> QueryResult:
        return await run_select(
            self.db,
            guarded.sql,
            allowed_tables=self.allowed,
            max_rows=self.settings.max_rows,
            time_limit_ms=self.time_limit_ms,
        )

    def mend_failed(self, checked: GuardedSQL, error: QueryFailed) -> tuple[GuardedSQL, str] | None:
        """A deterministic fix for an SQLite error whose cause is unambiguous, validated again; else None."""
        if not written_back_as_is(checked.sql):
            return None
        if "misuse of aggregate" in error.message:
            fixed = repairs.OUTER_AGGREGATES.apply(checked.sql)
        elif "ambiguous column name: " in error.message:
            name = error.message.split("ambiguous column name: ", 1)[1].strip()
            fixed = repairs.AMBIGUOUS_COLUMN.apply(checked.sql, name, self.guard_schema.tables)
        else:
            return None
        if fixed is None:
            return None
        guarded = self.guard(fixed[0])
        return None if isinstance(guarded, Rejection) else (guarded, fixed[1])

    async def check_values(self, checked: GuardedSQL) -> list[ValueHint]:
        """Literals of a query that matched nothing, checked against the values really stored."""
        started = clock()
        own = {t: self.guard_schema.tables[t] for t in checked.tables if t in self.guard_schema.tables}
        hints = await repairs.VALUE_HINTS.apply(
            self.db,
            checked.sql,
            own,
            allowed=self.allowed,
            time_limit_ms=self.time_limit_ms,
            probe=self.probe_for(checked),
            other_tables=self.guard_schema.tables,
            question=self.question,
            links=self.links,
        )
        self.timings.add("sql_execution", started)
        return hints

    async def look_up_key_names(self, checked: GuardedSQL):
        """Names compared with foreign-key columns, looked up through the table the key references (no model
        call). Returns (guarded, result, fixes) when that mend applies and the mended query runs, else None."""
        mended = await self.probed(repairs.KEY_LITERALS, checked, self.guard_schema.tables, self.links)
        return await self.run_mended(mended[0], mended[1]) if mended else None

    async def not_in_without_nulls(self, checked: GuardedSQL):
        """The query with NULLs left out of each NOT IN subquery that returns one (asked of the data; no model
        call). Returns (guarded, result, fixes) when that mend applies and the mended query runs, else None."""
        mended = await self.probed(repairs.NOT_IN_NULLS, checked)
        return await self.run_mended(mended[0], mended[1]) if mended else None

    async def drop_unasked_joins(self, checked: GuardedSQL):
        """The query without JOINs that only repeat rows of a table the question does not name (no model call).
        Returns (guarded, result, fixes) when there is one to drop and the mended query runs, else None."""
        dropped = repairs.UNASKED_JOINS.apply(checked.sql, self.question, self.guard_schema.tables, self.links)
        return await self.run_mended(dropped[0], (dropped[1],)) if dropped else None

    async def values_not_asked_for(self, checked: GuardedSQL, offered: set[str]) -> list[str]:
        """A doubt naming the query's literals that the question does not mention (nor reaches through their rows),
        leaving out the stored values a value hint offered for the question's own words."""
        return await self.probed(
            repairs.UNASKED_VALUES, checked, self.question, self.guard_schema.tables, self.links, offered=offered
        )

    async def arbitrary_values(self, checked: GuardedSQL, shown: int | None = None) -> list[str]:
        """A doubt for each column the rows (the first `shown`) show from one arbitrary row of a group (asked of the
        data)."""
        return await self.probed(repairs.ARBITRARY_VALUES, checked, self.guard_schema.tables, shown)

    async def numbers_stored_as_text(self, checked: GuardedSQL) -> list[str]:
        """A warning for each column the query orders or compares whose numbers are stored as text (asked of the
        data)."""
        return await self.probed(repairs.NUMBERS_AS_TEXT, checked, self.guard_schema.tables)

    async def dates_not_read(self, checked: GuardedSQL) -> list[str]:
        """A warning for each column the query passes to a date function that holds values it reads as NULL (asked
        of the data)."""
        return await self.probed(repairs.UNREAD_DATES, checked, self.guard_schema.tables)

    async def integer_divisions(self, checked: GuardedSQL, shown: int | None = None) -> list[str]:
        """A doubt for each division the rows (the first `shown`) show that dropped a fraction: integer by integer
        (asked of the data)."""
        return await self.probed(repairs.INTEGER_DIVISION, checked, shown)

    async def tied_at_the_limit(self, checked: GuardedSQL, result: QueryResult):
        """The rows the query's own LIMIT left out that sort like the last row shown (tied_rows.Ties), or None."""
        shown = len(result.rows)
        return await self.probed(repairs.TIED_ROWS, checked, shown, guard_limit(self.settings.max_rows))

    async def one_row_count(self, checked: GuardedSQL) -> list[str]:
        """A doubt when the query counts rows pinned to one by a value no two rows share (asked of the data)."""
        return await self.probed(repairs.ONE_ROW_COUNT, checked, self.question, self.guard_schema.tables)

    def probe_for(self, checked: GuardedSQL) -> Probe:
        """The Probe of this checked query: every probe asked about one query shares one time budget. Each repair
        was given a Probe of its own, so each had the whole budget again, and three of them re-ran the whole query:
        one question's probes took 1.49 s on a million rows with a time limit of 1 s (an outside tester, session
        55)."""
        if self.probing is None or self.probing[0] is not checked:
            self.probing = (checked, Probe(self.db, self.allowed, self.time_limit_ms))
        return self.probing[1]

    async def probed(self, repair, checked: GuardedSQL, *args, **kwargs):
        """`repair` applied with the query's Probe (the guarded path, within the query's time limit) before the
        query's SQL and `args`; its time counts as running SQL."""
        started = clock()
        try:
            return await repair.apply(self.probe_for(checked), checked.sql, *args, **kwargs)
        finally:
            self.timings.add("sql_execution", started)

    async def run_mended(self, sql: str, changes: tuple[str, ...]):
        """Validate and run a mended query: (guarded, result, changes), or None if it fails either."""
        guarded = self.guard(sql)
        if isinstance(guarded, Rejection):
            return None
        started = clock()
        try:
            return guarded, await self.run_query(guarded), changes
        except QueryFailed:
            return None
        finally:
            self.timings.add("sql_execution", started)

    async def substitute_values(self, checked: GuardedSQL, hints: Sequence[ValueHint]):
        """Put the stored spelling in place of literals that differ from it only in case, spaces or punctuation.

        Returns (guarded, result, fixes) when the rewritten query finds something, else None.
        """
        sql, changes = checked.sql, []
        if not await asyncio.to_thread(written_back_as_is, sql):  # sqlglot: off the event loop
            return None
        for hint in hints:
            if hint.replacement is None:
                continue
            rewritten = repairs.STORED_SPELLING.apply(sql, hint.column, hint.literal, hint.replacement)
            if rewritten is not None:
                sql = rewritten
                changes.append(f"{hint.literal!r} → {hint.replacement!r} (as stored in {hint.table}.{hint.column})")
        mended = await self.run_mended(sql, tuple(changes)) if changes else None
        return None if mended is None or looks_empty(mended[1]) else mended

    async def mend_run(self, outcome: Outcome) -> MendedRun:
        """The query after the mends that need no model call (tried on every attempt), with its rows."""
        run = MendedRun(guarded=outcome.guarded, result=outcome.result, fixes=outcome.fixes)
        if not await asyncio.to_thread(written_back_as_is, run.guarded.sql):  # sqlglot: off the event loop
            return run
        for mend in (self.look_up_key_names, self.drop_unasked_joins, self.not_in_without_nulls):
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
