"""Answers from text: citation recall on SciFact and checked answers on the demo database.

    .venv/bin/python benchmarks/text_answers.py [--claims 40] [--skip-scifact]

SciFact (BEIR, train claims): each claim is asked as "What does the literature say about: <claim>" in text
mode; citation recall@k is the share of claims whose cited rows include a relevant abstract (qrels), next to
the share whose retrieved passages include one (the ceiling the answer step can reach). The corpus database
with embeddings comes from benchmarks/search.py (benchmarks/results/scifact.db); it is built if missing.
Demo: text questions written for the demo database whose answers are in README texts; an answer counts
when it cites the expected repository and most of its content words appear in the README it cites.
Fiction (benchmarks/fiction.py): a generated database of 60 reports on invented places with look-alike names and
unique numbers; 48 questions ask one fact of one place (right: the answer states it and cites that report; a
"Not found" is a refusal of an answerable question), 12 ask about a place the database does not hold whose name
looks like one it does (held: "Not found", or an answer under a warning), 8 ask of things it holds nothing of
(held: "Not found").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCIFACT = ROOT.parent / "shared" / "eval" / "retrieval" / "scifact"
RESULTS = ROOT / "benchmarks" / "results"
DEMO = ROOT / "demo-db" / "build" / "simonw_releases.db"

DEMO_QUESTIONS = [
    ("What is shot-scraper?", "simonw/shot-scraper"),
    ("What does datasette-cluster-map do?", "simonw/datasette-cluster-map"),
    ("Which tool converts CSV files into a SQLite database?", "simonw/csvs-to-sqlite"),
    ("What is Datasette Lite?", "simonw/datasette-lite"),
    ("What does ttok do?", "simonw/ttok"),
    ("What is strip-tags for?", "simonw/strip-tags"),
    ("What does datasette-graphql provide?", "simonw/datasette-graphql"),
    ("What is files-to-prompt used for?", "simonw/files-to-prompt"),
    ("What does twitter-to-sqlite do?", "dogsheep/twitter-to-sqlite"),
    ("What is s3-credentials?", "simonw/s3-credentials"),
]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def content_words(text):
    return {w for w in re.findall(r"[a-z][a-z0-9-]{4,}", text.lower())}


def budget_metadata(text_budget):
    """Datasette metadata setting text_budget_tokens (None: the default)."""
    plugin = {"text_budget_tokens": text_budget} if text_budget else {}
    return {"plugins": {"datasette-llm": plugin}}


async def run_demo(model, text_budget=None):
    from datasette.app import Datasette

    from datasette_llm.ask.pipeline import ask

    datasette = Datasette([str(DEMO)], metadata=budget_metadata(text_budget))
    conn = sqlite3.connect(DEMO)
    rows = []
    for question, expected in DEMO_QUESTIONS:
        started = time.perf_counter()
        result = await ask(datasette, "simonw_releases", question, model=model)
        seconds = time.perf_counter() - started
        cited = [c["label"] for c in result.citations]
        readme = " ".join(
            (
                conn.execute(
                    "select coalesce(description, '') || ' ' || coalesce(readme, '') from repos where full_name = ?",
                    [label],
                ).fetchone()
                or [""]
            )[0]
            for label in cited
        )
        words = content_words(re.sub(r"\[\d+\]", "", result.answer or ""))
        support = len(words & content_words(readme)) / len(words) if words else 0.0
        ok = expected in cited and support >= 0.5
        rows.append(
            {
                "question": question,
                "expected": expected,
                "path": result.path,
                "cited": cited,
                "support": round(support, 2),
                "ok": ok,
                "seconds": round(seconds, 2),
                "prompt_tokens": result.tokens["answer_prompt"],
                "timings": dict(result.timings),
                "answer": result.answer,
            }
        )
        stages = " ".join(f"{k}={v:.2f}" for k, v in result.timings.items() if k != "total")
        print(
            f"  {'OK ' if ok else 'BAD'} {seconds:5.1f}s prompt={result.tokens['answer_prompt']} path={result.path} "
            f"cited={cited} support={support:.2f} "
            f"[{stages}] | {question}",
            flush=True,
        )
    return rows


async def run_fiction(model, seed=0, text_budget=None):
    from datasette.app import Datasette

    from datasette_llm.ask.pipeline import ask
    from datasette_llm.embeddings import embed_table

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import fiction

    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"fiction-{seed}.db"
    questions = fiction.build(path, seed)
    embed_table(str(path), "reports", batch_size=32)
    datasette = Datasette([str(path)], metadata=budget_metadata(text_budget))
    rows = []
    for item in questions:
        started = time.perf_counter()
        result = await ask(datasette, path.stem, item["question"], model=model, mode="text")
        seconds = time.perf_counter() - started
        answer = result.answer or ""
        cited = [c["label"] for c in result.citations]
        not_found = answer == "Not found in the data."
        warned = bool(result.warnings)
        if item["kind"] == "fact":
            right = not not_found and fiction.states(answer, item["value"]) and item["title"] in cited
            outcome = "right" if right else "not_found" if not_found else "wrong_warned" if warned else "wrong"
        elif item["kind"] == "absent":
            outcome = "held" if not_found or warned else "answered"
        else:
            outcome = "not_found" if not_found else "answered_warned" if warned else "answered"
        rows.append(
            {
                **item,
                "answer": answer,
                "cited": cited,
                "warnings": list(result.warnings),
                "outcome": outcome,
                "seconds": round(seconds, 2),
                "prompt_tokens": result.tokens["answer_prompt"],
            }
        )
        print(
            f"  {outcome:12} {seconds:5.1f}s prompt={result.tokens['answer_prompt']} | {item['question']} -> "
            f"{answer[:90]!r}",
            flush=True,
        )
        (RESULTS / "text_answers.fiction.partial.json").write_text(json.dumps(rows))  # survives an interruption
    return rows


async def run_scifact(model, n_claims, k, text_budget=None):
    from datasette.app import Datasette

    from datasette_llm.ask.pipeline import ask

    db_path = RESULTS / "scifact.db"
    if not db_path.exists():
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "search.py"), "--skip-speed"], check=True)
    qrels = {}
    for line in (SCIFACT / "qrels" / "train.tsv").read_text().splitlines()[1:]:
        query_id, corpus_id, _ = line.split("\t")
        qrels.setdefault(query_id, set()).add(corpus_id)
    claims = [json.loads(line) for line in (SCIFACT / "queries.jsonl").read_text().splitlines()]
    claims = [c for c in claims if c["_id"] in qrels]
    random.Random(0).shuffle(claims)
    claims = claims[:n_claims]
    datasette = Datasette([str(db_path)], metadata=budget_metadata(text_budget))
    rows = []
    for claim in claims:
        started = time.perf_counter()
        result = await ask(
            datasette,
            "scifact",
            f"What does the literature say about this claim: {claim['text']}",
            model=model,
            mode="text",
        )
        seconds = time.perf_counter() - started
        relevant = qrels[claim["_id"]]
        cited = {str(c["pk"][0]) for c in result.citations}
        retrieved = {str(p["pk"][0]) for p in result.passages}
        rows.append(
            {
                "claim": claim["text"],
                "cited_hit": bool(cited & relevant),
                "retrieved_hit": bool(retrieved & relevant),
                "n_cited": len(cited),
                "seconds": round(seconds, 2),
                "prompt_tokens": result.tokens["answer_prompt"],
                "not_found": result.answer == "Not found in the data.",
            }
        )
        print(
            f"  cited_hit={int(rows[-1]['cited_hit'])} retrieved_hit={int(rows[-1]['retrieved_hit'])} "
            f"{seconds:5.1f}s prompt={result.tokens['answer_prompt']} | {claim['text'][:70]}",
            flush=True,
        )
        (RESULTS / "text_answers.scifact.partial.json").write_text(json.dumps(rows))  # survives an interruption
    return rows


def prompt_tokens(rows) -> str:
    """The answer prompts' tokens (what the model reads before it writes: every token costs about 20 ms here,
    whatever else runs on the machine, so this compares runs that timings cannot)."""
    tokens = [r["prompt_tokens"] for r in rows]
    return f"answer prompt tokens p50 {pct(tokens, 50)} p95 {pct(tokens, 95)} mean {statistics.mean(tokens):.0f}"


def label(budget) -> str:
    return f"text_budget_tokens: {budget or 'default'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=40)
    parser.add_argument("--skip-scifact", action="store_true")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-fiction", action="store_true")
    parser.add_argument("--fiction-seed", type=int, default=0)
    parser.add_argument(
        "--text-budget",
        type=int,
        action="append",
        help="the text_budget_tokens setting (repeat to compare: each part runs once per budget, in turn)",
    )
    args = parser.parse_args()
    from datasette_llm.config import load_settings
    from datasette_llm.models import chat_model_for

    # No reply cache: a prompt that two runs share (short passages cut alike under two budgets) would be answered
    # from it in the second, and its seconds would measure the cache, not the answer.
    model = chat_model_for(load_settings({"reply_cache_entries": 0}))
    report = {}
    if not args.skip_demo:
        for budget in args.text_budget or [None]:
            print(f"Demo database text questions ({label(budget)}):")
            demo = asyncio.run(run_demo(model, budget))
            report[f"demo-{budget}" if budget else "demo"] = demo
            print(
                f"demo: {sum(r['ok'] for r in demo)}/{len(demo)} cite the expected README and are supported by "
                f"it; p50 {pct([r['seconds'] for r in demo], 50):.1f}s "
                f"p95 {pct([r['seconds'] for r in demo], 95):.1f}s; {prompt_tokens(demo)}",
                flush=True,
            )
    for budget in [] if args.skip_fiction else args.text_budget or [None]:
        print(f"Fiction (benchmarks/fiction.py, seed {args.fiction_seed}), text mode, {label(budget)}:")
        rows = asyncio.run(run_fiction(model, args.fiction_seed, budget))
        report[f"fiction-{budget}" if budget else "fiction"] = rows
        counts = {}
        for row in rows:
            counts[(row["kind"], row["outcome"])] = counts.get((row["kind"], row["outcome"]), 0) + 1
        facts = sum(row["kind"] == "fact" for row in rows)
        print(
            f"fiction: {counts.get(('fact', 'right'), 0)}/{facts} facts right; not found "
            f"{counts.get(('fact', 'not_found'), 0)}; wrong {counts.get(('fact', 'wrong'), 0)} unwarned, "
            f"{counts.get(('fact', 'wrong_warned'), 0)} warned; absent places held "
            f"{counts.get(('absent', 'held'), 0)}/{sum(row['kind'] == 'absent' for row in rows)}; unrelated "
            f"questions not found {counts.get(('unrelated', 'not_found'), 0)}/"
            f"{sum(row['kind'] == 'unrelated' for row in rows)} (answered under a warning "
            f"{counts.get(('unrelated', 'answered_warned'), 0)}); latency p50 "
            f"{pct([r['seconds'] for r in rows], 50):.1f}s p95 {pct([r['seconds'] for r in rows], 95):.1f}s; "
            f"{prompt_tokens(rows)}",
            flush=True,
        )
    for budget in [] if args.skip_scifact else args.text_budget or [None]:
        print(f"SciFact train claims (random {args.claims}, seed 0), text mode, 4 passages, {label(budget)}:")
        rows = asyncio.run(run_scifact(model, args.claims, 4, budget))
        report[f"scifact-{budget}" if budget else "scifact"] = rows
        n = len(rows)
        cited = sum(r["cited_hit"] for r in rows) / n
        retrieved = sum(r["retrieved_hit"] for r in rows) / n
        seconds = [r["seconds"] for r in rows]
        print(
            f"scifact: citation recall@4 {cited:.3f} (retrieved passages contain a relevant abstract: "
            f"{retrieved:.3f}); not found {sum(r['not_found'] for r in rows)}/{n}; mean citations "
            f"{statistics.mean(r['n_cited'] for r in rows):.2f}; latency p50 {pct(seconds, 50):.1f}s "
            f"p95 {pct(seconds, 95):.1f}s; {prompt_tokens(rows)}"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "text_answers.json").write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
