import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from datasette_llm.config import load_settings
from datasette_llm.models import chat_model_for, embedding_model_for
from datasette_llm.models.provision import CHAT_GGUF

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def settings():
    return load_settings()


@pytest.fixture(scope="session")
def chat_model(settings):
    """The real default local chat model (loaded once per test session)."""
    return chat_model_for(settings)


@pytest.fixture(scope="session")
def embedding_model(settings):
    return embedding_model_for(settings)


@pytest.fixture(scope="session")
def default_gguf(settings) -> Path:
    path = settings.models_dir / CHAT_GGUF.relative_path
    assert path.is_file(), f"{path} missing: run bash setup-scripts/models.sh"
    return path


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


def stop(process: subprocess.Popen):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def openai_server(default_gguf):
    """A real OpenAI-compatible server (llama_cpp.server) on 127.0.0.1 with an API key."""
    port = free_port()
    key = "test-key-123"
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "llama_cpp_server.log", "w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(default_gguf),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--model_alias",
            "local-qwen",
            "--api_key",
            key,
            "--n_threads",
            str(os.cpu_count() or 2),
        ],
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
