"""Helpers for benchmark modules: timing and peak memory of a callable."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable


def measure(fn: Callable[[], object], repeat: int = 1) -> tuple[float, float]:
    """Best wall time of ``repeat`` runs (s) and the process's peak RSS so far (MB)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return best, peak_mb


__all__ = ["measure"]
