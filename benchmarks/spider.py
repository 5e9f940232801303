"""Execution accuracy of Ask on Spider 1.0 dev (open part), against a one-prompt baseline, in one run.

    .venv/bin/python benchmarks/spider.py [--limit N] [--db car_1 --db pets_1]
    .venv/bin/python benchmarks/spider.py --baseline-from earlier.json        # the method only; baseline reused
    .venv/bin/python benchmarks/spider.py --rerun earlier.json [--with-error TEXT]  # after a repair-loop change
    .venv/bin/python benchmarks/spider.py --rerun earlier.json --index 12,41  # only these questions
    .venv/bin/python benchmarks/spider.py --report results.json               # print a saved run's report
    .venv/bin/python benchmarks/spider.py --examples [--limit N]              # Ask with trusted examples vs without

Method: the full Ask pipeline up to the rows (`sql_only=True`): schema with example rows and rules, sqlglot
validation, repair loop. Baseline: the same model and weights, one prompt in Qwen2.5-Coder's evaluation
layout (CREATE TABLE + 3 example rows + question), no validation, no repair; its SQL runs as written.
Each has its own llama.cpp context so both keep their cached schema prefix.

--examples (issue 17): per database, all its questions are split into two folds. Each question asked (all, or
--limit's share) is asked with the other fold's questions and gold SQL as trusted examples, and once without
examples, one after the other; with --compare-chosen also with the examples chosen per question only
(`few_shot_kept_tokens` 0, as before session 20), with --compare-kept also without repeating a kept example next to
the question (`few_shot_repeat` 0, as in session 20). An example whose gold SQL is the question's own query (a
paraphrase) is never used: that would be copying, not learning. Two ways to fold:
  --folds alternate (default, sessions 9-19): questions alternate, so the paraphrases Spider lists next to each
    other fall in different folds; the pool then holds one paraphrase of nearly every other query of the
    database, and each question's own is taken out, so the pool differs from question to question: the examples
    kept for every question then differ too, and their saved prompt state serves only part of the next question.
  --folds query: the distinct gold queries alternate and a query's paraphrases stay in its fold, so no pool holds
    an asked question's query and the pool is the same for every question of a fold, as a store's examples are
    for every question of a database; it holds only half of the database's queries.
Before a database's questions are timed, the prompt prefixes every arm uses are read and saved, as `datasette
serve` does at start-up (warm_up.py); the seconds that took are reported apart. The arms with examples take
turns at going first after the arm without (the first loads the kept examples' saved state from disk, the next
finds it in memory; before session 21 the first arm always paid that). No baseline then.

Scoring follows test-suite-sql-eval: result multisets compared, row order only when the gold SQL has
ORDER BY, column order ignored, DISTINCT ignored, a failing query scores 0.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import re
import sqlite3
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPIDER = ROOT.parent / "shared" / "eval" / "spider"
RESULTS = ROOT / "benchmarks" / "results"


# --- scoring ---------------------------------------------------------------------------------------


def strip_distinct(sql: str) -> str:
    return re.sub(r"\bdistinct\b", " ", sql, flags=re.I)


def execute(path: Path, sql: str, timeout_s: float = 10.0):
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.text_factory = lambda b: b.decode("utf-8", errors="replace")
    deadline = time.monotonic() + timeout_s
    conn.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 10000)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _norm(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, float):
        return round(value, 6)
    return value


def results_match(gold_rows, pred_rows, ordered: bool) -> bool:
    if len(gold_rows) != len(pred_rows):
        return False
    if not gold_rows:
        return True
    gold = [tuple(_norm(v) for v in row) for row in gold_rows]
    pred = [tuple(_norm(v) for v in row) for row in pred_rows]
    width = len(gold[0])
    if any(len(row) != width for row in pred):
        return False
    gold_columns = [Counter(row[i] for row in gold) for i in range(width)]
    pred_columns = [Counter(row[i] for row in pred) for i in range(width)]
    # Candidate positions for each gold column: pred columns holding the same multiset of values.
    options = [[j for j in range(width) if pred_columns[j] == gold_columns[i]] for i in range(width)]
    if any(not o for o in options):
        return False
    for permutation in itertools.islice(itertools.product(*options), 2000):
        if len(set(permutation)) != width:
            continue
        permuted = [tuple(row[j] for j in permutation) for row in pred]
        if ordered and permuted == gold:
            return True
        if not ordered and Counter(permuted) == Counter(gold):
            return True
    return False


def score(db_path: Path, gold_sql: str, pred_sql: str | None) -> bool:
    if not pred_sql:
        return False
    try:
        gold = execute(db_path, strip_distinct(gold_sql))
    except sqlite3.Error:
        return False
    try:
        pred = execute(db_path, strip_distinct(pred_sql))
    except (sqlite3.Error, sqlite3.Warning, ValueError):
        return False
    return results_match(gold, pred, ordered=bool(re.search(r"\border\s+by\b", gold_sql, re.I)))


def gold_empty_by_spelling(db_path: Path, gold_sql: str) -> bool:
    """Whether the gold result is empty (or a lone 0 / NULL) only because a literal in the gold SQL is not stored
    as written: flight_2 stores ' APG' and 'Aberdeen ' while its gold SQL asks for 'APG' and 'Aberdeen'.
    Ask substitutes the stored spelling and returns the real rows, which cannot match such a gold result."""
    from datasette_llm.ask.repairs.value_hints import literal_comparisons, nothing_found, spelling_key

    try:
        rows = execute(db_path, gold_sql)
    except sqlite3.Error:
        return False
    if not nothing_found(rows):
        return False
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.text_factory = lambda b: b.decode("utf-8", errors="replace")
    try:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")]
        for column, literal in literal_comparisons(gold_sql.replace('"', "'")):
            for table in tables:
                real = [c[1] for c in conn.execute(f'pragma table_info("{table}")') if c[1].lower() == column.lower()]
                if not real:
                    continue
                stored = [v for (v,) in conn.execute(f'select distinct "{real[0]}" from "{table}"') if v is not None]
                if literal not in stored and any(spelling_key(v) == spelling_key(literal) for v in stored):
                    return True
    finally:
        conn.close()
    return False


def same_query(a: str, b: str) -> bool:
    """Whether two SQL texts are the same query up to case, spacing, quotes and a final semicolon."""
    return _query_key(a) == _query_key(b)


def _query_key(sql: str) -> str:
    import sqlglot

    try:
        sql = sqlglot.transpile(sql, read="sqlite", write="sqlite")[0]
    except Exception:  # noqa: BLE001 - Spider has gold SQL sqlglot cannot read: compare the text
        pass
    sql = sql.replace('"', "'").lower().strip().rstrip(";")
    return re.sub(r"\s*([(),=<>])\s*", r"\1", re.sub(r"\s+", " ", sql)).strip()


def folds_by_query(items) -> list[int]:
    """Each question's fold (0 or 1): the distinct gold queries alternate, in the order first seen, and every
    paraphrase of a query (same_query) goes with it, so no fold's question has its own query in the other fold."""
    fold_of_query: dict[str, int] = {}
    folds = []
    for _, q in items:
        key = _query_key(q["query"])
        if key not in fold_of_query:
            fold_of_query[key] = len(fold_of_query) % 2
        folds.append(fold_of_query[key])
    return folds


def folds_alternate(items) -> list[int]:
    """Each question's fold by its place in its database's list, odd or even."""
    return [place % 2 for place in range(len(items))]


def fold_pools(items, vectors, folds):
    """Per fold, the other fold's questions and gold SQL as a pool of trusted examples (in the database's order):
    with --limit too, the pool holds every question of the other fold."""
    from datasette_llm.ask.few_shot import Shot, ShotPool

    pools = {}
    for fold in (0, 1):
        other = [n for n in range(len(items)) if folds[n] != fold]
        shots = [Shot(items[n][1]["question"], items[n][1]["query"], "example", items[n][0]) for n in other]
        pools[fold] = ShotPool(shots, vectors[other])
    return pools


async def warm_prefix(datasette, db_id, model, settings, pool) -> float:
    """Read and save the SQL prompt prefix a question on `db_id` with `pool` uses (schema and kept examples), as
    the server's warm-up does; the seconds it took."""
    from datasette_llm.ask.pipeline import AskPipeline
    from datasette_llm.ask.warm_up import shared_prompt

    started = time.perf_counter()
    pipeline = AskPipeline(datasette, db_id, "warm-up", model=model, settings=settings, examples=pool)
    await pipeline.prepare()
    messages, options = await shared_prompt(pipeline)
    await asyncio.to_thread(model.prepare_prefix, messages, options)
    return time.perf_counter() - started


# --- the two systems -------------------------------------------------------------------------------


async def baseline_sql(model, schema_text: str, question: str) -> tuple[str, float]:
    from datasette_llm.models import ChatOptions
    from datasette_llm.sql.replies import extract_sql

    prompt = (
        f"{schema_text}\n\n-- Using valid SQLite, answer the following questions for the tables "
        f"provided above.\nQuestion: {question}"
    )
    started = time.perf_counter()
    reply = await model.chat([{"role": "user", "content": prompt}], ChatOptions(max_tokens=384))
    return extract_sql(reply.text), time.perf_counter() - started


def earlier_records(path: str) -> list[dict]:
    """The records of a saved run: the whole benchmark (its merged records, when it was itself a rerun)."""
    saved = json.loads(Path(path).read_text())
    return saved.get("merged") or saved["records"]


def needed_repair(record: dict) -> bool:
    """Whether the method hit a rejection or an SQLite error on the way (or gave up) for this question."""
    return bool(record["error"]) or any(t.get("error") and "candidate" not in t for t in record["trail"])


async def run(args) -> dict:
    from datasette.app import Datasette

    from datasette_llm.ask.pipeline import ask
    from datasette_llm.ask.schema import render_schema
    from datasette_llm.ask.schema_tables import load_tables
    from datasette_llm.config import load_settings
    from datasette_llm.models import chat_model_for
    from datasette_llm.models.llama_cpp import LlamaCppChatModel
    from datasette_llm.models.provision import CHAT_GGUF

    questions = list(enumerate(json.loads((SPIDER / "dev.json").read_text())))  # index: place in dev.json
    if args.db:
        questions = [(i, q) for i, q in questions if q["db_id"] in args.db]
    every_question = defaultdict(list)  # the folds come from all of a database's questions, whichever are asked
    for index, q in questions:
        every_question[q["db_id"]].append((index, q))
    if args.index:
        questions = [(i, q) for i, q in questions if i in args.index]
    elif args.rerun:
        earlier = {r["index"]: r for r in earlier_records(args.rerun)}
        questions = [(i, q) for i, q in questions if i in earlier and needed_repair(earlier[i])]
        if args.with_error:  # narrower still: a change that only alters these messages affects no other question
            questions = [
                (i, q)
                for i, q in questions
                if any(text in (step.get("error") or "") for step in earlier[i]["trail"] for text in args.with_error)
            ]
    reused_baseline = {}
    if args.baseline_from:
        reused_baseline = {r["index"]: r for r in json.loads(Path(args.baseline_from).read_text())["records"]}
    by_db = defaultdict(list)
    for index, q in questions:
        by_db[q["db_id"]].append((index, q))
    if args.limit:  # spread a quick run over every database
        per_db = max(1, args.limit // len(by_db))
        by_db = {db: items[args.skip : args.skip + per_db] for db, items in by_db.items()}
    elif args.skip:
        by_db = {db: items[args.skip :] for db, items in by_db.items()}

    settings = load_settings(
        {
            "max_rows": 100000,
            "repair_attempts": args.attempts,
            "model_timeout": 600,
            "sql_candidates": args.candidates,
            **({"few_shot_examples": args.few_shot_examples} if args.few_shot_examples is not None else {}),
            **({"few_shot_budget_tokens": args.few_shot_budget} if args.few_shot_budget is not None else {}),
            **({"few_shot_kept_tokens": args.few_shot_kept} if args.few_shot_kept is not None else {}),
        },
        {},
    )
    chosen_settings = replace(settings, few_shot_kept_tokens=0)  # --compare-chosen: per question only
    kept_settings = replace(settings, few_shot_repeat=0)  # --compare-kept: no kept example shown again
    method_model = chat_model_for(settings)
    baseline_model = LlamaCppChatModel(
        "baseline", settings.models_dir / CHAT_GGUF.relative_path, n_ctx=settings.n_ctx, timeout=600, queue_limit=10
    )
    from datasette_llm.ask.few_shot import ShotPool
    from datasette_llm.models import embedding_model_for

    no_examples = ShotPool([])  # never the examples a user may have stored for a database of the same name
    embedder = embedding_model_for(settings) if args.examples else None
    records = []
    warm_ups: list[dict] = []
    for db_id, items in by_db.items():
        path = SPIDER / "database" / db_id / f"{db_id}.sqlite"
        datasette = Datasette(immutables=[str(path)], settings={"sql_time_limit_ms": 10000})
        await datasette.invoke_startup()
        if args.examples:
            every = every_question[db_id]
            vectors = await embedder.aembed([q["question"] for _, q in every])
            folds = folds_by_query(every) if args.folds == "query" else folds_alternate(every)
            pools = fold_pools(every, vectors, folds)
            fold_of = {index: folds[place] for place, (index, _) in enumerate(every)}
            arms = [("method", settings, None), ("examples", settings, pools)]
            if args.compare_chosen:
                arms.append(("chosen", chosen_settings, pools))
            if args.compare_kept:
                arms.append(("kept", kept_settings, pools))
            for key, arm_settings, arm_pools in arms:  # as the server's start-up warm-up would
                for pool in arm_pools.values() if arm_pools else [no_examples]:
                    seconds = await warm_prefix(datasette, db_id, method_model, arm_settings, pool)
                    warm_ups.append({"db": db_id, "arm": key, "seconds": round(seconds, 2)})
            for index, q in items:
                full = pools[fold_of[index]]
                pool = full.without(lambda shot, gold=q["query"]: same_query(shot.sql, gold))
                if args.folds == "query":
                    assert len(pool) == len(full), "the folds by query leave no paraphrase in the other fold"
                record = {"index": index, "db": db_id, "question": q["question"], "gold": q["query"]}
                # The first arm after the one without examples loads the kept examples' saved state, the next
                # finds it in memory: the arms with examples take turns at going first.
                turn = arms[1:] if len(records) % 2 == 0 else arms[:0:-1]
                for key, arm_settings, arm_pools in arms[:1] + turn:
                    examples = pool if arm_pools else no_examples
                    started = time.perf_counter()
                    try:
                        result = await ask(
                            datasette,
                            db_id,
                            q["question"],
                            model=method_model,
                            settings=arm_settings,
                            sql_only=True,
                            examples=examples,
                        )
                        sql, tokens, used, error = result.sql, result.tokens, list(result.examples), result.error
                    except Exception as exc:  # a crash is a failure to answer, and must be visible
                        sql, tokens, used, error = None, {}, [], f"{type(exc).__name__}: {exc}"
                    record[f"{key}_sql"] = sql
                    record[f"{key}_ok"] = score(path, q["query"], sql)
                    record[f"{key}_s"] = round(time.perf_counter() - started, 2)
                    record[f"{key}_prompt_tokens"] = tokens.get("sql_prompt", 0)
                    record[f"{key}_error"] = error
                    if key != "method":
                        record[f"{key}_used"] = [shot["id"] for shot in used]
                        record[f"{key}_kept"] = sum(1 for shot in used if shot.get("kept"))
                        record[f"{key}_scores"] = [shot["score"] for shot in used]
                        record["pool_size"] = len(pool)
                records.append(record)
                if args.verbose:
                    arms_text = " ".join(
                        f"{key}={int(record[f'{key}_ok'])}/{record[f'{key}_s']:.1f}s" for key, _, _ in arms
                    )
                    print(f"[{len(records)}] {db_id} {arms_text} | {q['question'][:60]}", flush=True)
            Path(args.out + ".partial").write_text(json.dumps({"records": records}))
            continue
        tables = await load_tables(datasette, db_id, None)
        baseline_schema = render_schema(db_id, tables, baseline_model.count_tokens, 100000).text
        for index, q in items:
            gold = q["query"]
            if index in reused_baseline:  # the baseline is deterministic: an earlier run's answer stands
                b_sql, b_seconds = reused_baseline[index]["baseline_sql"], reused_baseline[index]["baseline_s"]
            else:
                b_sql, b_seconds = await baseline_sql(baseline_model, baseline_schema, q["question"])
            started = time.perf_counter()
            try:
                result = await ask(
                    datasette,
                    db_id,
                    q["question"],
                    model=method_model,
                    settings=settings,
                    sql_only=True,
                    examples=no_examples,
                )
                m_sql, attempts, error = result.sql, len(result.attempts), result.error
                trail = [{"sql": a.sql, "error": a.error, "kind": a.error_kind} for a in result.attempts]
                trail += [
                    {"candidate": c.sql, "error": c.error, "votes": c.votes, "chosen": c.chosen}
                    for c in result.candidates
                ]
            except Exception as exc:  # a crash is a failure to answer, and must be visible
                m_sql, attempts, error = None, 0, f"{type(exc).__name__}: {exc}"
                trail = []
            m_seconds = time.perf_counter() - started
            record = {
                "index": index,
                "db": db_id,
                "question": q["question"],
                "gold": gold,
                "baseline_sql": b_sql,
                "baseline_ok": score(path, gold, b_sql),
                "baseline_s": round(b_seconds, 2),
                "method_sql": m_sql,
                "method_ok": score(path, gold, m_sql),
                "method_s": round(m_seconds, 2),
                "attempts": attempts,
                "error": error,
                "trail": trail,
                "gold_empty_by_spelling": gold_empty_by_spelling(path, gold),
            }
            greedy = [t for t in trail if "candidate" in t][:1]
            if greedy:  # voting on: the first candidate is what the method returns without voting
                record["greedy_ok"] = score(path, gold, greedy[0]["candidate"])
            records.append(record)
            if args.verbose:
                print(
                    f"[{len(records)}] {db_id} base={int(record['baseline_ok'])} "
                    f"method={int(record['method_ok'])} {m_seconds:.1f}s att={attempts} | {q['question'][:60]}",
                    flush=True,
                )
        # keep what a long run has measured so far, in case it is interrupted
        Path(args.out + ".partial").write_text(json.dumps({"records": records}))
    return {
        "records": records,
        "settings": {
            "attempts": args.attempts,
            "candidates": args.candidates,
            "model": method_model.name,
            "n_ctx": settings.n_ctx,
            "examples": bool(args.examples),
            "few_shot_examples": settings.few_shot_examples,
            "few_shot_budget_tokens": settings.few_shot_budget_tokens,
            "few_shot_kept_tokens": settings.few_shot_kept_tokens,
            "few_shot_repeat": settings.few_shot_repeat,
            "folds": args.folds if args.examples else None,
        },
        "warm_ups": warm_ups,
    }


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def accuracy_table(records, first: tuple[str, str], second: tuple[str, str], difference: str) -> list[str]:
    """EX per database and overall for two systems: `first` and `second` are (record key, column label)."""
    (key_a, label_a), (key_b, label_b) = first, second
    width_a, width_b = max(len(label_a) + 2, 10), max(len(label_b) + 2, 10)
    lines = [f"{'database':<32}{'n':>5}{label_a:>{width_a}}{label_b:>{width_b}}"]
    by_db = defaultdict(list)
    for r in records:
        by_db[r["db"]].append(r)
    for db, rs in sorted(by_db.items()):
        lines.append(
            f"{db:<32}{len(rs):>5}{100 * sum(r[key_a] for r in rs) / len(rs):>{width_a - 1}.1f}%"
            f"{100 * sum(r[key_b] for r in rs) / len(rs):>{width_b - 1}.1f}%"
        )
    n = len(records)
    a = 100 * sum(r[key_a] for r in records) / n
    b = 100 * sum(r[key_b] for r in records) / n
    lines.append(
        f"{'overall':<32}{n:>5}{a:>{width_a - 1}.1f}%{b:>{width_b - 1}.1f}%   ({difference}: {b - a:+.1f} points)"
    )
    return lines


def report_examples(data: dict) -> str:
    """Ask with trusted examples against Ask without, on the same questions in the same run."""
    records = data["records"]
    settings = data["settings"]
    arms = [("examples", "with")] + [(key, key) for key in ("chosen", "kept") if f"{key}_ok" in records[0]]
    lines = [
        f"Spider dev (open part), trusted examples from the other fold ({settings.get('folds') or 'alternate'}): "
        f"{len(records)} questions, model "
        f"{settings['model']}; with: examples kept for every question in {settings.get('few_shot_kept_tokens', 0)} "
        f"tokens, then up to {settings['few_shot_examples']} chosen per question in "
        f"{settings['few_shot_budget_tokens']} tokens, repeating up to {settings.get('few_shot_repeat', 0)} kept "
        "one very like the question; chosen: the chosen ones only; kept: none repeated",
    ]
    for key, label in arms:
        lines += accuracy_table(
            records, ("method_ok", "without EX"), (f"{key}_ok", f"{label} EX"), f"{label} - without"
        )
        fixed = sum(1 for r in records if r[f"{key}_ok"] and not r["method_ok"])
        broken = sum(1 for r in records if r["method_ok"] and not r[f"{key}_ok"])
        lines.append(f"{label}: examples fixed {fixed} questions and broke {broken}")
    for key, label in [("method", "without")] + arms:
        seconds = [r[f"{key}_s"] for r in records]
        tokens = [r[f"{key}_prompt_tokens"] for r in records]
        lines.append(
            f"{label:<8} seconds per question: p50 {pct(seconds, 50):.2f}  p95 {pct(seconds, 95):.2f}  "
            f"mean {statistics.mean(seconds):.2f}; SQL prompt tokens per question: mean {statistics.mean(tokens):.0f}"
        )
    for key, label in arms:
        used = [len(r[f"{key}_used"]) for r in records]
        kept = [r.get(f"{key}_kept", 0) for r in records]
        lines.append(
            f"{label}: examples shown per question: mean {statistics.mean(used):.2f}, of them kept for every "
            f"question {statistics.mean(kept):.2f} (pool per question: mean "
            f"{statistics.mean(r['pool_size'] for r in records):.1f})"
        )
    warm_ups = data.get("warm_ups") or []
    for key in dict.fromkeys(w["arm"] for w in warm_ups):
        seconds = [w["seconds"] for w in warm_ups if w["arm"] == key]
        lines.append(
            f"prefixes read before timing ({key}): {len(seconds)}, seconds each: median "
            f"{statistics.median(seconds):.1f}, max {max(seconds):.1f} (a server reads them once, at start-up)"
        )
    return "\n".join(lines)


def report(data: dict) -> str:
    records = data["records"]
    lines = [
        f"Spider dev (open part): {len(records)} questions, model {data['settings']['model']}, "
        f"attempts={data['settings']['attempts']}"
    ]
    lines += accuracy_table(records, ("baseline_ok", "baseline EX"), ("method_ok", "method EX"), "method - baseline")
    spelt = [r for r in records if r.get("gold_empty_by_spelling")]
    if spelt:
        rest = [r for r in records if not r.get("gold_empty_by_spelling")]
        base_rest = 100 * sum(r["baseline_ok"] for r in rest) / len(rest)
        method_rest = 100 * sum(r["method_ok"] for r in rest) / len(rest)
        lines.append(
            f"{len(spelt)} questions have a gold result that is empty (or 0) only because the gold SQL "
            f"spells a value differently from the data; baseline {sum(r['baseline_ok'] for r in spelt)}, "
            f"method {sum(r['method_ok'] for r in spelt)} of them match it. The other {len(rest)}: "
            f"baseline {base_rest:.1f}%, method {method_rest:.1f}% ({method_rest - base_rest:+.1f} points)"
        )

    for key, label in (("method_s", "method"), ("baseline_s", "baseline")):
        values = [r[key] for r in records]
        lines.append(
            f"{label} seconds per question: p50 {pct(values, 50):.2f}  p95 {pct(values, 95):.2f}  "
            f"mean {statistics.mean(values):.2f}"
        )
    voted = [r for r in records if "greedy_ok" in r]
    if voted:
        greedy = 100 * sum(r["greedy_ok"] for r in voted) / len(voted)
        chosen = 100 * sum(r["method_ok"] for r in voted) / len(voted)
        changed = sum(1 for r in voted if not next(t for t in r["trail"] if "candidate" in t)["chosen"])
        lines.append(
            f"voting ({data['settings']['candidates']} candidates) on {len(voted)} questions: first "
            f"query alone {greedy:.1f}%, voted {chosen:.1f}% ({chosen - greedy:+.1f} points); "
            f"the vote overruled the first query {changed} times"
        )
    attempts = Counter(r["attempts"] for r in records)
    lines.append(
        "method attempts per question: mean "
        f"{statistics.mean(r['attempts'] for r in records):.2f}; distribution "
        + ", ".join(f"{k}: {v}" for k, v in sorted(attempts.items()))
    )
    lines.append(f"method errors (no valid SQL): {sum(1 for r in records if r['error'])}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="about N questions, spread over the databases")
    parser.add_argument("--db", action="append", help="only this database (repeatable)")
    parser.add_argument("--attempts", type=int, default=3)
    parser.add_argument(
        "--candidates", type=int, default=1, help="queries sampled per question for self-consistency voting (1: off)"
    )
    parser.add_argument("--skip", type=int, default=0, help="leave out the first N questions of each database")
    parser.add_argument(
        "--baseline-from",
        metavar="RESULTS_JSON",
        help="take the baseline's answers from an earlier run (greedy, so unchanged) to save time",
    )
    parser.add_argument(
        "--rerun",
        metavar="RESULTS_JSON",
        help="only the questions that needed a repair in an earlier run (changes to the repair "
        "loop affect no other question); the report compares the two runs on them",
    )
    parser.add_argument(
        "--with-error",
        action="append",
        metavar="TEXT",
        help="with --rerun: only questions where an earlier attempt's error contains TEXT",
    )
    parser.add_argument(
        "--index",
        type=lambda text: {int(n) for n in text.split(",")},
        default=set(),
        metavar="N,N,...",
        help="only these questions (places in dev.json); with --rerun, instead of "
        "those that needed a repair: e.g. the questions a new check fires on, found offline",
    )
    parser.add_argument(
        "--examples",
        action="store_true",
        help="Ask with the other fold's questions as trusted examples against Ask without them (no baseline)",
    )
    parser.add_argument("--few-shot-examples", type=int, help="with --examples: the few_shot_examples setting")
    parser.add_argument("--few-shot-budget", type=int, help="with --examples: the few_shot_budget_tokens setting")
    parser.add_argument("--few-shot-kept", type=int, help="with --examples: the few_shot_kept_tokens setting")
    parser.add_argument(
        "--folds",
        choices=("alternate", "query"),
        default="alternate",
        help="with --examples: how the questions are split (see above)",
    )
    parser.add_argument(
        "--compare-chosen",
        action="store_true",
        help="with --examples: a third arm, the examples chosen per question only (few_shot_kept_tokens 0)",
    )
    parser.add_argument(
        "--compare-kept",
        action="store_true",
        help="with --examples: another arm, no kept example repeated next to the question (few_shot_repeat 0)",
    )
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.add_argument("--out", default=str(RESULTS / "spider.json"))
    parser.add_argument(
        "--report",
        metavar="RESULTS_JSON",
        help="print the report of an earlier run (its merged records, if a rerun) and stop",
    )
    args = parser.parse_args()
    if args.report:
        saved = json.loads(Path(args.report).read_text())
        records = earlier_records(args.report)
        for r in records:
            if "gold_empty_by_spelling" not in r:  # runs from before the flag was recorded
                r["gold_empty_by_spelling"] = gold_empty_by_spelling(
                    SPIDER / "database" / r["db"] / f"{r['db']}.sqlite", r["gold"]
                )
        if saved["settings"].get("examples"):
            print(report_examples({**saved, "records": records}))
            return 0
        print(report({"records": records, "settings": saved["settings"]}))
        return 0
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)  # benchmarks/results/ is not in a fresh checkout
    data = asyncio.run(run(args))
    text = report_examples(data) if args.examples else report(data)
    if args.rerun:
        earlier = {r["index"]: r for r in earlier_records(args.rerun)}
        rs = data["records"]
        then = [earlier[r["index"]]["method_ok"] for r in rs]
        now = [r["method_ok"] for r in rs]
        fixed = sum(1 for a, b in zip(then, now) if b and not a)
        broken = sum(1 for a, b in zip(then, now) if a and not b)
        which = f" with an error containing {' or '.join(map(repr, args.with_error))}" if args.with_error else ""
        chosen = "chosen" if args.index else "that needed a repair"
        text += (
            f"\nrerun of the {len(rs)} questions {chosen}{which} in {args.rerun}: method correct "
            f"{sum(then)} then, {sum(now)} now ({sum(now) - sum(then):+d}); fixed {fixed}, broken {broken}"
        )
        # Every other question runs exactly as before (no rejection, no repair), so the earlier records
        # with these substituted are the whole benchmark for the current method.
        merged = {**earlier, **{r["index"]: r for r in rs}}
        data["merged"] = [merged[i] for i in sorted(merged)]
        text += "\n\nwhole benchmark, earlier run with the rerun questions substituted:\n" + report(
            {"records": data["merged"], "settings": data["settings"]}
        )
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({**data, "report": text}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
