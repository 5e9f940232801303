"""Rows tied at the LIMIT (ask/repairs/tied_rows.py): a result shorter than the query's own LIMIT was cut by nothing,
so no probe is run for it ("if shown != n: return None  # fewer rows than the LIMIT: nothing was cut"). The
existing tests read such a query's result (None) but not its cost: a probe that ran anyway gave None too.
"""

import asyncio
from types import SimpleNamespace

import pytest

from datasette_llm.ask.repairs import tied_rows as tied

pytestmark = pytest.mark.no_datasette

SQL = "select name from players order by points limit 9"


class CountingProbe:
    """Records the probe queries; returns rows that would tie, so a probe that ran is seen by its result too."""

    def __init__(self):
        self.sql = []

    async def result(self, sql, limit):
        self.sql.append(sql)
        return SimpleNamespace(rows=tuple((3,) for _ in range(limit)), stopped_at_chars=False, clipped_cells=0)

    async def rows(self, sql, limit):
        return (await self.result(sql, limit)).rows


@pytest.mark.parametrize("shown", [0, 1, 8])
def test_a_result_shorter_than_its_limit_is_not_probed(shown):
    probe = CountingProbe()
    assert asyncio.run(tied.tied_rows(probe, SQL, shown, 1001)) is None
    assert probe.sql == []


def test_a_result_as_long_as_its_limit_is_probed():
    probe = CountingProbe()  # the counterpart: the same query with all 9 rows shown is read
    assert asyncio.run(tied.tied_rows(probe, SQL, 9, 1001)) is not None
    assert len(probe.sql) == 1
