"""The first searches of a freshly started server, with the embedding model loaded at start-up and without.

    PYTHONPATH=. .venv/bin/python benchmarks/first_search.py [--rounds 3] [--wait 8]

Each round starts `datasette serve` on the demo releases database twice, in turn: once as shipped (the start-up
loads the embedding model its collection needs; the chat warm-up is off with `warm_up_databases: []` so it does
not compete) and once with `warm_up: false` (the first search loads it). After `--wait` seconds it times three
searches over HTTP, each a different query. Prints each start's times and the median first search of each.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo-db" / "build" / "simonw_releases.db"
QUERIES = ["screenshots of web pages", "convert csv files to a database", "maps of points"]
MODES = {
    "loaded at start": {"warm_up_databases": []},
    "loaded by the first search": {"warm_up": False},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 60) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def one_start(plugin: dict, wait: float) -> list[float]:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        metadata = Path(tmp) / "metadata.json"
        metadata.write_text(json.dumps({"plugins": {"datasette-llm": plugin}}))
        env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        server = subprocess.Popen(
            [sys.executable, "-m", "datasette", "serve", str(DEMO), "-p", str(port), "-m", str(metadata)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=ROOT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    get(f"{base}/-/versions.json", timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the server did not start") from None
                    time.sleep(0.1)
            time.sleep(wait)
            seconds = []
            for query in QUERIES:
                started = time.perf_counter()
                body = json.loads(get(f"{base}/-/semantic-search?q={urllib.parse.quote(query)}"))
                seconds.append(time.perf_counter() - started)
                if not body.get("hits"):
                    raise SystemExit(f"no hits for {query!r}: {body}")
            return seconds
        finally:
            server.terminate()
            server.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--wait", type=float, default=8.0, help="seconds between the server's start and a search")
    args = parser.parse_args()
    if not DEMO.exists():
        raise SystemExit(f"{DEMO} is missing: run setup-scripts/build_demo_db.py")
    firsts: dict[str, list[float]] = {mode: [] for mode in MODES}
    for round_ in range(1, args.rounds + 1):
        for mode, plugin in MODES.items():
            seconds = one_start(plugin, args.wait)
            firsts[mode].append(seconds[0])
            print(f"round {round_} {mode:28} " + " ".join(f"{s:.3f}" for s in seconds) + " s", flush=True)
    for mode, values in firsts.items():
        print(f"first search, {mode}: median {statistics.median(values):.3f} s (max {max(values):.3f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
