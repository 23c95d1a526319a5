"""Figures the benchmarks, the evaluation and the load test print: percentiles, peak memory."""

from __future__ import annotations

import resource
from collections.abc import Iterable
from pathlib import Path


def percentile(xs: Iterable[float], q: float) -> float:
    """The ``q`` quantile (0–1) of ``xs`` by rank: the value at position ⌊q·n⌋ once sorted."""
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))]


def peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM belongs to the address space, so unlike ru_maxrss it
    does not carry over the high-water mark of the parent that forked and exec'd us."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
