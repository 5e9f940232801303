"""A misbehaving OpenAI-compatible HTTP server for fault tests: hangs, invalid JSON, 429, 500, and the hostile
replies of an outside attacker's server (session 14): drips, endless and compressed bodies, redirects, huge
errors, replies of the wrong type, vectors that are not numbers."""

import asyncio
import gzip
import json
import threading
import time


def _events(*deltas, finish=None) -> str:
    """Server-sent chat chunks, the last with `finish` as its finish_reason, and no [DONE]."""
    chunks = [
        {"choices": [{"index": 0, "delta": delta, "finish_reason": finish if n == len(deltas) - 1 else None}]}
        for n, delta in enumerate(deltas)
    ]
    return "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks)


class FaultServer:
    """Serves /v1/chat/completions with a behaviour chosen per test: "ok", "hang", "invalid_json", "429", "500"."""

    def __init__(self, behaviour="ok"):
        self.behaviour = behaviour
        self.requests = 0
        self.closed_at = None  # when the client closed a "hold" request (time.monotonic())
        self.paths = []  # of every request, in order
        self.verbatim = b""  # the response of "verbatim"
        self.bomb = gzip.compress(b"0" * 100_000_000, compresslevel=9) if behaviour == "gzip" else b""
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self.server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()
        # Finish every handler here, on this loop: a handler left pending (a "hang") was finalized later by the
        # garbage collector, on a closed loop, and the error it printed, inside an ast.parse of the main thread,
        # broke CPython 3.11's AST state ("AST constructor recursion depth mismatch" at the end of the run).
        pending = asyncio.all_tasks(self.loop)
        for task in pending:
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.server.close()
        self.loop.close()

    def __enter__(self):
        self.thread.start()
        self.ready.wait(5)
        return self

    def __exit__(self, *exc):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}/v1"

    async def _hostile(self, behaviour, path, writer) -> bool:
        """Write a hostile response; False when `behaviour` is not one of them."""
        # Every response ends its connection (the handler closes it), so it says so: without "Connection: close"
        # the client kept the connection for the next request and, when the close had not reached it yet, sent it
        # there ("Server disconnected without sending a response", a flaky CI run in session 19).
        ok_head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
        if behaviour == "drip":  # a byte every 0.2 s, for ever: the timeout must still end it
            writer.write(f"{ok_head}Content-Length: 100000000\r\n\r\n".encode())
            while True:
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(0.2)
        if behaviour == "drip_headers":  # a status line, then a header a second, for ever
            writer.write(b"HTTP/1.1 200 OK\r\n")
            for number in range(10**6):
                writer.write(f"X-Drip-{number}: 1\r\n".encode())
                await writer.drain()
                await asyncio.sleep(0.2)
        if behaviour == "byte_then_silence":  # one byte of the body, then nothing
            writer.write(f"{ok_head}Content-Length: 100\r\n\r\n{{".encode())
            await writer.drain()
            await asyncio.sleep(3600)
        if behaviour == "endless":  # a body that never ends
            writer.write(f"{ok_head}Transfer-Encoding: chunked\r\n\r\n".encode())
            chunk = b"x" * 65536
            while True:
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
        if behaviour == "verbatim":  # the response in self.verbatim, as it is
            writer.write(self.verbatim)
            return True
        if behaviour == "redirect":
            writer.write(b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /redirected\r\nContent-Length: 0\r\n\r\n")
            return True
        if behaviour == "gzip":  # 100 MB of zeros in 100 KB (made when the server starts)
            body = self.bomb
            writer.write(f"{ok_head}Content-Encoding: gzip\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
            return True
        if behaviour == "huge_error":
            body = json.dumps({"error": {"message": "boom " * 1_000_000}}).encode()
            writer.write(f"HTTP/1.1 400 Bad Request\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
            return True
        bodies = {
            "nested": b"[" * 40_000 + b"]" * 40_000,
            "content_number": json.dumps({"choices": [{"message": {"content": 42}}], "usage": {"prompt_tokens": "x"}}),
            "surrogate": '{"choices": [{"message": {"content": "```sql\\nselect 1 -- \\ud800\\n```"}}]}',
            "nan_vectors": '{"data": [{"index": 0, "embedding": [NaN, 1.0]}]}',
            "short_vectors": json.dumps({"data": []}),
            "scaled_vectors": json.dumps({"data": [{"index": 0, "embedding": [6e29, 8e29]}]}),
            "tiny_vectors": json.dumps({"data": [{"index": 0, "embedding": [6e-26, 8e-26]}]}),
            # A stream whose body ends cleanly before the reply does: no [DONE], no finish_reason.
            "stream_cut": _events({"content": "pine"}, {"content": "app"}),
            # One that ends with a finish_reason and no [DONE]: complete (some servers send no [DONE]).
            "stream_finished": _events({"content": "pine"}, {"content": "apple"}, finish="stop"),
        }
        if behaviour not in bodies:
            return False
        body = bodies[behaviour]
        body = body.encode() if isinstance(body, str) else body
        writer.write(f"{ok_head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        return True

    async def _handle(self, reader, writer):
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            self.paths.append(path)
            length = 0
            for line in head.decode().split("\r\n"):
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":")[1])
            if length:
                await reader.readexactly(length)
            self.requests += 1
            behaviour = self.behaviour
            if await self._hostile(behaviour, path, writer):
                await writer.drain()
                return
            if behaviour == "hang":
                await asyncio.sleep(3600)
                return
            if behaviour == "late":  # answers after a second, longer than a read waits between its looks
                await asyncio.sleep(1.0)
                behaviour = "ok"
            if behaviour == "hold":  # no answer; notes when the client closes the connection
                await reader.read()
                self.closed_at = time.monotonic()
                return
            if behaviour == "invalid_json":
                body, status = b"this is not json {", "200 OK"
            elif behaviour == "429":
                body, status = json.dumps({"error": {"message": "slow down"}}).encode(), "429 Too Many Requests"
            elif behaviour == "500":
                body, status = json.dumps({"error": {"message": "boom"}}).encode(), "500 Internal Server Error"
            elif path.endswith("/embeddings"):
                body, status = json.dumps({"data": [{"index": 0, "embedding": [0.6, 0.8]}]}).encode(), "200 OK"
            else:
                body = json.dumps(
                    {
                        "id": "x",
                        "object": "chat.completion",
                        "created": 0,
                        "model": "m",
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": "stop",
                                "message": {"role": "assistant", "content": "```sql\nselect 1\n```"},
                            }
                        ],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    }
                ).encode()
                status = "200 OK"
            extra = "Retry-After: 0\r\n" if behaviour == "429" else ""
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
