"""What every `datasette llm` command shares: a Datasette built like the server's, settings options, and
errors turned into a one-line message."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import sqlite3
import stat
import sys
from pathlib import Path

import click

from ..errors import DatasetteLLMError
from ..terminal import shown

# A metadata or configuration file is read whole: `--config /dev/zero` grew to 23 GB before the kernel killed it (an
# outside tester's generated inputs, session 45). Datasette's own files are a few kilobytes.
MAX_SETTINGS_VALUES = 100_000  # in a settings file, its YAML aliases read: a real one holds far fewer
MAX_SETTINGS_FILE_BYTES = 10 * 1024 * 1024


class InputFile(click.Path):
    """An existing regular file: a pipe given as a database, a configuration or an import file waited for ever,
    and a device was read without end (an outside tester, session 45). `database`: also no `?`, `#` or `%` in its
    name, which Datasette puts in a `file:` URI unescaped (`a?b.db` opened a new, empty `a`; `a%41.db` read `aA.db`).
    `stdin`: `-` or `/dev/stdin` reads standard input (`cat examples.json | ... import db.db -`)."""

    def __init__(self, *, database: bool = False, stdin: bool = False):
        super().__init__(exists=True, dir_okay=False)
        self.database = database
        self.stdin = stdin

    def convert(self, value, param, ctx):
        if self.stdin and value in ("-", "/dev/stdin"):
            return "-"
        path = super().convert(value, param, ctx)
        try:
            regular = stat.S_ISREG(os.stat(path).st_mode)
        except OSError as error:
            self.fail(f"{path!r} cannot be read: {error.strerror}.", param, ctx)
        if not regular:
            self.fail(f"{path!r} is not a regular file (a pipe or a device cannot be read as one).", param, ctx)
        if self.database and any(character in os.fspath(path) for character in "?#%"):
            self.fail(
                f"{path!r}: Datasette cannot open a database whose path holds '?', '#' or '%'; rename or link it.",
                param,
                ctx,
            )
        return path


def load_yaml_or_json(path: str) -> dict:
    """A metadata or configuration file as a dict; click.BadParameter (a one-line error) when it is not one."""
    import yaml

    is_yaml = path.endswith((".yml", ".yaml"))
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(MAX_SETTINGS_FILE_BYTES + 1)
        if len(text) > MAX_SETTINGS_FILE_BYTES:
            raise click.BadParameter(f"{path} is longer than {MAX_SETTINGS_FILE_BYTES:,} characters.")
        data = (yaml.safe_load(text) or {}) if is_yaml else json.loads(text)
    except (OSError, ValueError, RecursionError, yaml.YAMLError) as error:  # ValueError: JSON, UTF-8, huge ints
        kind = "YAML" if is_yaml else "JSON"
        raise click.BadParameter(f"{path} could not be read as {kind}: {str(error)[:300]}") from None
    if not isinstance(data, dict):
        raise click.BadParameter(f"{path} must hold a mapping (keys and values), not {type(data).__name__}.")
    _check_secret_files(data, path)
    return data


def _check_secret_files(value, path: str) -> None:
    """Every `{"$file": NAME}` secret names a regular UTF-8 file of at most MAX_SETTINGS_FILE_BYTES: Datasette reads
    it whole with open().read(), so a binary one failed with a UnicodeDecodeError that named no file, and a device
    was read without end (an outside tester's generated CLI runs, session 45). The walk counts the values it
    visits: YAML aliases repeat a part of a file wherever they are written, so 429 bytes of nested aliases held a
    billion values (every command hung, session 58) and an alias inside its own anchor holds itself forever."""
    stack, visited = [value], 0
    while stack:
        node = stack.pop()
        visited += 1
        if visited > MAX_SETTINGS_VALUES:
            raise click.BadParameter(
                f"{path} holds more than {MAX_SETTINGS_VALUES:,} values once its YAML aliases are read (or an alias "
                "holds itself): write the settings out."
            )
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if list(node) == ["$file"]:
                _check_secret_file(node["$file"], path)
            else:
                stack.extend(node.values())


def _check_secret_file(name, path: str) -> None:
    if not isinstance(name, str):
        raise click.BadParameter(f'{path}: a "$file" secret must name a file, not {name!r}.')
    try:
        if not stat.S_ISREG(os.stat(name).st_mode):
            raise click.BadParameter(f"{path}: the secret file {name!r} is not a regular file.")
        with open(name, encoding="utf-8") as handle:
            if len(handle.read(MAX_SETTINGS_FILE_BYTES + 1)) > MAX_SETTINGS_FILE_BYTES:
                raise click.BadParameter(
                    f"{path}: the secret file {name!r} is longer than {MAX_SETTINGS_FILE_BYTES:,} characters."
                )
    except OSError as error:
        raise click.BadParameter(f"{path}: the secret file {name!r} cannot be read: {error.strerror}.") from None
    except UnicodeDecodeError:
        raise click.BadParameter(f"{path}: the secret file {name!r} is not UTF-8 text.") from None


def make_datasette(paths=(), metadata: str | None = None, config: str | None = None, settings=None):
    """A Datasette instance like `datasette PATHS -m metadata.yml -c datasette.yaml` would build, for CLI commands.

    Datasette 1.0 reads plugin settings and permissions from the config file (datasette.yaml); 0.65 has no
    config file and reads them from metadata, so there the config file's blocks are read as metadata (its
    `settings:` as Datasette settings).
    """
    from datasette.app import Datasette

    from ..compat import DATASETTE_1

    kwargs = {}
    if metadata:
        kwargs["metadata"] = load_yaml_or_json(metadata)
    config_dict = load_yaml_or_json(config) if config else None
    if config_dict and DATASETTE_1:
        kwargs["config"] = config_dict
    elif config_dict:
        settings = {**(config_dict.pop("settings", None) or {}), **(settings or {})}
        kwargs["metadata"] = {**kwargs.get("metadata", {}), **config_dict}
    if settings:
        _check_setting_types(settings)
        kwargs["settings"] = settings
    return Datasette(list(paths), **kwargs)


def _check_setting_types(settings: dict) -> None:
    """Datasette settings of the types Datasette's own are (0.65 took `sql_time_limit_ms: "x"` from the file and
    failed at the first query with a TypeError: an outside tester, session 45)."""
    from datasette.app import DEFAULT_SETTINGS

    for name, value in settings.items():
        default = DEFAULT_SETTINGS.get(name)
        if default is None:
            continue
        expected = bool if isinstance(default, bool) else type(default)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise click.BadParameter(f"the Datasette setting {name} must be {expected.__name__}, not {value!r}.")


def echo(text="", *, err: bool = False, nl: bool = True, **style) -> None:
    """click.echo of `text` as shown(); `style` (fg, bold, dim) is click.style's, applied after."""
    text = shown(text)
    click.echo(click.style(text, **style) if style else text, err=err, nl=nl)


def write_whole(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all: into a file beside it, then renamed over it. Written in place, a
    full disk left the export it replaced cut short, invalid JSON (an outside tester, session 40).

    Only a regular file is replaced. A symbolic link is followed (its target is written, the link stays), and a
    device or a FIFO is written into as the shell's `>` would: renamed over, `-o /dev/null` made /dev/null a
    regular file for every process on the machine (an outside tester, session 58)."""
    try:
        mode = os.stat(path).st_mode  # through links: `/dev/stdout` is a link to the pipe or terminal it writes to
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        return
    target = Path(os.path.realpath(path))  # a link to a regular file, or to none yet: its target is written
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def run(coroutine):
    """Run a coroutine for a CLI command, turning our errors into a one-line message and exit code 1."""
    try:
        return asyncio.run(coroutine)
    except DatasetteLLMError as error:
        echo(f"Error: {error.message}", err=True)
        sys.exit(1)
    except sqlite3.DatabaseError as error:
        # A database file SQLite cannot read as asked (a WAL file in a directory the user may not write: an outside
        # tester got a traceback from `ask`, session 36), said in one line.
        echo(f"Error: the database could not be read: {error}.", err=True)
        sys.exit(1)


def settings_options(function):
    function = click.option(
        "-m",
        "--metadata",
        type=InputFile(),
        help="metadata.json / .yml with a plugins: datasette-llm: block",
    )(function)
    function = click.option(
        "--config",
        type=InputFile(),
        help="datasette.yaml / .json with a plugins: datasette-llm: block (Datasette 1.0's configuration file)",
    )(function)
    return function
