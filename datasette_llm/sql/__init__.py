"""Untrusted SQL, validated and run: the security boundary. No models and no prompts in here.

policy.py                the one read policy both walls read: allowed functions, table functions, pragmas, shadow tables
guard.py                 check_select / validate_select: parse, one read-only statement, then the checks below
functions.py             which functions a statement may call, printf widths, table-valued and pragma functions
tables.py                which tables a statement reads, resolved by scope (CTEs, `IN 'name'`, INDEXED BY)
columns.py               column references resolved by scope, for errors with the nearest real names
lexer.py                 SQLite's own tokenizing, compared with sqlglot's tokens
results.py               SchemaInfo, GuardedSQL, Rejection and SQLRejectedError
replies.py               extract_sql: the SQL in a model's reply
guard_worker.py          the guard in a child process, with a queue and a time budget (SQL sent by clients)
execute.py               run_select: the SQLite authorizer over the same policy, time limit, value and row caps
join_links.py            foreign-key links between tables, and ON clauses that link nothing
join_tree.py             how one SELECT's tables hang together through its ON clauses
connection_functions.py  the SQL functions the plugin adds to every Datasette connection (llm_cosine, rank_bm25)
"""
