"""`datasette llm ask PATH.db "question"`: the SQL, the rows as a table, the answer."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..ask.route import ASK_MODES
from ..terminal import shown
from .common import InputFile, echo, make_datasette, run, settings_options


def format_table(columns, rows, max_width: int = 40, max_rows: int = 50) -> str:
    def cell(value):
        text = "NULL" if value is None else shown(str(value).replace("\n", " "))
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    cells = [[cell(v) for v in row] for row in rows[:max_rows]]
    names = [shown(c) for c in columns]
    widths = [max([len(name)] + [len(r[i]) for r in cells]) for i, name in enumerate(names)]
    lines = ["  ".join(name.ljust(w) for name, w in zip(names, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    if len(rows) > max_rows:
        lines.append(f"... {len(rows) - max_rows:,} more rows")
    return "\n".join(lines)


@click.command(name="ask")
@click.argument("path", type=InputFile(database=True))
@click.argument("question")
@settings_options
@click.option("--model", help="Chat model: default, /path/model.gguf or openai:MODEL_ID")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (the HTTP API's shape)")
@click.option("--sql-only", is_flag=True, help="Stop after running the SQL; do not write an answer")
@click.option("--table", "tables", multiple=True, help="Scope the question to this table (repeatable)")
@click.option(
    "--mode",
    type=click.Choice(ASK_MODES),
    default="auto",
    show_default=True,
    help="Answer with SQL, from text (retrieval), both, or let the question decide",
)
def ask_command(path, question, metadata, config, model, as_json, sql_only, tables, mode):
    """Ask QUESTION of the SQLite database at PATH."""
    from ..ask.pipeline import ask
    from ..config import settings_for
    from ..models import chat_model_for
    from ..web.ask import ask_payload

    async def inner():
        datasette = make_datasette([path], metadata=metadata, config=config)
        await datasette.invoke_startup()
        settings = settings_for(datasette)
        chat = chat_model_for(settings, model) if model else None
        result = await ask(
            datasette, Path(path).stem, question, actor=None, model=chat, sql_only=sql_only, tables=tables, mode=mode
        )
        # What the HTTP API answers, field for field (its links are paths on a server of these files).
        return result, (await ask_payload(datasette, None, result) if as_json else None)

    result, data = run(inner())
    if as_json:
        echo(json.dumps(data, indent=2, default=str))
    else:
        for number, attempt in enumerate(result.attempts, 1):
            if attempt.error:
                how = "rejected" if attempt.row_count is None else f"ran ({attempt.row_count} rows), sent back"
                echo(f"Attempt {number} {how}: {attempt.error}", fg="yellow", err=True)
        if result.sql:
            echo("SQL:", bold=True)
            echo(result.sql + "\n")
            echo(format_table(result.columns, result.rows) + "\n")
        if result.route:
            echo(f"Path: {result.path} ({result.route.get('reason')})", dim=True)
        for note in result.notes:
            echo(f"Note: {note}", dim=True)
        if result.answer is not None:
            echo("Answer: ", bold=True, nl=False)
            echo(result.answer)
        for citation in result.citations:
            echo(f"  [{citation['number']}] {citation['table']}: {citation['label']}")
        for warning in result.warnings:
            echo(f"Warning: {warning}", fg="yellow")
        if result.error:
            echo(f"Error: {result.error}", fg="red", err=True)
    if result.error:
        raise SystemExit(1)


COMMANDS = [ask_command]
