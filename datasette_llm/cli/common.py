"""What every `datasette llm` command shares: a Datasette built like the server's, settings options, and
errors turned into a one-line message."""

from __future__ import annotations

import asyncio
import json
import sys

import click

from ..errors import DatasetteLLMError


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
