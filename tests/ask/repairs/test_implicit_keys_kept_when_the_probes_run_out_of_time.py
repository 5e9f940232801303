"""Undeclared foreign keys (ask/repairs/implicit_keys.py): "Probes go through the guarded path within one time
budget; when it runs out, the links found so far are kept." The budget running out is a QueryTimeout (the Probe's
"no time left", or a probe stopped at its time limit); no test made one happen, and a version that let it through
failed the whole question while the schema was prepared.
"""

import pytest

from datasette_llm.ask.repairs.implicit_keys import implicit_links
from datasette_llm.ask.schema_tables import TableSchema
from datasette_llm.sql.failures import QueryTimeout
from datasette_llm.sql.join_links import Link

pytestmark = pytest.mark.no_datasette


def _table(name, columns, key):
    return TableSchema(name=name, columns=columns, create_sql="", example_rows=(), primary_key=(key,))


TABLES = [
    _table("airlines", ("uid", "name"), "uid"),
    _table("airports", ("code", "city"), "code"),
    _table("flights", ("no", "airline", "airport"), "no"),
]


class SpentAfter:
    """Answers as the data would confirm every link (some value, no stray one), then runs out of time."""

    def __init__(self, calls):
        self.calls, self.seen = calls, []

    async def values(self, sql, limit):
        self.seen.append(sql)
        if len(self.seen) > self.calls:
            raise QueryTimeout("no time left for value hints")
        return ["1"] if "not in" not in sql else []


@pytest.mark.asyncio
async def test_the_links_found_before_the_budget_ran_out_are_kept():
    probe = SpentAfter(calls=2)  # the first candidate's two probes, then no time left
    found = await implicit_links(probe, TABLES, ())
    assert found == (Link("flights", "airline", "airlines", "uid"),)
    assert len(probe.seen) == 3


@pytest.mark.asyncio
async def test_no_time_at_all_is_no_link_and_no_error():
    assert await implicit_links(SpentAfter(calls=0), TABLES, ()) == ()


@pytest.mark.asyncio
async def test_with_time_enough_both_are_found():
    found = await implicit_links(SpentAfter(calls=99), TABLES, ())
    assert found == (Link("flights", "airline", "airlines", "uid"), Link("flights", "airport", "airports", "code"))
