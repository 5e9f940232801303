"""A JOIN the question never asked for (repairs/unasked_joins.py) goes with every unused table joined through it
(`show` joined through `performance` goes with it, even when the question names shows), and not at all when a
column of its table is read anywhere else: in a subquery, or in the ON clause of a JOIN that stays. No test had
these: versions that dropped only the table itself, or dropped it while a subquery or a kept JOIN still read it,
survived (outside tester, session 56, mutants U06, U08, U12).
"""

import pytest

from datasette_llm.ask.repairs.unasked_joins import drop_unasked_joins
from datasette_llm.sql.join_links import Link

pytestmark = pytest.mark.no_datasette

COLUMNS = {
    "singer": ("id", "name", "age"),
    "performance": ("singer_id", "show_id", "fee"),
    "show": ("id", "title"),
    "fan": ("id", "singer_id", "nick"),
}
LINKS = (
    Link("performance", "singer_id", "singer", "id"),
    Link("performance", "show_id", "show", "id"),
    Link("fan", "singer_id", "singer", "id"),
)


def test_a_table_joined_through_a_dropped_one_goes_with_it():
    sql = (
        "SELECT DISTINCT s.name FROM singer AS s JOIN performance AS p ON p.singer_id = s.id "
        "JOIN show AS w ON w.id = p.show_id"
    )
    mended = drop_unasked_joins(sql, "Names of singers in shows?", COLUMNS, LINKS)
    assert mended is not None and mended[0] == "SELECT DISTINCT s.name FROM singer AS s"


def test_a_join_whose_table_a_subquery_reads_by_name_is_kept():
    sql = "SELECT s.name, (SELECT MAX(p.fee)) AS fee FROM singer AS s JOIN performance AS p ON p.singer_id = s.id"
    assert drop_unasked_joins(sql, "Names of singers?", COLUMNS, LINKS) is None


def test_a_join_whose_table_a_kept_join_reads_is_kept():
    sql = (
        "SELECT s.name, f.nick FROM singer AS s JOIN performance AS p ON p.singer_id = s.id "
        "JOIN fan AS f ON f.singer_id = s.id AND f.id = p.fee"
    )
    assert drop_unasked_joins(sql, "Names of singers and fan nicks?", COLUMNS, LINKS) is None
