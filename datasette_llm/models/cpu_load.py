"""How many cores other work keeps busy (Linux /proc/stat), to choose llama.cpp's thread count per request.

Measured on this project's 2-vCPU machines, shared with other processes (/tmp/work/h19/speed.py, Qwen2.5-Coder
1.5B Q4_K_M): with both cores free, 2 threads read 77-101 prompt tokens/s and wrote 11-13/s, against 37-47 and
5-7 with 1 thread; with other processes busy, 2 threads fell to 19 read and 0.5 written (every step waits at
ggml's barriers for a thread that is not scheduled) while 1 thread kept 40 and 6. So: all cores when they are
free, fewer when others are using them.

What counts is load now, and only load that lasts. A sampler thread reads /proc/stat every SAMPLE_SECONDS; a
request looks at the last two windows of WINDOW_SECONDS each and takes the smaller of the two loads, so that
- a page loading in the browser on the same machine (a core busy for a few tenths of a second, right before the
  question arrives) is not taken to last: one thread for it cost each browser question about 0.5 s of SQL
  writing (session 11);
- work that ended a while ago is not counted: the load was once averaged over the whole time since the previous
  request, and another process's ten busy seconds before an idle one made the next question start on one thread
  (session 15: in Chromium with a second server answering between questions, rows p50 5.6 s against 5.0 s with
  the threads fixed at 2).
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque

BUSY_SHARE = 0.5  # a core counts as taken when other work used more than this share of it
SAMPLE_SECONDS = 0.25
WINDOW_SECONDS = 1.0  # load must be seen in two windows this long in a row to count

Sample = tuple[float, float, float]


def _sample() -> Sample | None:
    """(monotonic time, CPU seconds the whole machine was busy or stolen, CPU seconds of this process)."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    own = os.times()
    ticks = os.sysconf("SC_CLK_TCK")
    return time.monotonic(), (user + nice + system + irq + softirq + steal) / ticks, own.user + own.system


def _others(start: Sample, end: Sample) -> float:
    """Cores that processes other than this one kept busy between two samples."""
    elapsed = end[0] - start[0]
    return max(0.0, ((end[1] - start[1]) - (end[2] - start[2])) / elapsed)


def lasting_load(samples: list[Sample], now: Sample, window: float = WINDOW_SECONDS) -> float | None:
    """Others' load over the last `window` seconds before `now` and the `window` before that, whichever is
    smaller; None while the samples do not reach back two windows."""
    at_one = next((s for s in reversed(samples) if s[0] <= now[0] - window), None)
    if at_one is None:
        return None
    at_two = next((s for s in reversed(samples) if s[0] <= at_one[0] - window + SAMPLE_SECONDS / 2), None)
    if at_two is None or at_one[0] - at_two[0] <= 0 or now[0] - at_one[0] <= 0:
        return None
    return min(_others(at_one, now), _others(at_two, at_one))


class _Sampler:
    """One daemon thread per process, started on first use: the last few seconds of /proc/stat."""

    def __init__(self):
        self.samples: deque[Sample] = deque(maxlen=int(3 * WINDOW_SECONDS / SAMPLE_SECONDS) + 2)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def recent(self) -> list[Sample]:
        with self._lock:
            return list(self.samples)

    def start(self) -> bool:
        """Start sampling if it has not started; False when this system has no /proc/stat."""
        with self._lock:
            if self._thread is None:
                if _sample() is None:
                    return False
                self._thread = threading.Thread(target=self._run, name="datasette-llm-cpu-load", daemon=True)
                self._thread.start()
        return True

    def _run(self) -> None:
        while True:
            sample = _sample()
            if sample is not None:
                with self._lock:
                    self.samples.append(sample)
            time.sleep(SAMPLE_SECONDS)


_SAMPLER = _Sampler()


class CpuLoad:
    """Cores used by other processes, as far as that load lasts (None while it is not known, or off Linux)."""

    def __init__(self):
        _SAMPLER.start()

    def others_busy(self) -> float | None:
        now = _sample()
        if now is None:
            return None
        return lasting_load(_SAMPLER.recent(), now)


def threads_for(cores: int, others_busy: float | None) -> int:
    """Threads to use on `cores` when other work keeps `others_busy` cores busy."""
    if others_busy is None:
        return cores
    taken = int(others_busy + (1 - BUSY_SHARE))  # 0.4 -> 0, 0.6 -> 1, 1.5 -> 2
    return max(1, cores - taken)
