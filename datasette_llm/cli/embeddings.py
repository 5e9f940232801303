"""`datasette llm embed` and `datasette llm search`: thin wrappers over embeddings.embed_table / semantic_search."""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from dataclasses import replace
from pathlib import Path

import click

from ..errors import DatasetteLLMError
from ..terminal import json_text, shown
from .common import InputFile, echo, make_datasette, run, settings_options


class ProgressLine:
    """A one-line progress report on stderr: rows done, rows/s, ETA. Silent when stderr is not a terminal."""

    def __init__(self, label: str, enabled: bool | None = None):
        self.label = label
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.start = time.perf_counter()
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if not self.enabled or (now - self.last < 0.2 and done < total):
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        rate = done / elapsed
        eta = (total - done) / rate if rate > 0 else 0
        width = 30
        filled = int(width * done / total) if total else width
        bar = "#" * filled + "-" * (width - filled)
        click.echo(  # the carriage return is the bar's own; the table's name is shown()
            "\r" + shown(f"{self.label} [{bar}] {done}/{total} rows  {rate:,.1f} rows/s  ETA {_duration(eta)}   "),
            err=True,
            nl=False,
        )

    def finish(self) -> None:
        if self.enabled:
            echo("", err=True)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def _settings(metadata: str | None, config: str | None, table_prefix: str | None):
    from ..config import settings_for

    settings = settings_for(make_datasette(metadata=metadata, config=config))
    return replace(settings, table_prefix=table_prefix) if table_prefix is not None else settings


@click.command(name="embed")
@click.argument("path", type=InputFile(database=True))
@click.argument("table")
@click.option("-c", "--column", "columns", multiple=True, help="Text column to embed (repeatable; default: all)")
@click.option("--sql", help="Instead of columns: a query selecting an id, then text columns")
@click.option("--model", help="Embedding model (default: the configured one)")
@click.option("--batch-size", type=click.IntRange(1, 4096), default=32, show_default=True)
@click.option("--store", is_flag=True, help="Also store the text in the content column (as llm --store)")
@click.option("--replace", "replace_model", is_flag=True, help="Re-embed a collection built with another model")
@click.option("--table-prefix", help="Prefix for the collections/embeddings tables (default: the setting)")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON")
@settings_options
def embed_command(
    path, table, columns, sql, model, batch_size, store, replace_model, table_prefix, as_json, metadata, config
):
    """Embed the rows of TABLE in the SQLite database PATH (incremental: unchanged rows are skipped)."""
    from ..embeddings import BuildInterrupted, embed_table

    try:
        settings = _settings(metadata, config, table_prefix)
        progress = ProgressLine(f"Embedding {table}")
        try:
            summary = embed_table(
                path,
                table,
                columns=list(columns) or None,
                sql=sql,
                model=model,
                batch_size=batch_size,
                progress=progress,
                settings=settings,
                store=store,
                replace=replace_model,
            )
        finally:
            progress.finish()
    except BuildInterrupted as interrupted:
        done = interrupted.summary
        echo(
            f"Interrupted: {done.embedded} rows embedded and saved ({done.unchanged} unchanged). "
            "Run the same command again to resume.",
            err=True,
        )
        sys.exit(130)
    except DatasetteLLMError as error:
        echo(f"Error: {error.message}", err=True)
        sys.exit(1)
    except sqlite3.Error as error:  # read-only, locked, a value that is not UTF-8: a traceback before (session 19)
        echo(f"Error: {path} could not be read or written: {sqlite_problem(error)}.", err=True)
        sys.exit(1)
    if as_json:
        echo(json.dumps(summary.to_json(), indent=2))
        return
    echo(
        f"{summary.collection}: {summary.embedded} embedded, {summary.unchanged} unchanged, "
        f"{summary.removed} removed, {summary.skipped} without text; {summary.seconds:.1f} s, "
        f"{summary.rows_per_second:,.1f} rows/s (model {summary.model})"
    )


@click.command(name="search")
@click.argument("path", type=InputFile(database=True))
@click.argument("query")
@click.option("-t", "--table", help="Only this table (default: every table with a collection)")
@click.option("-n", "--limit", type=int, default=10, show_default=True)
@click.option("--mode", type=click.Choice(["semantic", "keyword", "hybrid"]), default="hybrid", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Output JSON")
@settings_options
def search_command(path, query, table, limit, mode, as_json, metadata, config):
    """Search the embedded tables of the SQLite database PATH by meaning."""
    from ..embeddings import semantic_search

    async def inner():
        datasette = make_datasette([path], metadata=metadata, config=config)
        return await semantic_search(
            datasette, None, query, database=Path(path).stem, table=table, limit=limit, mode=mode
        )

    result = run(inner())
    if as_json:
        echo(json_text(result.to_json(), indent=2, default=str))
        return
    for hit in result.hits:
        text = " | ".join(str(v) for k, v in hit.row.items() if isinstance(v, str) and v)[:120]
        echo(f"{hit.score:8.4f}  {hit.table}  {', '.join(map(str, hit.pk))}  {text}")
    if not result.hits:
        echo("No results.", err=True)
    for note in result.notes:
        echo(f"Note: {note}", err=True)


COMMANDS = [embed_command, search_command]


def sqlite_problem(error: sqlite3.Error) -> str:
    text = str(error)
    if "decode" in text.lower():
        return f"{text} (a text value that is not UTF-8; store it as a BLOB or fix its encoding)"
    if "locked" in text.lower():
        return f"{text} (another process is writing to it; try again)"
    return text
