"""AskPipeline's examples stages: the trusted examples and canned queries in the SQL prompt (state: AskPipeline).

Those kept for every question belong to the prompt's saved start; the most like the question follow them; a
question whose queries all failed with examples, or whose query stands with a doubt, is written again without them.
"""

from __future__ import annotations

import asyncio

from .. import permissions
from ..errors import ModelError
from ..models import embedding_model_for
from ..timing import clock
from .few_shot import ShotPool, Shots, shots_for_question, standing
from .few_shot_pool import load_pool
from .repairs import doubted_examples

PROMPT_RESERVE = 2048  # tokens of the window left beside the schema and the kept examples: question, turns, reply


class UsingExamples:
    """AskPipeline's stages that choose, keep and drop the examples of its SQL prompt."""

    async def note_set_aside(self, pool: ShotPool) -> None:
        """Tell a teacher how many of the examples the examples page shows them were set aside now (askers cannot
        act on it; a count of all of them told an asker that a hidden table had changed: session 17)."""
        from ..examples.check import shown_to, viewer_tables

        if not pool.set_aside or not await permissions.can_teach(self.datasette, self.actor, self.database):
            return
        viewer = await viewer_tables(self.datasette, self.actor, self.database)
        count = sum(shown_to(example, viewer) for example in pool.set_aside)
        if count:
            self.notes.append(
                f"{count} trusted example{'s' if count != 1 else ''} no longer fit the database's tables and were "
                "set aside (see the examples page)"
            )

    async def choose_examples(self):
        """The trusted examples and canned queries for the SQL prompt: those kept for every question (when the
        schema is whole, so its prefix is saved), then the most like the question of the others (none: no cost)."""
        limit = self.settings.few_shot_examples
        if limit <= 0:
            return
        started = clock()
        embedder = embedding_model_for(self.settings)
        try:
            pool = self.pool
            if pool is None:
                pool = await load_pool(self.datasette, self.database, self.actor, self.settings, embedder)
                await self.note_set_aside(pool)
                if pool.unavailable:  # the log says why; the asker is not shown the store's path
                    self.notes.append("the trusted examples could not be read, so none were used")
            self.shots = await shots_for_question(
                pool,
                self.question,
                embedder=embedder,
                schema=self.guard_schema,
                allowed=self.allowed,
                count_tokens=self.model.count_tokens,
                budget_tokens=self.settings.few_shot_budget_tokens,
                limit=limit,
                standing_tokens=await asyncio.to_thread(self.standing_tokens) if pool else 0,
                repeats=self.settings.few_shot_repeat,
            )
        except ModelError as error:  # the embedding model is missing or failing: ask without examples
            self.notes.append(f"trusted examples were not used: {error}")
        if self.shots:
            await self.emit("examples", examples=self.shots.to_json())
        self.timings.add("examples", started)

    async def kept_examples(self) -> list:
        """The examples this actor's questions keep in the prompt's shared start, without a question (warm-ups)."""
        if self.settings.few_shot_examples <= 0:
            return []
        embedder = embedding_model_for(self.settings)  # vectors of stored examples missing one are made on load
        pool = self.pool
        if pool is None:
            pool = await load_pool(self.datasette, self.database, self.actor, self.settings, embedder)
        if not pool:
            return []
        budget = await asyncio.to_thread(self.standing_tokens)
        return await asyncio.to_thread(
            standing,
            pool,
            schema=self.guard_schema,
            allowed=self.allowed,
            count_tokens=self.model.count_tokens,
            budget_tokens=budget,
        )

    def standing_tokens(self) -> int:
        """Tokens the examples kept for every question may take: none when the schema was cut to fit (its
        question's own part comes before them, so no saved state of them serves another question), and never more
        than the window leaves beside the schema and PROMPT_RESERVE."""
        if not self.schema.fixed:
            return 0
        room = self.model.context_window() - self.model.count_tokens(self.schema.text) - PROMPT_RESERVE
        return max(0, min(self.settings.few_shot_kept_tokens, room))

    async def without_examples(self):
        """The repair loop once more, without examples: the examples must never make a question fail that would
        succeed without them. On Spider (docs/measurements.md, session 13) the queries written with examples
        failed every attempt for 5 of 194 questions that were answered without them (the repairs kept copying
        the examples' shape)."""
        self.notes.append(
            f"the queries written with {self._examples_shown()} failed; they were written again without examples"
        )
        self.shots = Shots()
        return await self.generate_sql()

    async def unless_doubted(self, guarded, result):
        """The query written with examples stands with a doubt (repairs.EXAMPLES_DOUBTED): it is written again
        without examples, and that query stands instead when no doubt remains about it; else the first one does,
        with its notes (those from `sql_notes_from` on: written while it was)."""
        start, shots, doubts = self.sql_notes_from, self.shots, self.sql_doubts
        notes = self.notes[start:]
        del self.notes[start:]
        shown = self._examples_shown()
        self.shots = Shots()
        again, rows = await self.generate_sql()
        if doubted_examples.stands_instead(again, self.sql_doubts):
            self.notes.insert(
                start,
                f"the query written with {shown} looked wrong ({doubts[0]}); it was written again without examples",
            )
            return again, rows
        self.notes[start:], self.shots, self.sql_doubts = notes, shots, doubts
        return guarded, result

    def _examples_shown(self) -> str:
        used = len(self.shots)
        return f"{used} trusted example{'s' if used != 1 else ''}"
