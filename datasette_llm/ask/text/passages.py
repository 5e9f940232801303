"""Passages for retrieval-augmented answers: the best-matching part of each retrieved row, within a budget.

A README is far longer than a model's share of the context, so each row's text is split into chunks, the
chunks are ranked against the question (embedding similarity plus shared words), and the passage grows
around the best chunk until its token budget is spent. What was cut is recorded, as for SQL results.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

CHUNK_CHARS = 500
ELLIPSIS = "…"


@dataclass(frozen=True)
class Passage:
    number: int  # [1], [2]... as cited in the answer
    database: str
    table: str
    pk: tuple
    label: str  # a human name for the row (its title-like column or its primary key)
    url: str | None
    text: str  # what the model is shown
    full_chars: int
    shown_chars: int
    score: float

    @property
    def clipped(self) -> bool:
        return self.shown_chars < self.full_chars

    def to_json(self) -> dict:
        return {
            "number": self.number,
            "database": self.database,
            "table": self.table,
            "pk": list(self.pk),
            "label": self.label,
            "url": self.url,
            "text": self.text,
            "full_chars": self.full_chars,
            "shown_chars": self.shown_chars,
            "clipped": self.clipped,
            "score": round(self.score, 4),
        }


# Markdown and HTML that carry no words a reader could quote: images (README badges are images inside links),
# the links left empty by removing them, link targets, HTML tags and comments. A local model reads every token
# at about 10 ms; a README's badge block alone was 150 of a passage's 250 tokens (issue 19).
# The text is a row's, so anyone who can write to the database chooses it: no part of a pattern may run on past
# the place where the next match could start (`[`, `<`), or markup that never closes makes the search quadratic
# (an outside tester, session 27: 16,384 unclosed `<!--` in 20 rows took 40 s of CPU on the event loop, 110 s for
# 8,192 `[x](http://`). Link text and targets therefore hold no `[` or `]`, tags no `<`, and comments are cut
# by plain searching.
_IMAGE = re.compile(r"!\[[^\[\]\n]*\]\([^)\[\]\s]*(?:\s+\"[^\"\[\]\n]*\")?\)")
_EMPTY_LINK = re.compile(r"\[\s*\]\([^)\[\]\s]*\)")
_LINK = re.compile(r"\[([^\[\]\n]+)\]\((?:https?://|\.{0,2}/|#)[^)\[\]\s]*(?:\s+\"[^\"\[\]\n]*\")?\)")
_TAG = re.compile(r"<(/?)(img|a|p|div|span|br|picture|source|sup|sub)\b[^<>]*>", re.I)
_BLANK_RUNS = re.compile(r"\n{3,}")
# A word's or a number's last part, back to an ASCII space: digits grouped by no-break, narrow or thin spaces are
# one number to the numbers check, so "1\u202f234" of 1 234 567 is a part too (an outside tester, session 59).
_PART_WORD = re.compile(r"[^ \t\n\r\f\v]+$")
_WORD_ENDS = " \t\n\r\f\v"
_GROUP = re.compile(r"\d{3}(?!\d)")  # after a comma: a group of thousands


def _tag_as_drawn(match: re.Match) -> str:
    closing, name = match.group(1), match.group(2).lower()
    if name in ("a", "span"):  # inline: the words run on
        return ""
    if name == "sup":
        return "" if closing else "^"
    return " "


def compact_text(text: str) -> str:
    """Text as a reader sees it, for a passage: images, link targets and HTML markup dropped (link words kept).
    What a page draws apart stays apart: a line break, a block or an image is a space, a superscript is raised
    (`10<sup>6</sup>` is 10^6). Taken out with nothing in their place, they joined the digits around them into a
    number no row holds: `1<br>234` read 1234, `10<sup>6</sup>` 106 (an outside tester, session 58)."""
    text = _IMAGE.sub(" ", text)
    text = _EMPTY_LINK.sub(" ", text)  # a linked image is an image: a space
    text = _LINK.sub(r"\1", text)
    text = _TAG.sub(_tag_as_drawn, _without_html_comments(text))
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def _without_html_comments(text: str) -> str:
    """`<!-- ... -->` taken out, in one pass (a comment that never closes is left as it is, and so is any after it)."""
    kept, at = [], 0
    while (start := text.find("<!--", at)) >= 0 and (end := text.find("-->", start + 4)) >= 0:
        kept.append(text[at:start])
        at = end + 3
    kept.append(text[at:])
    return "".join(kept)


def split_chunks(text: str, size: int = CHUNK_CHARS) -> list[str]:
    """Paragraph-aligned chunks of at most about `size` characters (long paragraphs split on sentences)."""
    pieces = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        at = 0  # where the rest of the paragraph starts: cutting copies of the rest was quadratic (session 27)
        while len(paragraph) - at > size:
            cut = paragraph.rfind(". ", at, at + size) - at
            if cut > size // 3:
                cut += 1
            else:  # no sentence ends in reach: where a word ends, never inside a number (session 58)
                cut = paragraph.rfind(" ", at, at + size) - at
                if cut <= size // 3:  # no word ends in reach either (a CSV line): between two numbers
                    cut = next(
                        (i - at for i in range(at + size, at + size // 3, -1) if _parts_no_number(paragraph, i)), size
                    )
            pieces.append(paragraph[at : at + cut].strip())
            at += cut
            while at < len(paragraph) and paragraph[at].isspace():
                at += 1
        if at < len(paragraph):
            pieces.append(paragraph[at:])
    chunks, current = [], ""
    for piece in pieces:
        if current and len(current) + len(piece) + 2 > size:
            chunks.append(current)
            current = piece
        else:
            current = f"{current}\n\n{piece}" if current else piece
    if current:
        chunks.append(current)
    return chunks


def _parts_no_number(text: str, at: int) -> bool:
    """Whether cutting `text` before `at` leaves each number whole as the numbers check reads it: `1000003,|1007922`
    does, `1,467,|224`, `12.|5` and `14672|24` do not (a chunk of a CSV line cut inside a number showed 147514 of
    1475143; an outside tester, session 59), nor do `-|5`, `7.13|e+25`, `0xb2f|1e3` or a cut inside digits grouped
    by a thin or no-break space or an apostrophe (a second tester, session 60)."""
    before, after = text[at - 1], text[at]
    if before.isdigit() and after.isdigit():
        return False
    if (before == "." and after.isdigit()) or (after == "." and before.isdigit() and text[at + 1 : at + 2].isdigit()):
        return False  # a decimal point
    comma = at - 1 if before == "," else at if after == "," else None
    if comma is not None and text[comma - 1 : comma].isdigit() and _GROUP.match(text, comma + 1):
        return False
    if before in "+-" and after.isdigit():
        return False  # a sign
    if (before.isdigit() and after in "eE" and _EXPONENT.match(text, at + 1)) or (
        before in "eE" and text[at - 2 : at - 1].isdigit() and _EXPONENT.match(text, at)
    ):
        return False  # an exponent
    if (before == "0" and after in "xX") or (
        after in string.hexdigits and _HEX_BEFORE.search(text, max(0, at - 20), at)
    ):
        return False  # a hexadecimal number
    # Not digits grouped by a space there is no breaking at, or by an apostrophe.
    return not (
        (before in _GROUPERS and text[at - 2 : at - 1].isdigit() and after.isdigit())
        or (after in _GROUPERS and before.isdigit() and text[at + 1 : at + 2].isdigit())
    )


_EXPONENT = re.compile(r"[+-]?\d")
_HEX_BEFORE = re.compile(r"0[xX][0-9a-fA-F]*$")
_GROUPERS = "\u00a0\u202f\u2009'\u2019"


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9][a-z0-9_-]+", text.lower()) if len(w) > 2}


def fits_whole(chunks: Sequence[str], count_tokens: Callable[[str], int], budget_tokens: int) -> bool:
    """Whether best_window shows every chunk whatever their scores (so they need not be ranked: embedding a row's
    chunks cost 0.6-3 s of an answer from text here)."""
    return bool(chunks) and count_tokens("\n\n".join(chunks)) + 2 <= budget_tokens


def best_window(
    chunks: Sequence[str], scores: Sequence[float], count_tokens: Callable[[str], int], budget_tokens: int
) -> tuple[str, int]:
    """The best chunk, grown with its neighbours while the budget allows. Returns (text, first chunk index)."""
    if not chunks:
        return "", 0
    best = int(np.argmax(scores))
    start = end = best
    text = chunks[best]
    if count_tokens(text) > budget_tokens:  # one chunk alone is too long: cut it by characters
        whole = text
        while text and count_tokens(text + ELLIPSIS) > budget_tokens:
            text = text[: int(len(text) * 0.8)]
        if text and len(text) < len(whole) and whole[len(text)] not in _WORD_ENDS:
            # A word cut short is left out: "2124498" cut to "212449" was a number no row holds (session 58).
            text = _PART_WORD.sub("", text)
        return (text.rstrip() + ELLIPSIS) if text else "", best
    while True:
        grown = False
        for candidate in (end + 1, start - 1):  # prefer what follows the best chunk
            if 0 <= candidate < len(chunks) and not (start <= candidate <= end):
                lo, hi = min(start, candidate), max(end, candidate)
                trial = "\n\n".join(chunks[lo : hi + 1])
                if count_tokens(trial) + 2 <= budget_tokens:
                    start, end, text, grown = lo, hi, trial, True
                    break
        if not grown:
            break
    # "…2024" reads as .2024 (NFKC writes "…" as "..."), a number no row holds (an outside tester, session 59)
    # A space after the ellipsis before a number: "…2024" reads as .2024, "…-2024" as 2024, in any script's digits
    # (an outside tester, session 60: full-width, Arabic-Indic and superscript digits).
    opens_a_number = text[:1] in ".,+-" or unicodedata.digit(text[:1], None) is not None if text else False
    prefix = (ELLIPSIS + " " if opens_a_number else ELLIPSIS) if start > 0 else ""
    suffix = ELLIPSIS if end < len(chunks) - 1 else ""
    return prefix + text + suffix, start


# Embedding a chunk costs about 40 ms here, and a long README has 20-50 of them (issue 19: 0.5-2.2 s a question).
# Only a row's first chunk and the chunks that share most words with the question are embedded; the rest rank
# below them all.
EMBEDDED_CHUNKS = 6


async def rank_chunks(question: str, chunks: Sequence[str], question_vector, aembed) -> list[float]:
    """Cosine similarity of each chunk to the question plus a small bonus for shared words; of a row with more
    than EMBEDDED_CHUNKS chunks, only the first and those sharing most words with the question are compared.
    `aembed` is the embedding model's queued, off-the-event-loop call: a slow embedding server must not hold
    the server (an outside attacker's server sending a byte a second froze every page for as long)."""
    if not chunks:
        return []
    question_words = _words(question)
    bonus = [0.05 * len(question_words & _words(chunk)) for chunk in chunks]
    by_words = sorted(range(1, len(chunks)), key=lambda i: -bonus[i])  # stable: earlier chunks first on ties
    compared = sorted([0, *by_words[: EMBEDDED_CHUNKS - 1]])
    vectors = await aembed([chunks[i] for i in compared])
    similarity = dict(zip(compared, (vectors @ np.asarray(question_vector, dtype=np.float32)).tolist()))
    floor = min(similarity[i] + bonus[i] for i in compared) - 1
    return [similarity[i] + bonus[i] if i in similarity else floor + bonus[i] for i in range(len(chunks))]
