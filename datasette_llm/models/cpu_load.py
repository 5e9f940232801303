"""How many cores other work keeps busy (Linux /proc/stat), to choose llama.cpp's thread count per request.

Measured on this project's 2-vCPU machines, shared with other processes (/tmp/work/h19/speed.py, Qwen2.5-Coder
1.5B Q4_K_M): with both cores free, 2 threads read 77-101 prompt tokens/s and wrote 11-13/s, against 37-47 and
5-7 with 1 thread; with other processes busy, 2 threads fell to 19 read and 0.5 written (every step waits at
ggml's barriers for a thread that is not scheduled) while 1 thread kept 40 and 6. So: all cores when they are
free, fewer when others are using them.

Only load that lasts counts: a page loading in the browser on the same machine keeps a core busy for a few
tenths of a second, and one thread for the next half second cost each browser question about 0.5 s of SQL writing
(benchmarks/latency_browser.py against the same questions asked 3 s after the page loaded). So load seen over a
window shorter than SUSTAINED_SECONDS counts only as far as the window before it saw it too.
"""

from __future__ import annotations

import os
import time

BUSY_SHARE = 0.5  # a core counts as taken when other work used more than this share of it
SUSTAINED_SECONDS = 1.0  # load seen over a window this long is taken to last; over a shorter one it may be a burst


def _sample() -> tuple[float, float, float] | None:
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


class CpuLoad:
    """Cores used by other processes since the previous call (None the first time, or off Linux), counted only
    as far as it lasts: over a window shorter than SUSTAINED_SECONDS, no more than the window before it saw."""

    def __init__(self):
        self._last = _sample()
        self._before = 0.0  # what the window before the last one saw

    def others_busy(self) -> float | None:
        sample = _sample()
        if sample is None or self._last is None:
            self._last = sample
            return None
        last = self._last
        elapsed = sample[0] - last[0]
        if elapsed < 0.05:
            return None  # too short a window to say anything: keep the previous choice
        self._last = sample
        busy = max(0.0, ((sample[1] - last[1]) - (sample[2] - last[2])) / elapsed)
        lasting = busy if elapsed >= SUSTAINED_SECONDS else min(busy, self._before)
        self._before = busy
        return lasting


def threads_for(cores: int, others_busy: float | None) -> int:
    """Threads to use on `cores` when other work keeps `others_busy` cores busy."""
    if others_busy is None:
        return cores
    taken = int(others_busy + (1 - BUSY_SHARE))  # 0.4 -> 0, 0.6 -> 1, 1.5 -> 2
    return max(1, cores - taken)
