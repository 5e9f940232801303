"""Ask end to end (a real Datasette, the pipeline, a scripted model): an answer that quotes a number no row the model
was shown holds is flagged, in shapes the unit tests of numbers.py leave out: the number word "eleven" and a bare
"a hundred", numbers inside a numbered list, numbers in a sentence that also holds a date, thousands grouped by dots
with decimals after a comma; and a huge hexadecimal neither fails the answer nor passes unflagged.

Generated tables of random numbers; the oracle is SQLite's own result of the SQL the scripted model writes (run
here with sqlite3) and the rows in the answer prompt the model received, never the plugin's own reading."""

import random
import sqlite3

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask

TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
UNITS = ["two", "three", "four", "five", "six", "seven", "eight", "nine"]
SQL = "select name, amount, day from sales order by id"
MENTIONS = "The answer mentions "


def make_sales(path, seed: int, first_name: str | None = None, first_amount: int | None = None) -> list[tuple]:
    """A table of random amounts (5 digits, none of 11 or 100, none within rounding of them) and days; SQLite's own
    result of SQL over it."""
    rng = random.Random(seed)
    con = sqlite3.connect(path)
    con.execute("create table sales (id integer primary key, name text, amount integer, day text)")
    amounts = rng.sample(range(10_000, 99_999), 6)
    if first_amount is not None:
        amounts[0] = first_amount
    for i, amount in enumerate(amounts):
        day = f"20{rng.randint(12, 23)}-0{rng.randint(1, 9)}-{rng.randint(12, 28)}"  # (no 11 in them)
        name = first_name if first_name and i == 0 else f"shop{chr(97 + i)}"
        con.execute("insert into sales values (?, ?, ?, ?)", (i + 1, name, amount, day))
    con.commit()
    rows = con.execute(SQL).fetchall()
    con.close()
    return rows


async def ask_with(tmp_path, seed: int, answer_for, first_name: str | None = None, first_amount: int | None = None):
    """Ask over a generated table with a model that writes SQL and then `answer_for(rows)` (SQLite's rows); returns
    (rows, the rows as the answer prompt showed them, the result)."""
    path = tmp_path / f"sales{seed}.db"
    rows = make_sales(path, seed, first_name, first_amount)
    model = ScriptedModel([sql_reply(SQL), answer_for(rows)])
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"warm_up": False, "max_cell_chars": 1000}}})
    result = await ask(ds, f"sales{seed}", "How much did each shop sell?", model=model)
    prompt = model.calls[1][1]["content"]
    for name, amount, day in rows:  # the model was shown every row, as SQLite returned it
        assert f"{name} | {amount} | {day}" in prompt
    return rows, prompt, result


def flagged(result) -> str:
    """The number warning (empty when there is none)."""
    return next((w for w in result.warnings if w.startswith(MENTIONS)), "")


def invented(rows, rng) -> int:
    """A five-digit number no row holds, nor rounds to, nor is a row count."""
    held = {amount for _, amount, _ in rows}
    while True:
        value = rng.randint(10_000, 99_999)
        if all(abs(value - h) > 1 for h in held):
            return value


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("word", ["eleven", "a hundred", "Eleven"])
async def test_a_number_word_no_row_holds_is_flagged(tmp_path, seed, word):
    rows, _, result = await ask_with(tmp_path, seed, lambda rows: f"{word} shops sold {rows[0][1]}.")
    assert result.ok
    warning = flagged(result)
    assert word.split()[-1] in warning and str(rows[0][1]) not in warning, result.warnings


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(4))
async def test_an_invented_number_in_a_numbered_list_is_flagged(tmp_path, seed):
    rng = random.Random(seed)
    made = {}

    def answer(rows):
        made["value"] = invented(rows, rng)
        shown = rows[rng.randrange(len(rows))]
        # item numbers (1., 2.) are no amounts; the amounts in the items are
        return f"Sales:\n1. {shown[0]}: {shown[1]}\n2. {rows[-1][0]}: {made['value']}\n3. the rest: none"

    rows, _, result = await ask_with(tmp_path, seed, answer)
    warning = flagged(result)
    assert str(made["value"]) in warning, result.warnings
    assert all(str(amount) not in warning for _, amount, _ in rows), result.warnings


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("order", ["number first", "date first"])
async def test_an_invented_number_beside_a_shown_date_is_flagged(tmp_path, seed, order):
    rng = random.Random(seed + 100)
    made = {}

    def answer(rows):
        name, _, day = rows[rng.randrange(len(rows))]
        made["value"] = value = invented(rows, rng)
        if order == "number first":
            return f"{name} sold {value} on {day}."
        return f"On {day}, {name} sold {value}."

    rows, _, result = await ask_with(tmp_path, seed, answer)
    warning = flagged(result)
    assert str(made["value"]) in warning, result.warnings
    assert all(day not in warning for _, _, day in rows), result.warnings  # the date was shown


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(4))
async def test_thousands_grouped_by_dots_keep_their_decimals(tmp_path, seed):
    """`12.345,67` is 12,345.67: a row of 12345 shows no such number (its decimals dropped, it passed for the row)."""
    rng = random.Random(seed + 200)
    made = {}

    def answer(rows):
        amount = rows[rng.randrange(len(rows))][1]
        cents = rng.randint(11, 99)
        made.update(amount=amount, cents=cents)
        made["written"] = f"{amount // 1000}.{amount % 1000:03d},{cents}"
        made["plain"] = f"{amount // 1000}.{amount % 1000:03d}"
        return f"One shop sold {made['written']} and another {made['plain']}."

    rows, _, result = await ask_with(tmp_path, seed, answer)
    # the one with decimals, alone (the same amount grouped by a dot without decimals is the row's)
    assert flagged(result).startswith(f"{MENTIONS}{made['amount']:,}.{made['cents']}, which does not appear"), (
        made,
        result.warnings,
    )


@pytest.mark.asyncio
@pytest.mark.parametrize("digits", [17, 300])
@pytest.mark.parametrize("where", ["answer", "row"])
async def test_a_huge_hexadecimal_neither_fails_the_answer_nor_passes_for_another_number(tmp_path, digits, where):
    """A key of 300 hexadecimal digits (more than a float holds) in a row or in the answer."""
    hexadecimal = "0x" + "f" * digits
    rng = random.Random(digits)
    made = {}

    def answer(rows):
        made["value"] = invented(rows, rng)
        key = hexadecimal if where == "answer" else rows[0][0]
        return f"The key is {key}; it sold {rows[0][1]}, not {made['value']}."

    rows, prompt, result = await ask_with(tmp_path, digits, answer, hexadecimal if where == "row" else None)
    assert result.ok and result.answer.startswith("The key is")
    warning = flagged(result)
    assert str(made["value"]) in warning and str(rows[0][1]) not in warning, result.warnings
    assert (hexadecimal in warning) == (where == "answer" and hexadecimal not in prompt), result.warnings


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(4))
async def test_three_digits_inside_a_word_no_row_holds_are_flagged(tmp_path, seed):
    """`x404`: digits inside a word are a number from three of them on (numbers.py); no row holds 404."""
    rng = random.Random(seed + 300)
    made = {}

    def answer(rows):
        made["digits"] = digits = str(rng.randint(300, 999))  # no amount (five digits), day or count is 3 digits
        return f"The best seller was model {rng.choice(['x', 'ID', 'v', 'rev'])}{digits}, with {rows[0][1]}."

    rows, _, result = await ask_with(tmp_path, seed, answer)
    warning = flagged(result)
    assert made["digits"] in warning and str(rows[0][1]) not in warning, result.warnings


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(4))
async def test_a_decimal_comma_passes_only_for_a_reading_the_rows_hold(tmp_path, seed):
    """`12345,67` is 12,345.67 or 12,345 and 67: the rows hold 12345 but neither 12,345.67 nor 67."""
    rng = random.Random(seed + 400)
    made = {}

    def answer(rows):
        amount = rows[rng.randrange(len(rows))][1]
        made["written"] = f"{amount},{rng.randint(30, 99)}"  # days are at most 28, months 9: no date holds it
        return f"One shop sold {made['written']}."

    rows, _, result = await ask_with(tmp_path, seed, answer)
    assert made["written"] in flagged(result), result.warnings


def _in_words(n: int) -> str:
    return TENS[n // 10 - 2] + ("-" + UNITS[n % 10 - 2] if n % 10 >= 2 else "")


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(4))
async def test_an_amount_in_words_after_a_comma_passes_only_when_each_part_or_the_whole_was_shown(tmp_path, seed):
    """ "forty-two thousand, seven hundred" is 42,700, or 42,000 and then 700: the rows hold 42,000 only."""
    rng = random.Random(seed + 500)
    thousands = rng.choice([n for n in range(22, 99) if n % 10 >= 2])
    hundreds = rng.randint(2, 9)
    written = f"{_in_words(thousands)} thousand, {UNITS[hundreds - 2]} hundred"

    rows, _, result = await ask_with(
        tmp_path, seed, lambda rows: f"The first shop sold {written}.", first_amount=thousands * 1000
    )
    whole = thousands * 1000 + hundreds * 100
    assume_apart = all(abs(amount - whole) > 100 for _, amount, _ in rows[1:])
    if not assume_apart:
        pytest.skip("a generated amount is a rounding of the whole")
    assert rows[0][1] == thousands * 1000
    assert written in flagged(result), result.warnings


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("direction", ["row 0.xyz, answer xyz", "row xyz, answer 0.xyz"])
async def test_a_fraction_and_its_thousandfold_never_pass_for_each_other(tmp_path, seed, direction):
    """A REAL of 0.125 let an answer say 125 unflagged, and a row of 125 let it say 0.125: `0.125` was read as
    thousands grouped by a dot, which no house style writes after a leading 0 (an outside tester, session 49)."""
    rng = random.Random(seed + 300)
    path = tmp_path / f"shares{seed}.db"
    digits = rng.sample(range(101, 999), 4)
    fraction_in_row = direction.startswith("row 0")
    with sqlite3.connect(path) as con:
        con.execute("create table shares (name text, share real)")
        for i, d in enumerate(digits):
            con.execute("insert into shares values (?, ?)", (f"shop{i}", d / 1000 if fraction_in_row else d))
    rows = sqlite3.connect(path).execute("select name, share from shares").fetchall()
    name, value = rows[rng.randrange(len(rows))]
    written = f"{round(value * 1000)}" if fraction_in_row else f"0.{int(value):03d}"
    model = ScriptedModel([sql_reply("select name, share from shares"), f"{name} has a share of {written}."])
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}})
    result = await ask(ds, f"shares{seed}", "What share does each shop have?", model=model)
    shown = model.calls[1][1]["content"]
    assert all(f"{n} | {v}" in shown for n, v in rows)  # the model saw every row as SQLite returned it
    assert float(written) not in {float(v) for _, v in rows}  # the number written is no row's value (the oracle)
    assert flagged(result).startswith(f"{MENTIONS}{written}"), (rows, written, result.warnings)
