"""The package is a registered Datasette plugin, and its CLI works."""

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from datasette.app import Datasette
from datasette.cli import cli

BIN = Path(sys.executable).parent


@pytest.mark.asyncio
async def test_plugins_json_lists_plugin():
    datasette = Datasette(memory=True)
    response = await datasette.client.get("/-/plugins.json")
    assert response.status_code == 200
    assert "datasette-llm" in {p["name"] for p in response.json()}


def test_datasette_plugins_command():
    output = subprocess.run([str(BIN / "datasette"), "plugins"], capture_output=True, text=True, check=True)
    assert "datasette-llm" in {p["name"] for p in json.loads(output.stdout)}


def test_llm_models_command():
    result = CliRunner().invoke(cli, ["llm", "models"])
    assert result.exit_code == 0, result.output
    assert "qwen2.5-coder-1.5b-instruct-q4_k_m" in result.output and "[llama_cpp]" in result.output
    assert "all-MiniLM-L6-v2" in result.output and "[onnx]" in result.output
    assert "context 8192 tokens" in result.output
    assert "NOT READY" not in result.output


def test_llm_models_json_and_not_ready(tmp_path):
    result = CliRunner().invoke(cli, ["llm", "models", "--json"], env={"DATASETTE_LLM_MODELS_DIR": str(tmp_path)})
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert [m["ready"] for m in data] == [False, False]
    assert "setup-scripts/models.sh" in data[0]["detail"]


def test_llm_models_reports_unreachable_server_without_its_password(tmp_path):
    """The operator's terminal is told where the server is, never the password in its URL (session 34's note)."""
    metadata = tmp_path / "metadata.json"
    metadata.write_text(
        json.dumps(
            {
                "plugins": {
                    "datasette-llm": {
                        "chat_model": "openai:m",
                        "openai_base_url": "http://ops:S3CRETPASS@127.0.0.1:9/v1",
                        "openai_api_key": "k",
                    }
                }
            }
        )
    )
    result = CliRunner().invoke(cli, ["llm", "models", "-m", str(metadata)])
    assert result.exit_code == 1
    assert "NOT READY" in result.output and "Could not reach" in result.output
    assert "127.0.0.1:9/v1" in result.output and "S3CRETPASS" not in result.output


class _Models(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        body = json.dumps({"data": [{"id": "m"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_llm_models_reports_a_reachable_server_without_its_password(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Models)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        metadata = tmp_path / "metadata.json"
        plugin = {"chat_model": "openai:m", "openai_base_url": f"http://ops:S3CRETPASS@127.0.0.1:{port}/v1"}
        metadata.write_text(json.dumps({"plugins": {"datasette-llm": plugin}}))
        result = CliRunner().invoke(cli, ["llm", "models", "-m", str(metadata)])
    finally:
        server.shutdown()
    assert f"reachable: http://127.0.0.1:{port}/v1" in result.output, result.output
    assert "S3CRETPASS" not in result.output


def test_bad_setting_gives_one_line_error(tmp_path):
    metadata = tmp_path / "metadata.json"
    metadata.write_text(json.dumps({"plugins": {"datasette-llm": {"no_such_setting": 1}}}))
    result = CliRunner().invoke(cli, ["llm", "models", "-m", str(metadata)])
    assert result.exit_code == 1
    assert "Unknown datasette-llm setting 'no_such_setting'" in result.output
    assert "Traceback" not in result.output
