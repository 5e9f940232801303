"""The SQL conversation with the model: the first prompt (its constant prefix cached per schema), earlier
turns, and the turns that send a query back with an error or a doubt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from . import prompts
from .schema import PromptSchema

# Every SQL reply starts so (the prompt asks for a ```sql block, and greedy decoding writes exactly these
# tokens): a local model reads them with the prompt instead of writing them, 3 tokens fewer per attempt.
SQL_REPLY_START = "```sql\n"


def sql_prefix(schema: PromptSchema) -> str:
    """The part of the first SQL prompt that is the same for every question on this schema: up to its question,
    or, when the schema was cut to fit, its shared part (schema.py): the question's own part comes after it."""
    if not schema.fixed:
        return schema.shared
    return prompts.SQL_QUESTION.split(" {question}", 1)[0].format(schema=schema.text)


def next_start() -> str:
    """How every SQL_NEXT message starts, up to its question: after the examples kept for every question, the
    next message (another example's question or the real one) starts so (ChatOptions.prefix_next)."""
    return prompts.fixed_start(prompts.SQL_NEXT)


def sql_messages(
    schema: PromptSchema, question: str, history: Sequence[dict], shots: Sequence = (), standing: Sequence = ()
) -> list[dict]:
    """System + schema first, then the examples kept for every question (`standing`, in their order): all of it
    the same for every question on this schema, so its model state is saved and loaded (see shared_messages).
    Then the examples chosen for this question as earlier turns (`shots`, best first: most similar last), then
    the conversation's turns."""
    messages = [{"role": "system", "content": prompts.SQL_SYSTEM}]
    turns = [turn for turn in history if turn.get("sql")]
    examples = [(shot.question, shot.sql) for shot in standing]
    examples += [(shot.question, shot.sql) for shot in reversed(shots)]
    first = examples[0][0] if examples else turns[0]["question"] if turns else question
    messages.append({"role": "user", "content": prompts.SQL_QUESTION.format(schema=schema.text, question=first)})
    if examples:
        messages.append({"role": "assistant", "content": f"```sql\n{examples[0][1]};\n```"})
        for asked, sql in examples[1:]:
            messages.append({"role": "user", "content": prompts.SQL_NEXT.format(question=asked)})
            messages.append({"role": "assistant", "content": f"```sql\n{sql};\n```"})
        if not turns:
            messages.append({"role": "user", "content": prompts.SQL_NEXT.format(question=question)})
            return messages
        messages.append({"role": "user", "content": prompts.SQL_NEXT.format(question=turns[0]["question"])})
    if turns:
        messages.append({"role": "assistant", "content": f"```sql\n{turns[0]['sql']}\n```"})
        for turn in turns[1:]:
            messages.append({"role": "user", "content": prompts.SQL_FOLLOWUP.format(question=turn["question"])})
            messages.append({"role": "assistant", "content": f"```sql\n{turn['sql']}\n```"})
        messages.append({"role": "user", "content": prompts.SQL_FOLLOWUP.format(question=question)})
    return messages


def shared_messages(standing: Sequence) -> int:
    """How many of sql_messages()'s messages are the same for every question when `standing` examples are kept:
    the system prompt, the first user turn (schema and the first example's question) and the examples' turns up
    to the last one's SQL. 0 without them: then sql_prefix() marks what is shared."""
    return 1 + 2 * len(standing) if standing else 0


@dataclass
class SqlConversation:
    """The SQL conversation across attempts: what the model was told, and what was already tried."""

    messages: list[dict]
    first: list[dict] = field(default_factory=list)  # the first prompt: voting samples more queries from it
    failed: set[str] = field(default_factory=set)  # queries that were rejected or failed, as the model wrote them
    hinted: bool = False  # the values really stored were sent back (once)
    reconsidered: bool = False  # a doubt about the logic was sent back (once)
    offered: set[str] = field(default_factory=set)  # stored values a hint showed: asked for, in the question's words

    def __post_init__(self):
        self.first = self.first or self.messages

    def send_back(self, reply: str, error: str, suggestions: Sequence[str] = ()):
        self.messages = self.messages + repair_turn(reply, error, suggestions)

    def ask_to_reconsider(self, reply: str, doubts: Sequence[str]):
        self.messages = self.messages + reconsider_turn(reply, doubts)


def repair_turn(reply: str, error: str, suggestions: Sequence[str] = ()) -> list[dict]:
    """The failed reply and the request to fix it, appended to the SQL conversation."""
    hints = f"Closest valid names: {', '.join(suggestions)}.\n" if suggestions else ""
    return [
        {"role": "assistant", "content": reply},
        {"role": "user", "content": prompts.SQL_REPAIR.format(error=error, hints=hints)},
    ]


def reconsider_turn(reply: str, doubts: Sequence[str]) -> list[dict]:
    """The reply whose query ran but looks wrong, and what looks wrong about it."""
    return [
        {"role": "assistant", "content": reply},
        {"role": "user", "content": prompts.SQL_RECONSIDER.format(doubts="; ".join(doubts))},
    ]
