"""The plugin's settings, read once into a typed object.

Sources, highest first: the `plugins: datasette-llm:` block of datasette.yaml / metadata (secrets through
Datasette's `{"$env": ...}`), then environment variables, then defaults that work with nothing set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import click
from datasette.utils import StartupError

from .errors import ConfigError

PLUGIN_NAME = "datasette-llm"


def default_models_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "datasette-llm" / "models"


@dataclass(frozen=True)
class Settings:
    # Models. "default" is the embedded local model; see models/registry.py for the other forms.
    chat_model: str = "default"
    embedding_model: str = "default"
    models_dir: Path = field(default_factory=default_models_dir)
    openai_base_url: str | None = None
    openai_api_key: str | None = None
    # The context window an OpenAI-compatible server gives its model (unset: a hosted model's own, else 8192, lowered
    # when the server says it is smaller).
    context_window: int | None = None
    # Local model runtime.
    n_ctx: int = 8192
    n_threads: int | None = None
    # Greedy replies of local models check up to this many tokens guessed from the prompt in one pass
    # (models/lookup_decoding.py); 0 decodes one token at a time.
    draft_tokens: int = 16
    # Limits.
    queue_limit: int = 4
    # Replies the chat model already wrote, kept for the same prompt and asker (models/reply_cache.py): a question
    # asked again over unchanged data takes no model time. 0 keeps none.
    reply_cache_entries: int = 256
    model_timeout: float = 180.0
    max_question_chars: int = 2000
    max_rows: int = 1000
    answer_max_tokens: int = 384
    sql_max_tokens: int = 384
    sql_time_limit_ms: int | None = None
    repair_attempts: int = 3
    # Self-consistency: write this many queries (the first greedy, the rest sampled) and keep the result
    # most of them agree on. 1 turns it off; see benchmarks/spider.py --candidates for what it buys.
    sql_candidates: int = 1
    # Read a database's schema into the local model's prompt cache when its Ask page opens, so the first
    # question does not wait for it.
    warm_up: bool = True
    # At `datasette serve` start-up, save the local model's state after each database's schema prompt in the
    # background (at low priority, giving way to questions), so no visitor waits for it: the databases to warm,
    # None for every database Ask is enabled for, [] for none. `warm_up: false` turns this off too.
    warm_up_databases: tuple[str, ...] | None = None
    max_cell_chars: int = 200
    # Trusted examples and canned queries shown to the model with a question (ask/few_shot.py): at most this
    # many (0: none), their questions and SQL within this many tokens (each is read for every question: ~10 ms
    # a token here; the turns around each example add about 30 more).
    few_shot_examples: int = 3
    few_shot_budget_tokens: int = 240
    # Examples kept for every question (canned queries, then trusted examples oldest first) within this many
    # tokens: they are part of the schema's saved prompt prefix, read once per schema and actor, not per question.
    # The budget above then serves the examples that did not fit.
    few_shot_kept_tokens: int = 1500
    # How many of the kept examples most like the question are shown again right before it, when very like it
    # (few_shot.REPEAT_SCORE), within few_shot_budget_tokens.
    few_shot_repeat: int = 1
    # Tokens of retrieved passages for answers from text. The local model reads a prompt token in 20-40 ms on 2
    # cores, so this is a latency budget as much as a context budget. With passages freed of markup
    # (ask/text/passages.py), 1000 kept the demo questions' 9/10 of 1200 without it, p50 15.2 s vs 17.9 s. Session
    # 45: 600 (a row named alone still read within 300, NAMED_ALONE_SHARE) kept the demo's 10/10, the fictional
    # reports' 46/48 and 12/12, and SciFact's citation recall, and a question answered from 4 rows reads about
    # 330 tokens less: SciFact's answer prompts p50 1,254 -> 927 tokens (docs/measurements.md).
    text_budget_tokens: int = 600
    text_passages: int = 4
    # Which databases get Ask and search: None means every database.
    databases: tuple[str, ...] | None = None
    example_questions: dict = field(default_factory=dict)
    # Embeddings storage.
    table_prefix: str = ""
    # The plugin's own state (trusted examples, feedback), kept outside the databases; None: the environment
    # variable, else $XDG_DATA_HOME/datasette-llm (examples/state.py).
    state_dir: Path | None = None
    # Agents (manifest, OpenAPI, MCP).
    query_max_rows: int = 100
    query_max_chars: int = 20000
    manifest: dict = field(default_factory=dict)
    # Take the public host and scheme of the manifest and OpenAPI URLs from X-Forwarded-Host/-Proto. Only
    # behind a proxy that sets them: otherwise any client can make the spec point at another server.
    trust_forwarded_headers: bool = False
    # Who may ask questions without execute-sql: a Datasette allow block ({"id": "alice"}, true, false),
    # here for every database or under `databases: <name>: plugins: datasette-llm:` for one. None: asking
    # follows execute-sql. See permissions/ and SECURITY.md.
    allow_ask: dict | bool | None = None
    # Who may add and remove trusted examples and read feedback (the `llm-teach` permission): an allow block,
    # for every database here or for one under its `plugins:`. None: nobody, unless a Datasette 1.0
    # `permissions: llm-teach:` block (or the root actor) grants it. See permissions/ and docs/examples.md.
    allow_teach: dict | bool | None = None

    def enabled_for(self, database: str) -> bool:
        return self.databases is None or database in self.databases


MIN_CONTEXT_WINDOW = 1024  # the SQL prompt of one small table and its reply of 384 tokens: about 640
_TYPES = {f.name: f.type for f in fields(Settings)}
_INT = {f.name for f in fields(Settings) if f.type in ("int", "int | None")}
_FLOAT = {f.name for f in fields(Settings) if f.type == "float"}
# Every number is at least 1 (a float more than 0) but these, where 0 means none: a limit of 0 or less once
# started and then quietly broke a surface (query_max_rows 0: no rows; max_question_chars -1: every question a 400;
# model_timeout -5: every question a 504; an outside tester, session 39).
_AT_LEAST_ZERO = {
    "draft_tokens",
    "reply_cache_entries",
    "few_shot_examples",
    "few_shot_budget_tokens",
    "few_shot_kept_tokens",
    "few_shot_repeat",
}
_AT_LEAST_ONE = _INT - _AT_LEAST_ZERO
MAX_DRAFT_TOKENS = 64
MAX_INT = 2**31 - 1
# Counts of model calls or of work per question, where a number far past any use held a model place for ever
# (`sql_candidates: 2147483647` asked for that many queries; a second tester, session 39), and seconds.
MAXIMUM = {
    "sql_candidates": 16,
    "repair_attempts": 10,
    "text_passages": 100,
    "model_timeout": 86_400,
    "draft_tokens": MAX_DRAFT_TOKENS,
}
_BOOL = {f.name for f in fields(Settings) if f.type == "bool"}

# Settings that are Datasette allow blocks, each for one of the plugin's permissions (permissions/actions.py).
ALLOW_SETTINGS = ("allow_ask", "allow_teach")

_ENV = {
    "DATASETTE_LLM_MODELS_DIR": "models_dir",
    "DATASETTE_LLM_CHAT_MODEL": "chat_model",
    "DATASETTE_LLM_EMBEDDING_MODEL": "embedding_model",
    "DATASETTE_LLM_OPENAI_BASE_URL": "openai_base_url",
    "OPENAI_BASE_URL": "openai_base_url",
    "OPENAI_API_KEY": "openai_api_key",
    "DATASETTE_LLM_N_CTX": "n_ctx",
    "DATASETTE_LLM_CONTEXT_WINDOW": "context_window",
    "DATASETTE_LLM_N_THREADS": "n_threads",
    "DATASETTE_LLM_DRAFT_TOKENS": "draft_tokens",
    "DATASETTE_LLM_STATE_DIR": "state_dir",
}


def _coerce(name: str, value):
    if value is None:
        if "None" not in _TYPES[name]:  # only settings that may be unset may be null
            raise ConfigError(f"Setting {name!r} may not be null; leave it out for its default")
        return None
    if isinstance(value, bool) and (name in _INT or name in _FLOAT):
        raise ConfigError(f"Setting {name!r} must be a number, got {value!r}")
    if isinstance(value, float) and name in _INT and not value.is_integer():
        raise ConfigError(f"Setting {name!r} must be a whole number, got {value!r}")
    try:
        most = MAXIMUM.get(name, MAX_INT)  # SQLite's LIMIT takes no more than 2^63 - 1
        if (name in _INT or name in _FLOAT) and float(value) > most:
            raise ConfigError(f"Setting {name!r} must be at most {most:,}, got {value!r}")
        if name in _AT_LEAST_ONE and int(value) < 1:
            raise ConfigError(f"Setting {name!r} must be at least 1, got {value!r}")
        if name in _AT_LEAST_ZERO and int(value) < 0:
            raise ConfigError(f"Setting {name!r} must be 0 or more, got {value!r}")
        if name in _INT:
            if name == "context_window" and int(value) < MIN_CONTEXT_WINDOW:
                raise ConfigError(f"Setting {name!r} must be at least {MIN_CONTEXT_WINDOW} tokens, got {value!r}")
            return int(value)
        if name in _FLOAT:
            if not 0 < float(value) < float("inf"):  # NaN neither
                raise ConfigError(f"Setting {name!r} must be more than 0, got {value!r}")
            return float(value)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"Setting {name!r} must be a number, got {value!r}") from None
    if name in _BOOL and not isinstance(value, bool):
        raise ConfigError(f"Setting {name!r} must be true or false, got {value!r}")
    if name in ALLOW_SETTINGS:
        return check_allow_block(name, value)
    # The shape of every other setting, checked here: a number, a list or an object where text belongs started, then
    # failed every request that read it with a 500 (`table_prefix: 5`, `manifest: abc`, `example_questions: [1]`),
    # or stopped start-up with a traceback (`databases: 5`, `chat_model: 5`; an outside tester, session 39).
    if name in _TEXT and not isinstance(value, str):
        raise ConfigError(f"Setting {name!r} must be text, got {value!r}")
    if name in ("state_dir", "models_dir") and not str(value).strip():  # empty would mean the working directory
        raise ConfigError(f"Setting {name!r} must be a directory path, got {value!r}")
    if name in ("models_dir", "state_dir"):
        return Path(os.path.expanduser(str(value)))
    if name in ("chat_model", "embedding_model"):
        return _model_spec(name, value)
    if name in ("databases", "warm_up_databases"):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ConfigError(f"Setting {name!r} must be a database name or a list of them, got {value!r}")
        return tuple(value)
    if name == "manifest" and not (
        isinstance(value, dict) and isinstance(value.get("auth", {}), dict) and all(isinstance(k, str) for k in value)
    ):
        raise ConfigError(f"Setting {name!r} must be an object of manifest fields (auth an object), got {value!r}")
    if name == "example_questions" and not (
        isinstance(value, dict)
        and all(
            isinstance(questions, str) or (isinstance(questions, list) and all(isinstance(q, str) for q in questions))
            for questions in value.values()
        )
    ):
        raise ConfigError(f"Setting {name!r} must map each database to a question or a list of them, got {value!r}")
    return value


_TEXT = {
    "chat_model",
    "embedding_model",
    "models_dir",
    "state_dir",
    "openai_base_url",
    "openai_api_key",
    "table_prefix",
}
# The forms of a model setting (models/__init__.py builds them): checked at start-up, not at the first question.
MODEL_FORMS = {
    "chat_model": '"default", "llama_cpp:/path/model.gguf", "/path/model.gguf", "openai:MODEL_ID"',
    "embedding_model": '"default", "onnx:/directory", "openai:MODEL_ID"',
}


def _model_spec(name: str, spec: str) -> str:
    prefixes = ("llama_cpp:", "openai:") if name == "chat_model" else ("onnx:", "openai:")
    known = (
        spec == "default"
        or any(spec.startswith(prefix) and spec[len(prefix) :].strip() for prefix in prefixes)
        or (name == "chat_model" and spec.endswith(".gguf"))
    )
    if not known:
        raise ConfigError(f"Setting {name!r}: unknown model {spec!r}. Use one of: {MODEL_FORMS[name]}.")
    return spec


def check_allow_block(name: str, value):
    """A Datasette allow block: true, false or an object such as {"id": ["alice", "bob"]}."""
    if value is None or isinstance(value, (bool, dict)):
        return value
    raise ConfigError(
        f'Setting {name!r} must be true, false or an allow block such as {{"id": "alice"}}, got {value!r}'
    )


def load_settings(plugin_config: dict | None = None, environ: dict | None = None) -> Settings:
    """Build Settings from a plugin config dict (already secret-resolved) and the environment."""
    environ = os.environ if environ is None else environ
    known = {f.name for f in fields(Settings)}
    values: dict = {}
    # Later environment names win over earlier ones only when the earlier one is unset.
    for env_name, setting in _ENV.items():
        if environ.get(env_name) and setting not in values:
            values[setting] = _coerce(setting, environ[env_name])
    for key, value in (plugin_config or {}).items():
        if key not in known:
            raise ConfigError(f"Unknown datasette-llm setting {key!r}. Known settings: {', '.join(sorted(known))}")
        if isinstance(value, dict) and ("$env" in value or "$file" in value):
            raise ConfigError(f"Setting {key!r}: secret reference {value} could not be resolved")
        values[key] = _coerce(key, value)
    return replace(Settings(), **values)


def settings_for(datasette) -> Settings:
    """Settings for a Datasette instance, cached on it (configuration does not change at runtime). Rows are capped
    at Datasette's own `max_returned_rows` too: its SQL page returned 3 rows where the query API returned 30."""
    cached = getattr(datasette, "_datasette_llm_settings", None)
    if cached is None:
        cached = load_settings(datasette.plugin_config(PLUGIN_NAME) or {})
        most = datasette.setting("max_returned_rows")
        if isinstance(most, int) and most >= 1:
            cached = replace(
                cached, max_rows=min(cached.max_rows, most), query_max_rows=min(cached.query_max_rows, most)
            )
        datasette._datasette_llm_settings = cached
    return cached


class SettingsRefused(click.ClickException, StartupError):
    """A bad setting at start-up: `datasette serve` prints the message and exits (0.65 catches ClickException
    there, 1.0 StartupError), instead of failing on the first request."""


def check_settings_at_startup(datasette) -> None:
    """Read the settings once at start-up, so a bad one stops the server with its message; each database's own
    block too, which may hold only the allow blocks (any other setting there was once ignored without a word);
    and a Datasette the plugin does not run on (compat.unsupported_datasette)."""
    from .compat import unsupported_datasette

    problem = unsupported_datasette()
    if problem:
        raise SettingsRefused(problem)
    try:
        settings = settings_for(datasette)
        if settings.state_dir is not None and settings.state_dir.exists() and not settings.state_dir.is_dir():
            raise ConfigError(  # as examples/state.py says it when the directory is made
                f"The datasette-llm state directory {settings.state_dir} cannot be used: a file is in the way "
                "(setting 'state_dir')"
            )
        for database in datasette.databases:
            own = datasette.plugin_config(PLUGIN_NAME, database=database, fallback=False) or {}
            if not isinstance(own, dict):  # every Ask route of the database answered 500 (a second tester)
                raise ConfigError(
                    f"databases: {database}: plugins: {PLUGIN_NAME}: must be an object such as "
                    '{"allow_ask": true}, got ' + repr(own)
                )
            for key, value in own.items():
                if key not in ALLOW_SETTINGS:
                    raise ConfigError(
                        f"Setting {key!r} under databases: {database}: plugins: {PLUGIN_NAME}: is not read per "
                        f"database; only {' and '.join(ALLOW_SETTINGS)} are. Set it under plugins: {PLUGIN_NAME}: "
                        "for every database."
                    )
                check_allow_block(key, value)
    except ConfigError as error:
        raise SettingsRefused(f"datasette-llm: {error}") from None


def allow_block(datasette, setting: str, database: str):
    """An allow-block setting (`allow_ask`, `allow_teach`) for one database: its own plugin block first, then
    the instance's setting."""
    own = datasette.plugin_config(PLUGIN_NAME, database=database, fallback=False) or {}
    if setting in own:
        return check_allow_block(setting, own[setting])
    return getattr(settings_for(datasette), setting)
