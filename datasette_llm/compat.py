"""What differs between Datasette 0.65 and the 1.0 alphas, apart from permissions (permissions/ has those).

- Metadata: 0.65 reads it with the synchronous `datasette.metadata(key)`; 1.0 keeps it in the internal
  database (`await datasette.get_instance_metadata()`).
- Configuration: 0.65 reads `plugins:` from metadata; 1.0 from datasette.yaml (`datasette.config`). Both
  answer `datasette.plugin_config()`, which is all config.py uses.
- Hidden tables: 0.65 asks the `get_metadata` hook; 1.0 has no such hook and reads `hidden: true` from the
  configuration, which embeddings/hidden.py writes there for the plugin's storage tables.
- CSRF: 0.65 checks a token (asgi-csrf) that `skip_csrf` can waive; 1.0 refuses cross-site unsafe requests by
  their Sec-Fetch-Site / Origin headers and has neither the token cookie nor the hook.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import datasette as _datasette

DATASETTE_VERSION = _datasette.__version__
DATASETTE_1 = int(DATASETTE_VERSION.split(".")[0]) >= 1
# The oldest 1.0 alpha the plugin runs on: on 1.0a20-a38 every route that asks Datasette about a permission answered
# 500 (`derived_table_dependencies`), and those alphas do not make the answers to signed-in requests private to
# shared caches (an outside tester, session 46). pyproject.toml cannot say ">=0.65.5 or >=1.0a39".
OLDEST_1_ALPHA = 39


def unsupported_datasette(version: str | None = None) -> str | None:
    """Why this Datasette (or `version`) cannot run the plugin, or None. `1.0a38.post1`, `.dev0` and `+local` are
    1.0a38; a 0.65 before 0.65.5 lacks its table-permission fix (GHSA-h547-rmjf-5m2m)."""
    version = version or DATASETTE_VERSION
    alpha = re.match(r"1\.0a(\d+)(?!\d)", version)
    older = re.match(r"0\.(\d+)(?:\.(\d+))?(?![\d])", version)
    if (alpha and int(alpha.group(1)) < OLDEST_1_ALPHA) or (
        older and (int(older.group(1)), int(older.group(2) or 0)) < (65, 5)
    ):
        return (
            f"datasette-llm needs Datasette 0.65.5 or newer on 0.65, or 1.0a{OLDEST_1_ALPHA} or newer on 1.0; "
            f"this is {version}: pip install 'datasette>=1.0a{OLDEST_1_ALPHA}'"
        )
    return None


async def instance_metadata(datasette, key: str):
    """A top-level metadata value (title, license_url, ...) or None, on either version."""
    if hasattr(datasette, "get_instance_metadata"):
        return (await datasette.get_instance_metadata()).get(key)
    return datasette.metadata(key)


def sql_page_url(datasette, database: str, sql: str, format: str | None = None) -> str:
    """Datasette's own page for running `sql` (`format`: "csv", "json" for its downloads).

    0.65 serves it at /db?sql= (/db.csv?sql=); 1.0 at /db/-/query?sql= (/db?sql= only redirects there).
    """
    path = datasette.urls.database(database) + ("/-/query" if DATASETTE_1 else "")
    if format:
        path += "." + format
    return path + "?" + urlencode({"sql": sql})


def configured_hidden_tables(db) -> tuple[str, ...]:
    """The tables the configuration marks `hidden: true` for the database: 1.0 reads datasette.yaml
    (`datasette.config`), 0.65 its metadata, the `get_metadata` hook included. With the schema, this is all
    `Database.hidden_table_names()` depends on, on either version."""
    if DATASETTE_1:
        config = getattr(db.ds, "config", None) or {}
        tables = (config.get("databases") or {}).get(db.name, {}).get("tables") or {}
    else:
        tables = db.ds.metadata(database=db.name).get("tables") or {}
    return tuple(sorted(name for name, value in tables.items() if isinstance(value, dict) and value.get("hidden")))


async def table_names(db) -> list[str]:
    """The database's tables in the order they were created, as 0.65's `db.table_names()` gives them.

    1.0 sorts them by name; the Ask prompt's schema and the example questions keep the creation order on both.
    """
    results = await db.execute("select name from sqlite_master where type='table'")
    return [row[0] for row in results.rows]
