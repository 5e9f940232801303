"""Load test against Datasette on 127.0.0.1: concurrent asks, concurrent semantic searches, a mixed soak.

    .venv/bin/python benchmarks/load.py [--asks 20] [--searches 200] [--vectors 100000] [--soak-minutes 10]

Everything is bounded in count and time and talks only to 127.0.0.1. Prints latency percentiles, status
counts and the server's resident memory (RSS) sampled every second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
WORDS = (
    "data sqlite query table plugin search vector model answer release repo python tool map screenshot "
    "json csv api browser server embedding token context cluster index"
).split()


def build_vectors_db(path: Path, count: int) -> None:
    from datasette_llm.embeddings.store import StoreTables, create_collection, encode

    conn = sqlite3.connect(path)
    conn.execute("create table docs (id integer primary key, title text)")
    rng = np.random.default_rng(0)
    tables = StoreTables("")
    collection = create_collection(conn, tables, "docs", "all-MiniLM-L6-v2")
    batch = 20000
    for start in range(0, count, batch):
        n = min(batch, count - start)
        vectors = rng.standard_normal((n, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        with conn:
            conn.executemany(
                "insert into docs (id, title) values (?, ?)", [(start + i, f"document {start + i}") for i in range(n)]
            )
            conn.executemany(
                "insert into embeddings (collection_id, id, embedding, content_hash, updated) values (?, ?, ?, ?, ?)",
                [(collection.id, str(start + i), encode(vectors[i]), None, 0) for i in range(n)],
            )
    conn.close()


class RSSSampler(threading.Thread):
    def __init__(self, pid: int, interval: float = 1.0):
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.interval = interval
        self.samples: list[tuple[float, float]] = []
        self.running = True

    def run(self):
        started = time.monotonic()
        while self.running:
            try:
                children = self.process.children(recursive=True)
                rss = self.process.memory_info().rss + sum(c.memory_info().rss for c in children)
            except psutil.Error:
                break
            self.samples.append((time.monotonic() - started, rss / 1e6))
            time.sleep(self.interval)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")


async def timed(client, method, url, **kwargs):
    started = time.perf_counter()
    try:
        response = await client.request(method, url, **kwargs)
        return response.status_code, time.perf_counter() - started, response.headers.get("retry-after")
    except httpx.HTTPError as error:
        return type(error).__name__, time.perf_counter() - started, None


async def burst_asks(base, n, timeout):
    questions = [
        "How many repos are there?",
        "Which five repos have the most releases?",
        "How many releases were published in 2024?",
        "Which repo has the earliest first release?",
    ]
    async with httpx.AsyncClient(timeout=timeout) as client:
        return await asyncio.gather(
            *(
                timed(
                    client,
                    "POST",
                    f"{base}/simonw_releases/-/ask.json",
                    json={"question": questions[i % len(questions)]},
                )
                for i in range(n)
            )
        )


async def burst_searches(base, n, timeout):
    async with httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=n)) as client:
        return await asyncio.gather(
            *(
                timed(
                    client,
                    "GET",
                    f"{base}/-/semantic-search",
                    params={
                        "q": " ".join(random.sample(WORDS, 4)),
                        "database": "vectors",
                        "table": "docs",
                        "limit": 10,
                        "mode": "semantic",
                    },
                )
                for _ in range(n)
            )
        )


async def soak(base, minutes, timeout):
    deadline = time.monotonic() + minutes * 60
    results = []
    async with httpx.AsyncClient(timeout=timeout) as client:

        async def searcher():
            while time.monotonic() < deadline:
                results.append(
                    ("search",)
                    + await timed(
                        client,
                        "GET",
                        f"{base}/-/semantic-search",
                        params={
                            "q": " ".join(random.sample(WORDS, 3)),
                            "database": "vectors",
                            "table": "docs",
                            "limit": 10,
                            "mode": "semantic",
                        },
                    )
                )

        async def asker():
            while time.monotonic() < deadline:
                results.append(
                    ("ask",)
                    + await timed(
                        client,
                        "POST",
                        f"{base}/simonw_releases/-/ask.json",
                        json={"question": "How many repos are there?"},
                    )
                )
                await asyncio.sleep(2)

        await asyncio.gather(*(searcher() for _ in range(8)), asker())
    return results


def summarise(label, results):
    statuses = Counter(str(r[0]) for r in results)
    times = [r[1] for r in results if r[0] == 200]
    five = sum(1 for r in results if isinstance(r[0], int) and r[0] >= 500 and r[0] != 503)
    busy_without_retry = sum(1 for r in results if r[0] == 503 and not r[2])
    print(
        f"[{label}] {len(results)} requests; statuses {dict(statuses)}; 5xx other than 503: {five}; "
        f"503 without Retry-After: {busy_without_retry}"
    )
    if times:
        print(
            f"    latency of 200s: p50 {pct(times, 50) * 1000:.0f} ms, p99 {pct(times, 99) * 1000:.0f} ms, "
            f"max {max(times) * 1000:.0f} ms"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asks", type=int, default=20)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--vectors", type=int, default=100000)
    parser.add_argument("--soak-minutes", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    from server_helpers import free_port, stop, wait_for_http

    work = Path(tempfile.mkdtemp(prefix="datasette-llm-load-"))
    demo = ROOT / "demo-db" / "build" / "simonw_releases.db"
    if not demo.exists():
        subprocess.run([sys.executable, str(ROOT / "setup-scripts" / "build_demo_db.py")], check=True)
    shutil.copy(demo, work / "simonw_releases.db")
    started = time.monotonic()
    build_vectors_db(work / "vectors.db", args.vectors)
    print(f"built {args.vectors:,} random 384-d vectors in {time.monotonic() - started:.1f}s")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "datasette",
            "serve",
            str(work / "simonw_releases.db"),
            str(work / "vectors.db"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "--setting",
            "sql_time_limit_ms",
            "5000",
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(work / "server.log", "w"),
    )
    try:
        wait_for_http(f"{base}/-/versions.json", server)
        sampler = RSSSampler(server.pid)
        sampler.start()
        # warm: load the vector matrix and the embedding model once
        httpx.get(
            f"{base}/-/semantic-search",
            params={"q": "warm", "database": "vectors", "table": "docs", "mode": "semantic"},
            timeout=120,
        )
        t = time.monotonic()
        asks = asyncio.run(burst_asks(base, args.asks, args.timeout))
        summarise(f"{args.asks} concurrent asks (local model)", asks)
        print(f"    wall {time.monotonic() - t:.1f}s; server alive: {server.poll() is None}")
        t = time.monotonic()
        summarise(
            f"{args.searches} concurrent semantic searches over {args.vectors:,} vectors",
            asyncio.run(burst_searches(base, args.searches, args.timeout)),
        )
        print(f"    wall {time.monotonic() - t:.1f}s; server alive: {server.poll() is None}")
        if args.soak_minutes > 0:
            soak_start = len(sampler.samples)
            results = asyncio.run(soak(base, args.soak_minutes, args.timeout))
            summarise(f"soak {args.soak_minutes:g} min, search", [r[1:] for r in results if r[0] == "search"])
            summarise(f"soak {args.soak_minutes:g} min, ask", [r[1:] for r in results if r[0] == "ask"])
            rss = [s[1] for s in sampler.samples[soak_start:]]
            if rss:
                third = max(1, len(rss) // 3)
                print(
                    f"    soak RSS MB: start {rss[0]:.0f}, peak {max(rss):.0f}, end {rss[-1]:.0f}; "
                    f"mean of first third {statistics.mean(rss[:third]):.0f} vs last third "
                    f"{statistics.mean(rss[-third:]):.0f}"
                )
        sampler.running = False
        all_rss = [s[1] for s in sampler.samples]
        print(f"server RSS MB over the whole run: peak {max(all_rss):.0f}; alive at end: {server.poll() is None}")
        (ROOT / "benchmarks" / "results").mkdir(parents=True, exist_ok=True)
        (ROOT / "benchmarks" / "results" / "load-rss.json").write_text(json.dumps(sampler.samples))
    finally:
        stop(server)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
