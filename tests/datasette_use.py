"""Which tests run Datasette's code: the marker `no_datasette` and the check that keeps it true.

The test command runs the suite on Datasette 0.65 and again on the newest 1.0 alpha. A test that never builds a
`Datasette` (nor a `Database`), never starts a `datasette` process and never reads which version is installed
cannot tell the two apart: the 1.0 leg leaves tests marked `no_datasette` out (setup-scripts/test-datasette1.sh),
so they run once. The marker is a claim, and this plugin checks it in every leg where marked tests run:

- while a test (or a fixture it uses) runs, building a Datasette or a Database, or starting a process whose
  command line runs datasette, is recorded; a fixture that did so taints every test that uses it later;
- a marked test that did any of that, or whose module imports datasette or reads `DATASETTE_1`, fails with
  the reason, so a marker that became false is found by the leg that still runs the test.

`DATASETTE_LLM_DATASETTE_USE=report` writes the node ids of unmarked tests that used no Datasette to
test-artifacts/no-datasette-candidates.txt (for moving tests into the marker, by module).
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from pathlib import Path

import pytest

MARKER = "no_datasette"
_VERSION_AWARE = re.compile(r"^\s*(?:from|import)\s+datasette(?:\.|\s)|DATASETTE_1\b|DATASETTE_VERSION\b", re.M)


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
        from datasette.app import Datasette
        from datasette.database import Database

        for cls in (Datasette, Database):
            original = cls.__init__

            def wrapped(obj, *args, _original=original, _name=cls.__name__, **kwargs):
                self.note(f"built a {_name}")
                return _original(obj, *args, **kwargs)

            cls.__init__ = wrapped
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


_use = DatasetteUse()


def pytest_configure(config):
    config.addinivalue_line("markers", f"{MARKER}: builds no Datasette; the Datasette 1.0 leg leaves it out")
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
    reason = _reason(item)
    if marked and reason:
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} is marked {MARKER} (the Datasette 1.0 leg leaves it out) but {reason}: "
            f"take the marker off, or keep Datasette out of the test"
        )
    elif not marked and not reason and item.nodeid not in _use.skipped:
        _use.clean.append(item.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("DATASETTE_LLM_DATASETTE_USE") != "report":
        return
    out = Path(os.environ.get("DATASETTE_LLM_ARTIFACTS") or "test-artifacts")
    out.mkdir(parents=True, exist_ok=True)
    (out / "no-datasette-candidates.txt").write_text("".join(f"{nodeid}\n" for nodeid in _use.clean))
    (out / "datasette-use.txt").write_text("".join(f"{nodeid}\t{what}\n" for nodeid, what in _use.used.items()))
