"""Decide per question whether it needs SQL (counts, filters, rankings, dates), retrieval over text (what /
how / why questions about descriptions), or both (a SQL filter, then retrieval over those rows' text).

A transparent rule-based router: its decision and the cues behind it are shown with every answer, and the
user can force a path. Measured on labelled questions in tests/ask/test_route.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PATHS = ("sql", "text", "both")
# What a caller may ask for: a path, or "auto" to let choose_path decide. The one list: web, CLI and MCP use it.
ASK_MODES = ("auto", *PATHS)

SQL_CUES = [
    (r"\bhow many\b|\bnumber of\b|\bcount\b", "counts"),
    (r"\b(total|sum|average|avg|mean|median|maximum|minimum)\b", "aggregates"),
    (
        r"\b(most|least|fewest|highest|lowest|largest|smallest|biggest|top|bottom|rank|ranking|latest|earliest|"
        r"newest|oldest|youngest)\b",
        "rankings",
    ),
    (r"\b(first|last|recent|recently)\b", "ordering by date"),
    (
        r"\b(19|20)\d\d\b|\b(january|february|march|april|may|june|july|august|september|october|november|"
        r"december)\b|\b(before|after|since|between|during)\b",
        "dates",
    ),
    (r"\b(per|each|every|by (year|month|owner|author|country|genre))\b", "grouping"),
    (r"\b(list|show|which \w+ (have|has|had)|more than|less than|at least|greater|fewer)\b", "filters"),
]
TEXT_CUES = [
    (r"^\s*(what|who)\s+(is|are|was|were)\s+(?!the\s+(number|total|average|count|most|least))", "what-is"),
    (r"\bwhat does\b|\bwhat do\b|\bwhat can\b", "what-does"),
    (r"^\s*which\s+\w+\s+(can|could|should|would|will|lets|helps|does|do)\b", "which-can"),
    (
        r"^\s*(which|what)\s+(tools?|plugins?|librar(y|ies)|projects?|packages?|utilit(y|ies)|apps?|programs?|"
        r"commands?|scripts?|modules?|repos?|repositories)\s+(?!(has|have|had|is|are|was|were)\b)\w+s\b",
        "which tool does",
    ),
    (r"^\s*(how|why)\b(?!\s+many|\s+much|\s+long|\s+often)", "how / why"),
    (r"\b(explain|describe|summari[sz]e|tell me about|overview|purpose|used for|documentation)\b", "describe"),
    (
        r"\b(mention|mentions|mentioned|talks? about|supports?|lets? you|allows?|added|adds|introduc\w+|"
        r"features?|about)\b",
        "content of text",
    ),
]


@dataclass(frozen=True)
class Route:
    path: str  # "sql", "text" or "both"
    reason: str
    forced: bool = False
    sql_cues: tuple[str, ...] = ()
    text_cues: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "reason": self.reason,
            "forced": self.forced,
            "sql_cues": list(self.sql_cues),
            "text_cues": list(self.text_cues),
        }


def _cues(patterns, question: str) -> tuple[str, ...]:
    found = []
    for pattern, label in patterns:
        if re.search(pattern, question, re.I) and label not in found:
            found.append(label)
    return tuple(found)


def choose_path(question: str, *, has_text_index: bool, forced: str | None = None) -> Route:
    """The path for a question. Text retrieval needs an embeddings collection in the database."""
    if forced and forced != "auto":
        if forced not in PATHS:
            from ..errors import BadRequest

            raise BadRequest(f"mode must be one of auto, {', '.join(PATHS)}; got {forced!r}.")
        return Route(forced, f"{forced} chosen by the user", forced=True)
    sql = _cues(SQL_CUES, question)
    text = _cues(TEXT_CUES, question)
    if not has_text_index:
        return Route("sql", "no table in this database has embeddings, so only SQL can answer", False, sql, text)
    strong_sql = {"counts", "aggregates", "rankings", "grouping"} & set(sql)
    filter_sql = {"dates", "filters", "ordering by date"} & set(sql)
    if text and strong_sql:
        return Route("sql", f"asks for {', '.join(sorted(strong_sql))}", False, sql, text)
    if text and filter_sql and "content of text" in text:
        return Route(
            "both", f"filters by {', '.join(sorted(filter_sql))}, then asks about text content", False, sql, text
        )
    if text and not sql:
        return Route("text", f"asks about descriptions ({', '.join(text)})", False, sql, text)
    if text and filter_sql:
        return Route("both", f"filters by {', '.join(sorted(filter_sql))} and asks about text", False, sql, text)
    if sql:
        return Route("sql", f"asks for {', '.join(sql)}", False, sql, text)
    return Route("sql", "no text cue; SQL by default", False, sql, text)
