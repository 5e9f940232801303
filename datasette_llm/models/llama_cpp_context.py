"""What a llama.cpp context holds, for the chat model (llama_cpp.py): prompt tokens read into it only where it does
not hold them yet (in batches a question can give up, in pieces a warm-up yields between), and the saved states
of the prompt starts many requests share (a database's schema, then the examples kept for it) restored into it,
or read and saved, partial reads of a warm-up kept for the next try (prompt_states.py stores the states).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext

from .base import ChatOptions
from .llama_cpp_prompt import MIN_PREFIX_TOKENS, common_prefix, prefix_tokens, shared_text

# A warm-up reads a prefix in pieces of this many tokens, so that it yields to a question within a few seconds
# (measured here: ubatch 128 read 71 tokens/s, 256 80, 512 101; requests read in whole batches). Once the rate of
# reading is measured, a piece is what it reads in PIECE_SECONDS, at least MIN_PREFIX_CHUNK tokens: on a slower or
# loaded CPU a piece of 256 took 9.8-17.3 s, which the first question waited behind (an outside tester, session 41).
PREFIX_CHUNK = 256
MIN_PREFIX_CHUNK = 16  # 64 took 3.5-9.5 s at load 7.6-9.2, where the measured rate read 15-37 tokens in 2 s
FIRST_PREFIX_PIECE = 32  # before the rate is measured (a second tester, session 42)
PIECE_SECONDS = 2.0


class ContextReads:
    """Reading and restoring a context's tokens: a part of LlamaCppChatModel, which holds the state it uses (its
    saved `states` and their `_identity`, the `_partials` kept, the `_closing` event, the `_stop` of a decode, the
    measured `read_rate`)."""

    def _prefix_tokens(
        self, llama, messages, prompt: str, tokens: Sequence[int], options: ChatOptions
    ) -> list[list[int]]:
        """The shared starts of `tokens` whose states are saved, shortest first (see prefix_tokens()): that of
        `options.prefix` (a schema), then that of the first `options.prefix_messages` (the schema and the examples
        kept for every question), when they are longer. None when no states are saved."""
        if self.states is None:
            return []
        stages = [prefix_tokens(llama, prompt, tokens, options.prefix)]
        if options.prefix_messages and len(messages) > options.prefix_messages:
            shared = shared_text(
                llama, self._formatter(llama), messages, prompt, options.prefix_messages, options.prefix_next
            )
            stages.append(prefix_tokens(llama, prompt, tokens, shared))
        kept: list[list[int]] = []
        for stage in stages:  # each the start of the next (all are starts of `tokens`)
            if stage and (not kept or len(stage) > len(kept[-1])):
                kept.append(stage)
        return kept

    def _held(self, llama, tokens: Sequence[int]) -> int:
        """How many of `tokens` the context already holds, from the start."""
        return common_prefix(llama.input_ids[: llama.n_tokens].tolist(), tokens)

    def _read(self, llama, tokens: Sequence[int], should_stop: Callable[[], bool] | None = None, cancel=None) -> bool:
        """Make the context hold exactly `tokens`, reading only what it does not hold yet; False if stopped (a
        warm-up by `should_stop`, a question given up by `cancel`), the context then holding what it read before.
        Stopped inside the batch it reads where llama.cpp allows (llama_cpp_stop.py), else between batches: a
        question in batches of n_batch (read in one go, a question given up at the model's timeout kept the model
        reading 543 s more, and the next two timed out without a start; a second outside tester, session 42), a
        warm-up in pieces of about PIECE_SECONDS."""
        held = self._held(llama, tokens)
        if held == len(tokens) and held == llama.n_tokens:
            return True
        llama._ctx.kv_cache_seq_rm(-1, held, -1)
        llama.n_tokens = held

        def stop() -> bool:
            if self._closing.is_set():
                return True
            return should_stop is not None and should_stop() or cancel is not None and cancel.is_set()

        def stop_inside() -> bool:
            # A question given up finishes its batch while no other waits (what it read stays for the next one:
            # chinook's schema read 512 tokens further by each of two given-up questions, and the third finished
            # it; an outside tester, session 43), and drops it the moment one does, unless the batch before was
            # dropped so too: questions each given up before one batch ends then still read the schema on, one
            # batch every second question (dropped every time, none was ever answered; a second tester).
            if self._closing.is_set() or should_stop is not None and should_stop():
                return True
            given_up = cancel is not None and cancel.is_set()
            return given_up and self._wanted_by_others() and not self._dropped_last

        inside = self._stop.stops(llama)
        with self._stop.watching(stop_inside) if inside else nullcontext():
            at = held
            while at < len(tokens):
                if stop():
                    return False
                piece = tokens[at : at + (self._piece() if should_stop is not None and not inside else self.n_batch)]
                started = time.perf_counter()
                try:
                    llama.eval(piece)
                except RuntimeError:
                    if inside and self._stop.raised():
                        if should_stop is None:  # a question's batch (a warm-up's piece is no question's)
                            self._dropped_last = True
                        return False  # llama.cpp dropped what it wrote of this batch
                    raise
                if should_stop is None:
                    self._dropped_last = False
                self.tokens_read += len(piece)
                # each piece timed, so a warm-up's next one is sized by what it took (a question's: 32 at least)
                self._measured_read(len(piece), time.perf_counter() - started, least=8 if should_stop else 32)
                at += len(piece)
        return True

    def _wanted_by_others(self) -> bool:
        """Whether another request waits for the model (the one running holds its place until it ends)."""
        return self._gate.waiting > 1

    def _piece(self) -> int:
        """How many tokens a warm-up reads before it looks for a waiting question again: FIRST_PREFIX_PIECE until
        the reading rate is measured (256 tokens took 11.5 s at load 5, and the first question waited behind them;
        a warm-up that gave way never measured the rate, so its pieces stayed 256 tokens for good: 176-231 s each
        on a starved CPU; an outside tester, session 42), then what it reads in PIECE_SECONDS."""
        if not self.read_rate:
            return FIRST_PREFIX_PIECE
        return max(MIN_PREFIX_CHUNK, min(PREFIX_CHUNK, int(self.read_rate * PIECE_SECONDS)))

    def _restore_prefix(self, llama, stages: list[list[int]], should_stop=None, cancel=None) -> bool:
        """Make the context start with the last of `stages` (shared starts, each the start of the next): already
        there, loaded from its saved state, or read on top of what the context holds or an earlier stage's saved
        state, saving each stage it reads. When the examples kept for a schema change, or an actor sees others,
        the schema's state is loaded and only the examples are read (the whole prefix was, before session 20)."""
        if not stages:
            return True
        full = stages[-1]
        if self._held(llama, full) == len(full) or self.states.load(llama, self.states.key(self._identity, full), full):
            return True
        for stage in stages:
            if self._held(llama, stage) == len(stage):
                continue
            key = self.states.key(self._identity, stage)
            if stage is not full and self.states.load(llama, key, stage):
                continue
            self._resume(llama, key, stage)
            if not self._read(llama, stage, should_stop, cancel):
                self._keep_partial(llama, key, stage)
                return False
            self.states.save(llama, key, stage)
            self._drop_partial(key)
        return True

    # A warm-up that gives way to a question keeps what it read: the question may load another schema's state into
    # the context, and the warm-up read its prefix again from the start (an outside tester, session 41: chinook's
    # 2,590 tokens read 2,560 over five tries in 103 s and never saved; its first question then read 2,086 itself).
    MAX_PARTIALS = 8

    def _keep_partial(self, llama, key: str, stage: list[int]) -> None:
        """Save the start of `stage` the context holds (a warm-up stopped part-way), for _resume()."""
        done = self._held(llama, stage)
        if done < MIN_PREFIX_TOKENS or done <= self._partials.get(key, (0, ""))[0] or done != llama.n_tokens:
            return
        partial = self.states.key(self._identity, stage[:done])
        if self.states.has(partial):
            # an earlier stage's own state (stopped right after loading it), or one kept already: never this
            # warm-up's to drop (dropped, it deleted the schema's state; a second tester, session 41)
            return
        if self.states.save(llama, partial, stage[:done]):
            self._drop_partial(key)
            self._partials[key] = (done, partial)
            while len(self._partials) > self.MAX_PARTIALS:  # stages never finished (a schema that changed)
                self._drop_partial(next(iter(self._partials)))

    def _resume(self, llama, key: str, stage: list[int]) -> None:
        """Load the saved start of `stage` when the context holds less of it."""
        done, partial = self._partials.get(key, (0, ""))
        if done and self._held(llama, stage) < done and not self.states.load(llama, partial, stage[:done]):
            self._partials.pop(key, None)  # pruned meanwhile: read from the start

    def _drop_partial(self, key: str) -> None:
        _, partial = self._partials.pop(key, (0, ""))
        if partial:
            try:
                self.states.path(partial).unlink(missing_ok=True)
            except OSError:
                pass
