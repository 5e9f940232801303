"""Feedback on answers over the web: `POST /-/llm/{database}/feedback` from anyone who may ask the database
(`"verdict": "right"` also makes the question and its SQL a trusted example, so it needs `llm-teach` too), and
`POST .../feedback/{id}/remove` (`llm-teach`). The page that lists feedback, the request rules and removal are
web/examples.py's; the store and its checks are datasette_llm/examples/.
"""

from __future__ import annotations

import asyncio
import logging
import weakref

from .. import permissions
from ..config import settings_for
from ..errors import BadRequest, DatasetteLLMError, Forbidden
from ..examples.check import actor_id, add_with_feedback, feedback_checks
from ..examples.state import state_dir
from ..examples.store import VERDICTS, ExampleStore
from ..fair_share import RecentShare
from .examples import MAX_BODY_BYTES, entry_json, remove_row, require_post_from_this_site, store_for, text_field
from .request_body import read_object
from .responses import json_errors, json_response

logger = logging.getLogger("datasette_llm")

# What one client without llm-teach may record in any 10 minutes: a share of the feedback store (5 MB a database)
# that every asker shares.
FEEDBACK_PER_CLIENT = 20
_FEEDBACK_SHARES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Datasette -> its RecentShare
FEEDBACK = '{"question": "...", "sql": "select ...", "verdict": "wrong", "comment": "..."}'


@json_errors
async def feedback_view(request, datasette):
    """POST {"question", "sql", "verdict": "wrong"/"right", "comment"} to /-/llm/{database}/feedback: feedback on
    an answer, from anyone who may ask; "right" from an actor with llm-teach also adds a trusted example."""
    database = require_post_from_this_site(datasette, request, FEEDBACK)
    await permissions.require_ask(datasette, request.actor, database)
    data = await read_object(request, MAX_BODY_BYTES, example=FEEDBACK)
    verdict = data.get("verdict")
    if verdict not in VERDICTS:
        raise BadRequest(f'The field "verdict" must be "right" or "wrong", got {verdict!r}; send {FEEDBACK}.')
    if verdict == "right" and not await permissions.can_teach(datasette, request.actor, database):
        raise Forbidden(
            f"Marking an answer right makes it a trusted example, which needs the {permissions.LLM_TEACH} "
            f'permission on {database!r}; send "verdict": "wrong" with a comment instead.'
        )
    question = text_field(data, "question", FEEDBACK)
    sql = text_field(data, "sql", FEEDBACK, required=verdict == "right")
    comment = text_field(data, "comment", FEEDBACK, required=False)
    try:
        store = store_for(datasette)
        store.clean_feedback(question, sql, verdict, comment)  # a refused request writes nothing, its example neither
        outcome = None
        if verdict == "right":  # the feedback and its example together, or neither (check.add_with_feedback)
            feedback, outcome = await add_with_feedback(
                datasette, database, question, sql, actor=request.actor, store=store, comment=comment
            )
        else:
            reads, names = await feedback_checks(datasette, request.actor, database, question, sql, comment)
            if not await permissions.can_teach(datasette, request.actor, database):
                # A share of the store every asker shares (fair_share.py), taken once the feedback is found valid.
                share = _FEEDBACK_SHARES.get(datasette)
                if share is None:  # one a Datasette, made on its first feedback
                    share = _FEEDBACK_SHARES[datasette] = RecentShare(FEEDBACK_PER_CLIENT, 600)
                share.take("pieces of feedback")
            feedback = await asyncio.to_thread(
                store.record_feedback,
                database,
                question,
                sql,
                verdict,
                comment=comment,
                actor=actor_id(request.actor),
                reads=reads,
                names=names,
            )
    except DatasetteLLMError as error:
        raise await _for_an_asker(datasette, request.actor, database, error) from None
    body = {
        "ok": True,
        "feedback": feedback.to_json(),
        "status": outcome.status if outcome else None,
        "example": entry_json(outcome.example) if outcome else None,
    }
    return json_response(body, status=201)


async def _for_an_asker(datasette, actor, database: str, error: DatasetteLLMError):
    """The store's error as an asker who may not teach is told it: without the server's paths. A damaged store or a
    directory that cannot be written told any anonymous asker where the server keeps its state (an outside
    tester, session 40); a teacher, who may be the one to mend it, is told where."""
    directory = state_dir(settings_for(datasette))
    located = any(str(path) in error.message for path in (directory, directory.resolve()))
    if not located or await permissions.can_teach(datasette, actor, database):
        return error
    logger.warning("datasette-llm: feedback could not be recorded: %s", error.message)
    why = "the disk is full" if error.status == 507 else "the server's log says why"
    return type(error)(f"Feedback could not be recorded: the server's examples store cannot be used ({why}).")


@json_errors
async def remove_feedback_view(request, datasette):
    """POST /-/llm/{database}/feedback/{id}/remove: remove one piece of feedback (llm-teach)."""
    return await remove_row(request, datasette, "feedback", ExampleStore.get_feedback, ExampleStore.remove_feedback)


ROUTES = [
    (r"^/-/llm/(?P<database>[^/]+)/feedback$", feedback_view),
    (r"^/-/llm/(?P<database>[^/]+)/feedback/(?P<id>[^/]+)/remove$", remove_feedback_view),
]
