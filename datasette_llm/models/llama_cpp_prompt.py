"""Prompts exactly as llama-cpp-python's create_chat_completion renders them with the model's own chat template,
and the tokens a prompt shares with a saved prefix state."""

from __future__ import annotations

import os
from collections.abc import Sequence

MIN_PREFIX_TOKENS = 32  # shorter shared prefixes are not worth a file


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def chat_formatter(llama):
    """The model's own chat template (as create_chat_completion uses it), or None for other chat formats."""
    template = llama.metadata.get("tokenizer.chat_template")
    if not (template and llama.chat_handler is None and llama.chat_format == "chat_template.default"):
        return None
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    eos = llama.token_eos()
    bos = llama.token_bos()
    return Jinja2ChatFormatter(
        template=template,
        eos_token=llama._model.token_get_text(eos) if eos != -1 else "",
        bos_token=llama._model.token_get_text(bos) if bos != -1 else "",
        stop_token_ids=[eos],
    )


def render_prompt(llama, formatter, messages, reply_prefix: str = ""):
    """(prompt text, tokens, stop strings, stopping criteria) exactly as create_chat_completion builds them,
    with the start of the reply, if given, after the assistant header."""
    rendered = formatter(messages=messages)
    text = rendered.prompt + reply_prefix
    tokens = llama.tokenize(text.encode("utf-8"), add_bos=not rendered.added_special, special=True)
    stop = rendered.stop if isinstance(rendered.stop, list) else [rendered.stop] if rendered.stop else []
    return text, tokens, stop, rendered.stopping_criteria


def shared_text(llama, formatter, messages, prompt: str, count: int, next_start: str = "") -> str:
    """The start of `prompt` that the first `count` messages make, as rendered by the model's template (which
    then opens the next turn: only the text both renderings share counts), and with `next_start` the start of the
    next message too (the template's end of a turn and start of the next are then shared as well)."""
    head = list(messages[:count])
    if next_start and len(messages) > count:
        head.append({"role": messages[count]["role"], "content": next_start})
    return os.path.commonprefix([render_prompt(llama, formatter, head)[0], prompt])


def prefix_tokens(llama, prompt: str, tokens: Sequence[int], prefix: str) -> list[int]:
    """The tokens of `tokens` that come from the prompt up to the end of `prefix` (none if it is absent)."""
    if not prefix:
        return []
    at = prompt.find(prefix)
    if at < 0:
        return []
    cut = llama.tokenize(prompt[: at + len(prefix)].encode("utf-8"), add_bos=False, special=True)
    # The last token of the cut may merge with what follows it in the full prompt: leave it out.
    n = common_prefix(cut[:-1], tokens)
    return list(tokens[:n]) if n >= MIN_PREFIX_TOKENS else []
