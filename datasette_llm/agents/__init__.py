"""The door for other assistants: a ChatGPT plugin manifest, an OpenAPI spec, a size-capped read-only query
API and an MCP server, all following Datasette's permissions for the request's actor.

    schema_api.py     databases, tables, columns, keys and row counts an actor may see
    schema_caps.py    those descriptions within the character cap, saying what gave way (schema.json, MCP)
    query_api.py      run_capped_query(): guarded SQL whose rows are capped by count AND by characters
    manifest.py       /.well-known/ai-plugin.json
    openapi_schemas.py  the JSON bodies the API takes and returns, as OpenAPI component schemas
    openapi.py        the OpenAPI 3.1 description of the HTTP API
    mcp/              the MCP server: its tools, the JSON-RPC dispatcher and the Streamable HTTP transport
    rebinding.py      which pages may call these APIs: Origin and Host against DNS rebinding

The web views in `web/agents.py` are thin wrappers over these functions.
"""
