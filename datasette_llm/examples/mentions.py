"""Which table and column names an example's or a piece of feedback's text mentions: read generously (any case,
width, accent, plural or spacing of a name), so that an entry naming a table hidden from a reader is never
shown to them, and exactly where a word is a name as SQLite spells it."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from ..sql.lexer import sqlite_lexemes
from ..sql.names import fold
from ..sql.results import SchemaInfo, _Reject


@lru_cache(maxsize=16384)
def json_names(text: str) -> frozenset[str]:
    """A stored `reads` or `names` JSON list as a set (many entries share one; each question reads them all)."""
    return frozenset(json.loads(text))


_WORDS = re.compile(r"[^\W\d][\w$]*")
_RUNS = re.compile(r"[^\W_]+")  # the words of a name or a text, whatever separates them (space, -, _, .)
# A name spelt out a character at a time (`v a u l t`, `S.E.C.R.E.T`): read as the word (an outside tester, session
# 50: a hidden `vault` so spelt in an admin's example reached a teacher who may not see it).
_SPACED = re.compile(r"(?<![^\W_])[^\W_](?:[\s._\-·*/]{1,3}[^\W_]){2,}(?![^\W_])")


def schema_names(schema: SchemaInfo) -> frozenset[str]:
    """Every table, view and column name of a schema, lower case."""
    return frozenset(fold(name) for table, columns in schema.tables.items() for name in (table, *columns))


def names_text(schema: SchemaInfo, *texts: str | None) -> str:
    """What an entry keeps in `names`: the names of `schema` (the tables its author may see, and their columns)
    that its texts mention anywhere, as a word or a quoted name, in a sorted JSON list. A name its author may not
    see is never kept, so what is kept cannot tell a hidden table from a missing one.

    Mentions are read generously (better an example shown to too few than a hidden name shown to too many): in
    any Unicode width or case (NFKC: `ｓｅｃｒｅｔ`), in the plural (`secrets`, `salaries`), and a name of several
    words written as one (`staffnotes`); an outside tester (session 22) had an admin's text name a hidden table
    these ways and reach askers who may not see it.

    A word or quoted name that is exactly a name as SQLite compares names (`sql/names.py`), and a name of several
    words spelt as SQLite would spell it, say that name and nothing else by themselves: `Élan` is the visible
    `Élan`, not a hidden `élan` beside it, and `notes` is not a hidden `note` (an outside tester, session 24: such
    hidden tables took an admin's examples of the visible ones away from everyone who may not see them, and told
    that they exist). Every other reading of the text stands: `café orders` still names a hidden `cafe_orders`
    beside a visible `orders`, and `pay\u00adroll` a hidden `payroll` beside a visible `pay` (a second tester,
    session 24, found both read as the visible name alone when exact words were taken out of the text first)."""
    exact_names = schema_names(schema)
    known, exact_index, folded_index = _name_reader(exact_names)

    @cache  # an SQL text of 16,000 characters names the same columns again and again
    def generous(text: str) -> frozenset[str]:
        text = _folded(text)
        found = {fold(word) for word in _WORDS.findall(text)} | _names_in(text)
        # secret_codes; and q3_total split at separators only (split at digits too, a hidden `q3` went unread in
        # `q3_total`: an outside tester, session 50)
        found |= {part for word in found for part in re.split(r"[\W\d_]+", word) + re.split(r"[\W_]+", word) if part}
        found |= {re.sub(r"[^\w]|_", "", spaced) for spaced in _SPACED.findall(text)}  # `v a u l t`, `V-A-U-L-T`
        keys = found | _singulars(found) | _phrases_in(text, folded_index, found)
        return frozenset(name for key in keys for name in known.get(key, ()))

    recorded: set[str] = set()
    for text in texts:
        if not text:
            continue
        exact = _phrases_in(text, exact_index)  # `staff notes`, as SQLite would spell it
        phrase_words = {run for name in exact for run in _RUNS.findall(name)}
        alone = set().union(*(generous(run) for run in phrase_words))
        for match in _WORD.finditer(text):
            if (name := fold(_unquote(match.group()))) in exact_names:
                exact.add(name)
                alone |= generous(match.group())
        blank = exact | phrase_words
        rest = _WORD.sub(lambda m, blank=blank: " " if fold(_unquote(m.group())) in blank else m.group(), text)
        # What the exact words say by themselves is left out of the whole text's reading, unless the text says it
        # elsewhere too (the rest, read without them).
        recorded |= exact | (generous(text) - alone) | generous(rest)
    return json.dumps(sorted(recorded))


@lru_cache(maxsize=16)  # an import or a store's re-check reads every entry against one schema
def _name_reader(exact_names: frozenset[str]) -> tuple[dict[str, set[str]], _PhraseIndex, _PhraseIndex]:
    """For names_text: each name by its generous spelling (not to be changed: it is shared), and both indexes."""
    known: dict[str, set[str]] = {}
    for name in exact_names:
        known.setdefault(_folded(name), set()).add(name)
    return known, _PhraseIndex.of(exact_names), _PhraseIndex.of(known)


# Letters NFKD does not take apart, as their base letters (a hidden `łódź` is named by "lodz" too), and the
# Cyrillic and Greek letters (case folded) that look like Latin ones, as those (`ѕесrеt` reads as "secret").
_BASE_LETTERS = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŧ": "t", "ı": "i", "ŀ": "l", "ƀ": "b", "ɨ": "i", "æ": "ae", "œ": "oe"}
    | dict(zip("авекмнорстухіјѕԁһӏԛԝɡ", "abekmhopctyxijsdhlqwg"))
    | dict(zip("αβεικνορτυχγη", "abeiknoptuxyn"))
)
# Letters that show nothing (Hangul fillers): with the format characters (Cf) and marks (Mn, Me), left out.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")


def _folded(text: str) -> str:
    """Text as names are looked for in it, generously: characters that do not show out (format characters,
    variation selectors, tags, fillers), accents and strokes off, every case folded (`STRASSE` is `straße`, `IOTA`
    is `ıota`, `οδοσ` is `οδος`, `elan` is `élan`, `lodz` is `łódź`) and every width one (outside testers, session
    23, had these spellings of a hidden name go unrecorded)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Mn", "Me", "Cf") and ch not in _BLANK_LETTERS)
    return unicodedata.normalize("NFKC", text.casefold().translate(_BASE_LETTERS))


def _singulars(words: set[str]) -> set[str]:
    found = set()
    for word in words:
        if word.endswith("ies"):
            found.add(word[:-3] + "y")
        if word.endswith("es"):
            found.add(word[:-2])
        if word.endswith("s"):
            found.add(word[:-1])
    return found


@dataclass(frozen=True)
class _PhraseIndex:
    """Names by the words they are made of, so that a text is looked up, not every name tried against it."""

    by_first: dict[str, list[tuple[str, str]]]  # first word of a name of several -> [(name, " its words ")]
    by_joined: dict[str, set[str]]  # a name's words run together -> the names

    @classmethod
    def of(cls, names) -> _PhraseIndex:
        by_first: dict[str, list[tuple[str, str]]] = {}
        by_joined: dict[str, set[str]] = {}
        for name in names:
            runs = _RUNS.findall(name)
            if len(runs) > 1:
                by_first.setdefault(runs[0], []).append((name, f" {' '.join(runs)} "))
            by_joined.setdefault("".join(runs), set()).add(name)
        return cls(by_first, by_joined)


def _phrases_in(text: str, names: _PhraseIndex, words: set[str] = frozenset()) -> set[str]:
    """The names of more than one word (`staff notes`, `hr-bonus`, `pay.roll`) that `text` spells with any
    separators between their words; given `words` (the text's words, read generously), also those it spells with
    none (`staffnotes`, one of `words`) and any name its adjacent words spell run together or in the plural
    (`staff notes` for `staffnotes`, `user secrets` for `user_secret`): "How many staff notes" mentions `staff
    notes` as surely as a quoted name (outside testers, sessions 20 and 24: such names went unrecorded, so their
    examples reached askers who may not see them)."""
    runs_of_text = _RUNS.findall(fold(text))
    flat = f" {' '.join(runs_of_text)} "
    found = {name for run in set(runs_of_text) for name, words_of in names.by_first.get(run, ()) if words_of in flat}
    if words:  # read generously: also a name written as words of its own (`staff notes` for `staffnotes`)
        joined = set(words)
        joined |= {"".join(runs_of_text[i:j]) for i in range(len(runs_of_text)) for j in range(i + 2, i + 5)}
        joined |= _singulars(joined)  # `user secrets` for `user_secret`
        found.update(*(names.by_joined.get(key, ()) for key in joined))
    return found


def mentioned(entry) -> set[str]:
    """The table names an entry's SQL reads and the names its text mentions (lower case)."""
    found = set(json_names(entry.reads)) if entry.reads else set()
    return found | (json_names(entry.names) if entry.names else set())


def names_within(names: str | None, seen: frozenset[str]) -> bool:
    """Whether every name an entry mentions is one the viewer may see (an entry stored without `names`: no)."""
    if names is None:
        return False
    return json_names(names) <= seen


_WORD = re.compile(r"[^\W\d][\w$]*|\"(?:[^\"]|\"\")*\"|`(?:[^`]|``)*`|\[[^\]]*\]")


def _names_in(sql: str) -> set[str]:
    try:
        lexemes = sqlite_lexemes(sql)
    except _Reject:  # an unterminated quote: every word-like run counts
        return {fold(_unquote(word)) for word in _WORD.findall(sql)}
    names = set()
    for lexeme in lexemes:
        if lexeme.kind in ("code", "quoted"):
            names.add(fold(_unquote(sql[lexeme.start : lexeme.end])))
    return names


def _unquote(name: str) -> str:
    if name[:1] == "[" and name[-1:] == "]":
        return name[1:-1]
    if len(name) >= 2 and name[0] == name[-1] and name[0] in '"`':
        return name[1:-1].replace(name[0] * 2, name[0])
    return name
