"""The permissions package against a real Datasette 1.0 alpha (allowed() + resource objects, permissions in config=).

Skipped on Datasette 0.x; the Datasette 1.0 leg of setup-scripts/test.sh (setup-scripts/test-datasette1.sh,
a separate venv with the newest alpha) runs it. Besides checking our verdicts directly, every scenario is
cross-checked against what Datasette's own pages answer for the same actor, so the plugin can never be more
permissive than Datasette.
"""

import datasette
import pytest
import sqlite_utils

if int(datasette.__version__.split(".")[0]) < 1:
    pytest.skip(f"needs Datasette >= 1.0a (installed: {datasette.__version__})", allow_module_level=True)

from datasette.app import Datasette  # noqa: E402

from datasette_llm import permissions  # noqa: E402
from datasette_llm.errors import Forbidden, NotFound  # noqa: E402

ADMIN = {"id": "admin"}
BOB = {"id": "bob"}
ACTORS = {"anonymous": None, "admin": ADMIN, "bob": BOB}
SCENARIOS = {
    "open": {},
    "secret_table_hidden": {"databases": {"db": {"tables": {"secret": {"allow": {"id": "admin"}}}}}},
    "database_hidden": {"databases": {"db": {"allow": {"id": "admin"}}}},
    "no_execute_sql": {"databases": {"db": {"allow_sql": {"id": "admin"}}}},
}


@pytest.fixture(autouse=True, scope="module")
def datasette_core_only():
    """Judge against Datasette core alone. With PYTHONPATH=<repo> the repo's datasette_llm.egg-info (if one
    exists) registers this plugin through its entry point, and its page hooks need the full runtime deps."""
    from datasette.plugins import pm

    plugin = pm.get_plugin("llm")
    if plugin is not None:
        pm.unregister(plugin)
    yield
    if plugin is not None:
        pm.register(plugin, name="llm")


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("ds1") / "db.db"
    db = sqlite_utils.Database(path)
    db["items"].insert_all([{"id": i, "title": f"item {i}"} for i in range(3)], pk="id")
    db["secret"].insert({"id": 1, "launch_code": "hunter2"}, pk="id")
    db.create_view("item_titles", "select title from items")
    db.close()
    return path


async def make(db_path, config, **kwargs):
    ds = Datasette([str(db_path)], config=config, **kwargs)
    await ds.invoke_startup()
    await ds.refresh_schemas()
    return ds


@pytest.mark.asyncio
async def test_uses_the_new_api(db_path):
    ds = await make(db_path, {})
    assert not hasattr(ds, "permission_allowed")
    assert await permissions._check(ds, None, "view-instance", None) is True
    assert await permissions._check(ds, None, "view-database", "db") is True
    assert await permissions._check(ds, None, "view-table", ("db", "secret")) is True


@pytest.mark.asyncio
async def test_table_restricted_to_admin(db_path):
    ds = await make(db_path, SCENARIOS["secret_table_hidden"])
    assert await permissions.visible_tables(ds, None, "db") == ["items", "item_titles"]
    assert await permissions.visible_tables(ds, BOB, "db") == ["items", "item_titles"]
    assert await permissions.visible_tables(ds, ADMIN, "db") == ["items", "secret", "item_titles"]
    assert await permissions.visible_tables(ds, ADMIN, "db", include_views=False) == ["items", "secret"]
    assert not await permissions.can_view_table(ds, None, "db", "secret")
    assert await permissions.can_view_table(ds, ADMIN, "db", "secret")
    # The database itself stays visible and queryable; only the table is hidden.
    assert await permissions.can_view_database(ds, None, "db")
    assert await permissions.can_execute_sql(ds, None, "db")
    with pytest.raises(NotFound) as raised:
        await permissions.require_view_table(ds, None, "db", "secret")
    assert raised.value.details["tables"] == ["items", "item_titles"]
    await permissions.require_view_table(ds, ADMIN, "db", "secret")


@pytest.mark.asyncio
async def test_allow_sql_denies_anonymous(db_path):
    ds = await make(db_path, SCENARIOS["no_execute_sql"])
    assert await permissions.can_execute_sql(ds, None, "db") is False
    assert await permissions.can_execute_sql(ds, BOB, "db") is False
    assert await permissions.can_execute_sql(ds, ADMIN, "db") is True
    assert await permissions.can_view_database(ds, None, "db")  # seeing the database is still fine
    with pytest.raises(Forbidden):
        await permissions.require_execute_sql(ds, None, "db")
    assert (await permissions.require_execute_sql(ds, ADMIN, "db")).name == "db"


@pytest.mark.asyncio
async def test_database_restricted_to_admin(db_path):
    ds = await make(db_path, SCENARIOS["database_hidden"])
    assert await permissions.can_view_database(ds, None, "db") is False
    assert await permissions.can_view_database(ds, BOB, "db") is False
    assert await permissions.can_view_database(ds, ADMIN, "db") is True
    assert await permissions.visible_databases(ds, None) == []
    assert await permissions.visible_databases(ds, ADMIN) == ["db"]
    # Hiding the database hides its tables and SQL access too.
    assert await permissions.visible_tables(ds, None, "db") == []
    assert await permissions.can_execute_sql(ds, None, "db") is False
    assert await permissions.can_execute_sql(ds, ADMIN, "db") is True
    with pytest.raises(NotFound) as hidden:  # a hidden database looks exactly like a missing one
        await permissions.require_view_database(ds, None, "db")
    with pytest.raises(NotFound) as missing:
        await permissions.require_view_database(ds, None, "nope")
    assert hidden.value.details == missing.value.details == {"databases": []}
    with pytest.raises(NotFound):
        await permissions.require_view_database(ds, ADMIN, "nope")


@pytest.mark.asyncio
async def test_default_allow_sql_off(db_path):
    ds = await make(
        db_path, {"databases": {"db": {"allow_sql": {"id": "admin"}}}}, settings={"default_allow_sql": False}
    )
    assert await permissions.can_execute_sql(ds, None, "db") is False
    assert await permissions.can_execute_sql(ds, ADMIN, "db") is True


@pytest.mark.asyncio
async def test_default_deny(db_path):
    ds = await make(db_path, {}, default_deny=True)
    assert await permissions.can_view_instance(ds, None) is False
    assert await permissions.visible_databases(ds, None) == []
    assert await permissions.can_execute_sql(ds, None, "db") is False


@pytest.mark.asyncio
@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("actor", list(ACTORS))
async def test_agrees_with_datasette_pages(db_path, scenario, actor):
    """Our verdicts equal what Datasette 1.0 itself serves: database page, table page, SQL query page."""
    ds = await make(db_path, SCENARIOS[scenario])
    who = ACTORS[actor]
    cookies = {"ds_actor": ds.client.actor_cookie(who)} if who else {}

    async def ok(path):
        status = (await ds.client.get(path, cookies=cookies)).status_code
        assert status in (200, 403), (path, status)
        return status == 200

    assert await permissions.can_view_database(ds, who, "db") == await ok("/db.json")
    for table in ("items", "secret", "item_titles"):
        assert await permissions.can_view_table(ds, who, "db", table) == await ok(f"/db/{table}.json")
    assert await permissions.can_execute_sql(ds, who, "db") == await ok("/db/-/query.json?sql=select+1")
