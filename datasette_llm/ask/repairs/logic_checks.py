"""Valid queries whose logic small models commonly get wrong, found before the result is trusted.

The guard checks names; SQLite checks syntax. Neither notices a query that runs and answers a different
question. These checks read the query's AST (with the question, for some of them) and describe the doubt in
words the model can act on. The pipeline sends a doubt back to the model once; a query that still raises one
runs, and the doubt is shown with the result as a warning. The doubts change no SQL; where the fix is
mechanical (a negation moved into NOT IN over the related rows) the doubt spells out the query to write, and
the model decides.

- a WHERE that can never hold for one row: `Year = 2014 AND Year = 2015`, `Open_Year < 2009 AND Open_Year > 2011`;
- `PetType = 'dog' AND PetType != 'cat'`: the `!=` tests the same joined row, so it changes nothing;
- "both 2014 and 2015" (or "'Brazil' and 'Ireland'") answered with `Year IN (2014, 2015)` (either, not both);
- "students who do not have a cat" answered with `PetType != 'cat'` on a joined row: a student with a cat and a
  dog is still kept through the dog;
- "semesters with no students" answered with an INNER JOIN and `T2.student_id IS NULL`;
- a JOIN to a table whose rows repeat each result row (one per related row) while none of its columns is used;
- a JOIN on two columns no foreign key links, when the foreign keys do link the two tables another way;
- `Accelerate > (SELECT MAX(Horsepower) ...)`: a column compared with the extreme of another column;
- `GROUP BY document_id ORDER BY COUNT(*)` over documents alone: every group is one row;
- "the most frequent source airport" answered without flights.SourceAirport, a column the question names;
- `code NOT IN (SELECT Template_Type_Code FROM Documents)` where Documents has no such column (the outer row's);
- `battle.id IN (SELECT caused_by_ship_id ...)`: ids of one table compared with ids of another;
- `SELECT Airline ... GROUP BY Airline` where flights.Airline holds airlines ids and airlines.Airline the names;
- `LIMIT 2` without ORDER BY when the question gives no number of rows.

The join tree they read (which table repeats which rows) is `join_tree`; the one mend that acts on it, a JOIN
the question never asked for, is `unasked_joins`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlglot
from sqlglot import exp

from ...sql.join_links import Link, column_table, path_between, select_tables
from ...sql.join_tree import JoinTree, aliases, summarised, unused_repeats
from .name_words import identifier_words, question_stems, stem

NEGATION = re.compile(r"\b(not|never|without|no|none)\b|n't\b", re.IGNORECASE)
BOTH = re.compile(r"\bboth\b", re.IGNORECASE)


def logic_doubts(
    sql: str, question: str, columns: dict[str, Sequence[str]], links: Sequence[Link], row_cap: int | None = None
) -> list[str]:
    """Descriptions of what in this (valid) query probably does not answer the question; empty if none.

    `row_cap` is the LIMIT the guard adds to a query without one (not the model's)."""
    try:
        tree = sqlglot.parse_one(sql, read="sqlite")
    except sqlglot.errors.SqlglotError:  # parse and tokenizer errors alike
        return []
    has_set_operation = tree.find(exp.Intersect, exp.Except) is not None
    doubts: list[str] = (
        _ids_of_different_tables(tree, columns, links)
        + _outer_column_selected(tree, columns, links)
        + _named_column_left_out(tree, question, columns, links)
    )
    for select in tree.find_all(exp.Select):
        sources = aliases(select, columns)
        joins = JoinTree(select, sources, links, columns) if sources else None
        conditions = _conjuncts(select.args.get("where"))
        doubts += _impossible_or_redundant(conditions, joins)
        doubts += _extreme_of_another_column(select)
        doubts += _count_of_one_row_groups(select, sources, links)
        if not has_set_operation and not select.args.get("having"):
            doubts += _either_for_both(select, question)
        if joins is not None:
            doubts += _joins_off_the_keys(joins, links)
            if NEGATION.search(question):
                doubts += _negated_joined_row(conditions, joins) + _null_on_an_inner_join(conditions, joins)
            if select is tree:  # rows of a set operation or an IN (SELECT ...) may repeat harmlessly
                doubts += _repeating_joins(select, joins)
        if select is tree:
            doubts += _unasked_row_limit(select, question, row_cap)
            doubts += _grouped_ids_shown_for_names(select, links, columns)
    return list(dict.fromkeys(doubts))


# -- one row cannot hold two values ---------------------------------------------------------------------


def _conjuncts(where) -> list[exp.Expression]:
    """The AND-ed conditions of a WHERE (an OR is one condition)."""
    return [] if where is None else _operands(where.this, exp.And)


def _operands(node, connective: type[exp.Connector]) -> list[exp.Expression]:
    """`a AND (b AND c)` -> [a, b, c] for exp.And (likewise for exp.Or), in order, parentheses dropped."""
    found, stack = [], [node]
    while stack:
        node = stack.pop()
        if isinstance(node, exp.Paren):
            stack.append(node.this)
        elif isinstance(node, connective):
            stack += [node.expression, node.this]
        else:
            found.append(node)
    return found


def _column_and_literal(node) -> tuple[exp.Column, exp.Literal] | None:
    left, right = node.this, node.expression
    if isinstance(left, exp.Column) and isinstance(right, exp.Literal):
        return left, right
    if isinstance(right, exp.Column) and isinstance(left, exp.Literal):
        return right, left
    return None


def _number(literal: exp.Literal) -> float | None:
    try:
        return float(literal.this)
    except ValueError:
        return None


def _impossible_or_redundant(conditions, joins: JoinTree | None) -> list[str]:
    equal: dict[str, list[exp.Expression]] = {}
    unequal: dict[str, list[exp.Expression]] = {}
    below: dict[str, list[tuple[float, exp.Expression]]] = {}  # column < n
    above: dict[str, list[tuple[float, exp.Expression]]] = {}  # column > n
    for node in conditions:
        pair = _column_and_literal(node) if isinstance(node, exp.Binary) else None
        if pair is None:
            continue
        column, literal = pair
        key = column.sql(dialect="sqlite").lower()
        flipped = node.this is literal  # `5 < x` reads as x > 5
        if isinstance(node, exp.EQ):
            equal.setdefault(key, []).append(node)
        elif isinstance(node, exp.NEQ):
            unequal.setdefault(key, []).append(node)
        elif isinstance(node, (exp.LT, exp.LTE, exp.GT, exp.GTE)) and _number(literal) is not None:
            upper = isinstance(node, (exp.LT, exp.LTE)) != flipped
            (below if upper else above).setdefault(key, []).append((_number(literal), node))
    doubts = []
    for key, nodes in equal.items():
        values = {n.sql(dialect="sqlite") for n in nodes}
        if len(values) > 1:
            doubts.append(_one_row(" AND ".join(sorted(values)), nodes[0]))
        elif key in unequal:
            kept, dropped = nodes[0].sql(dialect="sqlite"), unequal[key][0]
            wanted = exp.EQ(this=dropped.this.copy(), expression=dropped.expression.copy()).sql(dialect="sqlite")
            exclusion = joins.exclusion(_column_and_literal(dropped)[0], wanted) if joins is not None else None
            doubts.append(
                f"{dropped.sql(dialect='sqlite')} changes nothing once {kept} (both test the same row); "
                f"to leave out those that also have a row where {wanted}, write "
                + (f"{exclusion} in its place" if exclusion else f"NOT IN (SELECT ... WHERE {wanted})")
            )
    for key, uppers in below.items():
        for limit, upper_node in uppers:
            for start, lower_node in above.get(key, ()):
                if start >= limit:
                    both = f"{lower_node.sql(dialect='sqlite')} AND {upper_node.sql(dialect='sqlite')}"
                    doubts.append(_one_row(both, upper_node))
    return doubts


def _one_row(conditions: str, comparison: exp.Binary) -> str:
    column = _column_and_literal(comparison)[0].sql(dialect="sqlite")
    return (
        f"{conditions} can never hold for one row ({column} has one value per row), so the query finds "
        "nothing; for things related to rows of both kinds, INTERSECT two queries"
    )


def _extreme_of_another_column(select) -> list[str]:
    doubts = []
    for node in select.find_all(exp.GT, exp.GTE, exp.LT, exp.LTE, exp.EQ, exp.NEQ):
        if node.parent_select is not select:
            continue
        column, subquery = node.this, node.expression
        if isinstance(column, exp.Subquery):
            column, subquery = subquery, column
        if not (isinstance(column, exp.Column) and isinstance(subquery, exp.Subquery)):
            continue
        inner = subquery.this
        if not isinstance(inner, exp.Select) or len(inner.expressions) != 1:
            continue
        extreme = inner.expressions[0].unalias()
        other = extreme.this if isinstance(extreme, (exp.Max, exp.Min)) else None
        if not isinstance(other, exp.Column) or other.name.lower() == column.name.lower():
            continue
        source = inner.args.get("from_")
        if source is None:
            continue
        order = "DESC" if isinstance(extreme, exp.Max) else "ASC"
        where = inner.args.get("where")
        where = f" {where.sql(dialect='sqlite')}" if where is not None else ""
        doubts.append(
            f"{node.sql(dialect='sqlite')} compares {column.name} with a value of {other.name}; to compare "
            f"with the {column.name} of the row with the {'largest' if order == 'DESC' else 'smallest'} "
            f"{other.name}, use (SELECT {column.name} {source.sql(dialect='sqlite')}{where} "
            f"ORDER BY {other.name} {order} LIMIT 1)"
        )
    return doubts


# -- columns of the wrong table: ids of another, the outer query's, one the question names ----------------


def _ids_of_different_tables(tree, columns, links: Sequence[Link]) -> list[str]:
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


def _outer_column_selected(tree, columns, links: Sequence[Link]) -> list[str]:
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


def _named_column_left_out(tree, question: str, columns, links: Sequence[Link]) -> list[str]:
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


def _grouped_ids_shown_for_names(select, links: Sequence[Link], columns) -> list[str]:
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


# -- how many rows: a LIMIT nobody asked for, groups of one row ----------------------------------------------

NUMBER_WORDS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _unasked_row_limit(select, question: str, row_cap: int | None) -> list[str]:
    """`LIMIT 2` for "the first and second line of all addresses": without ORDER BY, a count of arbitrary rows
    the question never gives. (With ORDER BY it is a ranking cut-off, "the repos with most stars".)"""
    limit = select.args.get("limit")
    value = limit.expression if limit is not None else None
    if not (isinstance(value, exp.Literal) and value.is_int) or int(value.this) == row_cap or select.args.get("order"):
        return []
    count = int(value.this)
    if (
        not 2 <= count <= 100
        or re.search(rf"\b{count}\b", question)
        or (count <= 10 and re.search(rf"\b{NUMBER_WORDS[count - 2]}\b", question, re.IGNORECASE))
    ):
        return []
    return [
        f"LIMIT {count} without ORDER BY keeps {count} arbitrary rows, but the question gives no number of "
        "rows: leave the LIMIT out unless the question asks for that many"
    ]


def _count_of_one_row_groups(select, sources: dict[str, str], links: Sequence[Link]) -> list[str]:
    """`SELECT name FROM documents GROUP BY document_id ORDER BY count(*)`: grouped by a key of the only table,
    every group is one row and the count is always 1; what was meant counts the rows that refer to it."""
    if (
        len(sources) != 1
        or select.args.get("joins")
        or not any(count.parent_select is select for count in select.find_all(exp.Count))
    ):
        return []
    table = next(iter(sources.values()))
    group = select.args.get("group")
    grouped = {c.name.lower() for c in (group.expressions if group else []) if isinstance(c, exp.Column)}
    referring = [
        link
        for link in links
        if link.other.lower() == table.lower()
        and link.other_column.lower() in grouped
        and link.table.lower() != table.lower()
    ]
    if not referring:
        return []
    key = referring[0].other_column
    return [
        f"GROUP BY {key} makes every group one {table} row ({key} is a key other tables refer to), so COUNT "
        f"is 1 in each; to count the related rows, JOIN the table that refers to it: "
        + ", ".join(f"{link.table} ON {link.text()}" for link in referring)
    ]


# -- "both": either is not both --------------------------------------------------------------------------


def _either_for_both(select, question: str) -> list[str]:
    """`x IN (a, b)` / `x = a OR x = b` where the question says "both", or names the two values joined by
    "and" ("paragraph text 'Brazil' and 'Ireland'")."""
    return [
        f"{node.sql(dialect='sqlite')} keeps rows that match either value, but the question asks for both: "
        "INTERSECT a query for each value (or GROUP BY ... HAVING COUNT(DISTINCT ...) = 2)"
        for node in select.find_all(exp.In, exp.Or)
        if node.parent_select is select
        and not node.find_ancestor(exp.Join)
        and (values := _either_values(node))
        and (BOTH.search(question) or _joined_by_and(question, values))
    ]


def _either_values(node) -> list[str]:
    """The values of `x IN (a, b)` or `x = a OR x = b` (or `x LIKE a OR x LIKE b`); empty for anything else."""
    if isinstance(node, exp.In):
        if (
            node.args.get("query")
            or len(node.expressions) < 2
            or not isinstance(node.this, exp.Column)
            or isinstance(node.parent, exp.Not)
        ):
            return []
        return [
            value.this if isinstance(value, exp.Literal) else value.sql(dialect="sqlite") for value in node.expressions
        ]
    if isinstance(node.parent, exp.Or):
        return []
    keys, values = set(), []
    for part in _operands(node, exp.Or):
        pair = _column_and_literal(part) if isinstance(part, (exp.EQ, exp.Like)) else None
        if pair is None:
            return []
        keys.add(pair[0].sql(dialect="sqlite").lower())
        values.append(pair[1].this)
    return values if len(keys) == 1 else []


def _joined_by_and(question: str, values: Sequence[str]) -> bool:
    """Two values the question names with "and" (and no "or") between them."""
    if len(values) != 2:
        return False
    text = question.lower()
    places = sorted((text.find(v.strip("%").lower()), len(v.strip("%"))) for v in values if v.strip("%"))
    if len(places) != 2 or places[0][0] < 0:
        return False
    between = f" {text[places[0][0] + places[0][1] : places[1][0]]} "
    return re.search(r"\band\b", between) is not None and re.search(r"\bor\b", between) is None


# -- joins: off the foreign keys, repeating rows, negations tested on joined rows ---------------------------


def _joins_off_the_keys(joins: JoinTree, links: Sequence[Link]) -> list[str]:
    """`ON car_makers.Id = car_names.Make`: equal columns that no foreign key pairs, between tables that the
    foreign keys do connect (directly through other columns, or through other tables)."""
    doubts = []
    for equality in joins.equalities:
        if equality.link is not None:
            continue
        a, b = joins.sources[equality.left], joins.sources[equality.right]
        route = path_between(a, {b}, links) if a.lower() != b.lower() else []
        if route:
            eq = equality.condition
            doubts.append(
                f"ON {eq.sql(dialect='sqlite')} compares {a}.{eq.this.name} with "
                f"{b}.{eq.expression.name}, which no foreign key links; the foreign keys go "
                + ", ".join(link.text() for link in route)
            )
    return doubts


def _negated_joined_row(conditions, joins: JoinTree) -> list[str]:
    doubts = []
    for node in conditions:
        if isinstance(node, exp.NEQ):
            target, wanted = node.this, exp.EQ(this=node.this.copy(), expression=node.expression.copy())
        elif (
            isinstance(node, exp.Not) and isinstance(node.this, (exp.In, exp.Like)) and not node.this.args.get("query")
        ):  # NOT IN (SELECT ...) is the form the doubt asks for
            target, wanted = node.this.this, node.this
        else:
            continue
        alias = joins.alias_of(target) if isinstance(target, exp.Column) else None
        if alias not in joins.repeats:
            continue
        table, owner, wanted = joins.sources[alias], joins.sources[joins.repeats[alias]], wanted.sql(dialect="sqlite")
        exclusion = joins.exclusion(target, wanted)
        whole = joins.without(node, exclusion, joins.chain(alias))
        doubts.append(
            f"{node.sql(dialect='sqlite')} is tested on each joined {table} row, so a {owner} row with "
            f"{wanted} and also another {table} row is still kept through the other; to leave out every "
            f"{owner} row that has one, write "
            + (whole if whole else f"{exclusion} in place of {node.sql(dialect='sqlite')}")
        )
    return doubts


def _null_on_an_inner_join(conditions, joins: JoinTree) -> list[str]:
    """ "the semester with no students enrolled" answered with `JOIN Student_Enrolment ... WHERE T2.student_id IS
    NULL`: an INNER JOIN only finds rows that have a related row, so those with none are not there to test."""
    doubts = []
    inner = {
        (join.this.alias_or_name or "").lower()
        for join in joins.select.args.get("joins") or []
        if not join.side and join.kind.upper() in ("", "INNER")
    }
    for node in conditions:
        if not (
            isinstance(node, exp.Is) and isinstance(node.expression, exp.Null) and isinstance(node.this, exp.Column)
        ):
            continue
        alias = joins.alias_of(node.this)
        if alias not in joins.repeats or not set(joins.chain(alias)) <= inner:
            continue
        table, owner = joins.sources[alias], joins.sources[joins.repeats[alias]]
        exclusion = joins.exclusion(node.this, None)
        whole = joins.without(node, exclusion, joins.chain(alias))
        doubts.append(
            f"{node.sql(dialect='sqlite')} is tested on the rows the JOIN found, so a {owner} row with no "
            f"{table} row is not there to test; to keep the {owner} rows that have none, write "
            + (whole if whole else f"{exclusion} in place of {node.sql(dialect='sqlite')}")
        )
    return doubts


def _repeating_joins(select, joins: JoinTree) -> list[str]:
    """Joined tables that repeat rows yet give the query nothing but their ON clause."""
    if select.args.get("distinct") or summarised(select):
        return []
    sources = joins.sources
    return [
        f"the JOIN with {sources[alias]} uses none of its columns but repeats each {sources[origin]} row once "
        f"per related {sources[alias]} row (and drops those with none); leave it out, or use DISTINCT if only "
        "those with a related row are wanted"
        for alias, origin in unused_repeats(select, joins).items()
    ]
