"""The package's layers (docs: STYLE's "Data flows one way"): a module imports only its own layer and those below.

hooks -> web / cli -> agents -> ask -> examples -> embeddings -> models -> permissions, context, keep -> sql ->
config -> errors and the helpers that decide nothing. So the security boundary (sql/, permissions/) never
imports tuning code (ask/repairs/), and a newcomer reading sql/ reads nothing above it. Every import counts, those
inside functions too.
"""

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_datasette

PACKAGE = Path(__file__).resolve().parent.parent / "datasette_llm"
# Lowest first; a module may import from its own layer and any before it.
LAYERS = [
    {"errors", "timing", "compat", "json_text", "fair_share", "terminal"},
    {"config", "setting_docs"},  # setting_docs: the settings' descriptions, read by docs/build_reference.py
    {"sql"},
    {"permissions", "context", "keep"},
    {"models"},
    {"embeddings"},
    {"examples"},
    {"ask"},
    {"agents"},
    {"web", "cli"},
    {""},  # datasette_llm/__init__.py: Datasette's hooks
]
# The one import against the flow, and why: Datasette's table pages must deny the embeddings storage tables to
# actors who may not run SQL, and only the embeddings package knows which tables those are.
ALLOWED = {("datasette_llm.permissions.rules", "datasette_llm.embeddings.hidden")}
RANK = {name: rank for rank, layer in enumerate(LAYERS) for name in layer}


def module_name(path: Path, package: Path = PACKAGE) -> tuple[str, str]:
    """(module, the package its relative imports start from)."""
    parts = path.relative_to(package.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), ".".join(parts[:-1])
    return ".".join(parts), ".".join(parts[:-1])


def imports(path: Path, root: Path = PACKAGE):
    module, package = module_name(path, root)
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                targets = [target] if node.module else [f"{target}.{alias.name}" for alias in node.names]
            else:
                targets = [node.module or ""]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        for target in targets:
            if target == "datasette_llm" or target.startswith("datasette_llm."):
                yield module, target


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def all_imports(root: Path = PACKAGE):
    return [pair for path in sorted(root.rglob("*.py")) for pair in imports(path, root)]


def against_the_flow(root: Path = PACKAGE):
    return [
        (module, target)
        for module, target in all_imports(root)
        if RANK[layer(target)] > RANK[layer(module)] and (module, target) not in ALLOWED
    ]


def test_every_top_level_module_has_a_layer():
    names = {path.stem if path.suffix else path.name for path in PACKAGE.iterdir() if path.suffix in ("", ".py")}
    names = {name for name in names if not name.startswith("__") and name not in ("static", "templates")}
    assert names <= set(RANK), names - set(RANK)


def test_no_module_imports_a_layer_above_its_own():
    assert against_the_flow() == []


@pytest.mark.parametrize("pair", sorted(ALLOWED))
def test_each_allowed_exception_still_exists(pair):
    assert pair in all_imports()  # a stale exception would let the next such import in unseen


def test_the_check_sees_imports_inside_functions_and_relative_ones(tmp_path):
    root = tmp_path / "datasette_llm"
    (root / "sql").mkdir(parents=True)
    (root / "sql" / "probe.py").write_text("def f():\n    from ..ask.repairs import sql_fix\n")
    (root / "sql" / "fine.py").write_text("from .. import errors\nimport datasette_llm.config\n")
    assert against_the_flow(root) == [("datasette_llm.sql.probe", "datasette_llm.ask.repairs")]
