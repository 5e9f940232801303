"""`datasette llm examples ...`: trusted (question, SQL) pairs of a database, thin over datasette_llm.examples.

The database is the file PATH, named as Datasette names it (the file's stem); the examples live in the state
directory, so the file itself is never written. Commands act as an anonymous actor: the permissions in the
metadata or configuration file decide which tables an example may read.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import click

from ..errors import BadRequest
from ..terminal import json_text
from .common import InputFile, echo, make_datasette, run, settings_options, write_whole

MAX_IMPORT_BYTES = 64_000_000  # an import file; 3,000 examples of the longest SQL allowed

DATABASE = InputFile(database=True)


def store_options(function):
    function = settings_options(function)
    return click.option(
        "--state-dir",
        type=click.Path(file_okay=False),
        help="Directory of the examples store (default: the state_dir setting)",
    )(function)


def open_store(path: str, metadata: str | None, config: str | None, state_dir: str | None):
    """(Datasette with the file PATH, its database name, the examples store), as `datasette serve` would see them."""
    from ..config import settings_for
    from ..examples import ExampleStore

    try:
        with closing(sqlite3.connect(Path(path).absolute().as_uri() + "?mode=ro", uri=True)) as conn:
            conn.execute("select count(*) from sqlite_master").fetchone()
    except sqlite3.Error as error:
        raise BadRequest(f"{path} is not a SQLite database ({error}).") from None
    datasette = make_datasette([path], metadata=metadata, config=config)
    settings = settings_for(datasette)
    if state_dir:  # as the state_dir setting and DATASETTE_LLM_STATE_DIR are: `~/st` made a directory named `~`
        settings = replace(settings, state_dir=Path(state_dir).expanduser())
    return datasette, Path(path).stem, ExampleStore.for_settings(settings)


def report_set_aside(examples) -> None:
    for example in examples:
        echo(f"Set aside #{example.id} (the schema changed): {example.reason}", err=True)


@click.group(name="examples")
def examples_group():
    """Trusted examples: (question, SQL) pairs for a database, kept in the state directory."""


@examples_group.command(name="add")
@click.argument("path", type=DATABASE)
@click.argument("question")
@click.argument("sql")
@store_options
def add_command(path, question, sql, metadata, config, state_dir):
    """Add the example QUESTION answered by SQL to the database PATH, if the SQL guard accepts it."""
    from ..examples import add_examples

    async def inner():
        datasette, database, store = open_store(path, metadata, config, state_dir)
        return await add_examples(
            datasette, database, [(question, sql)], actor=None, store=store, added_by="cli", cli=True
        )

    (outcome,) = run(inner())
    if outcome.status == "refused":
        echo(f"Error: the example was refused: {outcome.reason}", err=True)
        sys.exit(1)
    verb = "Added" if outcome.status == "added" else "Already present:"
    echo(f"{verb} example #{outcome.example.id}.")


@examples_group.command(name="import")
@click.argument("path", type=DATABASE)
@click.argument("file", type=InputFile(stdin=True))
@store_options
def import_command(path, file, metadata, config, state_dir):
    """Add the examples in FILE to the database PATH: a JSON list of {"question", "sql"} objects, or CSV with
    those columns. Each is checked by the SQL guard; exit code 1 if any is refused."""
    from ..examples import add_examples
    from ..examples.files import parse_examples

    name = "stdin" if file == "-" else Path(file).name

    async def inner():
        # Read as bytes: at most MAX_IMPORT_BYTES (/dev/zero took 713 MB in 4 s), and a carriage return inside a
        # CSV cell kept as it is (text mode made it a newline); both found by an outside tester, session 19.
        with click.open_file(file, "rb") as handle:  # "-": standard input
            data = handle.read(MAX_IMPORT_BYTES + 1)
        if len(data) > MAX_IMPORT_BYTES:
            raise BadRequest(f"{name} is larger than {MAX_IMPORT_BYTES // 1_000_000} MB; split it into smaller files.")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest(f"{name} is not UTF-8 text.") from None
        pairs = parse_examples(text, name)
        datasette, database, store = open_store(path, metadata, config, state_dir)
        return await add_examples(
            datasette, database, pairs, actor=None, store=store, added_by=f"import:{name}", cli=True
        )

    outcomes = run(inner())
    counts = {"added": 0, "present": 0, "refused": 0}
    for number, outcome in enumerate(outcomes, 1):
        counts[outcome.status] += 1
        if outcome.status == "refused":
            echo(f"refused  item {number}  {outcome.question[:60]}: {outcome.reason}", err=True)
        else:
            echo(f"{outcome.status:<8} #{outcome.example.id}  {outcome.question[:60]}")
    echo(f"{name}: {counts['added']} added, {counts['present']} already present, {counts['refused']} refused.")
    if counts["refused"]:
        sys.exit(1)


@examples_group.command(name="list")
@click.argument("path", type=DATABASE)
@click.option("--json", "as_json", is_flag=True, help="Output JSON")
@click.option("--all", "include_set_aside", is_flag=True, help="Also list the examples set aside, with the reason")
@store_options
def list_command(path, as_json, include_set_aside, metadata, config, state_dir):
    """List the examples of the database PATH, oldest first, after checking them against its current schema."""
    from ..examples import recheck_and_read

    async def inner():
        datasette, database, store = open_store(path, metadata, config, state_dir)
        set_aside, examples = await recheck_and_read(datasette, database, store)
        return database, set_aside, examples, ({} if examples else store.database_names())

    database, set_aside, examples, others = run(inner())
    report_set_aside(set_aside)
    listed = [example for example in examples if include_set_aside or example.status == "active"]
    if as_json:
        echo(json_text([example.to_json() for example in listed], indent=2))
    for example in listed if not as_json else ():
        mark = f"  [set aside: {example.reason}]" if example.status == "set_aside" else ""
        echo(f"#{example.id}  {example.question}{mark}\n    {example.sql}")
    hidden = len(examples) - len(listed)
    if hidden:
        echo(f"{hidden} set-aside example(s) not shown; --all lists them with the reason.", err=True)
    if not examples:
        echo(f"No examples for the database '{database}'.", err=True)
        if others:  # examples are kept by database name: a renamed file finds none under its new one
            names = ", ".join(f"'{name}' ({count})" for name, count in others.items())
            echo(
                f"The store holds examples of other database names: {names}. Examples are kept by the database's "
                "name (a file's stem), so a renamed file finds none under its new name.",
                err=True,
            )


@examples_group.command(name="remove")
@click.argument("path", type=DATABASE)
@click.argument("example_id", metavar="ID", type=click.IntRange(1, 2**63 - 1))
@store_options
def remove_command(path, example_id, metadata, config, state_dir):
    """Remove the example ID from the database PATH."""

    async def inner():
        _, database, store = open_store(path, metadata, config, state_dir)
        return database, store.remove(database, example_id)

    database, removed = run(inner())
    if not removed:
        echo(f"Error: the database {database!r} has no example #{example_id}.", err=True)
        sys.exit(1)
    echo(f"Removed example #{example_id}.")


@examples_group.command(name="export")
@click.argument("path", type=DATABASE)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write to FILE, not stdout (-: stdout)"
)
@store_options
def export_command(path, output, metadata, config, state_dir):
    """Write the active examples of the database PATH as JSON that `datasette llm examples import` reads."""
    from ..examples import recheck_and_read
    from ..examples.files import examples_to_json

    async def inner():
        datasette, database, store = open_store(path, metadata, config, state_dir)
        set_aside, examples = await recheck_and_read(datasette, database, store)
        return set_aside, [example for example in examples if example.status == "active"], store

    set_aside, examples, store = run(inner())
    report_set_aside(set_aside)
    text = json_text(examples_to_json(examples), indent=2) + "\n"
    if output is None or output == "-":
        echo(text, nl=False)
        return
    sides = ("", "-wal", "-shm", "-journal")
    if any(_same_file(output, f"{own}{end}") for own in (path, store.path) for end in sides):
        # `-o small.db` replaced the database with JSON, `-o <state dir>/examples.db` every database's examples,
        # `-o small.db-wal` the changes the database had not taken in yet (outside testers, session 45).
        raise click.ClickException(f"{output} is the database or the examples store: choose another file.")
    try:
        write_whole(Path(output), text)
    except OSError as error:
        raise click.ClickException(f"{output} cannot be written: {error.strerror}") from None
    echo(f"Exported {len(examples)} example(s) to {output}.", err=True)


def _same_file(a, b) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # either is missing: not the same file
        return False


COMMANDS = [examples_group]
