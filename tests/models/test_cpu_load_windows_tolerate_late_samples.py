"""The sampler reads /proc/stat every SAMPLE_SECONDS, but a busy machine wakes it late: the second window then
starts at the sample nearest one window before the first, within half a sample, not at an older one. Picked
strictly one window back, a late sample made the window reach back into work that ended long before (two windows
ago), which is not load that lasts.

Found by an outside tester's mutation run (session 55): without the half-sample tolerance no test failed."""

import pytest

from datasette_llm.models.cpu_load import lasting_load, threads_for

pytestmark = pytest.mark.no_datasette  # as tests/models/test_cpu_load.py


def test_a_burst_older_than_two_windows_is_not_counted_when_samples_come_late():
    # (time, machine busy seconds, own seconds): four cores busy from 0.3 to 0.6 s, quiet after 0.6 until 1.56,
    # then one core busy; the sample meant for 0.56 came at 0.6 (late), the one meant for 1.56 on time
    busy = {0.0: 0.0, 0.3: 0.0, 0.6: 1.2, 0.9: 1.2, 1.2: 1.2, 1.56: 1.2, 1.9: 1.54, 2.2: 1.84}
    samples = [(t, b, 0.0) for t, b in busy.items()]
    now = (2.6, 2.24, 0.0)
    load = lasting_load(samples, now)
    assert load == 0.0  # the second window, 0.6 to 1.56, was quiet
    assert threads_for(2, load) == 2
