"""Few-shot stage: the trusted examples and canned queries go into the SQL prompt as earlier turns.

Two kinds, within two token budgets. Those kept for every question (standing(): canned queries, then trusted
examples oldest first) follow the schema and belong to the prompt's saved prefix: the model reads them once per
schema and actor, not once per question. Then, for a store too big to keep whole, the most similar of the others
to this question (choose()), read with the question. Every prompt token costs reading time. Each one shown
passes the guard against the tables this actor may see, so an example never shows the model, or the user (the
result lists the examples shown), a table the actor may not see. Similarity is the embedding model's cosine
between the questions plus the share of the question's words the example's question has (DAIL-SQL picks
examples by question similarity too).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import takewhile

import numpy as np

from ..sql.lexer import without_comments
from ..sql.results import SchemaInfo
from .repairs.name_words import question_stems

# Words that say nothing about what a question asks for; the rest are compared between questions.
_FILLER = frozenset(
    "a an and are as at be by can did do does each every for from give had has have how i in is it its list me "
    "many much name names of on or please show tell than that the their them there these they this those to "
    "was we were what when where which who whose with would you".split()
)
# How much the word overlap adds to the cosine similarity (both in 0..1).
WORD_WEIGHT = 0.5
# An example less similar than this is left out however much budget is left: a random query teaches nothing.
MIN_SCORE = 0.35
# The guard checks at most this many of the best-ranked examples for one question (a few ms each), so a store
# full of examples this actor may not use cannot slow a question down. Only examples whose names the actor may
# see count: examples of hidden tables took these places before they were left out, and which of an asker's
# examples then went missing told that hidden ones like the question exist (an outside tester, session 17).
MAX_CHECKED = 50
# The examples kept in the saved prefix (standing()) are looked for among at most this many, in pool order.
MAX_STANDING_CHECKED = 200
# A kept example at least this like the question (cosine plus WORD_WEIGHT x shared words: 0..1.5) is shown again
# right before it (few_shot_repeat): a 1.5B model follows the nearest example most, and at the far end of a
# block of 14 it followed it less (Spider, kept + repeat vs kept alone: query folds, 194 questions, 86.6% vs
# 85.1%, +0.3 s p50 on 100; alternating folds, 100, 87% vs 85%: docs/measurements.md, session 21). Less alike,
# repeating one teaches a shape the question does not want.
REPEAT_SCORE = 0.9


@dataclass(frozen=True)
class Shot:
    """One example: a question and the SQL that answers it, where it came from, and how like the question it is."""

    question: str
    sql: str
    source: str  # "example" (a trusted example, `ref` its id) or "canned" (a canned query, `ref` its name)
    ref: int | str | None = None
    score: float = 0.0
    names: str | None = None  # a stored example's mentions.names_text() (load_pool fills it); None: not from a store
    reads: str | None = None  # a stored example's check.reads_text(): the tables its SQL reads; None: not known

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "sql": self.sql,
            "source": self.source,
            "id": self.ref,
            "score": round(self.score, 3),
        }


class ShotPool:
    """The examples a database's questions may draw on, with their questions' unit vectors (one row each)."""

    def __init__(
        self,
        shots: Sequence[Shot],
        vectors: np.ndarray | None = None,
        set_aside: Sequence = (),
        *,
        unavailable: bool = False,
    ):
        self.shots = list(shots)
        self.set_aside = tuple(set_aside)  # the trusted examples this load set aside: the schema changed under them
        self.unavailable = unavailable  # the examples store could not be read: only canned queries are here
        self._words: list[frozenset[str]] | None = None  # words(), read when first asked for
        self.vectors = vectors if vectors is not None else np.zeros((len(self.shots), 0), dtype=np.float32)
        if len(self.vectors) != len(self.shots):
            raise ValueError("one vector per example")

    def __len__(self) -> int:
        return len(self.shots)

    def without(self, leave_out: Callable[[Shot], bool]) -> ShotPool:
        keep = [i for i, shot in enumerate(self.shots) if not leave_out(shot)]
        pool = ShotPool([self.shots[i] for i in keep], self.vectors[keep])
        if self._words is not None:
            pool._words = [self._words[i] for i in keep]
        return pool

    def words(self) -> list[frozenset[str]]:
        """content_words() of each example's question, read once for the pool (which lives until the store
        changes). Not a cache of every question asked: that kept each asker's question, about 70 KB for one of
        2,000 characters, up to 16,384 of them (an outside tester's memory oracle, session 28)."""
        if self._words is None:
            self._words = [content_words(shot.question) for shot in self.shots]
        return self._words


def content_words(question: str) -> frozenset[str]:
    """The stems of a question's words that say what it asks for."""
    return frozenset(word for word in question_stems(question) if word not in _FILLER)


def rank(pool: ShotPool, question: str, question_vector: np.ndarray | None) -> list[Shot]:
    """The pool's examples, most similar to the question first, each with its score."""
    if not pool:
        return []
    asked = content_words(question)
    if question_vector is not None and pool.vectors.shape[1] == len(question_vector):
        # Row by row, so each score depends only on its own example: a matrix product's rounding depends on how
        # many rows it has, and then which of two tied examples came first told what hidden ones exist (F7, s18).
        cosine = (pool.vectors * question_vector).sum(axis=1)
    else:
        cosine = np.zeros(len(pool), dtype=np.float32)
    scored = []
    for shot, similarity, words in zip(pool.shots, cosine, pool.words()):
        overlap = len(asked & words) / len(asked) if asked else 0.0
        scored.append(replace(shot, score=float(similarity) + WORD_WEIGHT * overlap))
    return sorted(scored, key=lambda shot: -shot.score)


def choose(
    ranked: Sequence[Shot],
    *,
    schema: SchemaInfo,
    allowed: set[str],
    count_tokens: Callable[[str], int],
    budget_tokens: int,
    limit: int,
    min_score: float = MIN_SCORE,
    shown: Sequence[Shot] = (),
    repeats: int = 0,
    repeat_score: float = REPEAT_SCORE,
) -> list[Shot]:
    """The best examples that pass the guard for this actor, mention only names they may see (a teacher who may
    see more wrote some of them), and fit the budget: at most `limit`, best first. One of `shown` (the examples
    the prompt keeps for every question) or another question of a query of theirs is chosen again only while
    fewer than `repeats` were, and when at least `repeat_score` like the question: then it is shown twice, the
    second time right before the question."""
    chosen: list[Shot] = []
    if limit <= 0:
        return chosen
    spent = 0
    repeated = 0
    taken = {_key(shot) for shot in shown}
    kept_sql = {shot.sql.lower() for shot in shown}

    def may_repeat(shot: Shot) -> bool:
        return repeated < repeats and shot.score >= repeat_score

    candidates = takewhile(
        lambda shot: shot.score >= min_score, (s for s in ranked if _key(s) not in taken or may_repeat(s))
    )
    seen: set[str] = set()
    fits = lambda cost: spent + cost <= budget_tokens  # noqa: E731 (a shorter one further down may still fit)
    for shot, cost in _usable(candidates, schema, allowed, count_tokens, seen, MAX_CHECKED, fits):
        again = shot.sql.lower() in kept_sql
        if again and not may_repeat(shot):
            continue
        seen.add(shot.sql.lower())
        spent += cost
        repeated += again
        chosen.append(shot)
        if len(chosen) >= limit:
            break
    return chosen


def standing(
    pool: ShotPool,
    *,
    schema: SchemaInfo,
    allowed: set[str],
    count_tokens: Callable[[str], int],
    budget_tokens: int,
) -> list[Shot]:
    """The examples the SQL prompt keeps for every question: the canned queries, then the trusted examples oldest
    first, each passing the same checks as choose(), while they fit the budget. They are the same for every
    question an actor asks of a schema, so they belong to the prompt's saved prefix: the model reads them once,
    not for every question (session 19: three examples chosen per question cost +3.0 s p50). In the order they
    were added, a new example extends the saved prefix rather than changing it."""
    if budget_tokens <= 0 or not pool:
        return []
    ordered = [shot for shot in pool.shots if shot.source == "canned"]
    ordered += [shot for shot in pool.shots if shot.source != "canned"]
    kept: list[Shot] = []
    spent = 0
    seen: set[str] = set()
    # Not a shorter one after one that does not fit: a later example must not push an earlier one out.
    fits = lambda cost: spent + cost <= budget_tokens  # noqa: E731
    for shot, cost in _usable(ordered, schema, allowed, count_tokens, seen, MAX_STANDING_CHECKED, fits, stop=True):
        seen.add(shot.sql.lower())
        spent += cost
        kept.append(shot)
    return kept


def _key(shot: Shot) -> tuple[str, int | str | None]:
    return (shot.source, shot.ref)


def _asker_view(schema: SchemaInfo, allowed: set[str]):
    from ..examples.check import AskerView

    return AskerView(schema, allowed)


def _usable(
    shots,
    schema: SchemaInfo,
    allowed: set[str],
    count_tokens,
    seen: set[str],
    max_checked: int,
    fits: Callable[[int], bool],
    *,
    stop: bool = False,
):
    """(example with its SQL as shown, its token cost) for each of `shots`, in order, that this actor may be shown
    (examples/check.py, AskerView), is not a query in `seen` and `fits` what is left of the budget (`stop`: none
    after the first that does not); at most `max_checked` are looked at past the names (the examples refused by
    their names do not count: which ones exist would show). The cost is counted before the guard, which takes a
    few ms for a short query and 0.3-0.6 s for one of 16,000 characters: 50 such examples, too long for any
    budget, made every question wait 14-30 s for the guard to pass them (an outside tester, session 22)."""
    view = _asker_view(schema, allowed)
    checked = 0
    for shot in shots:
        if checked >= max_checked:
            return
        if not view.may_mention(shot.names, shot.reads):
            continue
        checked += 1
        sql = shown_sql(shot.sql)
        if sql.lower() in seen:
            continue
        cost = count_tokens(render_shot(shot.question, sql))
        if not fits(cost):
            if stop:
                return
            continue
        if not view.passes_guard(shot.sql):
            continue
        yield replace(shot, sql=sql), cost


@lru_cache(maxsize=1024)  # at most 20,000 characters each: 1,024 fit the examples a few databases look at
def shown_sql(sql: str) -> str:
    """The SQL as the prompt shows it: one line, no comments, no trailing semicolon (as compact as it stays exact;
    a comment's text would reach the model and the result, and changes nothing SQLite does). Cached: lexing 16,000
    characters takes 23-55 ms, and every question looks at up to MAX_CHECKED examples (an outside tester's 60 such
    examples cost each question about a second, session 23)."""
    return re.sub(r"\s+", " ", without_comments(sql)).strip().rstrip(";").strip()


def render_shot(question: str, sql: str) -> str:
    """What an example's share of the budget counts: its question and its SQL (not the turns' markup)."""
    return f"Question: {question}\n{sql};\n"


@dataclass(frozen=True)
class Shots:
    """The examples in one question's SQL prompt: those kept for every question (in the saved prefix, in prompt
    order) and those chosen for this one (after them, best first), each scored against this question."""

    standing: tuple[Shot, ...] = ()
    chosen: tuple[Shot, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.standing or self.chosen)

    def __len__(self) -> int:
        """The examples shown, each once: a kept one repeated before the question is one (it was counted twice in
        "the queries written with 2 trusted examples failed" for one; an outside tester, session 55)."""
        return len(self.standing) + len(self.chosen_only())

    def chosen_only(self) -> list[Shot]:
        """The chosen examples that are not kept ones repeated before the question."""
        kept = {_key(shot) for shot in self.standing}
        return [shot for shot in self.chosen if _key(shot) not in kept]

    def to_json(self) -> list[dict]:
        """What the result lists: every example the prompt showed, most like the question first."""
        again = {_key(shot) for shot in self.chosen}
        shown = [dict(shot.to_json(), kept=True, repeated=_key(shot) in again) for shot in self.standing]
        shown += [dict(shot.to_json(), kept=False) for shot in self.chosen_only()]
        return sorted(shown, key=lambda example: -example["score"])


async def shots_for_question(
    pool: ShotPool,
    question: str,
    *,
    embedder,
    schema: SchemaInfo,
    allowed: set[str],
    count_tokens: Callable[[str], int],
    budget_tokens: int,
    limit: int,
    standing_tokens: int = 0,
    repeats: int = 0,
) -> Shots:
    """Rank the pool against the question; the examples kept for every question within `standing_tokens`, then
    the most similar of the others within `budget_tokens`, with up to `repeats` of the kept ones again when very
    like the question (nothing for an empty pool or a `limit` of 0)."""
    if not pool or limit <= 0 or (budget_tokens <= 0 and standing_tokens <= 0):
        return Shots()
    # Only the examples this actor may be shown are ranked: ranking the others cost each question time in
    # proportion to how many there are (5,000 hidden ones: +0.3 s; an outside tester, session 22). And the question
    # is embedded only when there is one: an asker whose every example was over a hidden table had each question
    # embedded, which the examples of no one else did (an outside tester's noninterference oracle, session 42).
    view = _asker_view(schema, allowed)
    pool = pool.without(lambda shot: not view.may_mention(shot.names, shot.reads))
    if not pool:
        return Shots()
    vector = None
    if embedder is not None and pool.vectors.shape[1]:
        vector = (await embedder.aembed([question]))[0]
    ranked = rank(pool, question, vector)

    def pick() -> Shots:
        kept = standing(pool, schema=schema, allowed=allowed, count_tokens=count_tokens, budget_tokens=standing_tokens)
        scores = {_key(shot): shot.score for shot in ranked}
        kept = [replace(shot, score=scores.get(_key(shot), 0.0)) for shot in kept]
        chosen = choose(
            ranked,
            schema=schema,
            allowed=allowed,
            count_tokens=count_tokens,
            budget_tokens=budget_tokens,
            limit=limit if budget_tokens > 0 else 0,
            shown=kept,
            repeats=repeats,
        )
        return Shots(tuple(kept), tuple(chosen))

    return await asyncio.to_thread(pick)
