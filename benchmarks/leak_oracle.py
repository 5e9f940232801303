"""The differential leak oracle of issue 15 at scale: generated statements, the hostile corpus and one
statement per class, each asked of the original world and of the changed copies (see tests/leak_oracle.py).

    .venv/bin/python benchmarks/leak_oracle.py [--count 10000] [--seed 0] [--examples 5] [--no-corpus]
                               [--scenario anonymous|staffer] [--surfaces query.json,mcp] [--out leaks.json]

Scenarios (tests/leak_oracle.py): `anonymous` sees only the visible tables; `staffer`, a signed-in actor,
may also see the hidden table staff and the view over it (which then stay the same in every copy).

Prints: statements, verdicts on the original copy (ran = accepted by guard and SQLite; rejected = refused
by the guard; failed = refused by SQLite or its authorizer; other = any other status), leaking statements
(with the shortest few, and how many leak through each surface and copy), unstable answers, seconds.
Exits 1 when anything leaked.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from leak_oracle import (  # noqa: E402 (tests/ is put on the path first)
    CLASS_STATEMENTS,
    SCENARIOS,
    SURFACES,
    VISIBLE_DB,
    OracleRunner,
    Tally,
    corpus_statements,
    random_statements,
)


def inputs(args) -> list[tuple[str, str | None, str]]:
    """(source, database, sql) in the order they run."""
    rows = []
    if not args.no_corpus:
        rows += [("classes", VISIBLE_DB, sql) for _, sql in CLASS_STATEMENTS]
        rows += [("corpus", VISIBLE_DB, sql) for _, sql in corpus_statements()]
    rows += [("generated", database, sql) for database, sql in random_statements(args.seed, args.count)]
    return rows


def gist(response) -> str:
    """What kind of answer this was: rows, or the status and the start of the error (grouping leaks by cause)."""
    body = response.body if isinstance(response.body, dict) else {}
    body = body.get("result", {}).get("structuredContent", body) if "result" in body else body
    if response.status == 200 and body.get("ok"):
        return "rows"
    return f"{response.status} {str(body.get('error') or body.get('reason') or body)[:70]}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="generated statements")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--examples", type=int, default=5, help="leaking statements to print")
    parser.add_argument("--no-corpus", action="store_true", help="generated statements only")
    parser.add_argument("--surfaces", default=",".join(SURFACES))
    parser.add_argument("--scenario", default="anonymous", choices=sorted(SCENARIOS))
    parser.add_argument("--out", type=Path, help="write every leak here as JSON")
    args = parser.parse_args(argv)
    logging.getLogger("sqlglot").setLevel(logging.ERROR)

    started = time.perf_counter()
    tallies: dict[str, Tally] = {}
    with tempfile.TemporaryDirectory() as directory:
        runner = OracleRunner(Path(directory), surfaces=args.surfaces.split(","), scenario=SCENARIOS[args.scenario])
        rows = inputs(args)
        for number, (source, database, sql) in enumerate(rows, 1):
            tallies.setdefault(source, Tally()).add(runner.check(sql, database))
            if number % 1000 == 0:
                leaking = sum(t.leaking_statements for t in tallies.values())
                print(
                    f"  {number:,}/{len(rows):,} statements, {leaking:,} leaking, "
                    f"{time.perf_counter() - started:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
        runner.close()
    seconds = time.perf_counter() - started

    all_leaks = [leak for tally in tallies.values() for leak in tally.leaks]
    print(f"scenario {args.scenario}, seed {args.seed}, surfaces {args.surfaces}")
    print(
        f"{'source':<10} {'statements':>10} {'ran':>6} {'rejected':>8} {'failed':>6} {'other':>5} "
        f"{'leaking':>7} {'unstable':>8}"
    )
    for source, tally in tallies.items():
        v = tally.verdicts
        print(
            f"{source:<10} {tally.statements:>10,} {v['ran']:>6,} {v['rejected']:>8,} {v['failed']:>6,} "
            f"{v['other']:>5,} {tally.leaking_statements:>7,} {tally.unstable:>8,}"
        )
    by_where = Counter((leak.variant, leak.surface) for leak in all_leaks)
    print(
        "leaks by copy and surface: "
        + (", ".join(f"{v}/{s} {n:,}" for (v, s), n in sorted(by_where.items())) or "none")
    )
    groups: dict[str, list] = {}
    for leak in all_leaks:
        if leak.surface == args.surfaces.split(",")[0]:
            groups.setdefault(f"{leak.variant}: {gist(leak.original)} | {gist(leak.changed)}", []).append(leak)
    for key, leaks in sorted(groups.items(), key=lambda item: -len(item[1])):
        print(f"  {len(leaks):>5,} x {key}\n        e.g. {min((leak.sql for leak in leaks), key=len)}")
    shortest = sorted({(len(leak.sql), leak.sql): leak for leak in all_leaks}.values(), key=lambda x: len(x.sql))
    for leak in shortest[: args.examples]:
        print("\nLEAK " + str(leak))
    print(
        f"\nseconds {seconds:.1f} ({seconds / max(1, sum(t.statements for t in tallies.values())) * 1000:.1f} "
        "ms per statement)"
    )
    if args.out:
        args.out.write_text(json.dumps([leak.to_json() for leak in all_leaks], ensure_ascii=False, indent=1))
    return 1 if all_leaks else 0


if __name__ == "__main__":
    sys.exit(main())
