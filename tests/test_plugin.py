"""The package is a registered Datasette plugin, and its CLI works."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from datasette.app import Datasette
from datasette.cli import cli
from server_helpers import serve_body

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


def test_llm_models_reports_a_reachable_server_without_its_password(tmp_path):
    with serve_body(json.dumps({"data": [{"id": "m"}]}).encode(), "application/json") as base:
        metadata = tmp_path / "metadata.json"
        plugin = {"chat_model": "openai:m", "openai_base_url": base.replace("://", "://ops:S3CRETPASS@") + "/v1"}
        metadata.write_text(json.dumps({"plugins": {"datasette-llm": plugin}}))
        result = CliRunner().invoke(cli, ["llm", "models", "-m", str(metadata)])
    assert f"reachable: {base}/v1" in result.output, result.output
    assert "S3CRETPASS" not in result.output


def test_bad_setting_gives_one_line_error(tmp_path):
    metadata = tmp_path / "metadata.json"
    metadata.write_text(json.dumps({"plugins": {"datasette-llm": {"no_such_setting": 1}}}))
    result = CliRunner().invoke(cli, ["llm", "models", "-m", str(metadata)])
    assert result.exit_code == 1
    assert "Unknown datasette-llm setting 'no_such_setting'" in result.output
    assert "Traceback" not in result.output
