"""No message of an MCP batch starts after the batch has run 10 seconds; those left are answered -32004, to be sent
again (docs/http-api.md, SECURITY.md), over real HTTP.

The transport's clock is replaced by one that moves only when a message is handled: each message "takes" d
seconds, so message i (from 0) would start at i x d. Oracle, from the documented rule: message i runs iff
i x d <= 10 (it starts at 10 s at the latest: one starting at exactly 10 s has not started "after 10
seconds"), otherwise its answer is error -32004 with its own id. A generated family of durations d puts
starting times just under, exactly on and just over 10 s.
"""

from __future__ import annotations

import random

import httpx
from agents_helpers import build_db, datasette_for, mcp_http_post
from server_helpers import serve_in_thread

from datasette_llm.agents.mcp import transport

NOT_RUN = -32004


class Clock:
    now = 1000.0

    def monotonic(self):
        return self.now


def durations(seed: int):
    rng = random.Random(seed)
    out = [0.7, 1.3, 0.55, 2.1, 1.0, 2.5, 0.625]  # the last three start one message at exactly 10 s (exact in binary)
    while len(out) < 15:
        d = round(rng.uniform(0.5, 3.0), 3)
        if all(abs(i * d - 10) > 1e-6 for i in range(20)):
            out.append(d)
    return out


def test_each_message_runs_iff_it_starts_by_ten_seconds(tmp_path, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(transport, "time", clock)
    handled = transport.handle_message
    step = {"d": 0.0}

    async def timed(*args, **kwargs):
        response = await handled(*args, **kwargs)
        clock.now += step["d"]
        return response

    monkeypatch.setattr(transport, "handle_message", timed)
    ds = datasette_for(build_db(tmp_path / "db.db", big=False))
    windows = set()
    with serve_in_thread(ds.app()) as base, httpx.Client(timeout=60) as client:
        for d in durations(49):
            step["d"] = d
            batch = [{"jsonrpc": "2.0", "id": 100 + i, "method": "ping"} for i in range(20)]
            response = mcp_http_post(client, base, batch, "2025-03-26")
            assert response.status_code == 200, response.text[:200]
            by_id = {item["id"]: item for item in response.json()}
            assert sorted(by_id) == [100 + i for i in range(20)]
            for i in range(20):
                start = i * d
                item = by_id[100 + i]
                if start <= 10:
                    assert item.get("result") == {}, (d, i, start, item)
                else:
                    assert item.get("error", {}).get("code") == NOT_RUN, (d, i, start, item)
                if start == 10:
                    windows.add("exactly")
                if 9 < start <= 10:
                    windows.add("just under")
                if 10 < start <= 11:
                    windows.add("just over")
    assert windows == {"just under", "exactly", "just over"}
