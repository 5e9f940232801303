"""How many columns each SELECT of a statement returns, `*` and `t.*` counted as SQLite expands them: a table's
columns, a table-valued function's the columns SQLite gives it (asked once), and through derived tables and CTEs the
columns their own SELECT returns (the first branch of a compound one). A source whose width cannot be known here
counts as UNKNOWN_SOURCE_WIDTH.

The guard refuses a statement wider than MAX_RESULT_COLUMNS with this count; the second wall (sql/execute.py) reads
the width SQLite compiled. Counting `*` over a derived table or a CTE as a fixed 25 columns let
`select *, *, *, * from (select *, *, *, * from (select * from wide))` return 1,600 (an outside tester's mutation
run, session 47).
"""

from __future__ import annotations

import functools
import sqlite3
from contextlib import closing

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, traverse_scope

from .columns import first_select
from .names import fold
from .policy import MAX_RESULT_COLUMNS, PRAGMA_FUNCTIONS, TABLE_FUNCTIONS
from .results import SchemaInfo

# A source the count cannot follow (a function no query may call, which the guard refuses anyway): more than any
# table-valued function a query may call returns (json_each and json_tree 8, the pragma functions at most 8).
UNKNOWN_SOURCE_WIDTH = MAX_RESULT_COLUMNS // 4


@functools.cache
def function_width(name: str) -> int:
    """The columns `select *` returns from the table-valued function `name` (one a query may call), as SQLite
    compiles it; UNKNOWN_SOURCE_WIDTH for any other name. Counted as 25, `select *, *, *, *, * from json_each(x)`
    (40 columns) was refused as 125, wider than 100."""
    if name not in TABLE_FUNCTIONS | PRAGMA_FUNCTIONS:
        return UNKNOWN_SOURCE_WIDTH
    try:
        with closing(sqlite3.connect(":memory:")) as conn:
            return len(conn.execute(f'select * from "{name}"(null) limit 0').description)
    except sqlite3.Error:  # not in this SQLite
        return UNKNOWN_SOURCE_WIDTH


def widest_select(tree: exp.Expression, schema: SchemaInfo) -> int:
    """The most columns any SELECT of the statement returns (0 for none)."""
    widths = _Widths(schema)
    return max((widths.select(scope) for scope in traverse_scope(tree) if isinstance(scope.expression, exp.Select)),
               default=0)  # fmt: skip


class _Widths:
    def __init__(self, schema: SchemaInfo):
        self.schema = schema
        self._scopes: dict[int, int] = {}

    def select(self, scope: Scope) -> int:
        width = 0
        sources = [source for _, source in scope.selected_sources.values()]
        for projection in scope.expression.expressions:
            if isinstance(projection, exp.Star):
                width += sum(self.source(source) for source in sources)
            elif isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
                named = [s for name, (_, s) in scope.selected_sources.items() if fold(name) == fold(projection.table)]
                width += sum(self.source(source) for source in (named or sources))
            else:
                width += 1
        return width

    def source(self, source) -> int:
        if isinstance(source, Scope):
            return self.scope(source)
        if isinstance(source, exp.Table) and isinstance(source.this, exp.Anonymous):
            return function_width(fold(source.this.name))
        if isinstance(source, exp.Table) and not isinstance(source.this, exp.Func):
            real = self.schema.real_name(source.name)
            if real is not None:
                return len(self.schema.tables[real])
        return UNKNOWN_SOURCE_WIDTH

    def scope(self, scope: Scope) -> int:
        key = id(scope)
        if key not in self._scopes:
            self._scopes[key] = UNKNOWN_SOURCE_WIDTH  # a CTE that reads itself
            first = first_select(scope)
            self._scopes[key] = UNKNOWN_SOURCE_WIDTH if first is None else self.select(first)
        return self._scopes[key]
