"""ask/repairs/: one ordered registry lists every heuristic, and the pipeline applies each through its entry."""

import importlib
import pkgutil
import types

import pytest

from datasette_llm.ask import repairs
from datasette_llm.ask.repairs import HELPERS, REPAIRS, STAGES, Repair

pytestmark = pytest.mark.no_datasette

# The modules whose code runs the pipeline's stages.
PIPELINE = ["pipeline", "write_sql", "mend", "answer"]


def entry_names() -> dict[str, Repair]:
    return {name: value for name, value in vars(repairs).items() if isinstance(value, Repair)}


def names_in(code: types.CodeType) -> set[str]:
    """Every global and attribute name a function's code (nested functions included) reads."""
    found = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found |= names_in(const)
    return found


def pipeline_names() -> set[str]:
    found = set()
    for name in PIPELINE:
        module = importlib.import_module(f"datasette_llm.ask.{name}")
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == module.__name__:
                for member in vars(value).values():
                    if isinstance(member, types.FunctionType):
                        found |= names_in(member.__code__)
            elif isinstance(value, types.FunctionType) and value.__module__ == module.__name__:
                found |= names_in(value.__code__)
    return found


def test_every_module_of_the_package_is_in_the_registry():
    modules = {info.name for info in pkgutil.iter_modules(repairs.__path__)}
    listed = {r.apply.__module__ for r in REPAIRS} | {m.__name__ for m in HELPERS}
    assert modules == {name.rsplit(".", 1)[1] for name in listed if name.startswith(repairs.__name__ + ".")}


def test_every_entry_has_a_name_in_the_package_and_one_place_in_the_order():
    names = entry_names()
    assert sorted(map(id, names.values())) == sorted(map(id, REPAIRS)), "each entry once in REPAIRS, by name"
    assert len({r.apply for r in REPAIRS}) == len(REPAIRS)


def test_every_entry_is_applied_by_the_pipeline():
    used = pipeline_names()
    assert [name for name in entry_names() if name not in used] == []


def test_the_pipeline_calls_each_heuristic_through_its_entry():
    for name in PIPELINE:
        module = importlib.import_module(f"datasette_llm.ask.{name}")
        direct = [key for key, value in vars(module).items() if any(value is r.apply for r in REPAIRS)]
        assert direct == [], f"{name} imports {direct}: call each as repairs.<ENTRY>.apply"


def test_entries_follow_the_stages_in_order_and_say_why():
    order = [STAGES.index(r.stage) for r in REPAIRS]
    assert order == sorted(order) and set(order) == set(range(len(STAGES)))
    for r in REPAIRS:
        assert r.does and r.example and r.evidence and "\n" not in r.does + r.evidence, r.name
