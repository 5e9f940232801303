"""Paths and local servers for the tests: the repository root, test-artifacts/, the demo database, free ports,
waiting for a server to answer, serving an ASGI app or a fixed body in a thread, stopping a subprocess. No tests
live here.

Imported as `server_helpers` (tests/ is on sys.path: pytest puts tests/conftest.py's folder there).
"""

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
# The 1.0 leg runs beside the 0.65 leg (setup-scripts/test.sh) and writes its artifacts to a folder of its own.
ARTIFACTS = Path(os.environ.get("DATASETTE_LLM_ARTIFACTS") or ROOT / "test-artifacts")
DEMO_DB = ROOT / "demo-db" / "build" / "simonw_releases.db"  # built by setup-scripts/build_demo_db.py


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 90.0, headers=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2, headers=headers or {}).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up within {timeout}s")


@contextlib.contextmanager
def serve_in_thread(app):
    """An ASGI app served by uvicorn on 127.0.0.1 in a thread of this process (so test doubles patched here
    apply to it); yields its base URL and stops it afterwards."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the test server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextlib.contextmanager
def serve_body(body: bytes, content_type: str):
    """A plain HTTP server on 127.0.0.1, in a thread, that answers every GET with `body`; yields its base URL and
    stops it afterwards (a model server's /models, another site's page)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def stop(process: subprocess.Popen):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def serve_openai(default_gguf, *, n_ctx: int):
    """Run llama_cpp.server with the default model and a window of `n_ctx` tokens; yield how to reach it."""
    port = free_port()
    key = "test-key-123"
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / f"llama_cpp_server_{n_ctx}.log", "w")
    process = subprocess.Popen(
        llama_server_command(
            default_gguf, port, n_ctx=n_ctx, alias="local-qwen", api_key=key, n_threads=os.cpu_count() or 2
        ),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/v1/models", process, headers={"Authorization": f"Bearer {key}"})
        yield {
            "base_url": f"http://127.0.0.1:{port}/v1",
            "api_key": key,
            "model": "local-qwen",
            "process": process,
            "port": port,
        }
    finally:
        stop(process)
        log.close()


def llama_server_command(
    gguf, port: int, *, n_ctx: int, alias: str, api_key: str | None = None, n_threads: int | None = None
) -> list[str]:
    """The command line of llama_cpp.server with `gguf` on 127.0.0.1:`port`."""
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--n_ctx", str(n_ctx), "--model_alias", alias]
    command += ["--api_key", api_key] if api_key else []
    command += ["--n_threads", str(n_threads)] if n_threads else []
    return command
