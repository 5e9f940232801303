"""Untrusted SQL, validated and run: the security boundary. No models and no prompts in here; the heuristics
that make a query more likely to answer its question live in ask/repairs/ and can never widen what runs here.

The boundary (what may run, and how):
policy.py                the one read policy both walls read: allowed functions, table functions, pragmas, shadow tables
guard.py                 check_select / validate_select: parse, one read-only statement, then the checks below
parsing.py               the one way to parse untrusted SQL: too many JOINs refused from the tokens, then sqlglot
functions.py             which functions a statement may call, printf widths, table-valued and pragma functions
tables.py                which tables a statement reads, resolved by scope (CTEs, `IN 'name'`, INDEXED BY)
lexer.py                 SQLite's own tokenizing, compared with sqlglot's tokens
results.py               SchemaInfo, GuardedSQL, Rejection and SQLRejectedError
guard_worker.py          the guard in a child process, with a queue and a time budget (SQL sent by clients)
authorizer.py            the second wall: SQLite's authorizer over the same policy, the compiled program's check
execute.py               run_select / read_as_actor: under the authorizer, time limit, value and row caps
memory_budget.py         the statements' shared memory budget and SQLite's heap limits while they run
memory.py                SQLite's own memory count and heap limits, read through ctypes
clipping.py              cells and texts cut to what is shown, with CLIP_MARKER
failures.py              QueryFailed / QueryTimeout, and what an asker may be told of a failed read
snapshot.py              reads of the schema at the version the actor's permissions were decided at
names.py                 the one place that quotes a table or column name

Helpers that decide nothing (error messages and parsing a model's reply):
columns.py               column references resolved by scope, for errors with the nearest real names
replies.py               extract_sql: the SQL in a model's reply
join_links.py            foreign-key links between tables (nearest names in errors; read by ask/repairs/)
"""
