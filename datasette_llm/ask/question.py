"""The question and the earlier turns of a conversation, checked before anything else runs."""

from __future__ import annotations

from ..config import Settings
from ..errors import BadRequest

MAX_HISTORY_TURNS = 6


def check_question(question, settings: Settings) -> str:
    if not isinstance(question, str) or not question.strip():
        raise BadRequest("Please enter a question.")
    question = question.strip()
    if len(question) > settings.max_question_chars:
        raise BadRequest(
            f"The question is {len(question):,} characters long; the limit is {settings.max_question_chars:,}."
        )
    if "\x00" in question:
        raise BadRequest("The question contains a NUL character.")
    return question


def normalise_history(history) -> list[dict]:
    """Earlier turns as [{"question": str, "sql": str | None}], newest last; rows are never carried over."""
    if history is None:
        return []
    if not isinstance(history, list):
        raise BadRequest("history must be a list of {question, sql} objects.")
    turns = []
    for item in history[-MAX_HISTORY_TURNS:]:
        if not isinstance(item, dict) or not isinstance(item.get("question"), str):
            raise BadRequest("Each history item needs a 'question' string (and optionally 'sql').")
        sql = item.get("sql")
        turns.append({"question": item["question"][:2000], "sql": sql[:4000] if isinstance(sql, str) else None})
    return turns
