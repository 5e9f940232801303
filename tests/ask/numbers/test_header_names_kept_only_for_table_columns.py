"""An outside tester, session 59 (mutation testing of numbers.shown_with_table_names / _names_the_query_wrote): four
mutants survived the repo's tests. A bare column aliased as itself keeps its name (`pop_2021 as pop_2021`); a
compound query is named by its first SELECT; a statement sqlglot cannot read keeps no name; the header kept is
exactly the names a table gave.
"""

import pytest

from datasette_llm.ask.numbers import shown_with_table_names
from datasette_llm.ask.schema_tables import TableSchema
from datasette_llm.context import FittedRows

pytestmark = pytest.mark.no_datasette

TABLES = [TableSchema("counties", ("county", "pop_2020", "pop_2021"), "CREATE TABLE counties (...)", ())]


def fitted(header, rows):
    text = header + "\n" + "\n".join(rows)
    return FittedRows(text, len(rows), len(rows), len(rows), {}, (), 10, header=header)


def header_kept(sql, header="county | pop_2021"):
    return shown_with_table_names(fitted(header, ["Ash | 1100"]), TABLES, sql).split("\n")[0]


def test_a_column_aliased_as_itself_keeps_its_name():
    assert header_kept("select county, pop_2021 as pop_2021 from counties") == "county | pop_2021"
    assert header_kept('select county, counties.pop_2021 as "POP_2021" from counties') == "county | pop_2021"


def test_a_compound_query_is_named_by_its_first_select():
    sql = "select county, sum(pop_2020) as pop_2021 from counties union all select county, pop_2021 from counties"
    assert header_kept(sql) == "county"
    sql = "select county, pop_2021 from counties union all select county, pop_2021 as pop_2021 from counties"
    assert header_kept(sql) == "county | pop_2021"
    sql = "select county, pop_2021 from counties union all select county, sum(pop_2020) as pop_2021 from counties"
    assert header_kept(sql) == "county"  # the second SELECT puts another value under the column's name


def test_a_statement_sqlglot_cannot_read_keeps_no_name():
    assert header_kept("select county, pop_2021 from counties where (") == ""


def test_the_rows_under_the_header_are_kept_as_shown():
    kept = shown_with_table_names(
        fitted("county | v", ["Ash | 1100"]), TABLES, "select county, pop_2021 as v from counties"
    )
    assert kept == "county\nAsh | 1100"


def test_a_select_in_parentheses_keeps_its_table_names():
    assert header_kept("(select county, pop_2021 from counties)") == "county | pop_2021"
