"""`datasette llm examples import` (docs/examples.md): "a JSON list of {"question": ..., "sql": ...} objects ... or a
CSV file with the columns question and sql ... Every row is checked; the command prints each row added, already
present or refused (with the reason), and exits with code 1 if any row was refused." Found by an outside tester's
mutation run (session 53), each passing the suite (examples/files.py):
- a row with nothing in any cell (a spreadsheet's `,,` under the last pair) read as a pair and refused: exit 1;
- a CSV saved with a byte-order mark (Excel's "CSV UTF-8") refused as having no `question` column;
- a file named .csv whose first cell starts with `[` (a column `[status]`) read as JSON and refused;
- a CSV row shorter than the header, or a cell past the csv module's field limit, a traceback;
- a JSON item without "sql" skipped in silence (exit 0), where it is a refused row.

Oracle: the command's documented report and exit code, and the store's contents, through the real command line.
"""

import json

from click.testing import CliRunner

from datasette_llm.cli import llm


def test_rows_of_blank_cells_are_skipped_and_the_rest_imported(db_path, state, tmp_path):
    csv_file = tmp_path / "from_a_spreadsheet.csv"
    csv_file.write_text(
        "question,sql,note\n"
        "How many cats?,select count(*) from cats,\n"
        ",,\n"
        "  ,  ,  \n"
        '"Cat names, please",select name from cats,x\n'
        ",,\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(llm, ["examples", "import", db_path, str(csv_file)])
    assert result.exit_code == 0, result.output
    assert "2 added, 0 already present, 0 refused" in result.output
    listed = CliRunner().invoke(llm, ["examples", "list", db_path, "--json"])
    assert [(e["question"], e["sql"]) for e in json.loads(listed.stdout)] == [
        ("How many cats?", "select count(*) from cats"),
        ("Cat names, please", "select name from cats"),
    ]


def _import(db_path, path):
    return CliRunner().invoke(llm, ["examples", "import", db_path, str(path)])


def test_a_csv_with_a_byte_order_mark_is_read_by_its_header(db_path, state, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffquestion,sql\nHow many cats?,select count(*) from cats\n".encode("utf-8"))
    result = _import(db_path, path)
    assert result.exit_code == 0 and "1 added" in result.output, result.output


def test_a_csv_file_is_csv_whatever_its_first_cell_starts_with(db_path, state, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("[status],question,sql\ndraft,How many cats?,select count(*) from cats\n", encoding="utf-8")
    result = _import(db_path, path)
    assert result.exit_code == 0 and "1 added" in result.output, result.output


def test_a_short_row_is_a_refused_row_and_an_oversized_cell_a_message(db_path, state, tmp_path):
    short = tmp_path / "short.csv"
    short.write_text("question,sql\nHow many cats?,select count(*) from cats\nOnly a question\n", encoding="utf-8")
    result = _import(db_path, short)
    assert result.exit_code == 1 and "1 added, 0 already present, 1 refused" in result.output, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit), result.exception
    huge = tmp_path / "huge.csv"
    huge.write_text("question,sql\n" + '"' + "x" * 200_000 + '",select 1\n', encoding="utf-8")
    result = _import(db_path, huge)
    assert result.exit_code != 0 and "is not valid CSV" in result.output, result.output
    assert isinstance(result.exception, SystemExit), result.exception


def test_a_json_item_without_sql_is_a_refused_row(db_path, state, tmp_path):
    path = tmp_path / "items.json"
    path.write_text(
        json.dumps([{"question": "How many cats?", "sql": "select count(*) from cats"}, {"question": "No SQL here"}]),
        encoding="utf-8",
    )
    result = _import(db_path, path)
    assert result.exit_code == 1, result.output
    assert "1 added, 0 already present, 1 refused" in result.output and "item 2" in result.output
