"""An outside tester, session 59 (mutation testing of key_literals._lookup): with the literal stored exactly in two
columns of the referenced table, which one the model meant is not known and the comparison is left as written;
`exact[0] if exact` in place of `len(exact) == 1` survived every test."""

import pytest
import sqlite_utils
from datasette.app import Datasette

from datasette_llm.ask.repairs.key_literals import mend_key_literals
from datasette_llm.ask.repairs.value_hints import Probe
from datasette_llm.sql.join_links import Link

COLUMNS = {"products": ("id", "maker", "brand"), "orders": ("id", "product_id", "qty")}
LINKS = (Link("orders", "product_id", "products", "id"),)


@pytest.mark.asyncio
async def test_a_name_two_columns_hold_exactly_is_left_alone(tmp_path):
    path = tmp_path / "shop.db"
    data = sqlite_utils.Database(path)
    data["products"].insert_all(
        [{"id": 7, "maker": "Kia", "brand": "Rio"}, {"id": 9, "maker": "Ford", "brand": "Kia"}], pk="id"
    )
    data["orders"].insert_all(
        [{"id": 1, "product_id": 7, "qty": 1}, {"id": 2, "product_id": 9, "qty": 2}],
        pk="id",
        foreign_keys=[("product_id", "products", "id")],
    )
    data.close()
    db = Datasette([str(path)]).get_database("shop")
    assert (
        await mend_key_literals(
            Probe(db, set(COLUMNS), 1000), "SELECT qty FROM orders WHERE product_id = 'Kia'", COLUMNS, LINKS
        )
        is None
    )
