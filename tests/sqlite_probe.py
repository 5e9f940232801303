"""value_hints.Probe's interface over one sqlite3 connection (no guard, no time limit): for the repairs' tests
that ask SQLite itself what a probe would read."""

from datasette_llm.sql.execute import QueryResult


class SQLiteProbe:
    def __init__(self, conn):
        self.conn = conn

    async def result(self, sql, limit):
        cursor = self.conn.execute(sql)
        return QueryResult(sql, tuple(d[0] for d in cursor.description), tuple(cursor.fetchmany(limit)), False, 0.0)

    async def rows(self, sql, limit):
        return (await self.result(sql, limit)).rows

    async def values(self, sql, limit):
        return [str(row[0]) for row in await self.rows(sql, limit) if row[0] is not None]
