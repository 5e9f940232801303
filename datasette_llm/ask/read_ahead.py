"""Read a question into the local model while it is still being typed (issue 19).

The Ask page sends the question as it stands now and then while the visitor types (`ask.warm`). The model,
when it is idle, reads the SQL prompt that question would get (its schema prefix is usually saved already,
see warm_up.py) and the start of the answer prompt, which names the question before the SQL. When the
question is sent, the model finds those tokens read: it only reads what changed since, and starts writing.

Nothing here writes a token, runs SQL or shows anything: the same pipeline a question runs is prepared (the
same permission checks, schema, route and trusted examples, as the actor would get them) and its prompts are
handed to `ChatModel.read_ahead`, which gives way to real work and bounds what it reads.
"""

from __future__ import annotations

from .answer import answer_lead, answer_messages, answer_options
from .pipeline import AskPipeline


async def read_ahead(pipeline: AskPipeline) -> dict:
    """{"sql": read, "answer": read}: which of the question's prompts the model now holds, up to what the
    question alone decides. A question answered from text reads nothing: its passages come first."""
    await pipeline.prepare()
    await pipeline.choose_route()
    read = {"sql": False, "answer": False}
    if pipeline.route.path == "text" or not pipeline.model.prompt_cache:
        return read
    await pipeline.choose_examples()
    messages, options = pipeline.sql_request()
    read["sql"] = await pipeline.model.read_ahead(messages, options)
    if read["sql"] and pipeline.route.path == "sql" and not pipeline.sql_only:
        lead = answer_lead(pipeline.question)
        options = answer_options(pipeline.settings.answer_max_tokens)
        read["answer"] = await pipeline.model.read_ahead(answer_messages(pipeline.question, ""), options, upto=lead)
    return read
