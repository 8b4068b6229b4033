"""Helpers for the indicator tests: WIOD years, a relative-error helper, require_shared."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

_spec = importlib.util.spec_from_file_location(
    "_chainatlas_root_conftest_indicators", Path(__file__).resolve().parents[1] / "conftest.py"
)
_root = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_root)
require_shared = _root.require_shared
SHARED = _root.SHARED

WIOD_YEARS = list(range(1995, 2012))


def rel_err(a, b) -> float:
    """max |a − b| / max(|b|, 1) over finite entries."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    scale = max(float(np.nanmax(np.abs(b))), 1.0)
    return float(np.nanmax(np.abs(a - b)) / scale)
