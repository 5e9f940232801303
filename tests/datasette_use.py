"""Which tests run Datasette's code: the marker `no_datasette` and the check that keeps it true.

The test command runs the suite on Datasette 0.65 and again on the newest 1.0 alpha. A test that runs none of
Datasette's code and never reads which version is installed cannot tell the two apart: the test command runs
tests marked `no_datasette` in one leg only, the 0.65 leg (setup-scripts/test-datasette1.sh also checks that both
venvs hold the same versions of every other package). The marker is a claim, and this plugin checks it wherever
marked tests run:

- while a test (or a fixture it uses) runs, any call of a function Datasette's modules define (the plugin's own
  `from datasette.utils import ...` included), any instance built of a class they define (a `Datasette`, a
  `Database`, a `Response`) and any process started to run datasette is recorded; a fixture that did so taints
  every test that uses it later;
- a marked test that did any of that, or whose module imports datasette, names one of its modules or reads
  `DATASETTE_1`, fails with the reason, so a marker that became false is found by the leg that still runs it.
Not seen: a constant read from Datasette's modules (the plugin reads none; `grep "from datasette"` shows what it
imports).

`DATASETTE_LLM_DATASETTE_USE=report` writes the node ids of unmarked tests that used no Datasette to
test-artifacts/no-datasette-candidates.txt (for moving tests into the marker, by module).
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

MARKER = "no_datasette"
REPORT = os.environ.get("DATASETTE_LLM_DATASETTE_USE") == "report"  # list the unmarked tests that used none
TESTS = str(Path(__file__).resolve().parent)
_VERSION_AWARE = re.compile(
    r"^\s*(?:from|import)\s+datasette(?:\.|\s)|(?<![\w-])datasette\.[a-z]|DATASETTE_1\b|DATASETTE_VERSION\b", re.M
)


class DatasetteUse:
    def __init__(self):
        self.current: str | None = None  # node id of the test being set up, run or torn down
        self.fixtures: list[str] = []  # the fixtures being set up, innermost last
        self.used: dict[str, str] = {}  # node id -> what used Datasette
        self.tainted_fixtures: dict[str, str] = {}  # fixture name -> what it used
        self.clean: list[str] = []  # unmarked tests that used none
        self.skipped: set[str] = set()

    def note(self, what: str) -> None:
        for name in self.fixtures:
            self.tainted_fixtures.setdefault(name, what)
        if self.current is not None:
            self.used.setdefault(self.current, what)

    def install(self) -> None:
        """Notes every call of a function, and every instance built of a class, that Datasette's own modules
        define (through the modules that hold them: the plugin's `from datasette.utils import ...` included),
        and every process started to run datasette."""
        import datasette.app  # noqa: F401 (loads the modules a Datasette needs)

        wrappers: dict[int, object] = {}
        for name, module in list(sys.modules.items()):
            if not _is_datasettes(name) or module is None:
                continue
            for value in list(vars(module).values()):
                if getattr(value, "__module__", None) != name:
                    continue
                if inspect.isclass(value) and "__init__" in vars(value):
                    value.__init__ = self._noting(value.__init__, f"built a {value.__qualname__}")
                elif inspect.isfunction(value) and not _generates(value):
                    wrappers.setdefault(id(value), self._noting(value, f"called datasette's {value.__qualname__}"))
        for name, module in list(sys.modules.items()):  # every module's reference to such a function
            path = str(getattr(module, "__file__", None) or "")
            if module is None or not (
                _is_datasettes(name) or name.startswith("datasette_llm") or path.startswith(TESTS)
            ):
                continue
            for attribute, value in list(vars(module).items()):
                if id(value) in wrappers and inspect.isfunction(value):
                    setattr(module, attribute, wrappers[id(value)])
        popen_init = subprocess.Popen.__init__

        def popen(obj, args, *rest, **kwargs):
            words = [args] if isinstance(args, (str, bytes, os.PathLike)) else list(args)
            for word in words:
                text = os.fsdecode(word) if isinstance(word, (bytes, os.PathLike)) else str(word)
                if re.search(r"(?:^|[/\s])datasette(?:$|\s)", text):
                    self.note(f"started {text!r}")
                    break
            return popen_init(obj, args, *rest, **kwargs)

        subprocess.Popen.__init__ = popen

    def _noting(self, function, what: str):
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def noted(*args, **kwargs):
                self.note(what)
                return await function(*args, **kwargs)

        else:

            @functools.wraps(function)
            def noted(*args, **kwargs):
                self.note(what)
                return function(*args, **kwargs)

        return noted


def _is_datasettes(name: str) -> bool:
    """Datasette's own modules, but not its pytest plugin (1.0 has one, run by pytest around every test)."""
    return (name == "datasette" or name.startswith("datasette.")) and name != "datasette._pytest_plugin"


def _generates(function) -> bool:
    return inspect.isgeneratorfunction(function) or inspect.isasyncgenfunction(function)


_use = DatasetteUse()


def pytest_configure(config):
    _use.install()


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    _use.fixtures.append(fixturedef.argname)
    try:
        yield
    finally:
        _use.fixtures.pop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _use.current = item.nodeid
    try:
        yield
    finally:
        _use.current = None


@functools.cache
def _version_aware(path: str):
    return _VERSION_AWARE.search(Path(path).read_text(encoding="utf-8"))


def _reason(item) -> str | None:
    if item.nodeid in _use.used:
        return _use.used[item.nodeid]
    for name in getattr(item, "fixturenames", ()):
        if name in _use.tainted_fixtures:
            return f"uses the fixture {name!r}, which {_use.tainted_fixtures[name]}"
    found = _version_aware(str(item.fspath))
    if found:
        return f"its module imports datasette or reads its version ({found.group(0).strip()!r})"
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped:
        _use.skipped.add(item.nodeid)
    if call.when != "teardown" or report.failed:
        return
    marked = item.get_closest_marker(MARKER) is not None
    if not (marked or REPORT):
        return
    reason = _reason(item)
    if marked and reason:
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} is marked {MARKER} (the test command runs it on one Datasette only) but {reason}: "
            f"take the marker off, or keep Datasette out of the test"
        )
    elif not marked and not reason and item.nodeid not in _use.skipped:
        _use.clean.append(item.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if not REPORT:
        return
    from server_helpers import ARTIFACTS as out

    out.mkdir(parents=True, exist_ok=True)
    (out / "no-datasette-candidates.txt").write_text("".join(f"{nodeid}\n" for nodeid in _use.clean))
    (out / "datasette-use.txt").write_text("".join(f"{nodeid}\t{what}\n" for nodeid, what in _use.used.items()))
