"""Running a ``chainatlas decompose`` command line as a fresh process, as a user does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def decompose_process(
    tables: Path, years: str, method: str, level: str, out: Path, cache: Path,
    *, module: str = "chainatlas.interfaces.cli.main",
) -> subprocess.CompletedProcess:  # fmt: skip
    """``python -m <module> decompose`` on WIOD files in ``tables`` with its own table cache
    (``module``: the CLI, or ``chainatlas.interfaces.cli.entry``, the console script)."""
    env = {**os.environ, "CHAINATLAS_CACHE": str(cache)}
    env.pop("CHAINATLAS_NO_CACHE", None)
    return subprocess.run(
        [sys.executable, "-m", module, "decompose", "--source", "wiod2013", "--path",
         str(tables), "--years", years, "--method", method, "--level", level, "--out",
         str(out)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
