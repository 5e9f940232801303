"""Others' load is never less than none: this process's own CPU time (os.times) and the machine's (/proc/stat) are
read at different moments and rounded to different ticks, so over a short window this process can seem to have
used more than the whole machine. A negative load must count as no load, never as cores to spare: llama.cpp would
be given more threads than the machine has.

Found by an
outside tester's mutation run (session 55): without the floor at 0 no test failed."""

import pytest

from datasette_llm.models.cpu_load import lasting_load, threads_for

pytestmark = pytest.mark.no_datasette  # as tests/models/test_cpu_load.py


def test_this_process_seeming_to_use_more_than_the_machine_is_no_load_not_spare_cores():
    # every 0.25 s the machine's busy counter grows by 0.25 s, this process's by 0.75 s (readings skewed)
    samples = [(i * 0.25, i * 0.25, i * 0.75) for i in range(12)]
    load = lasting_load(samples[:-1], samples[-1])
    assert load == 0.0
    assert threads_for(2, load) == 2
    for cores in (1, 2, 4, 8):
        assert 1 <= threads_for(cores, load) <= cores
