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
- `car_makers AS T1 JOIN car_makers AS T2 ON T1.Id = T2.Id`: a table joined to itself on its key;
- "the visitor who spent the most in total" ranked by `ORDER BY visit.Total_spent`: one visit, not their sum;
- `Accelerate > (SELECT MAX(Horsepower) ...)`: a column compared with the extreme of another column;
- `GROUP BY document_id ORDER BY COUNT(*)` over documents alone: every group is one row;
- "the most frequent source airport" answered without flights.SourceAirport, a column the question names;
- `code NOT IN (SELECT Template_Type_Code FROM Documents)` where Documents has no such column (the outer row's);
- `battle.id IN (SELECT caused_by_ship_id ...)`: ids of one table compared with ids of another;
- `SELECT Airline ... GROUP BY Airline` where flights.Airline holds airlines ids and airlines.Airline the names;
- `LIMIT 2` without ORDER BY when the question gives no number of rows;
- `age > 30` for "under age 30", `ORDER BY age` (youngest first) for "from old to young";
- "students who do not have a cat" answered with `WHERE PetType = 'cat'`: no negation anywhere in the query;
- `SELECT name FROM stadium EXCEPT SELECT stadium_id FROM concert`: two sides that select different things.

The join tree they read (which table repeats which rows) is `join_tree`; the one mend that acts on it, a JOIN
the question never asked for, is `unasked_joins`. This module runs the checks; each kind has its own:

one_row.py        values one row cannot hold together, a `!=` that changes nothing, another column's extreme
wrong_column.py   another table's ids, the outer query's row, a named column left out, ids shown for names,
                  the two sides of EXCEPT or INTERSECT selecting different things
row_counts.py     a LIMIT nobody asked for, COUNT over groups of one row
both.py           either taken for both
directions.py     a comparison or a sort the other way from the question's words, a negation left out
joined_tables.py  JOINs off the keys or of a table to itself on its key, repeating rows, a ranking by one joined
                  row for a total, a negation or IS NULL tested on a joined row
where_parts.py    the operands of a WHERE and a column compared with a literal (serves the others)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlglot
from sqlglot import exp

from ....sql.join_links import Link, column_table
from ....sql.parsing import parse_one
from ..join_tree import JoinTree, aliases
from .both import either_for_both
from .directions import negation_left_out, opposite_comparisons, opposite_order
from .joined_tables import (
    joined_to_itself_on_its_key,
    joins_off_the_keys,
    negated_joined_row,
    null_on_an_inner_join,
    ranked_by_one_joined_row,
    repeating_joins,
)
from .one_row import affinity, extreme_of_another_column, impossible_or_redundant
from .row_counts import count_of_one_row_groups, unasked_row_limit
from .where_parts import conjuncts
from .wrong_column import (
    grouped_ids_shown_for_names,
    ids_of_different_tables,
    named_column_left_out,
    outer_column_selected,
    set_sides_differ,
)


def _kinds(columns: dict[str, Sequence[str]], types: dict[str, Sequence[str | None]]):
    """The affinity of a column reference, from its table's declared types (None when not known): the column's
    table is found as every check finds it (join_links.column_table)."""
    declared = {
        (table, name.lower()): kind
        for table, kinds in types.items()
        for name, kind in zip(columns.get(table, ()), kinds)
    }

    def kind_of(column: exp.Column) -> str | None:
        return affinity(declared.get((column_table(column, columns), column.name.lower())))

    return kind_of


NEGATION = re.compile(r"\b(not|never|without|no|none)\b|n't\b", re.IGNORECASE)


def logic_doubts(
    sql: str,
    question: str,
    columns: dict[str, Sequence[str]],
    links: Sequence[Link],
    row_cap: int | None = None,
    types: dict[str, Sequence[str | None]] | None = None,
) -> list[str]:
    """Descriptions of what in this (valid) query probably does not answer the question; empty if none.

    `row_cap` is the LIMIT the guard adds to a query without one (not the model's); `types` the declared type of
    each column of `columns` (None: not known, and what a column's type decides is not said)."""
    try:
        tree = parse_one(sql)
    except sqlglot.errors.SqlglotError:  # parse and tokenizer errors alike
        return []
    has_set_operation = tree.find(exp.Intersect, exp.Except) is not None
    doubts: list[str] = (
        negation_left_out(tree, question)
        + ids_of_different_tables(tree, columns, links)
        + set_sides_differ(tree, links)
        + outer_column_selected(tree, columns, links)
        + named_column_left_out(tree, question, columns, links)
    )
    kind_of = _kinds(columns, types or {})
    for select in tree.find_all(exp.Select):
        sources = aliases(select, columns)
        joins = JoinTree(select, sources, links, columns) if sources else None
        conditions = conjuncts(select.args.get("where"))
        doubts += impossible_or_redundant(conditions, joins, kind_of)
        doubts += extreme_of_another_column(select)
        doubts += count_of_one_row_groups(select, sources, links)
        doubts += opposite_comparisons(select, question)
        if not has_set_operation and not select.args.get("having"):
            doubts += either_for_both(select, question, links)
        if joins is not None:
            doubts += joins_off_the_keys(joins, links) + joined_to_itself_on_its_key(joins, links)
            if NEGATION.search(question):
                doubts += negated_joined_row(conditions, joins) + null_on_an_inner_join(conditions, joins)
            if select is tree:  # rows of a set operation or an IN (SELECT ...) may repeat harmlessly
                doubts += repeating_joins(select, joins) + ranked_by_one_joined_row(select, joins, question)
        if select is tree:
            doubts += unasked_row_limit(select, question, row_cap)
            doubts += opposite_order(select, question)
            doubts += grouped_ids_shown_for_names(select, links, columns)
    return list(dict.fromkeys(doubts))
