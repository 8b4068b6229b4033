"""Helpers for the indicator tests: the WIOD years and a relative-error helper."""

from __future__ import annotations

import numpy as np

WIOD_YEARS = list(range(1995, 2012))


def rel_err(a, b) -> float:
    """max |a − b| / max(|b|, 1) over finite entries."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    scale = max(float(np.nanmax(np.abs(b))), 1.0)
    return float(np.nanmax(np.abs(a - b)) / scale)
