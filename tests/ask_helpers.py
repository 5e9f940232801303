"""A scripted chat model for testing the pipeline's logic (never the only test: see test_ask_real.py)."""

import threading

from datasette_llm.models.base import ChatModel, ChatResult, ModelStatus


class ScriptedModel(ChatModel):
    """Replies from a list, in order; records every message list it was sent."""

    backend = "scripted"

    def __init__(self, replies, context=8192, **kwargs):
        super().__init__("scripted", **kwargs)
        self.replies = list(replies)
        self.calls = []
        self.context = context

    def context_window(self):
        return self.context

    def count_tokens(self, text):
        return (len(text) + 3) // 4

    def _complete(self, messages, options, cancel: threading.Event):
        self.calls.append([dict(m) for m in messages])
        if not self.replies:
            raise AssertionError("the scripted model ran out of replies")
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return ChatResult(reply, self.count_message_tokens(messages), self.count_tokens(reply), 0.0, self.name)

    def status(self):
        return ModelStatus(self.name, self.backend, "chat", True, "scripted")


def sql_reply(sql):
    return f"Here is the query:\n```sql\n{sql}\n```"
