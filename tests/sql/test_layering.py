"""The security code (sql/, permissions/) never imports the Ask code (ask/, its prompts and heuristics)."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_datasette

PACKAGE = Path(__file__).resolve().parents[2] / "datasette_llm"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, lazy imports included, as absolute dotted names."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def ask_imports(paths: list[Path]) -> dict[str, list[str]]:
    """{file path in the package: the ask/ modules it imports}, worked out in a fresh interpreter: CPython 3.11's
    ast.parse can fail with "AST constructor recursion depth mismatch" once earlier tests have left a RecursionError
    behind."""
    script = (
        "import json, sys\nfrom pathlib import Path\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from test_layering import imported_modules\n"
        "print(json.dumps({p: sorted(m for m in imported_modules(Path(p)) if m.split('.')[:2] == "
        "['datasette_llm', 'ask']) for p in sys.argv[1:]}))"
    )
    done = subprocess.run([sys.executable, "-c", script, *map(str, paths)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return {str(Path(path).relative_to(PACKAGE)): modules for path, modules in json.loads(done.stdout).items()}


def test_security_code_never_imports_ask():
    files = [*sorted((PACKAGE / "sql").glob("*.py")), *sorted((PACKAGE / "permissions").glob("*.py"))]
    wrong = ask_imports(files)
    assert len(wrong) == len(files)
    assert {name: modules for name, modules in wrong.items() if modules} == {}
