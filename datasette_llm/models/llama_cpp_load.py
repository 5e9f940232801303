"""Opening a GGUF file with llama-cpp-python, and closing every context it opened before the interpreter exits."""

from __future__ import annotations

import atexit
import contextlib
import time
import weakref
from pathlib import Path

from ..errors import ModelNotReady

_LOADED: weakref.WeakSet = weakref.WeakSet()  # models whose contexts are closed at exit


@atexit.register
def _close_all():
    # Free llama.cpp contexts while the interpreter is intact (its finaliser fails at shutdown otherwise).
    for model in list(_LOADED):
        model.close()


def close_at_exit(model) -> None:
    """`model.close()` runs at interpreter exit, unless the model is gone by then."""
    _LOADED.add(model)


@contextlib.contextmanager
def _model_params(**overrides):
    """`Llama()` has no keyword for some model parameters (use_extra_bufts): set them on its defaults."""
    import llama_cpp

    module = llama_cpp.llama_cpp
    original = module.llama_model_default_params

    def patched():
        params = original()
        for name, value in overrides.items():
            setattr(params, name, value)
        return params

    module.llama_model_default_params = patched
    try:
        yield
    finally:
        module.llama_model_default_params = original


def open_llama(
    path: Path, *, n_ctx: int, n_threads: int, n_batch: int, n_ubatch: int, use_extra_bufts: bool
) -> tuple[object, float]:
    """(a llama_cpp.Llama context on the GGUF file at `path`, seconds it took), or ModelNotReady saying what to do."""
    if not Path(path).is_file():
        raise ModelNotReady(
            f"The model file {path} does not exist. Check the chat_model setting, or run "
            "`bash setup-scripts/models.sh` for the default model."
        )
    try:
        from llama_cpp import Llama
    except ImportError as error:  # pragma: no cover - install problem
        raise ModelNotReady(
            f"llama-cpp-python is not installed ({error}); run `bash setup-scripts/install.sh`."
        ) from None
    started = time.perf_counter()
    try:
        with _model_params(use_extra_bufts=use_extra_bufts):
            llama = Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_threads_batch=n_threads,
                n_batch=n_batch,
                n_ubatch=n_ubatch,
                seed=0,
                verbose=False,
            )
    except (ValueError, RuntimeError, OSError) as error:
        raise ModelNotReady(f"llama.cpp could not load {path}: {error}") from None
    return llama, time.perf_counter() - started
