"""Where the plugin keeps its own state (trusted examples, feedback): a directory outside the databases.

The `state_dir` setting first, then the DATASETTE_LLM_STATE_DIR environment variable, then
$XDG_DATA_HOME/datasette-llm (~/.local/share/datasette-llm when XDG_DATA_HOME is unset). The CLI and the
server both read it from Settings, so they find the same files.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ConfigError

STATE_DIR_ENV = "DATASETTE_LLM_STATE_DIR"


def default_state_dir() -> Path:
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(data) / "datasette-llm"


def state_dir(settings) -> Path:
    """The state directory for these settings; it may not exist yet (make_state_dir creates it)."""
    if getattr(settings, "state_dir", None):
        return Path(settings.state_dir)
    # Settings built by load_settings() already hold the variable; this covers a bare Settings().
    if os.environ.get(STATE_DIR_ENV):
        return Path(os.path.expanduser(os.environ[STATE_DIR_ENV]))
    return default_state_dir()


def make_state_dir(path: Path) -> Path:
    """Create the state directory (mode 0700, only the owner reads it) if needed, or say what is wrong with it."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError:
        raise state_dir_error(path, "a file is in the way") from None
    except OSError as error:
        raise state_dir_error(path, error.strerror or str(error)) from None
    if not path.is_dir():
        raise state_dir_error(path, "it is not a directory")
    if not os.access(path, os.W_OK | os.X_OK):
        raise state_dir_error(path, "it is not writable")
    return path


def state_dir_error(path: Path, problem: str) -> ConfigError:
    return ConfigError(
        f"The datasette-llm state directory {path} cannot be used: {problem}. Set `state_dir` in the "
        f"plugin settings or {STATE_DIR_ENV} to a writable directory."
    )
