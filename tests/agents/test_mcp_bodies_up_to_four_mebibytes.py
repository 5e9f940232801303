"""An MCP body of up to 4 MB is read and answered; one byte more is a 413 (RFC 9110 15.5.14, Content Too Large),
over real HTTP, whether the client says its length or sends it chunked.

The oracle is the documented limit (SECURITY.md, docs/http-api.md: "4 MB for MCP"), in the binary units the same
sentences use for the others (256 KB per question is 256 x 1024 bytes): 4 x 1024 x 1024 = 4,194,304 bytes. The
bodies are valid JSON-RPC (a ping, alone or in a 2025-03-26 batch) padded with JSON whitespace, which JSON allows
between any two tokens (RFC 8259 2), so only their size differs.
"""

from __future__ import annotations

import json

import httpx
import pytest

LIMIT = 4 * 1024 * 1024


def body_of(size: int, batch: bool) -> bytes:
    message = {"jsonrpc": "2.0", "id": 7, "method": "ping"}
    text = json.dumps([message] if batch else message).encode()
    assert size >= len(text)
    return text[:-1] + b" " * (size - len(text)) + text[-1:]


@pytest.mark.parametrize("batch", [False, True])
@pytest.mark.parametrize("chunked", [False, True])
def test_four_mebibytes_are_answered_and_one_byte_more_is_413(base, batch, chunked):
    version = "2025-03-26" if batch else "2025-06-18"
    headers = {"Content-Type": "application/json", "Accept": "application/json", "MCP-Protocol-Version": version}
    seen = {}
    with httpx.Client(timeout=120) as client:
        for size in (LIMIT - 1, LIMIT, LIMIT + 1, LIMIT + 4096):
            body = body_of(size, batch)
            assert len(body) == size
            content = (body[i : i + 65536] for i in range(0, size, 65536)) if chunked else body
            response = client.post(base + "/-/mcp", content=content, headers=headers)
            seen[size] = response.status_code
            if size <= LIMIT:
                expected = (
                    [{"jsonrpc": "2.0", "id": 7, "result": {}}] if batch else {"jsonrpc": "2.0", "id": 7, "result": {}}
                )
                assert response.status_code == 200 and response.json() == expected, (size, response.text[:200])
            else:
                assert response.status_code == 413, (size, response.status_code, response.text[:200])
    assert seen == {LIMIT - 1: 200, LIMIT: 200, LIMIT + 1: 413, LIMIT + 4096: 413}
