"""How long a person waits in the browser: the Ask page in real Chromium, on the two demo databases.

    .venv/bin/python benchmarks/latency_browser.py [--only first|warm|alternating] [--typing MS] [--out F]

The same server, questions and phases as benchmarks/latency.py (which measures the JSON stream API), but each
question is typed into the Ask page and timed until the SQL's rows are visible (`rows`; text answers have
none), until the passages of a text answer are listed (`sources`), and until the answer is complete (`complete`:
the timings line appears). `first data` is rows or sources, whichever the question has: what latency.py's
`rows` counts over the stream API (its `rows` or `answering` event). Chromium is Debian's
/usr/bin/chromium driven by Playwright (no browser download).

Questions are pasted into the box at once; with `--typing MS` they are typed key by key (MS milliseconds a key,
e.g. 150 for a quick typist). The times are taken in the page: from the Enter key's keydown to the DOM change
that adds the rows table or the timings line (a MutationObserver; the next frame paints it). Playwright's own
waits poll every 500 ms once a wait has lasted a second, which added up to half a second to every figure before
2026-12-01 (they came out in steps of 0.5 s).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from latency import (  # noqa: E402
    QUESTIONS,
    demo_metadata,
    free_port,
    pct,
    start_server,
    wait_until_idle,
    wait_until_up,
)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 600_000

# In the page, before Enter is pressed: performance.now() at the keydown, when the turn's rows table (or, for
# answers without early rows, the timings line) is added, and when the timings line is added.
WATCH = """() => {
  const times = window.__askTimes = {start: null, rows: null, sources: null, complete: null};
  const turn = () => document.querySelector(".ask-turn:last-child");
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && times.start === null) times.start = performance.now();
  }, {capture: true});
  new MutationObserver(() => {
    const node = turn();
    if (times.start === null || !node) return;
    const now = performance.now();
    const timings = node.querySelector(".ask-timings");
    if (times.rows === null && !timings &&
        node.querySelector(".ask-early-rows table, .ask-early-rows .zero-results")) times.rows = now;
    if (times.sources === null && !timings && node.querySelector(".ask-early-sources li")) times.sources = now;
    if (times.complete === null && timings) times.complete = now;
  }).observe(document.body, {childList: true, subtree: true});
}"""


def ask_in_page(page, base: str, database: str, question: str, typing_ms: int = 0) -> dict:
    page.goto(f"{base}/{database}/-/ask")
    page.wait_for_selector("#ask-question")
    turn = ".ask-turn:last-child"
    page.evaluate(WATCH)
    if typing_ms:  # key by key, as a person types
        page.type("#ask-question", question, delay=typing_ms)
    else:  # pasted at once
        page.fill("#ask-question", question)
    page.press("#ask-question", "Enter")
    page.wait_for_selector(f"{turn} .ask-timings", timeout=TIMEOUT_MS)
    seen = page.evaluate("window.__askTimes")
    complete = (seen["complete"] - seen["start"]) / 1000
    rows = (seen["rows"] - seen["start"]) / 1000 if seen.get("rows") is not None else None
    if rows is None and page.locator(f"{turn} .ask-final-sql").count():
        rows = complete  # rows and answer arrived together
    sources = (seen["sources"] - seen["start"]) / 1000 if seen.get("sources") is not None else None
    ok = page.locator(f"{turn} .ask-error").count() == 0
    server = page.locator(f"{turn} .ask-timings").inner_text()  # the server's own stage times, as the page shows them
    return {
        "database": database,
        "question": question,
        "rows": rows,
        "sources": sources,
        "complete": complete,
        "ok": ok,
        "server": server,
    }


def summary(name: str, runs: list[dict]) -> str:
    complete = [r["complete"] for r in runs]
    rows = [r["rows"] for r in runs if r["rows"] is not None]
    line = (
        f"{name:<12} n={len(runs):<3} complete p50 {statistics.median(complete):6.1f} s  p95 {pct(complete, 95):6.1f} s"
    )
    if rows:
        line += f"   rows p50 {statistics.median(rows):6.1f} s  p95 {pct(rows, 95):6.1f} s"
    first = [r["rows"] if r["rows"] is not None else r["sources"] for r in runs]
    first = [seconds for seconds in first if seconds is not None]
    if len(first) > len(rows):
        line += f"   first data (rows or sources) p50 {statistics.median(first):6.1f} s"
    return line + f"   failed {sum(not r['ok'] for r in runs)}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("first", "warm", "alternating"))
    parser.add_argument("--out")
    parser.add_argument(
        "--typing",
        type=int,
        default=0,
        metavar="MS",
        help="type each question key by key, MS milliseconds a key (0, the default: paste it at once)",
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # As latency.py serves it: the demo's metadata without the reply cache, so every question is the model's work.
    settings_dir = tempfile.TemporaryDirectory(prefix="latency-metadata-")
    server = start_server(port, dict(os.environ), demo_metadata(False, Path(settings_dir.name)))
    results: dict[str, list[dict]] = {}
    try:
        wait_until_up(port, server)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page()
            if args.only in (None, "first"):
                database, question = QUESTIONS[0]
                results["first"] = [ask_in_page(page, base, database, question, args.typing)]
                print(summary("first", results["first"]), flush=True)
            wait_until_idle(server.pid)
            if args.only in (None, "warm"):
                results["warm"] = [ask_in_page(page, base, d, q, args.typing) for d, q in QUESTIONS]
                print(summary("warm", results["warm"]), flush=True)
            if args.only in (None, "alternating"):
                by_db: dict[str, list[str]] = {}
                for d, q in QUESTIONS:
                    by_db.setdefault(d, []).append(q)
                names = list(by_db)
                order = [(names[i % 2], by_db[names[i % 2]][i // 2]) for i in range(2 * min(map(len, by_db.values())))]
                results["alternating"] = [ask_in_page(page, base, d, q, args.typing) for d, q in order]
                print(summary("alternating", results["alternating"]), flush=True)
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except Exception:  # noqa: BLE001
            server.kill()
        settings_dir.cleanup()
    for phase, runs in results.items():
        for run in runs:
            rows = f"{run['rows']:.1f}" if run["rows"] is not None else "-"
            sources = f"  sources {run['sources']:.1f} s" if run.get("sources") is not None else ""
            print(
                f"  {phase:<12} {run['database']:<16} rows {rows:>6} s{sources}  complete {run['complete']:6.1f} s  "
                f"{'ok ' if run['ok'] else 'ERR'} {run['question']}"
            )
            print(f"      {run['server']}")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
