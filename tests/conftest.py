from pathlib import Path

import pytest
from datasette_versions import DATASETTE1_SKIPS, DATASETTE_1, translate_metadata_on_datasette1
from hypothesis import settings as hypothesis_settings
from server_helpers import serve_openai

from datasette_llm.config import load_settings
from datasette_llm.models import chat_model_for, embedding_model_for
from datasette_llm.models.llama_cpp import LlamaCppChatModel
from datasette_llm.models.provision import CHAT_GGUF

# Generated tests assert behaviour, not speed (speed is measured in benchmarks/): Hypothesis's 200 ms deadline per
# case failed a correct test on a machine busy with a benchmark.
hypothesis_settings.register_profile("datasette-llm", deadline=None)
hypothesis_settings.load_profile("datasette-llm")

# The marker `no_datasette` and the check that keeps it true (the Datasette 1.0 leg leaves such tests out).
pytest_plugins = ["datasette_use"]


@pytest.fixture(autouse=True)
def _own_state_dir(tmp_path_factory, monkeypatch):
    """Trusted examples live in a fresh state directory per test, never in the user's own."""
    monkeypatch.setenv("DATASETTE_LLM_STATE_DIR", str(tmp_path_factory.mktemp("state")))


@pytest.fixture(autouse=True)
def _real_chat_model_only_where_marked(request, monkeypatch):
    """A test not marked `model` that runs the real chat model fails: it tests what the model happened to write
    instead of what it meant to, and costs seconds a question. A scripted model patched where the route does not
    look it up (web/ask.py, not ask/pipeline.py) left the real one answering, unseen, in CI (session 58)."""
    if request.node.get_closest_marker("model"):
        yield
        return
    used = []
    for name in ("_generate", "prepare_prefix"):
        original = getattr(LlamaCppChatModel, name)

        def guarded(self, *args, _original=original, _name=name, **kwargs):
            used.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(LlamaCppChatModel, name, guarded)
    yield
    assert not used, f"the real chat model ran ({', '.join(sorted(set(used)))}) in a test not marked `model`"


def pytest_configure(config):
    # Datasette 1.0 reads allow_sql / permissions only from config: see tests/datasette_versions.py.
    translate_metadata_on_datasette1()


# The fixtures that hand a test the real chat model: a test using one is a `model` test, marked or not.
REAL_CHAT_FIXTURES = {"chat_model", "default_gguf", "openai_server"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if REAL_CHAT_FIXTURES & set(getattr(item, "fixturenames", ())) and not item.get_closest_marker("model"):
            item.add_marker(pytest.mark.model)
    if not DATASETTE_1:
        return
    for item in items:
        for prefix, reason in DATASETTE1_SKIPS.items():
            if item.nodeid == prefix or item.nodeid.startswith(prefix + "::") or item.nodeid.startswith(prefix + "["):
                item.add_marker(pytest.mark.skip(reason=f"Datasette 1.0: {reason}"))


def pytest_report_header(config):
    import datasette

    return f"datasette {datasette.__version__}"


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


@pytest.fixture(scope="session")
def openai_server(default_gguf):
    """A real OpenAI-compatible server (llama_cpp.server) on 127.0.0.1 with an API key, a window of 2,048 tokens."""
    yield from serve_openai(default_gguf, n_ctx=2048)
