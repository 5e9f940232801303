"""datasette-llm: ask questions of your SQLite data in plain English and search it by meaning.

Datasette hooks only: each is a few lines that call into the modules that do the work.
"""

from datasette import hookimpl

from . import cli as commands
from .web import routes as web_routes


@hookimpl
def register_routes():
    return web_routes.all_routes()


@hookimpl
def startup(datasette):
    from .ask import warm_up
    from .compat import DATASETTE_1
    from .config import check_settings_at_startup

    check_settings_at_startup(datasette)

    if DATASETTE_1:
        from .embeddings.hidden import hide_in_config

        hide_in_config(datasette)
    if warm_up.serving():
        from .embeddings import warm_up as embedder_warm_up
        from .sql.guard_worker import start_in_background

        start_in_background()
        embedder_warm_up.start(datasette)
    warm_up.start_if_serving(datasette)


@hookimpl
def register_commands(cli):
    cli.add_command(commands.llm)


@hookimpl
def database_actions(datasette, actor, database):
    return web_routes.database_actions(datasette, actor, database)


@hookimpl
def table_actions(datasette, actor, database, table):
    return web_routes.table_actions(datasette, actor, database, table)


@hookimpl
def menu_links(datasette, actor):
    return web_routes.menu_links(datasette, actor)


@hookimpl
def prepare_connection(conn):
    from .embeddings import register_sql_functions

    register_sql_functions(conn)


@hookimpl
def skip_csrf(datasette, scope):
    # Datasette 0.65 only: 1.0 checks cross-site requests by their headers and has no CSRF token or hook.
    from .web import agents

    return agents.skip_csrf(datasette, scope)


@hookimpl
def get_metadata(datasette, key, database, table):
    # Datasette 0.65 only; 1.0 has no such hook (see embeddings/hidden.py and hide_storage_tables below).
    from .embeddings import hidden_tables_metadata

    return hidden_tables_metadata(datasette, key, database, table)


@hookimpl
def asgi_wrapper(datasette):
    from .web import routes

    return routes.asgi_layers(datasette)


@hookimpl(specname="asgi_wrapper")
def hide_storage_tables(datasette):
    # Datasette 1.0: hidden tables come from the configuration, kept current before each request.
    from .compat import DATASETTE_1
    from .embeddings.hidden import config_wrapper

    return config_wrapper(datasette) if DATASETTE_1 else (lambda app: app)


@hookimpl
def permission_allowed(datasette, actor, action, resource):
    # Datasette 0.65 only; 1.0a20+ calls permission_resources_sql instead.
    from . import permissions

    return permissions.permission_allowed(datasette, actor, action, resource)


@hookimpl
def permission_resources_sql(datasette, actor, action):
    # Datasette 1.0a20+ only: the allow_ask and allow_teach settings as rules for llm-ask and llm-teach.
    from . import permissions

    return permissions.permission_resources_sql(datasette, actor, action)


@hookimpl
def register_actions(datasette):
    # Datasette 1.0a20+ only; 0.65 has no such hook and never calls this.
    from . import permissions

    return permissions.registered_actions()
