"""What the plugin tells Datasette: its allow settings and the storage tables' denials, as the 0.65 hook's
verdicts (`permission_allowed`) and as 1.0 rules (`permission_resources_sql`)."""

from __future__ import annotations

from .actions import ALLOW_SETTING
from .checks import allow_verdict, can_execute_sql


def storage_denied(datasette, database: str):
    """The plugin's storage tables in `database` (embeddings and collections) hold the keys, the collection
    names and (with `--store`) the text of every embedded table, hidden ones too. So Datasette's own table pages
    show them only to actors who may run SQL there, who could read them anyway; to everyone else they are denied,
    as if missing (found by an outside attacker: `/db/embeddings.json?collection_id=2` listed a denied table's
    text). Returns the names to check, or () where the database has none."""
    from ..embeddings.hidden import storage_tables

    return storage_tables(datasette, database, when_unreadable="assume")


async def _storage_table_verdict(datasette, actor, database: str, table: str) -> bool | None:
    if table not in storage_denied(datasette, database) or await can_execute_sql(datasette, actor, database):
        return None
    return False


def permission_allowed(datasette, actor, action: str, resource):
    """Datasette 0.65 hook body: the allow settings' verdict on llm-ask and llm-teach, and view-table on the
    storage tables for actors who may not run SQL (None: no opinion)."""
    if action == "view-table" and isinstance(resource, (tuple, list)) and len(resource) == 2:
        return _storage_table_verdict(datasette, actor, *resource)
    if action not in ALLOW_SETTING or not isinstance(resource, str):
        return None
    return allow_verdict(datasette, action, actor, resource)


def _databases(datasette) -> list[str]:
    return [name for name in datasette.databases if name != "_internal"]


def _rules_sql(key: str, rules: list[tuple[str, str | None, bool, str]]):
    """Datasette 1.0a20+: (parent, child, allow, reason) rules as one PermissionSQL (None: no rules); every value
    travels as a parameter named after `key`."""
    if not rules:
        return None
    from datasette.permissions import PermissionSQL

    selects, params = [], {}
    for number, (parent, child, allow, reason) in enumerate(rules):
        name = f"{key}_{number}"
        selects.append(
            f"SELECT :{name}_parent AS parent, :{name}_child AS child, {int(allow)} AS allow, :{name}_reason AS reason"
        )
        params.update({f"{name}_parent": parent, f"{name}_child": child, f"{name}_reason": reason})
    return PermissionSQL(sql="\nUNION ALL\n".join(selects), params=params)


async def _storage_denials(datasette, actor):
    """Datasette 1.0a20+: view-table rules that deny the storage tables (storage_denied) to actors who may not
    run SQL in their database."""
    reason = "datasette-llm: its embeddings storage is shown only to actors who may run SQL"
    rules = []
    for database in _databases(datasette):
        names = storage_denied(datasette, database)
        if names and not await can_execute_sql(datasette, actor, database):
            rules += [(database, name, False, reason) for name in names]
    return _rules_sql("llm_storage", rules)


def permission_resources_sql(datasette, actor, action: str):
    """Datasette 1.0a20+ hook body: `allow_ask` / `allow_teach` as rules for their action, one per database
    that has a verdict, and the storage tables' view-table denials (_storage_denials).

    Per database rather than one instance-wide row, so a database's own setting replaces the instance's
    exactly as on 0.65; Datasette then applies `permissions:` blocks and API-token restrictions on top.
    """
    if action == "view-table":
        return _storage_denials(datasette, actor)
    if action not in ALLOW_SETTING:
        return None
    setting = ALLOW_SETTING[action]
    rules = []
    for database in _databases(datasette):
        verdict = allow_verdict(datasette, action, actor, database)
        if verdict is not None:
            rules.append(
                (database, None, verdict, f"datasette-llm {setting} {'allows' if verdict else 'denies'} this actor")
            )
    return _rules_sql(setting, rules)
