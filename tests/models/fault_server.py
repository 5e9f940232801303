"""A misbehaving OpenAI-compatible HTTP server for fault tests: hangs, invalid JSON, 429, 500."""

import asyncio
import json
import threading


class FaultServer:
    """Serves /v1/chat/completions with a behaviour chosen per test: "ok", "hang", "invalid_json", "429", "500"."""

    def __init__(self, behaviour="ok"):
        self.behaviour = behaviour
        self.requests = 0
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self.server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()

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

    async def _handle(self, reader, writer):
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.decode().split("\r\n"):
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":")[1])
            if length:
                await reader.readexactly(length)
            self.requests += 1
            behaviour = self.behaviour
            if behaviour == "hang":
                await asyncio.sleep(3600)
                return
            if behaviour == "invalid_json":
                body, status = b"this is not json {", "200 OK"
            elif behaviour == "429":
                body, status = json.dumps({"error": {"message": "slow down"}}).encode(), "429 Too Many Requests"
            elif behaviour == "500":
                body, status = json.dumps({"error": {"message": "boom"}}).encode(), "500 Internal Server Error"
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
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
