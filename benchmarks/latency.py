"""How long a person waits: Ask over the JSON stream API of a real `datasette` on the two demo databases.

    .venv/bin/python benchmarks/latency.py [--cold] [--only first|warm|alternating] [--out results.json]

A `datasette serve` subprocess serves demo-db/build/ (built by setup-scripts/build_demo_db.py if missing) as
`setup-scripts/demo.sh` does. Each question is POSTed to /{database}/-/ask.stream; "rows" is the time until
the event that carries the query's rows (the page can show them then: the `rows` event, or `answering` from
servers without it), "complete" the time until the final `result` event. Three phases, on one server:
  first        the first question right after the server answers HTTP (its start-up warm-up may be running)
  (then the benchmark waits until the server has been idle for 5 s: its start-up warm-up is done)
  warm         every question, database by database
  alternating  every question again, switching database on each one
`--cold` starts from an empty prompt-state cache (a temporary XDG_CACHE_HOME; the models stay where they are),
as on a clean install; without it the cache of earlier runs is used, as after a restart.
The server keeps no replies for prompts it has seen (`reply_cache_entries: 0`), so that every phase measures the
model's work, as in the runs before that cache existed. `--reply-cache` serves with the default instead and adds a
fourth phase:
  again        every question once more, as the warm phase asked it: each prompt was read before

The questions were written before any tuning and are kept fixed so that runs compare. Each phase also prints how
many cores other processes kept busy meanwhile: the targets are for a quiet machine (about 0).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "demo-db" / "build"
DATASETTE = ROOT / ".venv" / "bin" / "datasette"

# (database, question): SQL and text questions; S5 asks for a result far larger than the context window.
QUESTIONS = [
    ("simonw_releases", "Which five repos have the most releases?"),
    ("simonw_releases", "How many releases were published in 2024?"),
    ("simonw_releases", "What is shot-scraper?"),
    ("simonw_releases", "Which repos had their first release in 2023, and what are their descriptions?"),
    ("simonw_releases", "Show the full README text of every repo whose name starts with datasette-"),
    ("chinook", "Which ten artists have the most tracks?"),
    ("chinook", "What were total sales per country?"),
    ("chinook", "Which customer spent the most money?"),
    ("chinook", "How many tracks are in the Rock genre?"),
    ("chinook", "Which employee supports the most customers?"),
]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_metadata(keep_replies: bool, scratch: Path) -> Path:
    """The demo's metadata, with the reply cache turned off unless `keep_replies`."""
    source = ROOT / "demo-db" / "metadata.yml"
    if keep_replies:
        return source
    import yaml

    metadata = yaml.safe_load(source.read_text())
    metadata.setdefault("plugins", {}).setdefault("datasette-llm", {})["reply_cache_entries"] = 0
    path = scratch / "metadata.json"
    path.write_text(json.dumps(metadata))
    return path


def start_server(port: int, env: dict, metadata: Path) -> subprocess.Popen:
    command = [
        str(DATASETTE),
        "serve",
        str(BUILD / "simonw_releases.db"),
        str(BUILD / "chinook.db"),
        "-m",
        str(metadata),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "--setting",
        "sql_time_limit_ms",
        "3000",
    ]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_until_up(port: int, server: subprocess.Popen, timeout: float = 120) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if server.poll() is not None:
            raise SystemExit(f"datasette exited: {server.stderr.read().decode()[-2000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/-/versions.json", timeout=2).read()
            return time.perf_counter() - started
        except OSError:
            time.sleep(0.2)
    raise SystemExit("datasette did not start")


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime of the whole process


def busy_ticks() -> int:
    """CPU ticks all processes on this machine spent busy since boot (every core)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return sum(values) - values[3] - values[4]  # less idle and iowait


class OtherLoad:
    """How many cores other processes kept busy while a phase ran (not the server, not this script): the
    machine is shared, and figures taken beside other work are not a quiet machine's."""

    def __init__(self, server_pid: int):
        self.pid = server_pid
        self.start = (time.perf_counter(), busy_ticks(), cpu_ticks(server_pid), cpu_ticks(os.getpid()))

    def cores(self) -> float:
        seconds = time.perf_counter() - self.start[0]
        others = (busy_ticks() - self.start[1]) - (cpu_ticks(self.pid) - self.start[2])
        others -= cpu_ticks(os.getpid()) - self.start[3]
        return round(max(0, others) / os.sysconf("SC_CLK_TCK") / max(seconds, 1e-6), 2)


def wait_until_idle(pid: int, idle_seconds: float = 5, limit: float = 900) -> float:
    """Wait until the server has used (almost) no CPU for `idle_seconds`: its start-up warm-up is done."""
    started = time.perf_counter()
    idle_since, last = time.perf_counter(), cpu_ticks(pid)
    while time.perf_counter() - started < limit:
        time.sleep(1)
        ticks = cpu_ticks(pid)
        if ticks - last > 5:  # more than 0.05 s of CPU in the last second
            idle_since = time.perf_counter()
        last = ticks
        if time.perf_counter() - idle_since >= idle_seconds:
            break
    return time.perf_counter() - started


def ask(port: int, database: str, question: str, timeout: float = 600) -> dict:
    """POST one question to the stream API; the times of its events, and its result."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/{database}/-/ask.stream",
        data=json.dumps({"question": question}).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    started = time.perf_counter()
    rows_at = None
    result, error, event = None, None, None
    with urllib.request.urlopen(request, timeout=timeout) as response:
        for raw in response:
            line = raw.decode("utf-8").rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
                if event in ("rows", "answering") and rows_at is None:
                    rows_at = time.perf_counter() - started
            elif line.startswith("data: ") and event in ("result", "error"):
                data = json.loads(line[6:])
                if event == "result":
                    result = data
                else:
                    error = data
    complete = time.perf_counter() - started
    record = {
        "database": database,
        "question": question,
        "rows_s": round(rows_at or complete, 2),
        "complete_s": round(complete, 2),
    }
    if result is not None:
        record.update(
            ok=result.get("ok"),
            path=result.get("path"),
            sql=result.get("sql"),
            answer=result.get("answer"),
            row_count=result.get("row_count"),
            timings=result.get("timings"),
            tokens=result.get("tokens"),
            error=result.get("error"),
            notes=result.get("notes"),
        )
    else:
        record.update(ok=False, error=error)
    return record


def summary(name: str, records: list[dict], other_load: float | None = None) -> dict:
    rows = [r["rows_s"] for r in records]
    complete = [r["complete_s"] for r in records]
    figures = {
        "phase": name,
        "n": len(records),
        "rows_p50": pct(rows, 50),
        "rows_p95": pct(rows, 95),
        "complete_p50": pct(complete, 50),
        "complete_p95": pct(complete, 95),
        "complete_mean": round(statistics.mean(complete), 2) if complete else None,
        "failed": sum(1 for r in records if not r.get("ok")),
        "other_load_cores": other_load,
    }
    print(
        f"{name:12} n={figures['n']:2}  rows p50 {figures['rows_p50']:6.2f}s p95 {figures['rows_p95']:6.2f}s"
        f"   complete p50 {figures['complete_p50']:6.2f}s p95 {figures['complete_p95']:6.2f}s"
        f"   failed {figures['failed']}   other processes: {other_load} cores",
        flush=True,
    )
    return figures


def show(record: dict, verbose: bool):
    print(
        f"  {record['rows_s']:6.2f}s rows {record['complete_s']:6.2f}s complete  {record['database']}: "
        f"{record['question']}",
        flush=True,
    )
    if verbose:
        print(f"        path={record.get('path')} tokens={record.get('tokens')} timings={record.get('timings')}")
        print(
            f"        sql={record.get('sql')!r}\n        answer={(record.get('answer') or '')[:200]!r}"
            f"{'' if record.get('ok') else '  error=' + str(record.get('error'))}",
            flush=True,
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cold", action="store_true", help="start with an empty prompt-state cache")
    parser.add_argument("--only", choices=["first", "warm", "alternating", "again"], action="append")
    parser.add_argument("--reply-cache", action="store_true", help="keep replies (the default setting); adds 'again'")
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    phases = args.only or ["first", "warm", "alternating"] + (["again"] if args.reply_cache else [])
    if "again" in phases and not args.reply_cache:
        parser.error("the phase 'again' needs --reply-cache")
    if not (BUILD / "chinook.db").exists() or not (BUILD / "simonw_releases.db").exists():
        subprocess.run([sys.executable, str(ROOT / "setup-scripts" / "build_demo_db.py")], check=True)

    env = dict(os.environ)
    scratch = None
    if args.cold:
        from datasette_llm.config import default_models_dir

        scratch = tempfile.TemporaryDirectory(prefix="latency-cache-")
        env.setdefault("DATASETTE_LLM_MODELS_DIR", str(default_models_dir()))
        env["XDG_CACHE_HOME"] = scratch.name
    port = free_port()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the server too (the finally below)
    settings_dir = tempfile.TemporaryDirectory(prefix="latency-metadata-")
    server = start_server(port, env, demo_metadata(args.reply_cache, Path(settings_dir.name)))
    records: dict[str, list[dict]] = {}
    loads: dict[str, float] = {}
    try:
        up = wait_until_up(port, server)
        print(f"datasette answered HTTP after {up:.1f}s (port {port}, cold={args.cold})", flush=True)
        if "first" in phases:
            load = OtherLoad(server.pid)
            records["first"] = [ask(port, *QUESTIONS[0])]
            loads["first"] = load.cores()
            show(records["first"][0], args.verbose)
        if {"warm", "alternating", "again"} & set(phases):
            waited = wait_until_idle(server.pid)
            print(f"server idle (start-up warm-up done) after another {waited:.0f}s", flush=True)
        half = len(QUESTIONS) // 2
        orders = {
            "warm": QUESTIONS,
            "alternating": [q for pair in zip(QUESTIONS[:half], QUESTIONS[half:]) for q in pair],
            "again": QUESTIONS,
        }
        for phase, order in orders.items():
            if phase not in phases:
                continue
            records[phase] = []
            load = OtherLoad(server.pid)
            for database, question in order:
                records[phase].append(ask(port, database, question))
                show(records[phase][-1], args.verbose)
            loads[phase] = load.cores()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        if scratch is not None:
            scratch.cleanup()
        settings_dir.cleanup()
    print()
    figures = [summary(name, items, loads.get(name)) for name, items in records.items()]
    if args.out:
        args.out.write_text(json.dumps({"figures": figures, "records": records}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
