"""Running panels, large tables and scenario sweeps: local or on a Dask cluster.

The unit of work is one (table, year) or (table, year, batch) — :class:`WorkUnit`. Workers load
their own table; results go to partitioned Parquet (``year=YYYY/``) registered in a DuckDB
file, written atomically per partition so that re-runs resume. See docs/scaling.md.

Entry points:

* :func:`run_units` — any module-level ``fn(unit) -> {dataset: DataFrame}``;
* :func:`run_per_year` — any ``function(model=..., **kwargs) -> {dataset: DataFrame}`` per
  year (and per batch), e.g. ``chainatlas.indicators:compute_indicator_sets``;
* :func:`map_years` — per-year results (any picklable value) back in year order, for panels
  a package assembles itself;
* :func:`wwz_batched` — WWZ by exporter batches within a memory limit.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chainatlas.execution.runner import RunResult

# name -> module; imported on first use (PEP 562) so that importing a submodule such as
# chainatlas.execution.cli does not import pandas, rich's progress bars and SciPy
_LAZY = {
    "BACKENDS": "backends",
    "DaskBackend": "backends",
    "LocalBackend": "backends",
    "make_backend": "backends",
    "parse_memory_limit": "memory",
    "wwz_memory_plan": "memory",
    "wwz_standard_bytes": "memory",
    "RunResult": "runner",
    "execute_unit": "runner",
    "map_years": "runner",
    "run_units": "runner",
    "PartitionStore": "store",
    "decompose_task": "tasks",
    "decompose_units": "tasks",
    "model_function_task": "tasks",
    "model_function_units": "tasks",
    "WorkUnit": "units",
    "dataset_name": "units",
    "wwz_batched": "wwz_batched",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(f"chainatlas.execution.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'chainatlas.execution' has no attribute {name!r}")


def run_per_year(
    function: str | Callable[..., Any],
    *,
    task: str,
    source: str,
    path: str | os.PathLike[str] | None,
    years: Sequence[int],
    kwargs: Mapping[str, Any] | None = None,
    batches: Sequence[Mapping[str, Any]] | None = None,
    dataset: str | None = None,
    backend: str = "local",
    scheduler: str | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    memory_limit: int | str | None = None,
    progress: bool = True,
) -> RunResult:
    """Call ``function(model=<table of year>, **kwargs[, **batch])`` for every year (× batch).

    ``function`` is a module-level callable or 'package.module:function' returning a
    DataFrame (stored as ``dataset`` or ``task``) or a dict of DataFrames by dataset name.
    ``batches`` (e.g. lists of scenarios) split each year into (year, batch) units; each
    batch's mapping is added to the keyword arguments. Keep ``kwargs`` and batches small
    and picklable: they travel to the workers, the tables do not.
    """
    from chainatlas.execution.runner import run_units
    from chainatlas.execution.tasks import model_function_task, model_function_units

    units = model_function_units(
        function,
        task=task,
        source=source,
        path=path,
        years=years,
        kwargs=kwargs,
        batches=batches,
        dataset=dataset,
    )
    return run_units(
        model_function_task,
        units,
        backend=backend,
        scheduler=scheduler,
        out_dir=out_dir,
        memory_limit=memory_limit,
        progress=progress,
        label=task,
    )


__all__ = [
    "BACKENDS",
    "DaskBackend",
    "LocalBackend",
    "PartitionStore",
    "RunResult",
    "WorkUnit",
    "dataset_name",
    "decompose_task",
    "decompose_units",
    "execute_unit",
    "make_backend",
    "map_years",
    "model_function_task",
    "model_function_units",
    "parse_memory_limit",
    "run_per_year",
    "run_units",
    "wwz_batched",
    "wwz_memory_plan",
    "wwz_standard_bytes",
]
