"""`datasette llm ...` commands: thin wrappers over the same functions the web surfaces use."""

from __future__ import annotations

import json
import os
import sys

import click

from . import ask, embeddings, examples
from .common import echo, make_datasette, run, settings_options


class TextArguments(click.Group):
    """Every argument of every `datasette llm` command must be text. Bytes that are not UTF-8 reach Python as
    lone surrogates, which SQLite, the models and JSON cannot take (an outside tester's `$'\\xff'` question
    was a traceback)."""

    def parse_args(self, ctx, args):
        from ..json_text import is_text

        for arg in args:
            if not is_text(arg):
                shown = arg.encode("utf-8", "backslashreplace").decode("utf-8")
                raise click.UsageError(f"The argument {shown!r} is not UTF-8 text.", ctx)
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        """Anything a command did not expect is one line on stderr and exit code 1, never a traceback (an outside
        tester's generated inputs, session 45: Datasette's `$file` secrets naming a missing or binary file, a
        setting of the wrong type); DATASETTE_LLM_DEBUG=1 shows the traceback."""
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            if os.environ.get("DATASETTE_LLM_DEBUG", "") not in ("", "0"):
                raise
            echo(f"Error: {type(error).__name__}: {str(error)[:300]}", err=True)
            sys.exit(1)


@click.group(name="llm", cls=TextArguments)
def llm():
    """Ask questions of SQLite databases and search them by meaning, with local models."""


@llm.command(name="models")
@settings_options
@click.option("--json", "as_json", is_flag=True, help="Output JSON")
def models_command(metadata, config, as_json):
    """List the configured models, their backend, whether they are ready, and their context size."""
    from ..config import settings_for
    from ..models import chat_model_for, embedding_model_for

    async def inner():
        datasette = make_datasette(metadata=metadata, config=config)
        settings = settings_for(datasette)
        return [chat_model_for(settings).status(), embedding_model_for(settings).status()]

    statuses = run(inner())
    if as_json:
        echo(json.dumps([status.__dict__ for status in statuses], indent=2))
    for status in statuses if not as_json else ():
        mark = "ready" if status.ready else "NOT READY"
        context = f"context {status.context_window} tokens" if status.context_window else ""
        echo(f"{status.kind:<10} {status.name}  [{status.backend}]  {mark}  {context}")
        echo(f"           {status.detail}")
    if not all(status.ready for status in statuses):
        sys.exit(1)


for command in ask.COMMANDS + embeddings.COMMANDS + examples.COMMANDS:
    llm.add_command(command)
