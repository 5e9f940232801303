"""The security code (sql/, permissions.py) never imports the Ask code (ask/, its prompts and heuristics)."""

import ast
from pathlib import Path

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


def test_security_code_never_imports_ask():
    files = [*sorted((PACKAGE / "sql").glob("*.py")), PACKAGE / "permissions.py"]
    wrong = {
        path.name: sorted(m for m in imported_modules(path) if m.split(".")[:2] == ["datasette_llm", "ask"])
        for path in files
    }
    assert {name: modules for name, modules in wrong.items() if modules} == {}
