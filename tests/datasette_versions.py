"""Datasette 0.65 and 1.0 in the tests: which one is installed, and 0.65-style metadata on 1.0.

The suite runs on both (setup-scripts/test.sh: the 0.65 leg in .venv, the 1.0 leg in .venv-datasette1).
Most tests describe permissions the 0.65 way, in `metadata=` (`allow`, `allow_sql`, `plugins`, ...). Datasette
1.0 reads permissions and plugin settings from its configuration (datasette.yaml, `config=`) instead; its
constructor moves `plugins` and `allow` blocks from metadata to config itself (`move_plugins_and_allow`) but
not `allow_sql` or `permissions`, which it would silently ignore there, so the suite would test a Datasette
that lets everyone run SQL. `translate_metadata_on_datasette1` (installed by conftest.py on 1.0) moves those
too, exactly as they would be written in datasette.yaml. Tests of datasette.yaml itself pass `config=`
(tests/test_datasette1.py) and are untouched by it. DATASETTE1_SKIPS names the few tests that cannot pass on 1.0
as written; conftest.py skips them there.
"""

from __future__ import annotations

import copy
import functools

import datasette
import pytest

DATASETTE_VERSION = datasette.__version__
DATASETTE_1 = int(DATASETTE_VERSION.split(".")[0]) >= 1
# Keys of a database (or the instance) that 1.0 reads only from config.
CONFIG_ONLY_KEYS = ("allow_sql", "permissions")

only_datasette_1 = pytest.mark.skipif(not DATASETTE_1, reason=f"needs Datasette 1.0 (installed: {DATASETTE_VERSION})")
only_datasette_065 = pytest.mark.skipif(DATASETTE_1, reason=f"needs Datasette 0.65 (installed: {DATASETTE_VERSION})")

# Tests (in files another engineer keeps) that cannot pass on Datasette 1.0 as written; tests/test_datasette1.py
# checks the same behaviour the 1.0 way. Node id (or module path) -> reason; conftest.py skips them on 1.0.
DATASETTE1_SKIPS = {
    "tests/agents/mcp/test_mcp.py::test_origin_is_checked": (
        "Datasette 1.0 itself refuses a browser POST whose Origin is not the server's own (here an MCP inspector "
        "on another localhost port) before any plugin runs; on 0.65 skip_csrf left that to the plugin. 1.0's "
        "answers: tests/test_datasette1.py::test_mcp_cross_origin_is_refused_by_datasette"
    ),
}


def metadata_to_config(metadata: dict | None, config: dict | None) -> tuple[dict | None, dict | None]:
    """(metadata, config) with allow_sql / permissions blocks moved from metadata into config."""
    if not metadata:
        return metadata, config
    metadata = copy.deepcopy(metadata)
    config = copy.deepcopy(config) if config else {}
    for key in CONFIG_ONLY_KEYS:
        if key in metadata:
            config[key] = metadata.pop(key)
    for name, database in (metadata.get("databases") or {}).items():
        for key in CONFIG_ONLY_KEYS:
            if key in database:
                config.setdefault("databases", {}).setdefault(name, {})[key] = database.pop(key)
        for table_name, table in (database.get("tables") or {}).items():
            if "permissions" in table:
                tables = config.setdefault("databases", {}).setdefault(name, {}).setdefault("tables", {})
                tables.setdefault(table_name, {})["permissions"] = table.pop("permissions")
    return metadata, config or None


def translate_metadata_on_datasette1() -> None:
    """On 1.0, make every Datasette(metadata=...) also carry its allow_sql / permissions blocks as config."""
    from datasette.app import Datasette

    if not DATASETTE_1 or getattr(Datasette.__init__, "_translates_metadata", False):
        return
    original = Datasette.__init__

    @functools.wraps(original)
    def __init__(self, *args, metadata=None, config=None, **kwargs):
        metadata, config = metadata_to_config(metadata, config)
        original(self, *args, metadata=metadata, config=config, **kwargs)

    __init__._translates_metadata = True
    Datasette.__init__ = __init__
