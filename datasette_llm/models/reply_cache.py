"""Replies a model already wrote, kept for the same prompt: the same prompt is never read twice.

A question asked again (a page reloaded, a link to a question opened by several people, the same question from
the command line) sends the model exactly the prompts it sent before, as long as nothing it depends on changed:
the schema and example rows, the examples the asker may see, the rows the query returned, the question and the
earlier turns are all in the prompt. Replies are written greedily or with a fixed seed, so the reply is the one
the model wrote before; here it takes no time and no place in the model's queue (on this CPU a question costs
5-15 s of model time). Anything that changes the prompt or the options is another entry, so a change in the data
the rows show, or in what the asker may see, is a new reply.

Entries are kept per asker (`ReplyScope.key`, set by the Ask pipeline, asker_key() over HTTP): a prompt holds only
what its asker may see, but a reply served at once would tell an asker that someone with the same view asked the
same question before; per asker, it tells them only of their own questions. An anonymous visitor is one browser
(the CSRF cookie Datasette signed for it, a secret only it holds: web/origins.browser_token); an anonymous request
without such a cookie keeps and reads nothing
(anonymous visitors were one asker at first, and one learned from `cached_replies` that another had asked "which
items would my divorce lawyer price above 30?": an outside tester, session 32). In process (the command line,
`ask()`) there is one asker. The longest a reply may be (`max_tokens`)
is not part of the key: a local model's answer budget follows its measured writing speed, so it differs between
two askings of one question. A reply that ended on its own within the new budget is the same reply; one its
budget cut serves only the same budget.

Least recently used entries go first; `entries` 0 keeps none (the setting `reply_cache_entries`).
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, fields

# A reply this many tokens short of its budget ended on its own (ask/answer.py reads a stopped answer so too).
BUDGET_SLACK = 2


@dataclass
class ReplyScope:
    """Whose replies these are (None: nobody's, nothing is kept or served), and how many of this request's came
    from the cache."""

    key: str | None = ""
    hits: int = 0
    request: object = field(default_factory=object, compare=False, repr=False)  # this scope's own, unlike any other


def asker_key(actor, visitor: str | None = None) -> str | None:
    """The scope of an asker over HTTP: a signed-in actor, else one browser by the CSRF cookie Datasette signed for
    it (`visitor`, web/origins.browser_token), else None (kept for nobody)."""
    if actor is not None:
        return json.dumps(actor, sort_keys=True, default=str)
    return f"visitor:{visitor}" if visitor else None


SCOPE: contextvars.ContextVar[ReplyScope | None] = contextvars.ContextVar("datasette_llm_reply_scope", default=None)


def cache_owner() -> object:
    """Whose entry a per-asker cache (a query's vector: embeddings/index.py) reads and keeps now: the asker's key,
    "" in process with no scope (one asker), or this request's scope itself when it has no asker (an anonymous
    request without a browser cookie: kept for the request alone)."""
    scope = SCOPE.get()
    if scope is None:
        return ""
    return scope.request if scope.key is None else scope.key


def options_key(options) -> dict | None:
    """The options that shape a reply, as data (None when one cannot be told apart from another: a lambda or a
    function made inside another as `complete_when`)."""
    key = {f.name: getattr(options, f.name) for f in fields(options) if f.name != "max_tokens"}
    complete = key.pop("complete_when", None)
    if complete is not None:
        name = f"{getattr(complete, '__module__', '?')}.{getattr(complete, '__qualname__', '?')}"
        if "<" in name:  # <lambda>, <locals>: two different tests would share a name
            return None
        key["complete_when"] = name
    return key


@dataclass(frozen=True)
class _Kept:
    text: str
    completion_tokens: int
    max_tokens: int

    def serves(self, max_tokens: int) -> bool:
        ended_on_its_own = self.completion_tokens < self.max_tokens - BUDGET_SLACK
        return (
            ended_on_its_own and self.completion_tokens < max_tokens - BUDGET_SLACK
        ) or max_tokens == self.max_tokens


class ReplyCache:
    def __init__(self, entries: int):
        self.entries = max(0, int(entries))
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self._lock = threading.Lock()

    def key(self, model: str, messages, options) -> str | None:
        """The entry for this prompt, options and asker; None when nothing is kept for it."""
        if not self.entries:
            return None
        shaping = options_key(options)
        if shaping is None:
            return None
        scope = SCOPE.get()
        if scope is not None and scope.key is None:
            return None
        text = json.dumps([scope.key if scope else "", model, messages, shaping], sort_keys=True, default=repr)
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def get(self, key: str | None, max_tokens: int) -> str | None:
        if key is None:
            return None
        with self._lock:
            kept = self._kept.get(key)
            if kept is None or not kept.serves(max_tokens):
                return None
            self._kept.move_to_end(key)
        scope = SCOPE.get()
        if scope is not None:
            scope.hits += 1
        return kept.text

    def put(self, key: str | None, text: str, completion_tokens: int, max_tokens: int) -> None:
        if key is None:
            return
        with self._lock:
            self._kept[key] = _Kept(text, completion_tokens, max_tokens)
            self._kept.move_to_end(key)
            while len(self._kept) > self.entries:
                self._kept.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)
