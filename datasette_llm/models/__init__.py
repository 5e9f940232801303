"""Pick a model from a settings string; instances are cached so a loaded model is reused.

Chat model forms:      "default" (embedded Qwen2.5-Coder-1.5B-Instruct), "llama_cpp:/path/model.gguf" or
                       "/path/model.gguf", "openai:MODEL_ID" (OpenAI or `openai_base_url`).
Embedding model forms: "default" (embedded all-MiniLM-L6-v2 int8), "onnx:/dir" (model.onnx + tokenizer.json),
                       "openai:MODEL_ID".
"""

from __future__ import annotations

import threading
from pathlib import Path

from ..config import MODEL_FORMS, Settings
from ..errors import ConfigError
from .base import ChatModel, ChatOptions, ChatResult, EmbeddingModel, ModelStatus
from .prompt_states import default_state_dir
from .provision import CHAT_GGUF, EMBEDDING_ONNX, EMBEDDING_TOKENIZER, require_file

__all__ = [
    "ChatModel",
    "ChatOptions",
    "ChatResult",
    "EmbeddingModel",
    "ModelStatus",
    "chat_model_for",
    "embedding_model_for",
]

DEFAULT_CHAT_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
DEFAULT_EMBEDDING_NAME = "all-MiniLM-L6-v2"

_cache: dict = {}
_lock = threading.Lock()


def _unknown(kind: str, spec: str) -> ConfigError:
    return ConfigError(f"Unknown {kind} model {spec!r}. Use one of: {MODEL_FORMS[f'{kind}_model']}.")


def _build_chat(spec: str, settings: Settings) -> ChatModel:
    common = dict(
        queue_limit=settings.queue_limit, timeout=settings.model_timeout, reply_cache=settings.reply_cache_entries
    )
    if spec == "default":
        from .llama_cpp import LlamaCppChatModel

        models_dir = settings.models_dir
        return LlamaCppChatModel(
            DEFAULT_CHAT_NAME,
            models_dir / CHAT_GGUF.relative_path,
            n_ctx=settings.n_ctx,
            n_threads=settings.n_threads,
            draft_tokens=settings.draft_tokens,
            resolve_path=lambda: require_file(models_dir, CHAT_GGUF),
            state_dir=default_state_dir(),
            **common,
        )
    if spec.startswith("llama_cpp:") or spec.endswith(".gguf"):
        from .llama_cpp import LlamaCppChatModel

        path = Path(spec.removeprefix("llama_cpp:")).expanduser()
        return LlamaCppChatModel(
            path.stem,
            path,
            n_ctx=settings.n_ctx,
            n_threads=settings.n_threads,
            draft_tokens=settings.draft_tokens,
            state_dir=default_state_dir(),
            **common,
        )
    if spec.startswith("openai:"):
        from .openai import OpenAIChatModel

        model_id = spec.removeprefix("openai:")
        if not model_id:
            raise _unknown("chat", spec)
        return OpenAIChatModel(
            spec,
            model_id,
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key,
            context_window=settings.context_window,
            **common,
        )
    raise _unknown("chat", spec)


def _build_embedding(spec: str, settings: Settings) -> EmbeddingModel:
    if spec == "default":
        from .onnx import OnnxEmbeddingModel

        models_dir = settings.models_dir

        def verify():
            require_file(models_dir, EMBEDDING_ONNX)
            require_file(models_dir, EMBEDDING_TOKENIZER)

        return OnnxEmbeddingModel(
            DEFAULT_EMBEDDING_NAME,
            (models_dir / EMBEDDING_ONNX.relative_path).parent,
            resolve=verify,
            n_threads=settings.n_threads,
        )
    if spec.startswith("onnx:"):
        from .onnx import OnnxEmbeddingModel

        directory = Path(spec.removeprefix("onnx:")).expanduser()
        return OnnxEmbeddingModel(directory.name, directory, n_threads=settings.n_threads)
    if spec.startswith("openai:"):
        from .openai_embeddings import OpenAIEmbeddingModel

        model_id = spec.removeprefix("openai:")
        if not model_id:
            raise _unknown("embedding", spec)
        return OpenAIEmbeddingModel(
            spec,
            model_id,
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key,
            timeout=settings.model_timeout,
        )
    raise _unknown("embedding", spec)


def _key(kind: str, spec: str, settings: Settings) -> tuple:
    return (
        kind,
        spec,
        str(settings.models_dir),
        settings.openai_base_url,
        settings.openai_api_key,
        settings.n_ctx,
        settings.n_threads,
        settings.draft_tokens,
        settings.queue_limit,
        settings.model_timeout,
        settings.reply_cache_entries,
    )


def _cached(kind: str, spec: str, settings: Settings, build):
    key = _key(kind, spec, settings)
    with _lock:
        if key not in _cache:
            _cache[key] = build(spec, settings)
        return _cache[key]


def chat_model_for(settings: Settings, spec: str | None = None) -> ChatModel:
    return _cached("chat", (spec or settings.chat_model or "default").strip(), settings, _build_chat)


def embedding_model_for(settings: Settings, spec: str | None = None) -> EmbeddingModel:
    return _cached("embedding", (spec or settings.embedding_model or "default").strip(), settings, _build_embedding)


def clear_cache() -> None:
    with _lock:
        _cache.clear()
