"""Examples as one voice among three (setting few_shot_vote): the query written with the trusted examples and the
one written without them both run; when their results differ, a third, written with only the examples most like
the question, settles it, and when all three differ the one written without examples stands.

Why: examples of other queries fix some answers of a small model and break others, as it copies their forms where
they do not fit (Spider, session 24: fixed 35, broke 47 of 523). Agreement between prompts that differ is evidence
that a sampled vote with one prompt is not (sampling the 1.5B model at a temperature lost 2 points: README).
Costs: a second query for every question with examples, a third when the first two disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..sql.execute import QueryResult
from ..sql.results import GuardedSQL
from .few_shot import Shots
from .results import Attempt, Candidate
from .sql_vote import choose, result_signature


@dataclass
class Written:
    """One candidate: the examples its prompt showed, what it wrote and ran, and the notes and attempts it left."""

    label: str
    shots: Shots
    guarded: GuardedSQL | None = None
    result: QueryResult | None = None
    attempts: list[Attempt] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def signature(self) -> tuple | None:
        return result_signature(self.result) if self.result is not None else None


def _label(shots: Shots) -> str:
    count = len(shots)
    return f"with {count} trusted example{'s' if count != 1 else ''}" if count else "without examples"


class ExampleVoting:
    """AskPipeline's vote between prompts with and without examples (state: AskPipeline)."""

    async def write_with(self, shots: Shots) -> Written:
        """The repair loop with these examples in the prompt; the pipeline's notes and attempts are left as
        they were, and the candidate keeps its own."""
        notes, attempts = self.notes, self.attempts
        self.shots, self.notes, self.attempts = shots, list(notes), []
        try:
            guarded, result = await self.generate_sql()
            return Written(_label(shots), shots, guarded, result, self.attempts, self.notes)
        finally:
            self.notes, self.attempts = notes, attempts

    async def vote_on_examples(self, closest: Shots) -> tuple[GuardedSQL | None, QueryResult | None]:
        """Without the examples, with them (self.shots), then, only when those two ran and disagree, with
        `closest` (the examples most like the question, none kept for every question); the result most agree
        on, the one without examples on a tie. Its examples, attempts and notes become the question's."""
        with_examples = self.shots
        written = [await self.write_with(Shots()), await self.write_with(with_examples)]
        first, second = (w.signature for w in written)
        if first is not None and second is not None and first != second and closest and closest != written[1].shots:
            written.append(await self.write_with(closest))
        signatures = [w.signature for w in written]
        chosen, votes = choose(signatures)
        pick = written[chosen]
        self.shots, self.attempts, self.notes = pick.shots, pick.attempts, pick.notes
        self.candidates = [
            Candidate(
                sql=w.guarded.sql if w.guarded else None,
                error=None if w.result is not None else (w.attempts[-1].error if w.attempts else "no query"),
                row_count=len(w.result.rows) if w.result is not None else None,
                votes=signatures.count(signature) if signature is not None else 0,
                chosen=index == chosen,
                label=w.label,
            )
            for index, (w, signature) in enumerate(zip(written, signatures))
        ]
        if len(written) > 2:
            agreed = "; two agreed on this one" if votes > 1 else "; all differed, so the one without examples stands"
            self.notes.append(
                f"the queries written {written[0].label} and {written[1].label} gave different results, so a third "
                f"was written {written[2].label} most like the question{agreed}"
            )
        elif pick.guarded is not None and first != second:
            self.notes.append(f"only the query written {pick.label} ran")
        return pick.guarded, pick.result
