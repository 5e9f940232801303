"""Tokens a text costs a model whose tokenizer the plugin cannot run (an OpenAI-compatible server), estimated by
character class to err on the high side for the byte-level BPE vocabularies chat models use.

Characters divided by three (the estimate before session 37) counted a third of what Qwen2.5's tokenizer counts
for numbers, which it reads a digit a token: a llama.cpp server was sent 7,898 tokens for its 2,048 (an outside
check with the server's own count, session 37). Against that tokenizer, over prompts of 30 texts of a kind
(generated numbers, dates, hashes, codes, prose, CJK, emoji, other scripts; the demo and Spider databases' rows),
it is below the real count in 0 of 380 prompts (characters / 3: 339) and about 1.5 times it over the databases'
rows (`benchmarks/token_estimate.py`). A server that says a prompt was longer teaches the model its real ratio
(models/openai.py)."""

from __future__ import annotations

import re
import unicodedata

# One digit, a run of ASCII letters, a run of spaces, one other ASCII character, one other character.
_PIECES = re.compile(r"[0-9]|[A-Za-z]+|[ ]+|[\x00-\x7f]|[^\x00-\x7f]")
_WORD = re.compile(r"[A-Z]?[a-z]*\Z")  # prose and names: "readme", "Datasette"; codes and hashes are not
MARGIN = 1.2


def _is_cjk(code: int) -> bool:
    return 0x2E80 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF or 0xF900 <= code <= 0xFAFF


def estimated_tokens(text: str) -> int:
    count = 0
    for match in _PIECES.finditer(text):
        piece, end = match.group(), match.end()
        first = piece[0]
        if first.isascii():
            if first.isalpha():
                # A word costs a token for about four letters; capitals and mixed case (codes, hashes, base64)
                # one for about one and a half.
                count += -(-len(piece) // 4) if _WORD.match(piece) else -(-len(piece) * 2 // 3)
            elif first == " ":
                count += 0 if len(piece) == 1 else -(-len(piece) // 8)  # one space joins the next word...
                count += end < len(text) and text[end].isdigit()  # ...not a digit ("| 0" is 3 tokens)
            else:
                count += 1  # a digit, a punctuation mark, a line break
        else:
            code = ord(first)
            if code > 0xFFFF:
                count += 3  # emoji take one or two, other astral characters up to four (their UTF-8 bytes)
            elif unicodedata.combining(first) or _is_cjk(code):
                count += 2
            else:
                count += 1
    return int(count * MARGIN) + 1
