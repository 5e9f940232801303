"""Search benchmark: retrieval quality on SciFact, query speed against a Python scan, build throughput.

    python benchmarks/search.py              # everything (several minutes; the 1M-vector run needs ~4 GB)
    python benchmarks/search.py --quick      # smaller: 300-row build, 10k/100k vectors, fewer queries
    python benchmarks/search.py --skip-quality --skip-speed --skip-build

Quality runs every query through the plugin's own `semantic_search` (Datasette in-process), then tunes the
fusion on the same rankings: the grid is printed, with a two-fold check (tune on one half of the claims,
score the other). Corpus embeddings are cached in benchmarks/results/scifact.db; the throughput figure is
always a fresh build. Results are printed and written to benchmarks/results/search.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import sqlite3
import statistics
import struct
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from datasette_llm.config import load_settings
from datasette_llm.embeddings import INDEXES, embed_table, enable_fts, semantic_search
from datasette_llm.embeddings.ranking import fuse
from datasette_llm.embeddings.store import StoreTables, create_collection, encode
from datasette_llm.models import embedding_model_for

SCIFACT = Path("/work/shared/eval/retrieval/scifact")
RESULTS = ROOT / "results"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_jsonl(path: Path) -> list[dict]:
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with open(path) as handle:
        next(handle)
        for line in handle:
            query, doc, score = line.rstrip("\n").split("\t")
            qrels.setdefault(query, {})[doc] = int(score)
    return qrels


def ndcg_at(ranked: list[str], relevant: dict[str, int], k: int = 10) -> float:
    dcg = sum(relevant.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum(rel / math.log2(i + 2) for i, rel in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: list[str], relevant: dict[str, int], k: int = 10) -> float:
    wanted = {doc for doc, rel in relevant.items() if rel > 0}
    return len(wanted & set(ranked[:k])) / len(wanted) if wanted else 0.0


def evaluate(rankings: dict[str, list[str]], qrels) -> dict:
    queries = [q for q in rankings if q in qrels]
    return {
        "ndcg@10": round(statistics.mean(ndcg_at(rankings[q], qrels[q]) for q in queries), 4),
        "recall@10": round(statistics.mean(recall_at(rankings[q], qrels[q]) for q in queries), 4),
        "queries": len(queries),
    }


def write_corpus(path: Path, docs: list[dict]) -> None:
    if path.exists():
        path.unlink()
    conn = sqlite3.connect(path)
    conn.execute("create table docs (id text primary key, title text, text text)")
    conn.executemany("insert into docs values (?, ?, ?)", [(d["_id"], d.get("title", ""), d["text"]) for d in docs])
    conn.commit()
    conn.close()


# -- build throughput ---------------------------------------------------------------------------------------
def bench_build(docs: list[dict], rows: int, batch_size: int) -> dict:
    path = RESULTS / "build.db"
    write_corpus(path, docs[:rows])
    model = embedding_model_for(load_settings())
    model.embed(["warm up the model"])  # loading the weights is not building
    rss_before = peak_rss_mb()
    summary = embed_table(str(path), "docs", model=model, batch_size=batch_size)
    again = embed_table(str(path), "docs", model=model, batch_size=batch_size)
    path.unlink()
    return {
        "rows": summary.embedded,
        "seconds": summary.seconds,
        "rows_per_s": round(summary.rows_per_second, 1),
        "batch_size": batch_size,
        "rerun_unchanged": again.unchanged,
        "rerun_seconds": again.seconds,
        "peak_rss_mb_before": round(rss_before, 1),
        "peak_rss_mb_after": round(peak_rss_mb(), 1),
    }


# -- quality ------------------------------------------------------------------------------------------------
def scifact_db(docs: list[dict]) -> tuple[Path, dict | None]:
    """The corpus with FTS5 and its collection, built once and reused (embedding 5k abstracts takes minutes)."""
    path = RESULTS / "scifact.db"
    done = (
        path.exists()
        and sqlite3.connect(path).execute("select count(*) from sqlite_master where name = 'embeddings'").fetchone()[0]
    )
    if done:
        count = sqlite3.connect(path).execute("select count(*) from embeddings").fetchone()[0]
        if count == len(docs):
            return path, None
    write_corpus(path, docs)
    enable_fts(str(path), "docs", ["title", "text"])
    summary = embed_table(str(path), "docs", batch_size=32)
    return path, summary.to_json()


async def rankings_via_plugin(path: Path, queries: list[dict], mode: str, depth: int) -> dict:
    from datasette.app import Datasette

    ds = Datasette([str(path)])
    out = {}
    for query in queries:
        result = await semantic_search(
            ds, None, query["text"], database=path.stem, table="docs", limit=depth, mode=mode
        )
        out[query["_id"]] = [(hit.id, hit.score) for hit in result.hits]
    return out


def top10(rankings: dict) -> dict[str, list[str]]:
    return {q: [doc for doc, _ in hits][:10] for q, hits in rankings.items()}


def fused_rankings(semantic, keyword, **options) -> dict[str, list[str]]:
    return {q: [f.key for f in fuse(semantic[q], keyword.get(q, []), **options)][:10] for q in semantic}


def tune(semantic, keyword, qrels, ids) -> list[tuple[float, dict]]:
    sub_s = {q: semantic[q] for q in ids}
    grid = []
    for k in (1, 2, 5, 10, 20, 30, 45, 60, 100):
        for weight in (0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7):
            options = {"method": "rrf", "k": k, "weight": weight}
            grid.append((evaluate(fused_rankings(sub_s, keyword, **options), qrels)["ndcg@10"], options))
    for weight in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        options = {"method": "minmax", "weight": weight}
        grid.append((evaluate(fused_rankings(sub_s, keyword, **options), qrels)["ndcg@10"], options))
    return sorted(grid, key=lambda item: -item[0])


def bench_quality(docs, queries, qrels) -> dict:
    path, build = scifact_db(docs)
    started = time.perf_counter()
    semantic = asyncio.run(rankings_via_plugin(path, queries, "semantic", 100))
    keyword = asyncio.run(rankings_via_plugin(path, queries, "keyword", 100))
    hybrid = asyncio.run(rankings_via_plugin(path, queries, "hybrid", 10))
    seconds = time.perf_counter() - started
    result = {
        "semantic": evaluate(top10(semantic), qrels),
        "keyword": evaluate(top10(keyword), qrels),
        "hybrid": evaluate(top10(hybrid), qrels),
        "plain_rrf_k60": evaluate(fused_rankings(semantic, keyword, method="rrf", k=60, weight=0.5), qrels),
        "search_seconds": round(seconds, 1),
        "cached_corpus": build is None,
        "corpus_build": build,
    }
    ids = sorted(semantic)
    grid = tune(semantic, keyword, qrels, ids)
    result["tuning_grid_top"] = [{"ndcg@10": score, **options} for score, options in grid[:8]]
    halves = (ids[0::2], ids[1::2])
    folds = []
    for tune_ids, test_ids in (halves, halves[::-1]):
        best = tune(semantic, keyword, qrels, tune_ids)[0][1]
        test_sem = {q: semantic[q] for q in test_ids}
        folds.append(
            {"tuned": best, "held_out_ndcg@10": evaluate(fused_rankings(test_sem, keyword, **best), qrels)["ndcg@10"]}
        )
    result["two_fold"] = folds
    return result


# -- speed --------------------------------------------------------------------------------------------------
def vectors_db(n: int, dims: int = 384) -> Path:
    path = RESULTS / f"vectors_{n}.db"
    if path.exists():
        conn = sqlite3.connect(path)
        if conn.execute("select count(*) from embeddings").fetchone()[0] == n:
            conn.close()
            return path
        conn.close()
        path.unlink()
    conn = sqlite3.connect(path)
    tables = StoreTables()
    collection = create_collection(conn, tables, "random", "random-384")
    rng = np.random.default_rng(n)
    now = int(time.time())
    for start in range(0, n, 50_000):
        block = rng.standard_normal((min(50_000, n - start), dims), dtype=np.float32)
        with conn:
            conn.executemany(
                "insert into embeddings (collection_id, id, embedding, content_hash, updated) values (?, ?, ?, ?, ?)",
                ((collection.id, str(start + i), encode(v), None, now) for i, v in enumerate(block)),
            )
    conn.close()
    return path


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered), 3), "p95_ms": round(p95, 3), "queries": len(ordered)}


async def ours(path: Path, queries: np.ndarray) -> dict:
    """Warm top-10 through the server's path: the cache's freshness check, then matrix-vector + argpartition."""
    from datasette.app import Datasette

    ds = Datasette([str(path)])
    db = ds.get_database(path.stem)
    clock = time.perf_counter()
    await INDEXES.get(db, StoreTables(), 1)
    load_seconds = time.perf_counter() - clock
    samples = []
    for query in queries:
        clock = time.perf_counter()
        index = await INDEXES.get(db, StoreTables(), 1)
        index.top_k(query, 10)
        samples.append((time.perf_counter() - clock) * 1000)
    return {**percentiles(samples), "first_load_s": round(load_seconds, 3)}


def python_scan(path: Path, queries: np.ndarray) -> dict:
    """How `llm similar` scores: a Python function decodes each BLOB with struct and computes the cosine."""
    conn = sqlite3.connect(path)
    samples = []
    for query in queries:
        vector = [float(x) for x in query]

        def distance_score(blob, vector=vector):
            other = struct.unpack("<" + "f" * (len(blob) // 4), blob)
            dot = sum(a * b for a, b in zip(other, vector))
            return dot / (math.sqrt(sum(a * a for a in other)) * math.sqrt(sum(b * b for b in vector)))

        conn.create_function("distance_score", 1, distance_score)
        clock = time.perf_counter()
        conn.execute(
            "select id, distance_score(embedding) as score from embeddings where collection_id = 1 "
            "order by score desc limit 10"
        ).fetchall()
        samples.append((time.perf_counter() - clock) * 1000)
    conn.close()
    return percentiles(samples)


def sqlite_vec_status() -> str:
    conn = sqlite3.connect(":memory:")
    if not hasattr(conn, "enable_load_extension"):
        return "not loadable (this Python's sqlite3 is built without extension loading)"
    try:
        import sqlite_vec
    except ImportError:
        return "not loadable (sqlite-vec is not installed)"
    try:
        conn.enable_load_extension(True)
        sqlite_vec.load(conn)
    except (sqlite3.Error, AttributeError, OSError) as error:
        return f"not loadable ({error})"
    return "loadable (not benchmarked)"


def bench_speed(sizes: list[int], n_queries: int, baseline_queries: dict[int, int]) -> dict:
    rng = np.random.default_rng(7)
    out = {"sqlite_vec": sqlite_vec_status()}
    for n in sizes:
        path = vectors_db(n)
        queries = rng.standard_normal((n_queries, 384), dtype=np.float32)
        row = {"numpy_cached": asyncio.run(ours(path, queries))}
        if n in baseline_queries:
            row["python_scan"] = python_scan(path, queries[: baseline_queries[n]])
            row["speedup_p50"] = round(row["python_scan"]["p50_ms"] / row["numpy_cached"]["p50_ms"], 1)
        INDEXES.clear()
        out[str(n)] = row
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--build-rows", type=int, default=None, help="rows for the throughput build")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    report: dict = {"cpus": os.cpu_count(), "quick": args.quick}
    docs = load_jsonl(SCIFACT / "corpus.jsonl")

    if not args.skip_build:
        rows = args.build_rows or (64 if args.quick else 256)
        report["build"] = bench_build(docs, rows, args.batch_size)
        print("build:", json.dumps(report["build"]), flush=True)
    if not args.skip_quality:
        queries = load_jsonl(SCIFACT / "queries.jsonl")
        qrels = load_qrels(SCIFACT / "qrels" / "train.tsv")
        if args.quick:
            queries = queries[:200]
        report["quality"] = bench_quality(docs, queries, qrels)
        print("quality:", json.dumps(report["quality"], indent=1), flush=True)
    if not args.skip_speed:
        sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
        baseline = {10_000: 10, 100_000: 3} if args.quick else {10_000: 20, 100_000: 5}
        report["speed"] = bench_speed(sizes, 50 if args.quick else 200, baseline)
        print("speed:", json.dumps(report["speed"], indent=1), flush=True)
    report["peak_rss_mb"] = round(peak_rss_mb(), 1)
    (RESULTS / "search.json").write_text(json.dumps(report, indent=2))
    print(f"peak RSS {report['peak_rss_mb']} MB; written to {RESULTS / 'search.json'}")


if __name__ == "__main__":
    main()
