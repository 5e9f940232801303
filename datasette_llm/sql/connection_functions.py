"""SQL functions the plugin adds to every Datasette connection."""

from __future__ import annotations


def register_functions(conn) -> None:
    """Registered on every connection; each surface adds its functions here."""
    try:
        from ..embeddings import register_sql_functions
    except ImportError:
        return
    register_sql_functions(conn)
