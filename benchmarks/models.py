"""Benchmark the default models: load time, prompt and generation tokens/s, embedding texts/s, peak RSS.

    .venv/bin/python benchmarks/models.py [--runs 3]

Each model is measured in a fresh subprocess so that load time and peak RSS are its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_chat(runs: int) -> dict:
    from datasette_llm.config import load_settings
    from datasette_llm.models import chat_model_for

    model = chat_model_for(load_settings())
    started = time.perf_counter()
    llama = model._model()
    load = time.perf_counter() - started
    prompt = "Here is a table of numbers:\n" + "\n".join(f"row {i}: {i * 37 % 101} apples" for i in range(60))
    prompt_tokens = len(llama.tokenize(prompt.encode()))
    prompt_speeds, gen_speeds = [], []
    for run in range(runs):
        llama.reset()  # no prefix cache: measure real prompt processing
        messages = [{"role": "user", "content": f"{prompt}\nRun {run}. Write a 100-word story about apples."}]
        first_token_at = None
        started = time.perf_counter()
        count = 0
        for chunk in llama.create_chat_completion(messages=messages, max_tokens=96, temperature=0, stream=True):
            if chunk["choices"][0].get("delta", {}).get("content"):
                if first_token_at is None:
                    first_token_at = time.perf_counter()
                count += 1
        ended = time.perf_counter()
        prompt_speeds.append(prompt_tokens / (first_token_at - started))
        gen_speeds.append((count - 1) / (ended - first_token_at))
    # The prefix cache: the same long prompt again, a different question at the end.
    messages = [{"role": "user", "content": f"{prompt}\nRun 0. Write a 100-word story about apples."}]
    llama.create_chat_completion(messages=messages, max_tokens=1, temperature=0)
    started = time.perf_counter()
    messages[0]["content"] = f"{prompt}\nRun 0. How many rows are there?"
    llama.create_chat_completion(messages=messages, max_tokens=1, temperature=0)
    cached_first_token = time.perf_counter() - started
    return {
        "model": model.name,
        "file_mb": round(Path(model.path).stat().st_size / 1e6),
        "n_threads": model.n_threads,
        "n_ctx": model.n_ctx,
        "load_s": round(load, 2),
        "prompt_tokens": prompt_tokens,
        "prompt_tok_per_s": round(statistics.median(prompt_speeds), 1),
        "generation_tok_per_s": round(statistics.median(gen_speeds), 1),
        "first_token_with_cached_prefix_s": round(cached_first_token, 3),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def bench_embedding(runs: int) -> dict:
    import numpy as np

    from datasette_llm.config import load_settings
    from datasette_llm.models import embedding_model_for

    model = embedding_model_for(load_settings())
    started = time.perf_counter()
    model._load()
    load = time.perf_counter() - started
    rng = np.random.default_rng(0)
    words = "data sqlite query table row column plugin search meaning vector model local answer".split()
    short = [" ".join(rng.choice(words, 12)) for _ in range(1000)]
    long = [" ".join(rng.choice(words, 250)) for _ in range(200)]
    results = {}
    for label, texts in (("short_12_words", short), ("long_250_words", long)):
        speeds = []
        for _ in range(runs):
            started = time.perf_counter()
            model.embed(texts, batch_size=32)
            speeds.append(len(texts) / (time.perf_counter() - started))
        results[f"texts_per_s_{label}"] = round(statistics.median(speeds), 1)
    started = time.perf_counter()
    for text in short[:50]:
        model.embed([text])
    results["single_text_ms"] = round((time.perf_counter() - started) / 50 * 1000, 2)
    return {"model": model.name, "load_s": round(load, 3), **results, "peak_rss_mb": round(peak_rss_mb())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=["chat", "embedding"])
    args = parser.parse_args()
    if args.only:
        result = bench_chat(args.runs) if args.only == "chat" else bench_embedding(args.runs)
        print(json.dumps(result))
        return 0
    flags_file = ROOT / ".venv" / ".llama-cpp-cmake-args"
    print("llama-cpp-python build flags:", flags_file.read_text().strip() if flags_file.exists() else "unknown")
    import llama_cpp

    print("llama-cpp-python", llama_cpp.__version__, "| CPU threads:", os.cpu_count())
    for kind in ("chat", "embedding"):
        output = subprocess.run(
            [sys.executable, __file__, "--only", kind, "--runs", str(args.runs)],
            capture_output=True,
            text=True,
            check=True,
        )
        data = json.loads(output.stdout.strip().splitlines()[-1])
        print(f"\n[{kind}]")
        for key, value in data.items():
            print(f"  {key:<36} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
