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
prompt prefix stays identical across questions and llama.cpp reuses its cached prefix. A schema over its budget
is cut in two: a shared part chosen without the question (the tables' CREATE statements without example rows,
the most linked tables first when not all fit), the same for every question so its model state is saved and
read once, then the question's own part, within a quarter of the budget (the tables it points at that the shared
part lacks, and the example rows of the 3 it points at most), what was left out recorded. The tables themselves,
as the actor may see them, are read by ask/schema_tables.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from ..sql.names import fold, quote_name
from .schema_tables import TableSchema


@dataclass(frozen=True)
class PromptSchema:
    """What the model is shown, and what it is not."""

    database: str
    text: str
    tables: tuple[str, ...]  # tables described in `text`
    omitted_tables: tuple[str, ...] = ()
    examples_omitted: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    # A schema cut to fit: the start of `text` that is the same for every question ("" if none is), else None
    # (the whole text is).
    shared: str | None = None

    @property
    def fixed(self) -> bool:
        """Whether the whole text is the same for every question on this schema."""
        return self.shared is None


# Words that name nothing on their own: a question's "of" or "how many" points at no table or column.
_NAMES_NOTHING = frozenset(
    "a an and are by do does each for from has have how i in is it many me much of on or per the to was what "
    "when where which who whose why with".split()
)


def _tokens(text: str) -> list[str]:
    """The words of a name or a question, in order, folded: `orderItems`, `order_items` and "order items" alike."""
    return [fold(word) for word in re.findall(r"[A-Za-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", text))]


_ES_AFTER = ("sse", "she", "che", "xe")  # addresses, branches, boxes: the "es" of the plural

# English plurals no ending rule reads: each maps to its singular. Only whole words, so `moves` and `archives`
# keep the rule (a "-ves" rule would make them `mof` and `archif`).
_IRREGULAR = {
    "people": "person",
    "persons": "person",
    "children": "child",
    "men": "man",
    "women": "woman",
    "mice": "mouse",
    "geese": "goose",
    "teeth": "tooth",
    "feet": "foot",
    "wives": "wife",
    "lives": "life",
    "knives": "knife",
    "leaves": "leaf",
    "halves": "half",
    "shelves": "shelf",
    "wolves": "wolf",
    "thieves": "thief",
    "calves": "calf",
    "selves": "self",
    "criteria": "criterion",
    "phenomena": "phenomenon",
    "analyses": "analysis",
    "theses": "thesis",
    "crises": "crisis",
    "indices": "index",
    "matrices": "matrix",
    "vertices": "vertex",
    "statuses": "status",
    "buses": "bus",
}


def _stem(word: str) -> str:
    """One form for a word's singular and plural: `countries` and `country` are `country`, `addresses` and `address`
    are `address`, `movies` and `movie` are `movy` (only "s" was taken off: `countries` was never `country`, so a
    question's "each country" named no table; an outside tester, session 59), `people` and `person` are `person`."""
    word = _IRREGULAR.get(word, word)
    if len(word) <= 3:
        return word
    if word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
        if word.endswith(_ES_AFTER):
            word = word[:-1]
    if word.endswith("ie"):
        word = word[:-2] + "y"
    return word


def _words(text: str) -> set[str]:
    words = set()
    for word in _tokens(text):
        words.add(word)
        words.add(_stem(word))
    return words


def relevance(table: TableSchema, name_words: set[str], column_words: set[str]) -> float:
    """How strongly a question points at a table: its name counts most, then its columns. `name_words` are the
    question's words that name something (question_words), `column_words` those of them that are no number: a
    number counts only for a table's name (`table_1`'s 1 tells it from `table_2`, while a question's 1 says nothing
    of columns `c_1`)."""
    name_hits = len(_words(table.name) & name_words)
    column_hits = sum(1 for column in table.columns if _words(column) & column_words)
    return 3.0 * name_hits + column_hits


def question_words(question: str) -> tuple[set[str], set[str]]:
    """The (name_words, column_words) relevance() compares a table with: words that name nothing ("of", "how
    many") count for neither."""
    named = _words(question) - _NAMES_NOTHING
    return named, {word for word in named if not word.isdigit()}


def named_outright(name: str, said: Sequence[str]) -> int:
    """How many words long the table's whole name is where the question, its words `said` (stemmed), writes it
    out ("how many rows has table 1", "the order_items"), else 0. Plural and singular read alike."""
    wanted = [_stem(word) for word in _tokens(name)]
    if not wanted or all(word in _NAMES_NOTHING for word in wanted):
        return 0
    n = len(wanted)
    return n if any(said[i : i + n] == wanted for i in range(len(said) - n + 1)) else 0


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

    if len(tables) > 1:
        cut = _shared_cut(database, tables, count_tokens, budget_tokens, question, focus, rendered, scope_notes)
        if cut is not None:
            return cut

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
    if len(chosen) == 1 and count_tokens(text_of(chosen, with_examples)) > budget_tokens:
        # One table alone too wide for the window: its columns give way too, or no question could be asked of it
        # (an outside tester, session 59: 500 columns of long names made every question a context overflow).
        chosen[0], left_out = narrowed(chosen[0], question, count_tokens, budget_tokens)
        with_examples = set()
        rendered.pop((chosen[0].name, False), None)
        scope_notes.append(
            f"schema: {left_out:,} of {len(chosen[0].columns):,} columns of {chosen[0].name} left out of the "
            "prompt to fit its budget"
        )
    order = {t.name: i for i, t in enumerate(tables)}
    chosen.sort(key=lambda t: order[t.name])
    omitted = tuple(sorted(all_names - {t.name for t in chosen}))
    no_examples = tuple(sorted({t.name for t in chosen} - with_examples))
    notes = _cut_notes(scope_notes, omitted, no_examples, len(tables))
    return PromptSchema(
        database, text_of(chosen, with_examples), tuple(t.name for t in chosen), omitted, no_examples, notes, shared=""
    )


def _cut_notes(scope_notes, omitted: tuple[str, ...], no_examples: tuple[str, ...], total: int) -> tuple[str, ...]:
    """The notes of a cut schema: its scope's, then what was left out of it."""
    notes = list(scope_notes)
    if omitted:
        notes.append(
            f"schema: {len(omitted)} of {total} tables left out of the prompt to fit its budget: "
            + ", ".join(omitted[:20])
            + ("…" if len(omitted) > 20 else "")
        )
    if no_examples:
        notes.append(f"schema: example rows left out for {len(no_examples)} tables")
    return tuple(notes)


QUESTION_SHARE = 0.25  # of a cut schema's budget: the question's own part, after the shared part
ROWS_SHOWN = 3  # tables whose example rows the question's part shows, those it points at most


def _shared_cut(database, tables, count_tokens, budget_tokens, question, focus, rendered, scope_notes):
    """A schema over its budget as a shared part and the question's own part (see the module's docstring), or
    None when not one table's CREATE statement fits the shared part's budget (a table too wide for the window:
    render_schema narrows it for the question), or when the table the question points at most finds no room
    beside it (render_schema then cuts for the question alone, as before session 60: a small window)."""

    def render(t: TableSchema, with_examples: bool) -> str:
        key = (t.name, with_examples)
        if key not in rendered:
            rendered[key] = t.render(with_examples)
        return rendered[key]

    shared_budget = budget_tokens - int(budget_tokens * QUESTION_SHARE)
    order = {t.name: i for i, t in enumerate(tables)}
    links = _links(tables)
    by_links = sorted(tables, key=lambda t: -links[t.name])  # stable: the database's order among equals
    n = len(by_links)

    def shared_text(dropped: int) -> str:
        kept = sorted(by_links[: n - dropped], key=lambda t: order[t.name])
        return "\n\n".join(render(t, False) for t in kept)

    guess = _Estimate(by_links, rendered, count_tokens, shared_budget) if n > _GUESS_FROM else None
    dropped = _fewest(
        n, lambda k: count_tokens(shared_text(k)) <= shared_budget, guess.tables_dropped(set()) if guess else 0
    )
    if dropped == n:
        return None
    shared = shared_text(dropped)
    in_shared = {t.name for t in by_links[: n - dropped]}
    costs = guess.cost if guess else {}

    def cost(t: TableSchema, with_examples: bool) -> int:
        key = (t.name, with_examples)
        if key not in costs:
            costs[key] = count_tokens(render(t, with_examples))
        return costs[key]

    # The question's part: (table, whether its example rows are shown, text), read for each question, so small:
    # within QUESTION_SHARE of the budget, first the CREATE statements of the tables it points at that the shared
    # part lacks, then the example rows of the ROWS_SHOWN it points at most.
    scored = _scored(tables, question, focus)
    relevant = [t for t, score in scored if score > 0]
    pieces: dict[str, tuple[bool, str]] = {}
    separator = count_tokens("\n\n")
    used = count_tokens(shared)
    limit = min(budget_tokens, used + int(budget_tokens * QUESTION_SHARE))
    for t in relevant:
        if t.name not in in_shared and used + cost(t, False) + separator <= limit:
            pieces[t.name] = (False, render(t, False))
            used += cost(t, False) + separator
    for t in relevant[:ROWS_SHOWN]:
        if not t.example_rows or (t.name not in in_shared and t.name not in pieces):
            continue
        if t.name in in_shared:
            text = render(t, True)[len(render(t, False)) :].lstrip("\n")
            price = cost(t, True) - cost(t, False) + separator
        else:
            text, price = render(t, True), cost(t, True) - cost(t, False)
        if used + price <= limit:
            pieces[t.name] = (True, text)
            used += price

    def whole() -> str:
        return shared + "".join("\n\n" + text for _, text in pieces.values())

    # Each piece was counted alone: the whole text's count may differ a little, and the last pieces give way.
    while pieces and count_tokens(whole()) > budget_tokens:
        del pieces[next(reversed(pieces))]
    described = in_shared | set(pieces)
    if scored[0][1] > 0 and scored[0][0].name not in described:
        return None  # the table the question points at most has no room beside the shared part: cut for it alone
    with_rows = {name for name, (rows, _) in pieces.items() if rows}
    chosen = tuple(sorted(described, key=order.__getitem__))
    omitted = tuple(sorted({t.name for t in tables} - described))
    no_examples = tuple(sorted(described - with_rows))
    notes = _cut_notes(scope_notes, omitted, no_examples, len(tables))
    return PromptSchema(database, whole(), chosen, omitted, no_examples, notes, shared=shared)


def _links(tables: Sequence[TableSchema]) -> dict[str, int]:
    """How many foreign keys each table takes part in, from it or to it: the tables most questions join."""
    links = {t.name: 0 for t in tables}
    for t in tables:
        for other in t.foreign_tables:
            links[t.name] += 1
            if other in links and other != t.name:
                links[other] += 1
    return links


def narrowed(
    table: TableSchema, question: str, count_tokens: Callable[[str], int], budget_tokens: int
) -> tuple[TableSchema, int]:
    """(the table described by as many of its columns as fit `budget_tokens`, how many were left out): its key,
    the columns the question names and then the others, in that order of choice and the table's order of
    description, without example rows. At least one column is kept."""
    _, column_words = question_words(question)
    named = [i for i, column in enumerate(table.columns) if _words(column) & column_words]
    keys = [i for i, column in enumerate(table.columns) if column in table.primary_key]
    choice = list(dict.fromkeys(keys + named + list(range(len(table.columns)))))

    def described(k: int) -> TableSchema:
        kept = sorted(choice[:k])
        return replace(table, create_sql=_create_sql(table, kept), example_rows=())

    n = len(choice)
    left_out = _fewest(n - 1, lambda dropped: count_tokens(described(n - dropped).render(False)) <= budget_tokens)
    return described(n - left_out), left_out


def _create_sql(table: TableSchema, kept: list[int]) -> str:
    """A CREATE statement naming only the `kept` columns (with their types and links), saying how many are not."""
    links = {column: (other, other_column) for column, other, other_column in table.foreign_keys}
    lines = []
    for i in kept:
        column = table.columns[i]
        kind = table.column_types[i] if i < len(table.column_types) else ""
        line = " ".join(part for part in (quote_name(column), kind) if part)
        if column in links:
            line += f" REFERENCES {quote_name(links[column][0])}({quote_name(links[column][1])})"
        lines.append("  " + line)
    body = ",\n".join(lines)
    more = len(table.columns) - len(kept)
    kind = "VIEW" if table.is_view else "TABLE"
    return f"CREATE {kind} {quote_name(table.name)} (\n{body}\n  -- {more:,} more columns not shown\n)"


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
    """The tables, most relevant to the question first: what a schema over its budget keeps longest. A table
    the question names outright comes before every table it does not, the longest name first: `table_1`
    before `table_number_1`, however many of the other's columns share a word with the question."""
    return [t for t, _ in _scored(tables, question, focus)]


def _scored(tables: Sequence[TableSchema], question: str, focus: Sequence[str] = ()) -> list[tuple[TableSchema, float]]:
    """rank_tables() with each table's score (above 0: the question points at it, or at a table it links)."""
    name_words, column_words = question_words(question)
    said = [_stem(word) for word in _tokens(question)]
    named = {t.name: named_outright(t.name, said) for t in tables}
    scores = {
        t.name: relevance(t, name_words, column_words) + 10.0 * named[t.name] + (100.0 if t.name in focus else 0.0)
        for t in tables
    }
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
    ranked = sorted(tables, key=lambda t: (t.name not in focus, -named[t.name], -scores[t.name]))
    return [(t, scores[t.name]) for t in ranked]


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
