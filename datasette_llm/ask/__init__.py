"""Question -> SQL -> rows -> answer. `ask()` is the Python API; the CLI, the JSON API, the page and MCP call it."""

from .pipeline import AskResult, ask

__all__ = ["AskResult", "ask"]
