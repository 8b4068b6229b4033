"""Shared fixtures: locating ../shared (fail in CI when missing, skip locally) and WIOD models."""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# pytest runs with --import-mode=importlib (test basenames may repeat across folders), so the
# helper modules beside each area's tests are put on sys.path here.
for _area in sorted((ROOT / "tests").iterdir()):
    if _area.is_dir() and not _area.name.startswith((".", "_")) and str(_area) not in sys.path:
        sys.path.insert(0, str(_area))
SHARED = Path(os.environ.get("CHAINATLAS_SHARED", ROOT.parent / "shared"))

# The binary table cache (sources/cache.py) and the fetch cache live under $CHAINATLAS_CACHE:
# point it at a fresh temporary folder for the whole run (subprocesses inherit it), so the
# suite never writes to the user's home. Tests of the cache monkeypatch their own.
if not os.environ.get("CHAINATLAS_TEST_KEEP_CACHE"):
    import atexit
    import shutil
    import tempfile

    _SUITE_CACHE = tempfile.mkdtemp(prefix="chainatlas-test-cache-")
    os.environ["CHAINATLAS_CACHE"] = _SUITE_CACHE
    atexit.register(shutil.rmtree, _SUITE_CACHE, ignore_errors=True)


def require_shared(relative: str) -> Path:
    """Path inside ../shared; in CI a missing file fails the test, elsewhere it skips."""
    path = SHARED / relative
    if not path.exists():
        message = f"shared data missing: {path}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@lru_cache(maxsize=20)
def _wiod_model(year: int):
    import chainatlas

    return chainatlas.load("wiod2013", SHARED / "data" / "wiod2013", year=year)


@pytest.fixture(scope="session")
def wiod_dir() -> Path:
    return require_shared("data/wiod2013")


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return require_shared("reference/wiod2013_2011")


@pytest.fixture(scope="session")
def wiod2011(wiod_dir):
    """The WIOD 2013-release 2011 table (rebalanced, as the reference tools used it)."""
    return _wiod_model(2011)


@pytest.fixture(scope="session")
def wiod_loader(wiod_dir):
    """Callable year -> model, cached across the session."""
    return _wiod_model
