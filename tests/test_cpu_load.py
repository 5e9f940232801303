"""llama.cpp threads follow the cores other processes leave free."""

import subprocess
import sys

from datasette_llm.models.cpu_load import CpuLoad, threads_for


def test_threads_for_free_cores():
    assert threads_for(2, None) == 2  # unknown: all cores
    assert threads_for(2, 0.1) == 2
    assert threads_for(2, 0.7) == 1  # another process keeps a core mostly busy
    assert threads_for(2, 3.0) == 1  # never fewer than one
    assert threads_for(8, 2.2) == 6


def test_a_busy_process_elsewhere_is_seen():
    load = CpuLoad()
    spin = "import time\nend = time.time() + 1.5\nwhile time.time() < end: pass"
    subprocess.run([sys.executable, "-c", spin], check=True)
    assert load.others_busy() > 0.5
    assert load.others_busy() is None  # no time has passed: no new judgement
