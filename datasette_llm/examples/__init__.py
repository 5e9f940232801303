"""Trusted examples: (question, SQL) pairs for a database, checked by the SQL guard and kept in the plugin's
state directory, outside the database file; feedback on answers lives beside them."""

from .check import (
    AddOutcome,
    add_example,
    add_examples,
    as_judged_by,
    check_example,
    database_schema,
    recheck,
    recheck_and_read,
    schema_hash,
)
from .state import STATE_DIR_ENV, make_state_dir, state_dir
from .store import (
    MAX_SQL_CHARS,
    STORE_FILE,
    Example,
    ExampleStore,
    ExampleStoreError,
    Feedback,
)

__all__ = [
    "MAX_SQL_CHARS",
    "STATE_DIR_ENV",
    "STORE_FILE",
    "AddOutcome",
    "Example",
    "ExampleStore",
    "ExampleStoreError",
    "Feedback",
    "add_example",
    "add_examples",
    "as_judged_by",
    "check_example",
    "database_schema",
    "make_state_dir",
    "recheck",
    "recheck_and_read",
    "schema_hash",
    "state_dir",
]
