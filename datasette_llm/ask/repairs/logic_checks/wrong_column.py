"""Columns of the wrong table: another table's ids, the outer query's row, a column the question names but the
query never reads, ids shown under a name column's name, two sides of EXCEPT or INTERSECT that select different
things."""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from ....sql.join_links import Link, column_table, path_between, select_tables
from ..name_words import identifier_words, question_stems, stem


def ids_of_different_tables(tree, columns, links: Sequence[Link]) -> list[str]:
    """`battle.id IN (SELECT caused_by_ship_id FROM death ...)`: battle ids compared with ship ids. Each side's
    ids are known from the foreign keys (a foreign key holds its referenced table's ids; a column other tables
    refer to holds its own table's). JOIN conditions are left to the off-key check."""
    pairs = [
        (node.this, node.args["query"].this.expressions[0].unalias())
        for node in tree.find_all(exp.In)
        if isinstance(node.this, exp.Column)
        and isinstance(node.args.get("query"), exp.Subquery)
        and isinstance(node.args["query"].this, exp.Select)
        and len(node.args["query"].this.expressions) == 1
    ]
    pairs += [(node.this, node.expression) for node in tree.find_all(exp.EQ) if not node.find_ancestor(exp.Join)]
    doubts = []
    for left, right in pairs:
        if not (isinstance(left, exp.Column) and isinstance(right, exp.Column)):
            continue
        sides = [
            (column, table, _ids_held(table, column.name, links))
            for column in (left, right)
            if (table := column_table(column, columns))
        ]
        if len(sides) != 2 or None in (sides[0][2], sides[1][2]) or sides[0][2].lower() == sides[1][2].lower():
            continue
        (_, a, a_ids), (_, b, b_ids) = sides
        route = path_between(a_ids, {b_ids}, links)
        doubts.append(
            f"{left.parent.sql(dialect='sqlite')[:120]} compares {a}.{left.name} ({a_ids} ids) with "
            f"{b}.{right.name} ({b_ids} ids)"
            + ("; the foreign keys link them through " + ", ".join(link.text() for link in route) if route else "")
        )
    return doubts


def outer_column_selected(tree, columns, links: Sequence[Link]) -> list[str]:
    """`code NOT IN (SELECT Template_Type_Code FROM Documents)` where Documents has no such column: SQLite reads
    the outer query's row, so the subquery yields that row's own value once per Documents row."""
    real = {name.lower(): name for name in columns}
    doubts = []
    for select in tree.find_all(exp.Select):
        tables = select_tables(select)
        if select.parent_select is None or not tables or any(t.name.lower() not in real for t in tables):
            continue
        own = [real[t.name.lower()] for t in tables]
        for expression in select.expressions:
            column = expression.unalias()
            if (
                not isinstance(column, exp.Column)
                or column.table
                or any(column.name.lower() in {c.lower() for c in columns[t]} for t in own)
            ):
                continue
            outer = column_table(column, columns)
            if outer is None:
                continue
            holders = {t for t in columns if t not in own and column.name.lower() in {c.lower() for c in columns[t]}}
            route = path_between(own[0], holders, links) if holders else []
            through = ", ".join(link.text() for link in route)
            doubts.append(
                f"the subquery selects {column.name}, which {', '.join(own)} does not have, so it reads the "
                f"outer {outer} row: the same value for every row of the subquery"
                + (f"; to read it from the subquery's rows, join through {through}" if route else "")
            )
    return doubts


def named_column_left_out(tree, question: str, columns, links: Sequence[Link]) -> list[str]:
    """ "Which city is the most frequent source airport?" answered from airports alone: the question spells a
    column of another table (flights.SourceAirport, word by word) that the query never reads. Only for names of
    two or more words that one table alone has."""
    in_query = {table.name.lower() for table in tree.find_all(exp.Table)}
    read = {column.name.lower() for column in tree.find_all(exp.Column)}
    asked = question_stems(question)
    holders: dict[str, list[tuple[str, str]]] = {}  # column name (lower) -> (table, name as declared)
    for table, names in columns.items():
        for name in names:
            holders.setdefault(name.lower(), []).append((table, name))
    doubts = []
    for name, tables in holders.items():
        if len(tables) != 1 or tables[0][0].lower() in in_query or name in read:
            continue
        table, real = tables[0]
        spelled = identifier_words(real)
        words = [stem(word) for word in spelled]
        if len(words) < 2 or "id" in spelled or any(len(w) < 3 for w in spelled) or not _in_order(words, asked):
            continue
        own = [link for link in links if link.table == table and link.column == real and link.other.lower() in in_query]
        route = own[:1] or path_between(table, {t for t in columns if t.lower() in in_query}, links)
        through = f" (join through {', '.join(link.text() for link in route)})" if route else ""
        doubts.append(
            f"the question names {' '.join(spelled)}: that is {table}.{real}, which the query does not read{through}"
        )
    return doubts


def _in_order(words: list[str], asked: list[str]) -> bool:
    return any(asked[i : i + len(words)] == words for i in range(len(asked) - len(words) + 1))


def _ids_held(table: str, column: str, links: Sequence[Link]) -> str | None:
    """Whose ids a column holds: the referenced table's for a foreign key, its own when other tables refer to it."""
    for link in links:
        if link.table.lower() == table.lower() and link.column.lower() == column.lower():
            return link.other
    if any(link.other.lower() == table.lower() and link.other_column.lower() == column.lower() for link in links):
        return table
    return None


def grouped_ids_shown_for_names(select, links: Sequence[Link], columns) -> list[str]:
    """`SELECT Airline FROM flights GROUP BY Airline` when flights.Airline holds airlines.uid and the names are in
    airlines.Airline: the result lists ids under a name column's name."""
    group = select.args.get("group")
    grouped = {c.name.lower() for c in (group.expressions if group else []) if isinstance(c, exp.Column)}
    doubts = []
    for expression in select.expressions:
        column = expression.unalias()
        if not isinstance(column, exp.Column) or column.name.lower() not in grouped:
            continue
        table = column_table(column, columns)
        for link in links:
            if (
                table is not None
                and link.table.lower() == table.lower()
                and link.column.lower() == column.name.lower() != link.other_column.lower()
                and column.name.lower() in {c.lower() for c in columns[link.other]}
            ):
                name = next(c for c in columns[link.other] if c.lower() == column.name.lower())
                doubts.append(
                    f"{column.sql(dialect='sqlite')} is {link.table}.{link.column}, which holds "
                    f"{link.other}.{link.other_column} values (ids), not {link.other}.{name}: to show "
                    f"{link.other}, select and group by {link.other}.{name} (JOIN {link.other} ON "
                    f"{link.text()} if it is not joined)"
                )
    return doubts


def set_sides_differ(tree, links: Sequence[Link]) -> list[str]:
    """`SELECT name FROM stadium EXCEPT SELECT stadium_id FROM concert`: EXCEPT and INTERSECT compare whole rows, so
    names taken away from ids remove nothing; `SELECT avg(age) FROM student EXCEPT SELECT age ...` takes an average
    over every row before anything is removed. Read side by side: a column of another name (unless a foreign key
    links the two) or an aggregate on one side only. (A small model copies EXCEPT from a trusted example where it
    does not fit: 3 of 40 Spider questions that say "not", none of Spider dev's gold queries.)"""
    doubts = []
    for node in tree.find_all(exp.Except, exp.Intersect):
        left, right = node.left, node.right
        if not (isinstance(left, exp.Select) and isinstance(right, exp.Select)):
            continue
        if len(left.expressions) != len(right.expressions):
            continue  # SQLite refuses it with its own error
        word = "EXCEPT" if isinstance(node, exp.Except) else "INTERSECT"
        for mine, theirs in zip(left.expressions, right.expressions):
            one, other = mine.unalias(), theirs.unalias()
            counted = (one.find(exp.AggFunc) is not None, other.find(exp.AggFunc) is not None)
            shown = one.sql(dialect="sqlite"), other.sql(dialect="sqlite")
            if counted[0] != counted[1]:
                doubts.append(
                    f"{word} compares whole rows, and {shown[counted.index(True)]} is computed over the rows of its "
                    f"side before {word} compares them with {shown[counted.index(False)]}: leave the rows out first "
                    "(WHERE ... NOT IN (SELECT ...)), then compute it"
                )
            elif isinstance(one, exp.Column) and isinstance(other, exp.Column):
                names = {one.name.lower(), other.name.lower()}
                linked = any(names == {link.column.lower(), link.other_column.lower()} for link in links)
                if len(names) == 2 and not linked:
                    doubts.append(
                        f"{word} compares whole rows: {shown[0]} on its left with {shown[1]} on its right, different "
                        "columns, so it compares unlike values; select the same column on both sides"
                    )
    return doubts
