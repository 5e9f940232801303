"""Two unbounded costs of odd input files, from an outside tester's generated CLI runs (session 58):

- a metadata or configuration YAML of nested aliases ("billion laughs", about 1 KB) made every command walk the
  alias graph node by node (cli/common.py _check_secret_files: 10^9 visits, at 100% CPU for ever), though PyYAML
  builds only a hundred objects;
- an import file that is no examples CSV had its whole first line echoed as "CSV columns found: ..." (a 1 MB line
  was a 1 MB error; the first line of any file, a key or a password entry, was printed back)."""

import subprocess
import sys
import textwrap

from click.testing import CliRunner

from datasette_llm.cli import llm


def bomb(levels: int) -> str:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    names = "abcdefghijklmnop"
    for prev, name in zip(names, names[1:levels]):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def test_a_yaml_of_nested_aliases_is_read_in_bounded_time(tmp_path, db_path, state):
    metadata = tmp_path / "metadata.yml"
    metadata.write_text(bomb(9))  # 10^9 leaves by reference, 1 KB on disk
    code = textwrap.dedent(
        f"""
        from datasette_llm.cli import llm
        llm(["examples", "list", {db_path!r}, "-m", {str(metadata)!r}])
        """
    )
    try:
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise AssertionError("`examples list -m metadata.yml` ran for over 60 s on a 1 KB file") from None
    assert "Traceback" not in result.stderr
    assert result.returncode == 2 and "YAML aliases" in result.stderr, result.stderr


def test_the_first_line_of_a_file_that_is_no_examples_csv_is_not_echoed_whole(tmp_path, db_path, state):
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"column{i}" for i in range(100_000)) + "\n")
    result = CliRunner().invoke(llm, ["examples", "import", db_path, str(wide)])
    assert result.exit_code == 1
    assert len(result.output) < 2_000, len(result.output)
    secret = tmp_path / "id_key"
    secret.write_text("privatekeymaterial:AAAAB3NzaC1yc2E:hunter2\n")
    result = CliRunner().invoke(llm, ["examples", "import", db_path, str(secret)])
    assert result.exit_code == 1
    assert "hunter2" not in result.output.lower()


def test_a_yaml_alias_that_holds_itself_is_refused_in_one_line(tmp_path, db_path, state):
    metadata = tmp_path / "metadata.yml"
    metadata.write_text("a: &a [*a]\n")
    result = CliRunner().invoke(llm, ["examples", "list", str(db_path), "-m", str(metadata)])
    assert result.exit_code == 2 and "holds itself" in result.output, result.output
