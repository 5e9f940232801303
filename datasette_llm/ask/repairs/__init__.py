"""Every accuracy heuristic of the Ask pipeline, in one ordered registry: REPAIRS.

The guard (sql/) decides what may run; nothing here can widen that. These make a query the model wrote more
likely to answer the question: mends rewrite its syntax tree without a model call (and the guard checks the
result again), doubts send it back to the model once. Each entry names the stage of the pipeline it acts in,
the function the pipeline calls (always through the entry: `repairs.BRIDGE_JOIN.apply(...)`), whether it may
cost a model call, and the benchmark that justified it. docs/reference/repairs.md is generated from REPAIRS.

sql_fix.py         names almost right, dates' parts, SQLite's errors mended
join_mends.py      JOINs mended: the table between, a table never joined, a broken JOIN left out
implicit_keys.py   foreign keys the database does not declare, confirmed by the data
key_literals.py    a name compared with a foreign-key column, looked up through the referenced table
unasked_joins.py   a JOIN that only repeats rows of a table the question never names
not_in_nulls.py    NULLs left out of a NOT IN subquery that returns one, asked of the data
value_hints.py     the values really stored, for a query that found nothing
logic_checks/      queries that run but whose logic looks wrong (a module per kind of doubt)
arbitrary_values.py  a column neither grouped nor aggregated whose value differs within a group, asked of the data
integer_division.py  a division of two integers shown that dropped a fraction, asked of the data
one_row_count.py   a COUNT of the rows pinned to one by a value no two rows share, asked of the data; the one row
                   a query pins whose text is longer than a cell is read
text_measured.py   LENGTH or SUBSTR of a text with embeddings shown instead of what the text says
unasked_values.py  values the question never mentions
numbers_as_text.py numbers stored as text that the query orders or compares as text, asked of the data
unread_dates.py    values of a column passed to a date function that SQLite reads as NULL, asked of the data
tied_rows.py       rows the query's LIMIT left out that sort like the last one shown, asked of the data
doubted_examples.py  a query the trusted examples leave doubted, written again without them
name_words.py      identifiers and questions compared word by word (serves unasked_joins and logic_checks)
join_tree.py       how one SELECT's tables hang together through its ON clauses (serves the same two)
order_keys.py      what an ORDER BY term orders by: a position or an alias read as SQLite does (serves the
                   last two probes)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...sql import join_links
from . import (
    arbitrary_values,
    doubted_examples,
    implicit_keys,
    integer_division,
    join_mends,
    join_tree,
    key_literals,
    logic_checks,
    name_words,
    not_in_nulls,
    numbers_as_text,
    one_row_count,
    order_keys,
    sql_fix,
    text_measured,
    tied_rows,
    unasked_joins,
    unasked_values,
    unread_dates,
    value_hints,
)

# Where a heuristic acts, in the order a question meets them.
STAGES = (
    "preparing the schema",
    "before running",  # the guard rejected the query, or its JOINs link nothing
    "after a failed run",  # SQLite reported an error
    "after a run",  # every attempt whose query ran
    "after an empty result",
    "review of a result",
)


@dataclass(frozen=True)
class Repair:
    """One heuristic: where it acts, what it does, whether it may cost a model call, and why it is there."""

    name: str
    stage: str
    does: str
    example: str
    model_call: bool  # whether it may send the query back to the model (one more attempt)
    evidence: str  # the benchmark that justified it, with its figure (or that none was recorded)
    apply: Callable  # the function the pipeline calls

    def __post_init__(self):
        if self.stage not in STAGES:
            raise ValueError(f"{self.name}: unknown stage {self.stage!r}")


IMPLICIT_KEYS = Repair(
    name="undeclared foreign keys",
    stage="preparing the schema",
    does="finds the links a database does not declare from column names, confirmed by the data; they serve the "
    "mends and hints below, while the schema the model sees stays as declared",
    example="`flights.Airline` holds `airlines.uid` with no FOREIGN KEY clause",
    model_call=False,
    evidence="no figure of its own: it landed with the key-name and unasked-JOIN mends (db8e420), between the "
    "Spider dev full runs at 77.1% and 79.9% (b24e0a4, dcf29f4); with the inferred links Spider's gold SQL "
    "still raises no doubt and needs no key-name mend (tests, 036d3c8)",
    apply=implicit_keys.implicit_links,
)
NAME_FIX = Repair(
    name="near-miss name",
    stage="before running",
    does="a table or column name the guard rejects is replaced by the one real name that fits",
    example="`pet_type` → `PetType`; `T2.Document_Name` read from T1's table",
    model_call=False,
    evidence="no figure of its own (eb43bb9, with the first repair loop); the pipeline then scored 84.0% vs "
    "76.0% unaided on 100 Spider dev questions (665a8b0)",
    apply=sql_fix.auto_fix,
)
DATE_PART = Repair(
    name="date part as a column",
    stage="before running",
    does="an unknown column that names a part of a date (`*_year`, `*_month`) is read from the one date column "
    "of the query's tables whose name it shares, with strftime",
    example="`WHERE published_year = 2024` → `WHERE CAST(strftime('%Y', published_at, 'auto') AS INTEGER) = 2024`",
    model_call=False,
    evidence='benchmarks/latency.py: "How many releases were published in 2024?" wrote `published_year` and '
    "needed a second SQL attempt every time, rows 4.3 s; with the mend one attempt (docs/measurements.md, "
    "session 12)",
    apply=sql_fix.date_part,
)
BRIDGE_JOIN = Repair(
    name="table between",
    stage="before running",
    does="a JOIN on a column the joined table lacks, which one table between them holds: that table is joined "
    "between them on its foreign keys",
    example="`Artist JOIN Track ON T1.ArtistId = T2.ArtistId` → `Album` joined between them",
    model_call=False,
    evidence='benchmarks/latency.py: "Which ten artists have the most tracks?" took 4 SQL attempts and 25.5 s, '
    "and sometimes no answer; with the mend 1 attempt, 7.5 s (ea40c64, docs/measurements.md session 7)",
    apply=join_mends.bridge_join,
)
MISSING_TABLE = Repair(
    name="missing table",
    stage="before running",
    does="on the last attempt, a column that lives in one table the query never joined is read from it, "
    "joined through the foreign keys",
    example="`SELECT Name ... FROM flights`",
    model_call=False,
    evidence="rerun of the 25 Spider dev questions the first doubts and this mend fire on: 4 → 11 correct, "
    "none broken (40d7303, which added both)",
    apply=join_mends.join_missing_table,
)
BROKEN_JOIN = Repair(
    name="broken JOIN",
    stage="before running",
    does="on the last attempt, a JOIN whose ON clause reads a column its table lacks is left out, when nothing "
    "else reads that table and another JOIN remains",
    example="`JOIN singer_in_concert ON stadium.Stadium_ID = singer_in_concert.Stadium_ID JOIN concert ...`",
    model_call=False,
    evidence="no figure of its own (ba0061e), between the Spider dev full runs at 77.1% and 79.9% (b24e0a4, dcf29f4)",
    apply=join_mends.drop_broken_join,
)
JOIN_LINKS = Repair(
    name="JOIN that links nothing",
    stage="before running",
    does="an ON clause that links nothing is joined on the one foreign key that fits; if none fits, the query "
    "is sent back with the key path (on the last attempt it runs, with a warning)",
    example="`ON T2.MakeId = T2.MakeId`",
    model_call=True,
    evidence="no figure of its own (5d800b6); the next Spider dev full run scored 75.5% vs 67.7% unaided (97fb6fe)",
    apply=join_links.check_joins,
)
OUTER_AGGREGATES = Repair(
    name="aggregate over the outer row",
    stage="after a failed run",
    does="after SQLite's \"misuse of aggregate\", an aggregate in a subquery over the outer query's alias reads "
    "the subquery's own table",
    example="`WHERE T2.Weight < (SELECT AVG(T2.Weight) FROM cars_data)`",
    model_call=False,
    evidence="no figure of its own (cd24c08); in the Spider dev full run at 75.5% (97fb6fe)",
    apply=sql_fix.fix_outer_aggregates,
)
AMBIGUOUS_COLUMN = Repair(
    name="ambiguous column",
    stage="after a failed run",
    does='after SQLite\'s "ambiguous column name", a column the JOIN makes equal in both tables gets the first '
    "table's qualifier",
    example="`SELECT document_id ... JOIN documents ON paragraphs.document_id = documents.document_id`",
    model_call=False,
    evidence="no figure of its own (4726faa); in the Spider dev full run at 75.5% (97fb6fe)",
    apply=sql_fix.fix_ambiguous,
)
KEY_LITERALS = Repair(
    name="name compared with a key",
    stage="after a run",
    does="a name compared with a foreign-key column is looked up through the table the key references",
    example="`Continent = 'europe'` → `Continent IN (SELECT ContId FROM continents WHERE Continent = 'europe')`",
    model_call=False,
    evidence="the repair turn did not help: on Spider the model kept the comparison after the value hint in "
    "both cases it was shown (db8e420); between the Spider dev full runs at 77.1% and 79.9% (b24e0a4, dcf29f4)",
    apply=key_literals.mend_key_literals,
)
UNASKED_JOINS = Repair(
    name="JOIN the question never asked for",
    stage="after a run",
    does="a JOIN that only repeats rows of a table the question never mentions is left out",
    example="song names listed once per concert",
    model_call=False,
    evidence="no figure of its own (db8e420); no Spider gold query loses a JOIN to it (test, 4ab96b9); between "
    "the Spider dev full runs at 77.1% and 79.9% (b24e0a4, dcf29f4)",
    apply=unasked_joins.drop_unasked_joins,
)
NOT_IN_NULLS = Repair(
    name="NULL in a NOT IN subquery",
    stage="after a run",
    does="a NOT IN subquery of one plain column that returns a NULL (asked of the data; a correlated one is left "
    "alone) gets `column IS NOT NULL` added to its WHERE: NOT IN over a NULL is true for no row",
    example='`WHERE id NOT IN (SELECT manager_id FROM employees)` for "Which employees manage nobody?": no row '
    "when one employee has no manager",
    model_call=False,
    evidence="none for accuracy: no NOT IN subquery of Spider dev's gold queries returns a NULL (0 of 21), so "
    "Spider cannot measure it; the empty result was one the database returned, which no check of the answer sees",
    apply=not_in_nulls.null_safe_not_in,
)
VALUE_HINTS = Repair(
    name="values really stored",
    stage="after an empty result",
    does="the query's literals are checked against the values stored; the close values, or the column that "
    "holds the value and the foreign keys that reach it, go back to the model once (a warning if it keeps them)",
    example="a misspelt name, or a value compared with the wrong column",
    model_call=True,
    evidence="no figure of its own (8176ecd, 80c1628, 5d800b6, 7641e4a); in every Spider dev full run since the "
    "first (74.0% before reruns, 7124b10)",
    apply=value_hints.value_hints,
)
STORED_SPELLING = Repair(
    name="stored spelling",
    stage="after an empty result",
    does="a literal that differs from one stored value only in case, spaces or punctuation gets the stored "
    "spelling, on every attempt",
    example="`'North Carolina'` → `'NorthCarolina'`",
    model_call=False,
    evidence="no figure of its own (5d800b6, e2a7bd5); its cost is measured: 41 of 523 Spider dev questions "
    "score as wrong because the gold SQL misspells the stored value and Ask returns the real rows "
    "(docs/measurements.md)",
    apply=value_hints.replace_literal,
)
LOGIC_CHECKS = Repair(
    name="doubtful logic",
    stage="review of a result",
    does="a query that runs but whose logic looks wrong goes back once with the reason; if the model keeps it, "
    "it runs and the doubt is a warning (each kind of doubt: logic_checks/)",
    example='`Year IN (2014, 2015)` for "both 2014 and 2015"; `IS NULL` after an INNER JOIN',
    model_call=True,
    evidence="reruns of the Spider dev questions they fire on: 25 questions 4 → 11 correct, none broken "
    "(40d7303); 9 more 2 → 4 (0d0885c); full runs 75.5% → 77.1% (97fb6fe → b24e0a4), and 79.9% → 80.1% "
    "with the named-column doubt (7ee9e32); a comparison or sort against the question's words (54f5003) fired on "
    "2 of the 200 queries of the examples benchmark, both then right (with examples 86% -> 88%); a table joined to "
    "itself on its key and a ranking by one joined row for a total, each with the query to write (0c85f91), made "
    "from the examples arm's failures: the question each fired on then right (docs/measurements.md, session 50); "
    "no Spider gold query raises a doubt (tests)",
    apply=logic_checks.logic_doubts,
)
ARBITRARY_VALUES = Repair(
    name="one arbitrary row's value",
    stage="review of a result",
    does="a column an aggregate query shows neither grouped nor aggregated (nor equal to a grouped column, nor "
    "under SQLite's one min/max rule) goes back once when the data holds more than one value of it within a "
    "group shown; if the model keeps it, the doubt is a warning",
    example="`SELECT name, AVG(salary) FROM staff GROUP BY department`: one arbitrary person beside each average",
    model_call=True,
    evidence="an outside tester found answers giving a group's figure to the person of an arbitrary row (session "
    "30). No Spider gold query raises it; of the 726 queries the model wrote in session 25's 242-question run "
    "(three arms) it raised 3, all wrong. Real model, 8 Chinook questions inviting it (/tmp/s31/real_arb.py): it "
    'fired on 2 and both came back with GROUP_CONCAT, counts kept; advised "group by it" instead, the model '
    "split the groups and every count became 1",
    apply=arbitrary_values.arbitrary_values,
)
INTEGER_DIVISION = Repair(
    name="integer division",
    stage="review of a result",
    does="a division the query's rows show (outside any aggregate) that divided an integer by an integer with a "
    "remainder in some row shown (asked of the data) goes back once, with the division written to keep its "
    "fraction (the numerator CAST AS REAL); if the model keeps it, the doubt is a warning",
    example='`COUNT(*) * 100 / (SELECT COUNT(*) FROM customers)` for "What percentage of customers are from the '
    'USA?": 22, not 22.03',
    model_call=True,
    evidence="no Spider dev gold query divides in what it shows (0 of 523), so Spider cannot measure it; the "
    "number is one the database returned, which the numbers check of the answer passes",
    apply=integer_division.integer_divisions,
)
ONE_ROW_COUNT = Repair(
    name="a count of one row",
    stage="review of a result",
    does="a COUNT over one table whose WHERE pins a column no two of its rows share (asked of the data): the count "
    "is 1 or 0 whatever the question asks. With a table with embeddings the actor sees (and SQL not forced), the "
    "question is answered from the rows' text at once; else the query goes back once, advised to select the row, "
    "and a kept count is a warning; a yes-or-no question is left alone",
    example="`SELECT COUNT(*) FROM reports WHERE title = 'Leror Mine'` for \"How many miners worked at Leror "
    'Mine?": "There is 1 miner"',
    model_call=True,
    evidence="session 32's fictional reports (benchmarks/fiction.py) in mode auto, seed 0: 6 of 48 questions "
    '("How many miners worked at Leror Mine?") written as COUNT of the one report and answered "There is 1 '
    'miner"; asked again with the advice the model kept the COUNT; answered from the text, 6 of 6 right. No '
    "Spider gold query raises it (0 of 523)",
    apply=one_row_count.one_row_count,
)
CUT_TEXT_ROW = Repair(
    name="a row's text cut",
    stage="review of a result",
    does="a query over one table with embeddings the asker sees (SQL not forced) that shows the one row a `column = "
    "literal` pins, with a text longer than the answer reads of a cell (max_cell_chars), leaves the question to "
    "that row's passages, which read its text whole around what the question asks",
    example="`SELECT report FROM reports WHERE title = 'Lurow Bridge'` for \"Who designed Lurow Bridge?\": "
    '"designed by unknown individuals" from the first 200 characters',
    model_call=False,
    evidence="session 32's fictional reports (benchmarks/fiction.py) in mode auto, seed 0: the 2 wrong answers of 48 "
    "left after the other text routes, both such a query (one an invented designer)",
    apply=one_row_count.pinned,
)
TEXT_MEASURED = Repair(
    name="text measured, not read",
    stage="review of a result",
    does="a query that shows LENGTH, SUBSTR or INSTR of a column of a table with embeddings the asker sees (SQL "
    "not forced, the question not about characters or letters) leaves the question to the rows' text",
    example="`SELECT LENGTH(report) FROM reports WHERE title = 'Fenestine Bridge'` for \"How long is Fenestine "
    'Bridge?": "496 meters long", the report\'s characters',
    model_call=False,
    evidence="session 32's fictional reports (benchmarks/fiction.py) in mode auto, seed 0: 5 of the 7 wrong answers "
    "left after the text took the questions no query could answer (4 LENGTH, 1 SUBSTR); no Spider dev gold query "
    "uses LENGTH, SUBSTR or INSTR",
    apply=text_measured.measured_text,
)
EXAMPLES_DOUBTED = Repair(
    name="examples left doubted",
    stage="review of a result",
    does="a query written with trusted examples that still stands with a doubt after it was sent back is written "
    "again without examples; that one stands when no doubt remains about it, else the examples' query does",
    example="`continents AS T1 JOIN car_makers AS T2 ON T1.continent = T2.country` copied from the examples' forms",
    model_call=True,
    evidence="benchmarks/spider.py --examples --folds query (a61b5c9, session 52): with examples 90.0% against "
    "86.0% without on the first 10 questions of each database (+4.0 points; +3.0 before) and 89.4% against 89.4% "
    "on the next 10 (+0.0; -2.1 before): 437, 106 and 270 right again, no question changed otherwise",
    apply=doubted_examples.written_again_without_examples,
)
TIED_ROWS = Repair(
    name="rows tied at the LIMIT",
    stage="review of a result",
    does="a query whose own LIMIT cut its ordered rows where the next row sorts like the last one shown (asked of "
    "the data): a note says how many rows the LIMIT left out tie with it, in the result and in the answer prompt, "
    "so the answer does not call the row shown the only one; the query is not changed",
    example='`ORDER BY COUNT(*) DESC LIMIT 1` for "Which genre has the fewest tracks?" where two genres have 1',
    model_call=False,
    evidence="none for accuracy (it changes no SQL); Spider dev's gold queries keep `LIMIT 1` over such ties in 28 "
    "of 93 ORDER BY ... LIMIT queries, so returning every tied row would score wrong there, and an answer from "
    "the one row shown called it the only one",
    apply=tied_rows.tied_rows,
)
NUMBERS_AS_TEXT = Repair(
    name="numbers stored as text",
    stage="review of a result",
    does="a column the query orders by, takes the MAX or MIN of, or compares with a number, whose values are numbers "
    "stored as text of more than one length (asked of the data), is shown with the result as a warning, with the "
    "CAST to write; the query is not changed",
    example="`ORDER BY price DESC` over '99', '100' and '1500' (a CSV imported as text): '99' first",
    model_call=False,
    evidence="none for accuracy (it changes no SQL): Spider dev's gold queries order and compare car_1's Horsepower "
    "and MPG, stored as text, as text (16 of 523 warned), so sending such a query back would score wrong there",
    apply=numbers_as_text.numbers_as_text,
)
UNREAD_DATES = Repair(
    name="dates SQLite cannot read",
    stage="review of a result",
    does="a column the query passes to strftime, date, time, datetime, julianday or unixepoch, some of whose values "
    "(neither NULL nor blank) that call reads as NULL (asked of the data, with the query's own call), is shown with "
    "the result as a warning, with how many and one of them; the query is not changed",
    example="`WHERE strftime('%Y', published) = '2024'` over '03/05/2024': that row is left out without an error",
    model_call=False,
    evidence="none for accuracy (it changes no SQL); Spider dev's gold queries: see docs/measurements.md (session 56)",
    apply=unread_dates.unread_dates,
)
UNASKED_VALUES = Repair(
    name="value never asked for",
    stage="review of a result",
    does="a value the question never mentions (nor reaches through the row that holds it) is shown with the "
    "result as a warning, never sent back",
    example="`LIKE 'Korea%'` copied from the example rows",
    model_call=False,
    evidence="sent back, the reconsider turn fixed none of the 9 Spider queries it fired on and made the model "
    "drop a right `Country = 'France'` for \"French singers\" (d9f2ffe)",
    apply=unasked_values.unasked_values,
)

REPAIRS = (
    IMPLICIT_KEYS,
    NAME_FIX,
    DATE_PART,
    BRIDGE_JOIN,
    MISSING_TABLE,
    BROKEN_JOIN,
    JOIN_LINKS,
    OUTER_AGGREGATES,
    AMBIGUOUS_COLUMN,
    KEY_LITERALS,
    UNASKED_JOINS,
    NOT_IN_NULLS,
    VALUE_HINTS,
    STORED_SPELLING,
    LOGIC_CHECKS,
    ARBITRARY_VALUES,
    INTEGER_DIVISION,
    ONE_ROW_COUNT,
    CUT_TEXT_ROW,
    TEXT_MEASURED,
    EXAMPLES_DOUBTED,
    UNASKED_VALUES,
    NUMBERS_AS_TEXT,
    UNREAD_DATES,
    TIED_ROWS,
)

# Modules that hold no heuristic of their own and serve several.
HELPERS = (name_words, join_tree, order_keys)
