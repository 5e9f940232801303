"""The plugin's body limits (web/body_limits.py: 64 KB for a route that reads no body, 415 for multipart) are for
the plugin's own routes: a route of another plugin, or of Datasette, receives the bodies it is sent.

web/body_limits.py: "An ASGI wrapper that bounds the body of every request to the plugin's routes"; SECURITY.md,
Web: "Every body sent to the plugin's routes ... is capped". The wrapper sits over the whole Datasette app, so a
lookup that fell back to a default cap would break every other plugin that takes uploads (datasette-upload-csvs
takes multipart CSV files of megabytes) with a 413 or 415 that names this plugin's limits. A real plugin route,
registered through Datasette's plugin manager, is the oracle: it answers the length it read. Found by mutation
testing (an outside tester, session 53): with every path treated as a plugin route the suite passed.
"""

import types

import pytest
from datasette import hookimpl
from datasette.plugins import pm
from datasette.utils.asgi import Response
from route_helpers import items_datasette

PATH = "/-/other-plugin-upload"


async def upload(request):
    body = await request.post_body()
    return Response.json({"bytes": len(body)})


@pytest.fixture
def other_plugin():
    module = types.ModuleType("other_plugin_with_uploads")

    @hookimpl
    def register_routes():
        return [(r"^/-/other-plugin-upload$", upload)]

    @hookimpl
    def skip_csrf(scope):  # as an upload plugin that checks its own requests would (Datasette 0.65's hook)
        return scope.get("path") == PATH or None

    module.register_routes = register_routes
    module.skip_csrf = skip_csrf
    pm.register(module, name="other_plugin_with_uploads")
    try:
        yield
    finally:
        pm.unregister(name="other_plugin_with_uploads")


@pytest.mark.asyncio
async def test_another_plugins_route_gets_bodies_over_the_plugins_caps(tmp_path, other_plugin):
    ds = items_datasette(tmp_path)
    big = b"x" * (1024 * 1024)  # over every cap of this plugin but MCP's, and over 64 KB
    for content_type in ("application/octet-stream", "multipart/form-data; boundary=x", "text/csv"):
        response = await ds.client.post(PATH, content=big, headers={"content-type": content_type})
        assert response.status_code == 200, (content_type, response.status_code, response.text[:200])
        assert response.json() == {"bytes": len(big)}, content_type
    # The plugin's own route with the same body is refused (the oracle that the caps are on).
    own = await ds.client.post("/-/llm/schema.json", content=big, headers={"content-type": "text/csv"})
    assert own.status_code == 413, own.status_code
