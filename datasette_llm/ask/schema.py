"""Describe a database for a prompt: CREATE TABLE statements with keys, and example rows, within a budget.

The layout follows Qwen2.5-Coder's own text-to-SQL evaluation (after Rajkumar et al. 2022):

    CREATE TABLE t (...);
    /*
    3 example rows:
    SELECT * FROM t LIMIT 3;
    a	b
    1	x
    */

The rendering depends only on the database and the tables the actor may see, never on the question, so the
prompt prefix stays identical across questions and llama.cpp reuses its cached prefix. Only when the schema
exceeds its budget does the question pick which tables stay, and what was left out is recorded.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .. import permissions
from ..sql.clipping import clipped_columns
from ..sql.execute import foreign_keys_of
from ..sql.names import SQLITE_KEYWORDS, fold, quote_name
from ..sql.snapshot import with_deadline

EXAMPLE_ROWS = 3
EXAMPLE_CELL_CHARS = 60
EXAMPLE_ROWS_MS = 200  # a table's or view's example rows, read in at most this long


@dataclass(frozen=True)
class TableSchema:
    name: str
    columns: tuple[str, ...]
    create_sql: str
    example_rows: tuple[tuple, ...]
    # (column, referenced table, referenced column): the pairs a JOIN of the two tables should compare.
    foreign_keys: tuple[tuple[str, str, str], ...] = ()
    row_count: int | None = None
    is_view: bool = False
    primary_key: tuple[str, ...] = ()

    @property
    def foreign_tables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(other for _, other, _ in self.foreign_keys))

    def render(self, with_examples: bool = True) -> str:
        text = self.create_sql.strip().rstrip(";") + ";"
        if with_examples and self.example_rows:
            header = "\t".join(self.columns)
            lines = ["\t".join(clip_cell(value, EXAMPLE_CELL_CHARS) for value in row) for row in self.example_rows]
            text += (
                f"\n/*\n{len(self.example_rows)} example rows:\nSELECT * FROM {quote_name(self.name)} "
                f"LIMIT {EXAMPLE_ROWS};\n{header}\n" + "\n".join(lines) + "\n*/"
            )
        return text


@dataclass(frozen=True)
class PromptSchema:
    """What the model is shown, and what it is not."""

    database: str
    text: str
    tables: tuple[str, ...]  # tables described in `text`
    omitted_tables: tuple[str, ...] = ()
    examples_omitted: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def clip_cell(value, limit: int) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    text = str(value).replace("\r", " ").replace("\n", " ").replace("\t", " ")
    if len(text) > limit:
        return text[:limit] + "…"
    return text


def _table_details(
    conn, table: str, is_view: bool, visible: frozenset[str] | None = None, known: frozenset[str] | None = None
) -> TableSchema:
    """Runs inside Datasette's read thread (db.execute_fn). `visible`: the lower-case names of the tables and views
    the actor may see (None: all of them); `known`: the words a CREATE statement shown as written may hold
    (visible_words(); None: those of `visible`)."""
    if visible is None:
        visible = frozenset(fold(name) for (name,) in conn.execute(_TABLES_AND_VIEWS))
    if known is None:
        known = visible_words(conn, visible)
    (create_sql,) = conn.execute(
        "select sql from sqlite_master where name = ? and type in ('table', 'view')", [table]
    ).fetchone() or ("",)
    info = list(conn.execute(f"pragma table_info({quote_name(table)})"))
    columns = tuple(row[1] for row in info)
    primary_key = tuple(row[1] for row in sorted((row for row in info if row[5]), key=lambda row: row[5]))
    keys = () if is_view else tuple(key for key in foreign_keys_of(conn, table) if fold(key[1]) in visible)
    if create_sql and _unknown_words(create_sql, known):
        # `REFERENCES hidden(id)`, a hidden name in a CHECK or a comment, must not reach a prompt: describe the table
        # from its columns and its visible keys instead of its own text. Decided by what the actor may see alone
        # (a word that is not a visible name, a keyword or a type), never by which hidden names exist: a hidden
        # table named like a visible column once changed the prompt, and so told that it exists (outside tester,
        # session 22). Constraint names (`CONSTRAINT [PK_Album]`) do not count.
        create_sql = _create_from_columns(table, info, keys)
    try:
        # Cut by SQLite to what a row shows: 3 rows of megabytes each were read whole for every question. Within a
        # time limit: a view that scans millions of rows to yield none, sorts an endless one (3.8 GB of temporary
        # files in 20 s) or aggregates 30 million rows (+1 GB) held the first question for ever (an outside
        # tester, session 36). A view that takes longer shows no example rows.
        shown = clipped_columns(columns, text_chars=EXAMPLE_CELL_CHARS + 1, blob="'<' || length({value}) || ' bytes>'")
        sql = f"select {shown} from {quote_name(table)} limit {EXAMPLE_ROWS}"
        rows = with_deadline(conn, EXAMPLE_ROWS_MS, lambda: tuple(tuple(row) for row in conn.execute(sql).fetchall()))
    except Exception:  # a broken view must not break the whole schema
        rows = None
    return TableSchema(
        table,
        columns,
        create_sql or f"CREATE TABLE {quote_name(table)} ()",
        rows or (),
        keys,
        None,
        is_view,
        primary_key,
    )


_TABLES_AND_VIEWS = "select name from sqlite_master where type in ('table', 'view')"
_DDL_WORD = re.compile(r"[^\s\"'`\[\]().,;=<>]+")
_CONSTRAINT_NAME = re.compile(r"""(?i)\bconstraint\s+("(?:[^"]|"")*"|\[[^\]]*\]|`(?:[^`]|``)*`|[^\s(]+)""")
_NUMBER = re.compile(r"[-+]?[\d.]+(?:e[-+]?\d+)?", re.IGNORECASE)


def visible_words(conn, visible: frozenset[str]) -> frozenset[str]:
    """The words a visible table's CREATE statement may hold and be shown as written: SQLite's keywords and the
    names of the visible tables, their columns and the words of their columns' types (lower case)."""
    words = set(SQLITE_KEYWORDS) | set(visible)
    for (name,) in conn.execute(_TABLES_AND_VIEWS):
        if fold(name) not in visible:
            continue
        for row in conn.execute(f"pragma table_info({quote_name(name)})"):
            words.add(fold(row[1]))
            words.update(fold(word) for word in re.findall(r"[A-Za-z_]\w*", row[2] or ""))
    return frozenset(words)


def _unknown_words(sql: str, known: frozenset[str]) -> bool:
    words = {fold(word) for word in _DDL_WORD.findall(_CONSTRAINT_NAME.sub("constraint", sql))}
    return any(word not in known and not _NUMBER.fullmatch(word) for word in words)


def _create_from_columns(table: str, info: list, keys) -> str:
    references = {column: (other, other_column) for column, other, other_column in keys}
    parts = []
    for _, name, kind, notnull, _default, pk in info:
        part = " ".join(p for p in (quote_name(name), kind or "") if p)
        if pk and sum(1 for row in info if row[5]) == 1:
            part += " PRIMARY KEY"
        if notnull:
            part += " NOT NULL"
        if name in references:
            other, other_column = references[name]
            part += f" REFERENCES {quote_name(other)}({quote_name(other_column)})"
        parts.append(part)
    return f"CREATE TABLE {quote_name(table)} (" + ", ".join(parts) + ")"


async def load_tables(datasette, database: str, actor, *, table_prefix: str = "") -> list[TableSchema]:
    """Every table and view the actor may see, in database order, with example rows: read at the schema version
    the permissions were decided at (permissions.read_visible), and read again only when the database changed
    (`_READ`)."""
    remember = not getattr(permissions.get_database(datasette, database), "is_memory", False)

    def details(conn, visible):
        shown = frozenset(fold(name) for name in visible.names)
        known = visible_words(conn, shown)
        read = _READ.tables(conn, (visible.version, shown, known)) if remember else {}
        for name in visible.names:
            key = (name, name in visible.views)
            if key not in read:
                read[key] = _table_details(conn, name, key[1], shown, known)
        return [read[(name, name in visible.views)] for name in visible.names]

    _, tables = await permissions.read_visible(datasette, actor, database, details, table_prefix=table_prefix)
    return tables


class _ReadTables(threading.local):
    """What each read connection last read of each table, kept until the database changes.

    Every question describes every visible table with three example rows; read again each time, a view over a
    million rows was aggregated for every question (0.6 s), and a chain of N views took time quadratic in N
    (SQLite prepares each view through all those below it: 400 views, 1.8 s a question). A connection's
    `pragma data_version` changes when another connection commits (rows or schema), read in the same read
    transaction as the rows; the schema version and the names the actor may see complete the key. Kept per
    thread (a Datasette read connection is used by one thread), for the last few keys of the last few
    connections. In-memory databases are read each time (their connections share one cache of pages)."""

    CONNECTIONS = 8
    KEYS = 4

    def __init__(self):
        self.by_connection: dict[int, tuple] = {}  # id(conn) -> (conn, {key: {(table, is_view): TableSchema}})

    def tables(self, conn, key: tuple) -> dict:
        key = (conn.execute("pragma data_version").fetchone()[0], *key)
        held = self.by_connection.pop(id(conn), None)
        kept = held[1] if held and held[0] is conn else {}
        read = kept.pop(key, None)
        if read is None:
            read = {}
            while len(kept) >= self.KEYS:
                kept.pop(next(iter(kept)))
        kept[key] = read  # the most recent last, in both
        while len(self.by_connection) >= self.CONNECTIONS:
            self.by_connection.pop(next(iter(self.by_connection)))
        self.by_connection[id(conn)] = (conn, kept)
        return read


_READ = _ReadTables()


def _words(text: str) -> set[str]:
    words = set()
    for word in re.findall(r"[A-Za-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", text)):
        word = fold(word)
        words.add(word)
        if word.endswith("s") and len(word) > 3:
            words.add(word[:-1])
    return words


def relevance(table: TableSchema, question_words: set[str]) -> float:
    """How strongly a question points at a table: its name counts most, then its columns."""
    name_hits = len(_words(table.name) & question_words)
    column_hits = sum(1 for column in table.columns if _words(column) & question_words)
    return 3.0 * name_hits + column_hits


def render_schema(
    database: str,
    tables: Sequence[TableSchema],
    count_tokens: Callable[[str], int],
    budget_tokens: int,
    question: str = "",
    focus: Sequence[str] = (),
) -> PromptSchema:
    """The schema text for the prompt, fitted to `budget_tokens`.

    When everything fits, the text does not depend on the question. Otherwise example rows go first (from
    the least relevant tables), then whole tables, keeping `focus` tables and the foreign-key neighbours
    of relevant tables.
    """

    rendered: dict[tuple[str, bool], str] = {}

    def text_of(chosen, with_examples):
        parts = []
        for t in chosen:
            key = (t.name, t.name in with_examples)
            if key not in rendered:
                rendered[key] = t.render(key[1])
            parts.append(rendered[key])
        return "\n\n".join(parts)

    scope_notes = []
    if focus:
        tables = scope_to(tables, focus)
        scope_notes.append("schema: scoped to " + ", ".join(t.name for t in tables))
    all_names = {t.name for t in tables}
    full = text_of(tables, all_names)
    if count_tokens(full) <= budget_tokens:
        return PromptSchema(database, full, tuple(t.name for t in tables), notes=tuple(scope_notes))

    ranked = rank_tables(tables, question, focus)

    # 1. drop example rows, least relevant first; 2. then whole tables, least relevant first (keep at least
    # one). Each step takes the fewest drops that fit. Counting the whole text again after each drop was
    # quadratic (1,000 tables: 388 s with the default model's tokenizer, session 28): the text only shrinks
    # with each drop, so the fewest is searched for, starting where the tables' own token counts put it.
    def examples_kept(dropped):
        return {t.name for t in ranked[: len(ranked) - dropped]}

    guess = _Estimate(ranked, rendered, count_tokens, budget_tokens) if len(ranked) > _GUESS_FROM else None
    dropped = _fewest(
        len(ranked),
        lambda k: count_tokens(text_of(ranked, examples_kept(k))) <= budget_tokens,
        guess.examples_dropped() if guess else 0,
    )
    with_examples = examples_kept(dropped)
    popped = _fewest(
        len(ranked) - 1,
        lambda k: count_tokens(text_of(ranked[: len(ranked) - k], with_examples)) <= budget_tokens,
        guess.tables_dropped(with_examples) if guess else 0,
    )
    chosen = list(ranked[: len(ranked) - popped])
    order = {t.name: i for i, t in enumerate(tables)}
    chosen.sort(key=lambda t: order[t.name])
    omitted = tuple(sorted(all_names - {t.name for t in chosen}))
    no_examples = tuple(sorted({t.name for t in chosen} - with_examples))
    notes = list(scope_notes)
    if omitted:
        notes.append(
            f"schema: {len(omitted)} of {len(tables)} tables left out of the prompt to fit its budget: "
            + ", ".join(omitted[:20])
            + ("…" if len(omitted) > 20 else "")
        )
    if no_examples:
        notes.append(f"schema: example rows left out for {len(no_examples)} tables")
    return PromptSchema(
        database, text_of(chosen, with_examples), tuple(t.name for t in chosen), omitted, no_examples, tuple(notes)
    )


_GUESS_FROM = 16  # tables: below it, bisection alone counts the text a few times


class _Estimate:
    """Where the fewest drops probably are, from each table's own token count (the whole text's count is
    about their sum): a guess to start the search from, never the answer."""

    def __init__(self, ranked, rendered, count_tokens, budget):
        self.ranked, self.budget = ranked, budget
        self.separator = count_tokens("\n\n")
        self.cost = {}
        for t in ranked:
            for with_examples in (True, False):
                key = (t.name, with_examples)
                if key not in rendered:
                    rendered[key] = t.render(with_examples)
                self.cost[key] = count_tokens(rendered[key])

    def _least(self, totals) -> int:
        return next((k for k, total in enumerate(totals) if total <= self.budget), len(totals))

    def examples_dropped(self) -> int:
        n = len(self.ranked)
        total = sum(self.cost[(t.name, True)] for t in self.ranked) + self.separator * (n - 1)
        totals = [total]
        for t in reversed(self.ranked):
            total += self.cost[(t.name, False)] - self.cost[(t.name, True)]
            totals.append(total)
        return self._least(totals[:n])

    def tables_dropped(self, with_examples) -> int:
        n = len(self.ranked)
        total = sum(self.cost[(t.name, t.name in with_examples)] for t in self.ranked) + self.separator * (n - 1)
        totals = [total]
        for t in reversed(self.ranked[1:]):
            total -= self.cost[(t.name, t.name in with_examples)] + self.separator
            totals.append(total)
        return self._least(totals[: n - 1])


def rank_tables(tables: Sequence[TableSchema], question: str, focus: Sequence[str] = ()) -> list[TableSchema]:
    """The tables, most relevant to the question first: what a schema over its budget keeps longest."""
    question_words = _words(question)
    scores = {t.name: relevance(t, question_words) + (100.0 if t.name in focus else 0.0) for t in tables}
    # Neighbours of relevant tables inherit part of their score: joins need them.
    for t in tables:
        if scores[t.name] > 0:
            for other in t.foreign_tables:
                if other in scores:
                    scores[other] = max(scores[other], scores[t.name] * 0.5 + 0.1)
    for t in tables:
        for other in t.foreign_tables:
            if other in scores and scores[other] > 0 and scores[t.name] == 0:
                scores[t.name] = 0.05
    return sorted(tables, key=lambda t: -scores[t.name])


def _fewest(most: int, fits: Callable[[int], bool], guess: int = 0) -> int:
    """The least k in 0..most-1 for which fits(k), else `most`; fits is monotone (once true, true for every
    larger k). The search starts at `guess` and gallops away from it, so a good guess costs a few calls."""
    if most <= 0:
        return 0
    guess = min(max(guess, 0), most - 1)
    if fits(guess):
        low, high, step = 0, guess, 1
        while high - step >= 0:
            if not fits(high - step):
                low = high - step + 1
                break
            high, step = high - step, step * 2
    else:
        low, high, step = guess + 1, most, 1
        while guess + step < most:
            if fits(guess + step):
                high = guess + step
                break
            low, step = guess + step + 1, step * 2
    while low < high:  # fits(k) is false below low, true at high (or high == most)
        middle = (low + high) // 2
        if fits(middle):
            high = middle
        else:
            low = middle + 1
    return low


def scope_to(tables: Sequence[TableSchema], focus: Sequence[str]) -> list[TableSchema]:
    """The focus tables and their foreign-key neighbours in both directions."""
    focus_set = set(focus)
    keep = set(focus_set)
    for t in tables:
        if t.name in focus_set:
            keep.update(t.foreign_tables)
        elif focus_set & set(t.foreign_tables):
            keep.add(t.name)
    return [t for t in tables if t.name in keep]


def columns_by_table(tables: Sequence[TableSchema]) -> dict[str, tuple[str, ...]]:
    return {t.name: t.columns for t in tables}
