"""The greedy decoding loop on a llama.cpp context with drafts from lookup_decoding.py: each pass decodes the
pending token and the drafted ones in one batch and keeps the drafted tokens the model's own choices confirm."""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Sequence

from ..errors import ModelError
from .base import reply_check
from .lookup_decoding import Drafter


def greedy_pieces(
    llama,
    tokens: Sequence[int],
    drafter: Drafter,
    *,
    max_tokens: int,
    n_ctx: int,
    n_batch: int,
    cancel: threading.Event,
    between_passes: Callable[[], None],
    complete_when: Callable[[str], bool] | None = None,
) -> Generator[tuple[str, dict], None, tuple[dict, float | None, str]]:
    """Yields (text, usage) for the tokens written after `tokens`, whose last token the context does not hold yet.

    Returns (the final usage, the perf_counter() reading after the first pass or None, the text the decoder still
    holds). `between_passes` is called before every pass; writing stops once `complete_when(text so far)` holds."""
    import codecs
    import time

    import llama_cpp
    import numpy as np

    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    vocab, n_vocab = llama._model.vocab, llama.n_vocab()
    pending, at, written, first, done = tokens[-1], llama.n_tokens, 0, None, False
    usage = {"prompt_tokens": len(tokens), "completion_tokens": 0}
    complete = reply_check(complete_when)
    while not done and written < max_tokens and not cancel.is_set():
        between_passes()
        room = min(max_tokens - written - 1, n_ctx - at - 2, n_batch - 1)
        guess = drafter.draft(room)
        batch = [pending, *guess]
        llama._batch.set_batch(batch=batch, n_past=at, logits_all=True)
        try:
            llama._ctx.decode(llama._batch)
        except (ValueError, RuntimeError) as error:
            raise ModelError(f"llama.cpp failed: {error}") from None
        logits = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(len(batch) * n_vocab,))
        choices = logits.reshape(len(batch), n_vocab).argmax(axis=1).tolist()
        kept = 0
        while kept < len(guess) and guess[kept] == choices[kept]:
            kept += 1
        llama.input_ids[at : at + 1 + kept] = batch[: 1 + kept]
        at += 1 + kept
        llama.n_tokens = at
        if kept < len(guess):
            llama._ctx.kv_cache_seq_rm(-1, at, -1)
        drafter.record(len(guess), kept)
        first = first or time.perf_counter()
        for token in choices[: kept + 1]:
            if llama_cpp.llama_vocab_is_eog(vocab, token) or written >= max_tokens:
                done = True
                break
            written += 1
            usage = {"prompt_tokens": len(tokens), "completion_tokens": written}
            drafter.extend([token])
            piece = decoder.decode(llama.detokenize([token]))
            if piece:
                yield piece, usage
                if complete(piece):
                    done = True
                    break
        pending = choices[kept]
    return usage, first, decoder.decode(b"", final=True)
