"""Unit functions the commands run, and the generic per-year adapter for other packages.

Every function here takes a :class:`WorkUnit`, loads its table on the worker that runs it
(``chainatlas.sources.load(source, path, year)``, cached per process for (year, batch) units
of the same year) and returns DataFrames by dataset name.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from importlib import import_module
from typing import Any

import pandas as pd

from chainatlas.core.model import MRIOModel
from chainatlas.errors import ChainAtlasError
from chainatlas.execution.units import WorkUnit, dataset_name


@lru_cache(maxsize=1)
def load_model(source: str, path: str | None, year: int) -> MRIOModel:
    """The table of one year, loaded once per process (one at a time: tables can be large)."""
    from chainatlas import sources

    return sources.load(source, path, year)


def unit_model(unit: WorkUnit) -> MRIOModel:
    return load_model(unit.source, unit.path, unit.year)


# ---------------------------------------------------------------------- decompose
def _methods(method: str | Sequence[str]) -> list[str]:
    return [method.lower()] if isinstance(method, str) else [m.lower() for m in method]


def decompose_task_name(method: str | Sequence[str], level: str, wide: bool = False) -> str:
    return dataset_name("decompose", *_methods(method), level, "wide" if wide else "")


def decompose_dataset(method: str, level: str) -> str:
    """Dataset (DuckDB view) of a decomposition: e.g. ``wwz_country``, ``bm_source_sector``."""
    return dataset_name(method, level)


DECOMPOSE_NOTES = "decompose_notes"


def decompose_units(
    source: str,
    path: str | os.PathLike[str] | None,
    years: Sequence[int],
    method: str | Sequence[str],
    level: str,
    wide: bool = False,
) -> list[WorkUnit]:
    """One unit per year; several methods share the unit (one load and one B per year)."""
    methods = _methods(method)
    params = {"methods": methods, "level": level, "wide": wide}
    task = decompose_task_name(methods, level, wide)
    path_text = None if path is None else str(path)
    return [WorkUnit(task, source, path_text, int(y), params=params) for y in years]


def decompose_task(unit: WorkUnit) -> dict[str, pd.DataFrame]:
    """One year's decompositions as tidy tables; WWZ with a memory limit runs batched."""
    from chainatlas.decompositions import decomposition

    level, wide = unit.params["level"], bool(unit.params.get("wide", False))
    model = unit_model(unit)
    frames = {}
    notes: list[tuple[int, str, str]] = []
    for method in unit.params["methods"]:
        if method == "wwz" and unit.memory_limit is not None:
            from chainatlas.execution.wwz_batched import wwz_batched

            result = wwz_batched(model, unit.memory_limit)
        else:
            if unit.memory_limit is not None:
                _check_standard_fits(model, method, unit.memory_limit)
            result = decomposition(model, method)
        frames[decompose_dataset(method, level)] = result.to_frame(level, wide=wide)
        notes.extend((unit.year, method, note) for note in result.notes)
    from chainatlas.sources.cache import save_derived

    save_derived(model)  # B into the table cache, for the next run on this year
    # the notes travel with the results (a dataset of their own) so every number stays
    # traceable to what the loader and the method had to say about the table
    frames[DECOMPOSE_NOTES] = pd.DataFrame(notes, columns=["year", "method", "note"])
    return frames


def _check_standard_fits(model: MRIOModel, method: str, limit: int) -> None:
    """Methods without a batched path keep A, the LU factors and B: refuse what cannot fit."""
    from chainatlas.execution.memory import format_bytes, wwz_standard_bytes

    need = wwz_standard_bytes(model.G, model.N, model.F)
    if need > limit:
        raise ChainAtlasError(
            f"{method} on a {model.G}×{model.N} table needs about {format_bytes(need)} "
            f"(dense A, LU factors and B), more than --memory-limit {format_bytes(limit)}; "
            "batching under a memory limit is implemented for wwz only"
        )


# ---------------------------------------------------------------------- generic per-year calls
def resolve_function(function: str | Callable[..., Any]) -> Callable[..., Any]:
    """A callable, or 'package.module:function' (importable on the workers)."""
    if callable(function):
        return function
    module, _, name = str(function).partition(":")
    if not module or not name:
        raise ChainAtlasError(f"function {function!r} must look like 'package.module:function'")
    target: Any = import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    return target


def model_function_task(unit: WorkUnit) -> dict[str, pd.DataFrame]:
    """``function(model=<this unit's table>, **kwargs, **batch_kwargs)`` -> DataFrames.

    ``unit.params``: ``function`` ('module:name' or a module-level callable), ``kwargs``
    (shared by all units), ``batch_kwargs`` (this unit's batch, e.g. its scenarios) and
    ``dataset`` (name used when the function returns a single DataFrame).
    """
    function = resolve_function(unit.params["function"])
    kwargs = {**unit.params.get("kwargs", {}), **unit.params.get("batch_kwargs", {})}
    output = function(model=unit_model(unit), **kwargs)
    if isinstance(output, pd.DataFrame):
        return {unit.params.get("dataset") or unit.task: output}
    if not isinstance(output, Mapping):
        raise ChainAtlasError(
            f"{unit.params['function']} returned {type(output).__name__}; a unit function "
            "must return a DataFrame or a dict of DataFrames"
        )
    return {dataset_name(str(name)): frame for name, frame in output.items()}


def model_function_value(unit: WorkUnit) -> Any:
    """``function(model=<this unit's table>, **kwargs)``, whatever it returns."""
    function = resolve_function(unit.params["function"])
    return function(model=unit_model(unit), **unit.params.get("kwargs", {}))


def model_function_units(
    function: str | Callable[..., Any],
    *,
    task: str,
    source: str,
    path: str | os.PathLike[str] | None,
    years: Sequence[int],
    kwargs: Mapping[str, Any] | None = None,
    batches: Sequence[Mapping[str, Any]] | None = None,
    dataset: str | None = None,
) -> list[WorkUnit]:
    """Units for :func:`model_function_task`: one per year, or per (year, batch)."""
    path_text = None if path is None else str(path)
    base = {"function": function, "kwargs": dict(kwargs or {}), "dataset": dataset}
    units = []
    for year in years:
        if batches is None:
            units.append(WorkUnit(task, source, path_text, int(year), params=base))
            continue
        for index, batch in enumerate(batches):
            params = {**base, "batch_kwargs": dict(batch)}
            units.append(WorkUnit(task, source, path_text, int(year), batch=index, params=params))
    return units


__all__ = [
    "decompose_dataset",
    "decompose_task",
    "decompose_task_name",
    "decompose_units",
    "load_model",
    "model_function_task",
    "model_function_units",
    "model_function_value",
    "resolve_function",
    "unit_model",
]
