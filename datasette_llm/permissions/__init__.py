"""The one place that asks Datasette whether an actor may do something.

actions.py names the plugin's actions; checks.py puts every permission question to Datasette (`_check`, and the
batch of `viewable_tables`); tables.py decides which tables an actor sees, at one schema version; queries.py which
canned queries; rules.py is what the plugin's hooks tell Datasette; refusals.py the 403s and 404s. Callers use
this package's names, never its modules'.

Datasette 0.65 cascades: a table is visible when the first of view-table, view-database, view-instance that
has an opinion allows it (or none objects). Running SQL needs execute-sql on top of seeing the database.

Datasette 1.0a20 and later replace `permission_allowed(actor, action, resource=, default=)` with
`allowed(action=, resource=, actor=)`, where the resource is a `datasette.resources` object (`DatabaseResource`,
`TableResource`) or None for instance-wide actions. `allowed` always answers True or False: the cascade
(table rules, then database `allow`, then root `allow`, then the built-in defaults) is resolved inside
Datasette, so the first check in `_allowed` decides, exactly as Datasette's own table and database pages
decide. Only `_check` knows which API is in use; callers keep passing None, a database name or a
(database, table) tuple.

Asking questions is its own permission, `llm-ask`, so that an admin can let actors ask about the tables they
may see without giving them `execute-sql` (which opens Datasette's SQL page, where every table can be read).
With no rule for `llm-ask`, asking follows `execute-sql` as it always did. On 0.65 the rule comes from the
plugin's `allow_ask` setting (an allow block, per database or for the instance) through our
`permission_allowed` hook. Datasette 1.0a20+ has no such hook: there the action is registered
(`register_actions`), `permissions: llm-ask:` blocks in datasette.yaml grant it, and `allow_ask` becomes rules
of our `permission_resources_sql` hook, so `allowed()` (with API-token restrictions) answers for both. An
`allow_ask` that does not match the actor refuses asking on either version, even to actors with execute-sql; so
does any other rule that denies llm-ask (on 1.0 Datasette's explanation of its verdict tells such a denial from
no rule at all: checks._llm_ask_ruled).

Teaching is `llm-teach` (per database): adding and removing trusted examples and reading the feedback on
answers. It has the same shape as llm-ask (the `allow_teach` setting on both versions, `permissions:
llm-teach:` blocks and API-token restrictions on 1.0) but no fallback: with no rule, nobody may teach (on 1.0
the root actor gets it, as root gets every action).

A database the actor may not view and a database that does not exist get the same 404, which lists only the
databases the actor may view.
"""

from .actions import ALLOW_SETTING, LLM_ASK, LLM_TEACH, STORE_QUERY, registered_actions
from .checks import (
    _check,
    allow_verdict,
    can_ask,
    can_execute_sql,
    can_store_query,
    can_teach,
    can_view_database,
    can_view_instance,
    can_view_query,
    can_view_table,
    get_database,
    viewable_tables,
    visible_databases,
    visible_fts_table,
)
from .queries import MAX_CANNED_QUERIES, visible_canned_queries, visible_query_names
from .refusals import (
    PermissionsChanged,
    database_not_found,
    require_ask,
    require_execute_sql,
    require_still_allowed,
    require_teach,
    require_view_database,
    require_view_instance,
    require_view_table,
    table_not_found,
)
from .rules import permission_allowed, permission_resources_sql, storage_denied
from .tables import (
    PLUGIN_TABLE_NAMES,
    VisibleTables,
    hidden_tables,
    listed_tables,
    read_visible,
    visible_snapshot,
    visible_tables,
)

__all__ = [
    "ALLOW_SETTING",
    "LLM_ASK",
    "LLM_TEACH",
    "MAX_CANNED_QUERIES",
    "PLUGIN_TABLE_NAMES",
    "STORE_QUERY",
    "VisibleTables",
    "_check",
    "allow_verdict",
    "can_ask",
    "can_execute_sql",
    "can_store_query",
    "can_teach",
    "can_view_database",
    "can_view_instance",
    "can_view_query",
    "can_view_table",
    "database_not_found",
    "get_database",
    "hidden_tables",
    "listed_tables",
    "permission_allowed",
    "permission_resources_sql",
    "read_visible",
    "registered_actions",
    "PermissionsChanged",
    "require_ask",
    "require_still_allowed",
    "require_execute_sql",
    "require_teach",
    "require_view_database",
    "require_view_instance",
    "require_view_table",
    "storage_denied",
    "table_not_found",
    "viewable_tables",
    "visible_canned_queries",
    "visible_databases",
    "visible_fts_table",
    "visible_query_names",
    "visible_snapshot",
    "visible_tables",
]
