"""`datasette llm ...` commands: thin wrappers over the same functions the web surfaces use."""

from __future__ import annotations

import asyncio
import importlib
import json
import sys

import click

from .errors import DatasetteLLMError

# Modules that contribute commands to the group: each defines COMMANDS, a list of click commands.
COMMAND_MODULES = ("datasette_llm.cli_ask", "datasette_llm.cli_embeddings")


def load_yaml_or_json(path: str) -> dict:
    with open(path) as handle:
        text = handle.read()
    if path.endswith((".yml", ".yaml")):
        import yaml

        return yaml.safe_load(text) or {}
    return json.loads(text)


def make_datasette(paths=(), metadata: str | None = None, config: str | None = None, settings=None):
    """A Datasette instance like `datasette PATHS -m metadata.yml` would build, for CLI commands."""
    from datasette.app import Datasette

    kwargs = {}
    if metadata:
        kwargs["metadata"] = load_yaml_or_json(metadata)
    if settings:
        kwargs["settings"] = settings
    return Datasette(list(paths), **kwargs)


def run(coroutine):
    """Run a coroutine for a CLI command, turning our errors into a one-line message and exit code 1."""
    try:
        return asyncio.run(coroutine)
    except DatasetteLLMError as error:
        click.echo(f"Error: {error.message}", err=True)
        sys.exit(1)


def settings_options(function):
    function = click.option(
        "-m",
        "--metadata",
        type=click.Path(exists=True, dir_okay=False),
        help="metadata.json / .yml with a plugins: datasette-llm: block",
    )(function)
    return function


@click.group(name="llm")
def llm():
    """Ask questions of SQLite databases and search them by meaning, with local models."""


@llm.command(name="models")
@settings_options
@click.option("--json", "as_json", is_flag=True, help="Output JSON")
def models_command(metadata, as_json):
    """List the configured models, their backend, whether they are ready, and their context size."""
    from .config import settings_for
    from .models import chat_model_for, embedding_model_for

    async def inner():
        datasette = make_datasette(metadata=metadata)
        settings = settings_for(datasette)
        return [chat_model_for(settings).status(), embedding_model_for(settings).status()]

    statuses = run(inner())
    if as_json:
        click.echo(json.dumps([status.__dict__ for status in statuses], indent=2))
    for status in statuses if not as_json else ():
        mark = "ready" if status.ready else "NOT READY"
        context = f"context {status.context_window} tokens" if status.context_window else ""
        click.echo(f"{status.kind:<10} {status.name}  [{status.backend}]  {mark}  {context}")
        click.echo(f"           {status.detail}")
    if not all(status.ready for status in statuses):
        sys.exit(1)


for _module_name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(_module_name)
    except ModuleNotFoundError as _error:
        if _error.name != _module_name:
            raise
        continue
    for _command in getattr(_module, "COMMANDS", []):
        llm.add_command(_command)
