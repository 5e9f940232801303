"""The MCP server: Datasette's tables, read-only SQL, Ask and semantic search as MCP tools over Streamable HTTP.

    tools.py      the tools (list_tables, describe_table, query, ask, semantic_search)
    dispatch.py   the JSON-RPC dispatcher: handle_message(datasette, actor, message)
    transport.py  Streamable HTTP: sessions, protocol eras, batches, Origin checks (agents/rebinding.py)

The web view `mcp_view` in `web/agents.py` hands each request to handle_http().
"""

from .dispatch import handle_message
from .tools import TOOLS
from .transport import MAX_BODY_BYTES, handle_http

__all__ = ["MAX_BODY_BYTES", "TOOLS", "handle_http", "handle_message"]
