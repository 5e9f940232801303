"""How fast the local model gives way, and what a warm-up costs: the real default model, no server.

    PYTHONPATH=TREE .venv/bin/python benchmarks/give_way.py [--columns 150] [--tries 4]

1. A warm-up reads a schema prefix of about `--columns` * 6 tokens into a fresh state directory: wall and CPU
   seconds (CPU of this process: llama.cpp's threads included).
2. `--tries` times: a warm-up of the same prefix starts, a question "arrives" at a random moment (its stop test turns
   true), and the time until the warm-up has given the model back is measured.
3. `--tries` times: a question reading the prefix is given up at a random moment while another request waits; the
   time until the model is free for it is measured.
Run it on two trees one after the other, in turns, to compare on this shared machine.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--columns", type=int, default=150)
    parser.add_argument("--tries", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import datasette_llm
    from datasette_llm.config import load_settings
    from datasette_llm.models import ChatOptions
    from datasette_llm.models.llama_cpp import LlamaCppChatModel
    from datasette_llm.models.provision import CHAT_GGUF

    rng = random.Random(args.seed)
    gguf = load_settings({}, {}).models_dir / CHAT_GGUF.relative_path
    text = "CREATE TABLE t (" + ", ".join(f"field_{i} TEXT" for i in range(args.columns)) + ");\n\nQuestion: "
    messages = [{"role": "system", "content": "Reply with SQL."}, {"role": "user", "content": text + "warm-up"}]
    options = ChatOptions(max_tokens=1, cache_slot="sql", prefix=text)
    print(f"tree: {Path(datasette_llm.__file__).parent.parent}")

    with tempfile.TemporaryDirectory() as states:
        model = LlamaCppChatModel("give-way", gguf, n_ctx=4096, state_dir=Path(states))
        model.open_slots(["sql"])
        tokens = model.count_tokens(text)
        wall, used = time.perf_counter(), cpu()
        assert model.prepare_prefix(messages, options)
        wall, used = time.perf_counter() - wall, cpu() - used
        print(f"warm-up of {tokens} tokens: {wall:.1f} s wall, {used:.1f} s CPU ({tokens / used:.1f} tokens/CPU-s)")
        rate = tokens / wall
        model.close()

        waits = [
            give_way(gguf, Path(states), messages, options, rng.uniform(0.5, 0.8 * tokens / rate))
            for _ in range(args.tries)
        ]
        print(
            "warm-up gives way to a question after (s): "
            f"{[round(w, 2) for w in waits]}, p50 {statistics.median(waits):.2f}"
        )
        frees = [given_up(gguf, messages, rng.uniform(0.5, 0.8 * tokens / rate)) for _ in range(args.tries)]
        print(
            "a question given up while another waits: the other done after (s): "
            f"{[round(f, 2) for f in frees]}, p50 {statistics.median(frees):.2f}"
        )


def give_way(gguf, states: Path, messages, options, after: float) -> float:
    """Seconds from a question's arrival (`after` s into a fresh warm-up) until the warm-up gave the model back."""
    from datasette_llm.models.llama_cpp import LlamaCppChatModel

    for path in states.glob("*"):
        path.unlink()
    model = LlamaCppChatModel("give-way", gguf, n_ctx=4096, state_dir=states)
    model.open_slots(["sql"])
    arrives = time.monotonic() + after
    model.prepare_prefix(messages, options, lambda: time.monotonic() > arrives)
    model.close()
    return max(0.0, time.monotonic() - arrives)


def given_up(gguf, messages, after: float) -> float:
    """Seconds from a question given up `after` s into reading its prompt (another request waiting) until that
    other request has its one-token reply."""
    import asyncio

    from datasette_llm.models import ChatOptions
    from datasette_llm.models.llama_cpp import LlamaCppChatModel

    model = LlamaCppChatModel("give-way", gguf, n_ctx=4096, timeout=600)
    model.open_slots(["default"])
    hello = [{"role": "user", "content": "Reply with the word: pineapple"}]

    async def run() -> float:
        model.timeout = after
        first = asyncio.ensure_future(model.chat(messages, ChatOptions(max_tokens=4)))
        await asyncio.sleep(0.05)  # it has the model, and the timeout it was asked with
        model.timeout = 600
        second = asyncio.ensure_future(model.chat(hello, ChatOptions(max_tokens=1)))
        try:
            await first
        except Exception:  # the timeout, as intended
            pass
        gave_up = time.monotonic()
        await second
        return time.monotonic() - gave_up

    seconds = asyncio.run(run())
    model.close()
    return seconds


if __name__ == "__main__":
    main()
