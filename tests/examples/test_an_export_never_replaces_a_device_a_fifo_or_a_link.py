"""`examples export -o PATH` writes a regular file whole (a temporary file, then renamed over it), but PATH may be a
device, a FIFO or a symbolic link: each was replaced by a regular file, with "Exported" and exit code 0 (an outside
tester, session 58: as root, `-o /dev/null` replaced the system's /dev/null). A link is written through, a FIFO or
a device is written into (or refused), and none is replaced."""

import json
import os
import stat
import threading

import pytest
from click.testing import CliRunner

from datasette_llm.cli import llm


def invoke(*args):
    result = CliRunner().invoke(llm, [*map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def one_example(db_path, state):
    assert invoke("examples", "add", db_path, "How many cats?", "select count(*) from cats").exit_code == 0


def test_an_export_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path, db_path, one_example):
    shared = tmp_path / "shared.json"
    shared.write_text("[]\n")
    link = tmp_path / "link.json"
    link.symlink_to(shared)
    result = invoke("examples", "export", db_path, "-o", link)
    assert link.is_symlink()
    if result.exit_code == 0:
        assert json.loads(shared.read_text())[0]["question"] == "How many cats?"


def test_an_export_into_a_fifo_leaves_the_fifo_a_fifo(tmp_path, db_path, one_example):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received = []

    def read():
        with open(fifo, "rb") as handle:  # blocks until the export opens it for writing (or gives up below)
            received.append(handle.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    result = invoke("examples", "export", db_path, "-o", fifo)
    if not received:  # the export never opened the FIFO: let the reader go
        with open(fifo, "wb"):
            pass
    reader.join(10)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    if result.exit_code == 0:
        assert json.loads(received[0])[0]["question"] == "How many cats?"


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_an_export_to_a_device_never_replaces_the_device_node(tmp_path, db_path, one_example):
    node = tmp_path / "null"  # a private copy of /dev/null's node: never /dev itself
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    result = invoke("examples", "export", db_path, "-o", node)
    assert stat.S_ISCHR(os.lstat(node).st_mode)
    assert result.exit_code == 0, result.output  # written into, as `>` would


def test_an_export_to_a_directory_is_refused_in_one_line(tmp_path, db_path, one_example):
    result = invoke("examples", "export", db_path, "-o", tmp_path)
    assert result.exit_code != 0 and tmp_path.is_dir()
