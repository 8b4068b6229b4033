"""Run other packages' panels on a backend, through their own per-year functions and hooks.

* Indicators: ``indicator_panel`` takes a ``map_years`` hook; the mapper here computes each
  year's record with ``chainatlas.indicators.sets.indicator_year`` on a worker (which loads
  its own table), and ``indicator_panel`` itself stacks the years and applies its cross-year
  rules (metadata merge, the ``shortening`` set, groups) — nothing of that is repeated here.
* Scenarios: ``run_scenario`` takes a ``map_years`` hook; it validates the file (on the
  client, every problem at once), the mapper here runs ``run_scenario_year(spec, model)`` on
  the workers, and ``run_scenario`` assembles the tables and the summary.

With the ``local`` backend the CLI keeps calling the packages directly; these functions are for
``--backend dask``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from chainatlas.execution.runner import map_years


# ---------------------------------------------------------------------- indicators
def indicator_year_mapper(
    source: str,
    path: str | os.PathLike[str] | None,
    sets: Sequence[str] | str | None,
    groups: Sequence[str] | None,
    options: Mapping[str, Any] | None,
    *,
    backend: str = "dask",
    scheduler: str | None = None,
    progress: bool = True,
) -> Callable[[Callable[[int], dict[str, pd.DataFrame]], Sequence[int]], list[Any]]:
    """A ``map_years`` hook for ``indicator_panel``: one year per unit on ``backend``.

    The in-process ``year_record`` closure cannot travel to a worker (it holds the loader),
    so each worker runs the function it wraps, ``indicator_year``, on the table it loads.
    """
    from chainatlas.indicators.sets import indicator_year

    def mapper(_year_record: Callable[[int], Any], years: Sequence[int]) -> list[Any]:
        return map_years(
            indicator_year,
            source=source,
            path=None if path is None else str(path),
            years=years,
            kwargs={"sets": sets, "groups": groups, "options": dict(options or {})},
            backend=backend,
            scheduler=scheduler,
            progress=progress,
            label=f"indicators {source}",
        )

    return mapper


def indicator_panel_on_backend(
    source: str,
    path: str | os.PathLike[str] | None,
    years: Sequence[int],
    sets: Sequence[str] | str | None,
    groups: Sequence[str] | None,
    options: Mapping[str, Any] | None = None,
    *,
    backend: str = "dask",
    scheduler: str | None = None,
    progress: bool = True,
) -> dict[str, pd.DataFrame]:
    """``indicator_panel`` over ``years`` with one year per unit on ``backend``."""
    from chainatlas import sources
    from chainatlas.indicators.sets import indicator_panel

    mapper = indicator_year_mapper(
        source, path, sets, groups, options,
        backend=backend, scheduler=scheduler, progress=progress,
    )  # fmt: skip
    return indicator_panel(
        years,
        lambda year: sources.load(source, path, year),  # not called: the mapper loads
        sets,
        groups,
        options,
        map_years=mapper,
    )


def write_indicator_panel_on_backend(
    source: str,
    path: str | os.PathLike[str] | None,
    years: Sequence[int],
    out_dir: str | os.PathLike[str],
    sets: Sequence[str] | str | None = None,
    groups: Sequence[str] | None = None,
    options: Mapping[str, Any] | None = None,
    *,
    backend: str = "dask",
    scheduler: str | None = None,
    progress: bool = True,
) -> dict[str, Path]:
    """``write_indicator_panel`` with the years computed on ``backend``; same files."""
    from chainatlas.indicators.io import DEFAULT_GROUPS, write_indicator_panel

    mapper = indicator_year_mapper(
        source, path, sets, list(DEFAULT_GROUPS) if groups is None else groups, options,
        backend=backend, scheduler=scheduler, progress=progress,
    )  # fmt: skip
    return write_indicator_panel(
        source, path, years, out_dir, sets, groups, options, map_years=mapper
    )


# ---------------------------------------------------------------------- scenarios
def run_scenario_on_backend(
    path_or_dict: str | os.PathLike[str] | Mapping[str, Any],
    path: str | os.PathLike[str] | None = None,
    *,
    backend: str = "dask",
    scheduler: str | None = None,
    progress: bool = True,
) -> Any:
    """``run_scenario`` with each year's shocks computed on ``backend``.

    ``run_scenario`` validates the file first (labels against the tables, every problem at
    once) and writes the summary from the same tables; only the per-year runs move.
    """
    from chainatlas.scenarios import ScenarioSpec, run_scenario, run_scenario_year

    def mapper(spec: ScenarioSpec, years: Sequence[int]) -> list[Any]:
        return map_years(
            run_scenario_year,
            source=spec.source,
            path=None if path is None else str(path),
            years=years,
            kwargs={"spec": spec},
            backend=backend,
            scheduler=scheduler,
            progress=progress,
            label=f"scenario {spec.source}",
        )

    return run_scenario(path_or_dict, path, map_years=mapper)


# ---------------------------------------------------------------------- study tables
def study_unit(
    kind: str, source: str, path: str | None, years: list[int], kwargs: dict[str, Any]
) -> Any:
    """One study (``tables linkage-study`` / ``participation-study``) run where it is sent."""
    from chainatlas import sources
    from chainatlas.indicators import tables

    function = {
        "linkage-study": tables.linkage_study,
        "participation-study": tables.participation_study,
    }[kind]
    return function(years, lambda year: sources.load(source, path, year), **kwargs)


def run_study_on_backend(
    kind: str,
    source: str,
    path: str | os.PathLike[str] | None,
    years: Sequence[int],
    kwargs: Mapping[str, Any],
    *,
    backend: str = "dask",
    scheduler: str | None = None,
) -> Any:
    """A study as one unit on ``backend`` (its years run in turn on one worker).

    The studies combine their years inside one loop (e.g. Table 2 of the linkage study
    needs the last year, Table 3 the link years), so the unit is the whole study: this moves
    it to a cluster node (memory, data next to it), it does not parallelise its years.
    """
    from chainatlas.execution.backends import make_backend

    engine = make_backend(backend, scheduler)
    try:
        engine.check_importable(study_unit)
        call = (kind, source, None if path is None else str(path), list(years), dict(kwargs))
        [(_, study)] = list(engine.run(study_unit, [call]))
    finally:
        engine.close()
    return study


__all__ = [
    "indicator_panel_on_backend",
    "indicator_year_mapper",
    "run_scenario_on_backend",
    "run_study_on_backend",
    "study_unit",
    "write_indicator_panel_on_backend",
]
