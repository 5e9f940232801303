"""The OpenAI-compatible backend's token estimate (models/token_estimate.py) against the default chat model's own
tokenizer (Qwen2.5, as a llama.cpp or vLLM server serving it counts), and the estimate before session 37
(characters / 3): how often each is below the real count, and by how much, for prompts of 30 texts of one kind.

    .venv/bin/python benchmarks/token_estimate.py [--seed 11] [--prompts 20]

Texts: generated cells (numbers, floats, dates, hex, base64, capitals, punctuation, words, CJK, emoji, other
scripts, combining marks, mixtures) and the rows of the demo and Spider databases (40 a table). "real/est" above
1 is an estimate below the real count: a prompt the server may refuse.
"""

from __future__ import annotations

import argparse
import glob
import random
import sqlite3
import statistics
import string
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def alphabets() -> dict[str, str]:
    def span(first, last):
        return "".join(chr(c) for c in range(first, last))

    return {
        "digits": string.digits,
        "hex": "0123456789abcdef",
        "b64": string.ascii_letters + string.digits + "+/",
        "upper": string.ascii_uppercase,
        "punct": string.punctuation,
        "cjk": span(0x4E00, 0x4E00 + 2000),
        "emoji": span(0x1F300, 0x1F5FF),
        "astral": span(0x12000, 0x12300),
        "combining": span(0x300, 0x36F),
        "latin1": span(0xC0, 0x17F),
        "cyrillic": span(0x410, 0x44F),
        "arabic": span(0x621, 0x64A),
        "ws": " \t\n",
    }


def generated(rng: random.Random, words: list[str], n: int = 3000) -> list[tuple[str, str]]:
    alph = alphabets()
    out = []
    for _ in range(n):
        kind = rng.choice(list(alph) + ["words", "numbers", "floats", "dates", "mixed", "mixed"])
        length = rng.choice([1, 3, 8, 20, 60, 200, 800])
        if kind == "words":
            text = " ".join(rng.choice(words) for _ in range(max(1, length // 6)))
        elif kind == "numbers":
            text = ", ".join(
                str(rng.randint(-(10 ** rng.randint(1, 18)), 10 ** rng.randint(1, 18)))
                for _ in range(max(1, length // 8))
            )
        elif kind == "floats":
            text = ", ".join(repr(rng.uniform(-1e6, 1e6)) for _ in range(max(1, length // 12)))
        elif kind == "dates":
            text = ", ".join(
                f"{rng.randint(1900, 2100)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}"
                for _ in range(max(1, length // 20))
            )
        elif kind == "mixed":
            text = "".join(
                rng.choice(alph[rng.choice(list(alph))]) if rng.random() < 0.5 else rng.choice(words) + " "
                for _ in range(length // 3 + 1)
            )
        else:
            text = "".join(rng.choice(alph[kind]) for _ in range(length))
        out.append((kind, text))
    return out


def database_rows() -> list[tuple[str, str]]:
    out = []
    paths = sorted(glob.glob(str(ROOT / "demo-db" / "*.db"))) + sorted(
        glob.glob(str(ROOT.parent / "shared" / "eval" / "spider" / "database" / "*" / "*.sqlite"))
    )
    for path in paths:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        names = conn.execute("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")
        for (table,) in names.fetchall():
            try:
                rows = conn.execute(f'select * from "{table}" limit 40').fetchall()
            except sqlite3.Error:
                continue
            out.extend(("rows", " | ".join("" if v is None else str(v)[:2000] for v in row)) for row in rows)
        conn.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--prompts", type=int, default=20, help="prompts of 30 texts per kind")
    args = parser.parse_args()
    from llama_cpp import Llama

    from datasette_llm.config import load_settings
    from datasette_llm.models.token_estimate import estimated_tokens

    gguf = load_settings({}, {}).models_dir / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    vocabulary = Llama(str(gguf), vocab_only=True, verbose=False)

    def real(text: str) -> int:
        return len(vocabulary.tokenize(text.encode(), add_bos=False, special=False))

    conn = sqlite3.connect(f"file:{ROOT / 'demo-db' / 'simonw_releases.db'}?mode=ro", uri=True)
    words = [
        w
        for (t,) in conn.execute("select readme from repos where readme is not null limit 100")
        for w in t.split()
        if w.isalpha()
    ]
    rng = random.Random(args.seed)
    kinds: dict[str, list[str]] = {}
    for kind, text in generated(rng, words) + database_rows():
        kinds.setdefault(kind, []).append(text)
    estimators = {"chars / 3 (before)": lambda text: len(text) // 3 + 1, "by class (now)": estimated_tokens}
    prompts = [
        (kind, " | ".join(rng.choice(texts) for _ in range(30)))
        for kind, texts in kinds.items()
        for _ in range(args.prompts)
    ]
    counts = [(kind, real(text), text) for kind, text in prompts]
    for name, estimate in estimators.items():
        ratios: dict[str, list[float]] = {}
        for kind, count, text in counts:
            ratios.setdefault(kind, []).append(count / estimate(text))
        below = sum(r > 1 for values in ratios.values() for r in values)
        print(
            f"{name}: below the real count in {below} of {len(counts)} prompts; real/est median over the "
            f"databases' rows {statistics.median(ratios['rows']):.2f}"
        )
        print("   worst real/est by kind: " + ", ".join(f"{k} {max(v):.2f}" for k, v in sorted(ratios.items())))


if __name__ == "__main__":
    main()
