"""Foreign keys a database does not declare, found from names and confirmed by the data."""

import pytest
import sqlite_utils
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.ask.repairs.implicit_keys import implicit_links
from datasette_llm.ask.repairs.value_hints import Probe
from datasette_llm.ask.schema_tables import load_tables
from datasette_llm.sql.join_links import Link, foreign_links


@pytest.fixture
def flights_path(tmp_path):
    """flight_2's shape: flights.Airline holds airlines.uid, undeclared; the airports link is declared."""
    path = tmp_path / "flights.db"
    db = sqlite_utils.Database(path)
    db["airlines"].insert_all([{"uid": 1, "Airline": "JetBlue Airways"}, {"uid": 2, "Airline": "United"}], pk="uid")
    db["airports"].insert({"AirportCode": "APG", "City": "Aberdeen"}, pk="AirportCode")
    db["flights"].insert_all(
        [{"FlightNo": n, "Airline": 1 + n % 2, "Source": "APG"} for n in range(5)],
        pk="FlightNo",
        foreign_keys=[("Source", "airports", "AirportCode")],
    )
    db["notes"].insert_all([{"id": 1, "airline": 7, "uid": 1}], pk="id")  # 7 is no airline: not a link
    db["crews"].insert_all([{"id": 1, "airlines_id": None}], pk="id")  # holds nothing: not a link
    db.close()
    return path


async def links_of(path):
    datasette = Datasette([str(path)])
    name = path.stem
    tables = await load_tables(datasette, name, None)
    declared = foreign_links(tables)
    return declared, await implicit_links(
        Probe(datasette.get_database(name), {t.name for t in tables}, 1000), tables, declared
    )


@pytest.mark.asyncio
async def test_a_column_named_after_a_table_whose_values_are_its_keys_is_a_link(flights_path):
    declared, found = await links_of(flights_path)
    assert declared == (Link("flights", "Source", "airports", "AirportCode"),)
    assert found == (Link("flights", "Airline", "airlines", "uid"),)  # not notes.airline (a stray value), not
    # notes.uid (a generic key name), not crews.airlines_id (no value), not the declared Source again


@pytest.mark.asyncio
async def test_a_name_compared_with_an_undeclared_key_is_looked_up_too(flights_path):
    model = ScriptedModel([sql_reply("select count(*) from flights where Airline = 'JetBlue Airways'"), "3."])
    result = await ask(Datasette([str(flights_path)]), "flights", "How many JetBlue Airways flights?", model=model)
    assert result.rows == ((3,),) and len(result.attempts) == 1  # flights 0, 2 and 4
    assert result.attempts[0].fixes == (
        "Airline = 'JetBlue Airways' → Airline IN (SELECT uid FROM airlines WHERE Airline = 'JetBlue Airways') "
        "(flights.Airline holds airlines ids, not names)",
    )


# --- which columns are candidates: looked up by name, the same as comparing every pair ----------------------


def pairwise_candidates(tables, declared, limit):
    """The definition, compared pair by pair (what _candidates did before session 27): the oracle."""
    from datasette_llm.ask.repairs.implicit_keys import _names_it, _unlinked_columns

    linked = {(link.table.lower(), link.column.lower()) for link in declared}
    keyed = [t for t in tables if not t.is_view and len(t.primary_key) == 1]
    found = []
    for table, column in _unlinked_columns(tables, linked):
        for other in keyed:
            key = other.primary_key[0]
            if other.name.lower() != table.name.lower() and _names_it(column, other.name, key):
                found.append((table.name, column, other.name, key))
                break
    return found[:limit]


@pytest.mark.parametrize("seed", range(40))
def test_candidates_looked_up_by_name_are_those_of_every_pair(seed):
    import random

    from datasette_llm.ask.repairs.implicit_keys import _candidates
    from datasette_llm.ask.schema_tables import TableSchema

    rng = random.Random(seed)
    stems = ["airline", "Airline", "city", "cities", "class", "classes", "bus", "user", "ID", "x", "ab", "uid"]
    endings = ["", "s", "es", "ies", "_id", "id", "Id", "_ID"]
    names = [rng.choice(stems) + rng.choice(endings) for _ in range(rng.randint(1, 30))]
    tables = []
    for n, name in enumerate(names):
        columns = tuple(dict.fromkeys(rng.choice(stems) + rng.choice(endings) for _ in range(rng.randint(1, 6))))
        key = rng.choice([(), (columns[0],), columns[:2], ("id",), ("code",)])
        tables.append(TableSchema(f"{name}{n % 3 or ''}", columns, "", (), is_view=rng.random() < 0.1, primary_key=key))
    declared = [Link(t.name, c, "other", "id") for t in tables for c in t.columns if rng.random() < 0.1]
    for limit in (3, 20, 10_000):
        assert _candidates(tables, declared, limit) == pairwise_candidates(tables, declared, limit)


def test_candidates_of_thousands_of_tables_take_no_time():
    """An outside tester's 1,000 tables of 5 columns cost every question 12 s (2,000: 55 s) compared pairwise."""
    import time

    from datasette_llm.ask.repairs.implicit_keys import _candidates
    from datasette_llm.ask.schema_tables import TableSchema

    tables = [
        TableSchema(f"t{n}", ("id", f"c{n}", "name", f"t{n + 1}_id", "note"), "", (), primary_key=("id",))
        for n in range(4000)
    ]
    started = time.process_time()
    found = _candidates(tables, [], 10_000)
    assert time.process_time() - started < 2.0  # compared pairwise: minutes
    assert len(found) == 3999 and found[0] == ("t0", "t1_id", "t1", "id")


def test_columns_named_like_a_generic_key_take_no_time():
    """Tables imported from CSV: an `id` column without a key in 3,000 tables and 3,000 tables keyed by `id` (a
    second tester, session 27: every `id` column was tried against every keyed table, 47 s at 2,000 + 2,000)."""
    import time

    from datasette_llm.ask.repairs.implicit_keys import _candidates
    from datasette_llm.ask.schema_tables import TableSchema

    keyed = [TableSchema(f"t{n}", ("id", "v"), "", (), primary_key=("id",)) for n in range(3000)]
    loose = [TableSchema(f"u{n}", ("id", "v"), "", ()) for n in range(3000)]
    started = time.process_time()
    found = _candidates(keyed + loose, [], 10_000)
    assert time.process_time() - started < 2.0
    assert found == []


# --- what confirming a link costs: the same on every size of table -------------------------------------------


class CountingProbe:
    """Runs the probes' SQL on a plain connection, counting SQLite's virtual-machine instructions (by hundreds)."""

    def __init__(self, path):
        import sqlite3

        self.conn, self.steps = sqlite3.connect(path), 0

        def step():
            self.steps += 1
            return 0

        self.conn.set_progress_handler(step, 100)

    async def values(self, sql, limit):
        return [str(row[0]) for row in self.conn.execute(sql).fetchmany(limit) if row[0] is not None]


def shop(path, orders):
    """orders.product_id holds products.id, undeclared, in every row."""
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("create table products (id integer primary key, name text)")
    conn.execute("create table orders (id integer primary key, product_id integer, qty integer)")
    numbers = "with recursive n(i) as (select 0 union all select i + 1 from n where i < ?) select i from n"
    conn.execute(f"insert into products select i + 1, 'product ' || (i + 1) from ({numbers})", [1999])
    conn.execute(f"insert into orders select i, 1 + i % 2000, i % 7 from ({numbers})", [orders - 1])
    conn.commit()
    conn.close()
    return path


@pytest.mark.asyncio
async def test_confirming_a_link_costs_the_same_on_every_size_of_table(tmp_path):
    """Every question read the whole column to confirm a link (an outside tester, session 42: 1.05 s and 1.1 GB read
    over 400,000 orders): SQLite's instruction count, the oracle, is the same for 20,000 and 200,000 orders."""
    steps = []
    for orders in (20_000, 200_000):
        path = shop(tmp_path / f"shop{orders}.db", orders)
        datasette = Datasette([str(path)])
        tables = await load_tables(datasette, path.stem, None)
        probe = CountingProbe(path)
        found = await implicit_links(probe, tables, foreign_links(tables))
        assert found == (Link("orders", "product_id", "products", "id"),)
        steps.append(probe.steps)
    assert steps[1] <= steps[0] * 1.1, steps


@pytest.mark.asyncio
async def test_a_column_null_in_its_first_rows_is_still_a_link(tmp_path):
    """Confirmed from its first 5,000 rows, a column NULL in its first 6,000 was no link at all (a second outside
    tester, session 42): the first 5,000 values are read, looked for in the first 100,000 rows."""
    import sqlite3

    path = tmp_path / "shop.db"
    conn = sqlite3.connect(path)
    conn.execute("create table customers (id integer primary key, name text)")
    conn.execute("create table reviews (id integer primary key, customer_id integer, stars integer)")
    numbers = "with recursive n(i) as (select 1 union all select i + 1 from n where i < ?) select i from n"
    conn.execute(f"insert into customers select i, 'customer ' || i from ({numbers})", [100])
    conn.execute(f"insert into reviews select i, case when i > 6000 then 1 + i % 100 end, 5 from ({numbers})", [9000])
    conn.commit()
    conn.close()
    _, found = await links_of(path)
    assert found == (Link("reviews", "customer_id", "customers", "id"),)
