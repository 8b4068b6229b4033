"""Run other packages' panels on a backend, through their own per-year functions.

* Indicators: each worker runs ``chainatlas.indicators.indicator_panel`` on its one year (so
  the per-year results, group membership and metadata are exactly the package's own), and
  the client merges the single-year panels — frames stacked in year order, ``attrs`` merged as
  ``indicator_panel`` merges them across years, and the cross-year ``shortening`` set built
  from the stacked ``length`` panel. This mirrors ``indicator_panel``'s assembly rules; the
  tests compare the two on WIOD, so a change there shows up as a failing test here.
* Scenarios: each worker runs ``run_scenario_year(spec, model)`` (the scenario engine's unit
  for distributed backends); the client validates the file first and assembles the tables
  and the summary as ``run_scenario`` does.

With the ``local`` backend the CLI keeps calling the packages directly; these functions are for
``--backend dask``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from chainatlas.core.model import MRIOModel
from chainatlas.execution.runner import map_years


# ---------------------------------------------------------------------- indicators
def indicator_year_panel(
    model: MRIOModel,
    sets: Sequence[str] | str | None,
    groups: Sequence[str] | None,
    options: Mapping[str, Any] | None,
) -> dict[str, pd.DataFrame]:
    """The indicator panel of one year (runs on a worker)."""
    from chainatlas.indicators.sets import indicator_panel

    return indicator_panel([model.year], lambda _year: model, sets, groups, options)


def merge_year_panels(panels: Sequence[Mapping[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """Stack single-year indicator panels (year order) with their metadata merged.

    ``missing_members`` becomes the union over years (first-seen order), the per-year details
    are joined, notes are kept once each in first-seen order and share exceptions
    concatenated — the rules of ``indicator_panel``'s own loop.
    """
    from chainatlas.indicators.sets import shortening_frame

    names: list[str] = []
    for panel in panels:
        names += [n for n in panel if n not in names and n not in ("groups", "shortening")]
    merged: dict[str, pd.DataFrame] = {}
    for name in names:
        frames = [p[name] for p in panels if name in p]
        frame = pd.concat(frames, ignore_index=True)
        frame.attrs = _merge_attrs(name, [f.attrs for f in frames])
        merged[name] = frame
    # the cross-year set, computed from the stacked panel as indicator_panel does
    if "length" in merged and merged["length"]["year"].nunique() > 1:
        merged["shortening"] = shortening_frame(merged["length"], merged.get("participation"))
    groups = [p["groups"] for p in panels if "groups" in p]
    if groups:
        merged["groups"] = pd.concat(groups, ignore_index=True)
    return merged


def _merge_attrs(name: str, attrs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    union: dict[str, list[str]] = {}
    by_year: dict[str, Any] = {}
    notes: list[str] = []
    exceptions: list[Any] = []
    for item in attrs:
        for group, members in item.get("missing_members", {}).items():
            union.setdefault(group, [])
            union[group] += [m for m in members if m not in union[group]]
        by_year.update(item.get("missing_members_by_year", {}))
        notes += [n for n in item.get("notes", []) if n not in notes]
        exceptions += list(item.get("share_exceptions", []))
    return {
        "set": name,
        "missing_members": union,
        "missing_members_by_year": by_year,
        "notes": notes,
        "share_exceptions": exceptions,
        "source": attrs[0].get("source", "") if attrs else "",
    }


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
    per_year = map_years(
        indicator_year_panel,
        source=source,
        path=None if path is None else str(path),
        years=years,
        kwargs={"sets": sets, "groups": groups, "options": dict(options or {})},
        backend=backend,
        scheduler=scheduler,
        progress=progress,
        label=f"indicators {source}",
    )
    return merge_year_panels(per_year)


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
    from chainatlas.indicators.io import write_results

    if groups is None:
        groups = ["NEA", "ASEAN-9", "EU", "USMCA"]
    results = indicator_panel_on_backend(
        source, path, years, sets, groups, options,
        backend=backend, scheduler=scheduler, progress=progress,
    )  # fmt: skip
    return write_results(results, out_dir)


# ---------------------------------------------------------------------- scenarios
def scenario_year(model: MRIOModel, spec: Any) -> dict[str, pd.DataFrame]:
    """One year of a scenario (runs on a worker)."""
    from chainatlas.scenarios.runner import run_scenario_year

    return run_scenario_year(spec, model)


def run_scenario_on_backend(
    path_or_dict: str | os.PathLike[str] | Mapping[str, Any],
    path: str | os.PathLike[str] | None = None,
    *,
    backend: str = "dask",
    scheduler: str | None = None,
    progress: bool = True,
) -> Any:
    """``run_scenario`` with each year's shocks computed on ``backend``.

    The file is validated here first (labels against the tables, every problem at once), as
    ``run_scenario`` does; the summary is written from the same tables.
    """
    from chainatlas.scenarios.runner import ScenarioResult, _validated, summary_markdown

    spec, models = _validated(path_or_dict, path, None)
    per_year = map_years(
        scenario_year,
        source=spec.source,
        path=None if path is None else str(path),
        years=list(spec.years),
        kwargs={"spec": spec},
        backend=backend,
        scheduler=scheduler,
        progress=progress,
        label=f"scenario {spec.source}",
    )
    tables: dict[str, pd.DataFrame] = {}
    for name in dict.fromkeys(n for result in per_year for n in result):
        frames = [r[name] for r in per_year if name in r and not r[name].empty]
        if frames:
            tables[name] = pd.concat(frames, ignore_index=True)
    summary = summary_markdown(spec, tables, models)
    return ScenarioResult(spec=spec, tables=tables, summary_markdown=summary)


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
    "indicator_year_panel",
    "merge_year_panels",
    "run_scenario_on_backend",
    "run_study_on_backend",
    "scenario_year",
    "study_unit",
    "write_indicator_panel_on_backend",
]
