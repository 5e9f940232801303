"""Model states after a shared prompt prefix (a database's schema), kept on disk so no prefix is read twice.

llama.cpp writes the KV cache of one sequence, with its tokens, to a file (`llama_state_seq_save_file`) and
reads it back into any context of the same model and build (`llama_state_seq_load_file`): for this model that
is about 28 KB a token, so a 1,500-token schema is ~43 MB, loaded in tens of milliseconds instead of read again
in tens of seconds on 2 cores. A file is named by a hash of everything the state depends on (model file,
build, context size, the exact prefix tokens) and holds the tokens too, so a state is never applied to a
prompt it was not computed for. The least recently used files go first when the directory outgrows its bound.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

DEFAULT_MAX_BYTES = 2 << 30  # about 45 schemas of 1,500 tokens
STALE_TEMPORARY_SECONDS = 3600  # a file being written is younger than this; an older one was left by a killed writer
logger = logging.getLogger("datasette_llm")


def default_state_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "datasette-llm" / "prompt-states"


def model_identity(path: Path, n_ctx: int, extra: str = "") -> str:
    """What a saved state depends on besides its tokens: the model file, the llama.cpp build, the context."""
    import llama_cpp

    stat = Path(path).stat()
    system = llama_cpp.llama_print_system_info().decode("utf-8", "replace")
    return f"{Path(path).resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{llama_cpp.__version__}|{system}|{n_ctx}|{extra}"


class PrefixStates:
    """A directory of saved prefix states, bounded in total size (least recently used out first)."""

    SUFFIX = ".llstate"

    def __init__(self, directory: Path, max_bytes: int = DEFAULT_MAX_BYTES):
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    def key(self, identity: str, tokens: Sequence[int]) -> str:
        digest = hashlib.sha256(identity.encode("utf-8"))
        digest.update(np.asarray(tokens, dtype=np.int32).tobytes())
        return digest.hexdigest()[:32]

    def path(self, key: str) -> Path:
        return self.directory / f"{key}{self.SUFFIX}"

    def has(self, key: str) -> bool:
        return self.path(key).is_file()

    def load(self, llama, key: str, tokens: Sequence[int]) -> bool:
        """Put the saved state for `tokens` into sequence 0 of `llama`; False (state untouched) if there is none."""
        import llama_cpp

        path = self.path(key)
        if not path.is_file():
            return False
        capacity = len(tokens)
        buffer = (llama_cpp.llama_token * capacity)()
        count = ctypes.c_size_t(0)
        read = llama_cpp.llama_state_seq_load_file(
            llama._ctx.ctx, str(path).encode(), 0, buffer, capacity, ctypes.byref(count)
        )
        if not read or count.value != capacity or list(buffer) != list(tokens):
            # A file from another build or a hash collision: forget what was half loaded, and the file.
            llama._ctx.kv_cache_seq_rm(-1, 0, -1)
            llama.n_tokens = 0
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass
            return False
        llama.input_ids[:capacity] = tokens
        llama.n_tokens = capacity
        llama._requires_eval = True  # the logits are not restored: the next decode must produce them
        try:
            os.utime(path)  # most recently used
        except OSError:
            pass
        return True

    def save(self, llama, key: str, tokens: Sequence[int]) -> bool:
        """Write sequence 0 of `llama`, which must hold exactly `tokens`, then keep the directory in bounds. A
        directory that cannot be written only costs the saving: False (a cache directory that was a file made
        every question a 500 after reading the whole prefix; an outside tester, session 19)."""
        import llama_cpp

        path = self.path(key)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            self._make_directory()
            array = (llama_cpp.llama_token * len(tokens))(*tokens)
            written = llama_cpp.llama_state_seq_save_file(
                llama._ctx.ctx, str(temporary).encode(), 0, array, len(tokens)
            )
            if not written:
                temporary.unlink(missing_ok=True)
                return False
            os.chmod(temporary, 0o600)  # the prefix tokens are the schema and example rows, in clear
            os.replace(temporary, path)  # readers see a whole file or none
        except OSError as error:
            logger.warning("datasette-llm: a prompt state could not be saved in %s: %s", self.directory, error)
            try:
                temporary.unlink(missing_ok=True)
            except OSError:
                pass
            return False
        self.prune()
        return True

    def _make_directory(self) -> None:
        """The directory, only its owner's: the states hold the schema and example rows of every database asked,
        hidden tables included for actors who may see them (it was 0755, its files 0644)."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.directory.stat().st_mode & 0o077:
            os.chmod(self.directory, 0o700)

    def prune(self) -> None:
        """Least recently used states out until the directory is within its bound; files a writer left half
        written (killed while saving) out once they are STALE_TEMPORARY_SECONDS old."""
        with self._lock:
            now = time.time()
            files = []
            try:
                for entry in os.scandir(self.directory):
                    try:
                        stat = entry.stat()
                        if entry.name.endswith(".tmp") and now - stat.st_mtime > STALE_TEMPORARY_SECONDS:
                            os.unlink(entry.path)
                        elif entry.name.endswith(self.SUFFIX) and entry.is_file():
                            files.append((stat.st_mtime, stat.st_size, Path(entry.path)))
                    except OSError:
                        continue
            except OSError:
                return
            total = sum(size for _, size, _ in files)
            for _, size, path in sorted(files):
                if total <= self.max_bytes:
                    break
                try:
                    path.unlink(missing_ok=True)
                except OSError:
                    continue
                total -= size
