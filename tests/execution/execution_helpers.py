"""Unit functions the execution tests run on Dask workers.

A real module (tests/execution is on the workers' PYTHONPATH, see the cluster fixture), so
workers import these by name like any chainatlas function.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from chainatlas.execution import decompose_task
from chainatlas.execution.units import WorkUnit


def dying_decompose(unit: WorkUnit) -> dict[str, pd.DataFrame]:
    """Kills the worker process the first time it reaches 2010 (a node lost mid-run)."""
    flag = Path(unit.params["flag"])
    if unit.year == 2010 and not flag.exists():
        flag.write_text(str(os.getpid()))
        os._exit(1)
    return decompose_task(unit)


CALLS: list[int] = []
# The year at which counting_decompose raises KeyboardInterrupt (None: never). A module
# variable, not a unit parameter: parameters enter the units' fingerprints, and the resumed
# run must see the same fingerprint as the interrupted one.
INTERRUPT_AT: list[int | None] = [None]


def counting_decompose(unit: WorkUnit) -> dict[str, pd.DataFrame]:
    CALLS.append(unit.year)
    if INTERRUPT_AT[0] == unit.year:
        raise KeyboardInterrupt  # Ctrl-C while this year is being computed
    return decompose_task(unit)


def year_summary(model, scale: float) -> pd.DataFrame:
    frame = pd.DataFrame({"year": [model.year], "total_output": [scale * model.x.sum()]})
    frame.attrs["notes"] = [f"{model.source} {model.year}"]
    return frame
