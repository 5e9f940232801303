"""JOINs mended without a model call: the table between two tables an ON clause compares on a column only it
holds, a table the query never joined for a column only it has, a broken JOIN nothing reads left out. Each
rewrites the query's syntax tree; the guard checks the result again.
"""

from __future__ import annotations

from sqlglot import exp

from ...sql.join_links import column_ref, hops, links_between, name_node, path_between
from ...sql.results import Rejection, SchemaInfo
from .sql_fix import real_table, rejected_column, select_sources


def bridge_join(sql: str, rejection: Rejection, schema: SchemaInfo) -> tuple[str, str] | None:
    """`FROM Artist AS T1 JOIN Track AS T2 ON T1.ArtistId = T2.ArtistId`: the ON clause compares a column with a
    column of the same name that the other table lacks, and exactly one table not in the query holds that name
    and links the two by foreign keys (Album: Album.ArtistId = Artist.ArtistId, Track.AlbumId = Album.AlbumId).
    JOIN it between them, each hop on its key; (fixed SQL, what was changed) or None."""
    parsed = rejected_column(sql, rejection)
    if parsed is None:
        return None
    tree, qualifier, name = parsed
    real = {table.lower(): table for table in schema.tables}
    for select in tree.find_all(exp.Select):
        sources = select_sources(select)
        joins = select.args.get("joins") or []
        for index, join in enumerate(joins):
            condition = join.args.get("on")
            if not isinstance(condition, exp.EQ) or not all(
                isinstance(side, exp.Column) and side.table.lower() in sources
                for side in (condition.this, condition.expression)
            ):
                continue
            bad, good = sorted((condition.this, condition.expression), key=lambda c: c.table.lower() != qualifier)
            joined = (join.this.alias_or_name or "").lower()
            if bad.table.lower() != qualifier or bad.name.lower() != name or good.name.lower() != name:
                continue
            if joined not in (qualifier, good.table.lower()) or bad.table.lower() == good.table.lower():
                continue
            bad_table, good_table = real[sources[qualifier][1]], real[sources[good.table.lower()][1]]
            if name in {c.lower() for c in schema.tables[bad_table]}:
                continue
            in_query = {table for _, table in sources.values()}
            bridges = [
                (table, to_good[0], to_bad[0])
                for table in schema.tables
                if table.lower() not in in_query and name in {c.lower() for c in schema.tables[table]}
                for to_good in [links_between(table, good_table, schema.links)]
                for to_bad in [links_between(table, bad_table, schema.links)]
                if len(to_good) == 1 and len(to_bad) == 1 and to_good[0].column_of(table).lower() == name
            ]
            if len(bridges) != 1:
                continue
            bridge, to_good, to_bad = bridges[0]
            earlier, later = (good, bad) if joined == qualifier else (bad, good)
            earlier_table = good_table if earlier is good else bad_table
            later_table = bad_table if earlier is good else good_table
            earlier_link = to_good if earlier is good else to_bad
            later_link = to_bad if earlier is good else to_good
            first = exp.Join(
                this=exp.to_table(name_node(bridge)),
                on=exp.EQ(
                    this=column_ref(bridge, earlier_link.column_of(bridge)),
                    expression=column_ref(earlier.table, earlier_link.column_of(earlier_table)),
                ),
            )
            join.set(
                "on",
                exp.EQ(
                    this=column_ref(later.table, later_link.column_of(later_table)),
                    expression=column_ref(bridge, later_link.column_of(bridge)),
                ),
            )
            select.set("joins", [*joins[:index], first, *joins[index:]])
            return tree.sql(dialect="sqlite"), (
                f"{bad_table} has no {bad.name}: joined it to {good_table} through {bridge} "
                f"({to_bad.text()}, {to_good.text()})"
            )
    return None


def join_missing_table(
    sql: str, rejection: Rejection, schema: SchemaInfo, allowed: set[str] | None = None
) -> tuple[str, str] | None:
    """`SELECT Model FROM model_list WHERE Horsepower = ...`: the column is in no table of its SELECT but in
    exactly one other visible table the foreign keys reach. JOIN that table (through any table between) and
    read the column from it. Used on the last attempt only, after the model was shown the same JOIN and did
    not write it; (fixed SQL, what was changed) or None."""
    parsed = rejected_column(sql, rejection)
    if parsed is None:
        return None
    tree, qualifier, name = parsed
    holders = {table.lower() for table, columns in schema.tables.items() if name in {c.lower() for c in columns}}
    real = {table.lower(): table for table in schema.tables}
    for select in tree.find_all(exp.Select):
        sources = select_sources(select)
        missing = [
            column
            for column in select.find_all(exp.Column)
            if column.parent_select is select
            and column.name.lower() == name
            and _lacks(column, qualifier, sources, holders)
        ]
        in_select = {table for _, table in sources.values()}
        homes = [t for t in holders - in_select if allowed is None or real[t] in allowed]
        if not missing or len(homes) != 1 or real[homes[0]].lower() in sources:
            continue
        route = path_between(homes[0], in_select, schema.links)
        if not route:
            continue
        labels = {table: label for label, table in reversed(list(sources.values()))}  # first label of each
        for new, label, column, new_column in hops(route, labels):
            condition = exp.EQ(this=column_ref(label, column), expression=column_ref(new, new_column))
            select.append("joins", exp.Join(this=exp.to_table(name_node(new)), on=condition))
        home = real[homes[0]]
        for column in missing:
            column.set("table", name_node(home))
        joined = ", ".join(link.text() for link in reversed(route))
        return tree.sql(dialect="sqlite"), f"{missing[0].name} is a column of {home}: joined it through {joined}"
    return None


def drop_broken_join(sql: str, rejection: Rejection, schema: SchemaInfo) -> tuple[str, str] | None:
    """`FROM stadium JOIN singer_in_concert ON stadium.Stadium_ID = singer_in_concert.Stadium_ID JOIN concert ON
    concert.Stadium_ID = stadium.Stadium_ID`: the ON clause reads a column the joined table does not have, nothing
    else in the query reads that table, and another JOIN remains. Drop the broken JOIN. Used on the last attempt
    only, after the model was shown the error and kept it; (fixed SQL, what was changed) or None."""
    parsed = rejected_column(sql, rejection)
    if parsed is None:
        return None
    tree, qualifier, name = parsed
    for select in tree.find_all(exp.Select):
        joins = select.args.get("joins") or []
        for join in joins:
            label, table = (join.this.alias_or_name or "").lower(), real_table(schema, join.this.name or "")
            condition = join.args.get("on")
            if label != qualifier or table is None or condition is None or len(joins) < 2:
                continue
            own = {c.lower() for c in schema.tables[table]}
            if name in own or not any(
                c.name.lower() == name and c.table.lower() == label for c in condition.find_all(exp.Column)
            ):
                continue
            if any(
                _reads(column, label, own)
                for column in select.find_all(exp.Column)
                if column.parent_select is select and column.find_ancestor(exp.Join) is not join
            ):
                continue
            select.set("joins", [other for other in joins if other is not join])
            return tree.sql(dialect="sqlite"), (
                f"left out the JOIN with {table}: its ON clause reads "
                f"{rejection.identifier}, which does not exist, and nothing else "
                "in the query reads that table"
            )
    return None


def _reads(column: exp.Column, label: str, own: set[str]) -> bool:
    return column.table.lower() == label if column.table else column.name.lower() in own


def _lacks(column: exp.Column, qualifier: str, sources: dict, holders: set[str]) -> bool:
    """Whether this reference is the rejected one: its table (or, unqualified, every table in reach) lacks it."""
    if column.table:
        return column.table.lower() == qualifier and qualifier in sources and sources[qualifier][1] not in holders
    if qualifier:
        return False
    select = column.parent_select
    while select is not None:  # an unqualified name may be a correlated reference to an outer SELECT
        if any(table in holders for _, table in select_sources(select).values()):
            return False
        select = select.parent_select
    return True
