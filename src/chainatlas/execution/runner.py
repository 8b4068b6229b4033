"""``run_units``: run units of work on a backend, into partitioned results, resumably."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from chainatlas.errors import ChainAtlasError
from chainatlas.execution.backends import make_backend
from chainatlas.execution.memory import parse_memory_limit
from chainatlas.execution.store import PartitionStore
from chainatlas.execution.units import WorkUnit

UnitFunction = Callable[[WorkUnit], "Mapping[str, pd.DataFrame] | pd.DataFrame"]


@dataclass
class RunResult:
    """What a run did. ``frames`` holds the results when no output directory was given."""

    backend: str
    workers: int
    computed: list[str] = field(default_factory=list)  # unit keys computed by this run
    skipped: list[str] = field(default_factory=list)  # finished by an earlier run
    # unit key -> why the earlier result was not kept (inputs changed, unreadable partition)
    recomputed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    store: PartitionStore | None = None
    frames: dict[str, pd.DataFrame] | None = None
    dashboard_link: str | None = None

    def read(self, dataset: str) -> pd.DataFrame:
        """One dataset of the run (from the partitions, or the in-memory frames)."""
        if self.frames is not None:
            if dataset not in self.frames:
                raise ChainAtlasError(f"no dataset {dataset!r}; have {', '.join(self.frames)}")
            return self.frames[dataset]
        assert self.store is not None
        return self.store.read(dataset)

    @property
    def datasets(self) -> list[str]:
        if self.frames is not None:
            return list(self.frames)
        return self.store.datasets() if self.store else []


def execute_unit(
    fn: UnitFunction, unit: WorkUnit, root: str | None, fingerprint: dict | None = None
) -> Any:
    """Run one unit where the backend put it (a worker process, or here).

    With ``root`` the frames are written as partitions there and only the small marker
    travels back; a unit already finished with the same ``fingerprint`` (run twice after a
    lost worker) is not redone.
    """
    store = PartitionStore(root) if root is not None else None
    if store is not None and store.is_done(unit, fingerprint):
        return store.marker(unit)
    start = time.perf_counter()
    frames = fn(unit)
    if isinstance(frames, pd.DataFrame):
        frames = {unit.task: frames}
    if store is None:
        return dict(frames)
    return store.write_unit(unit, frames, time.perf_counter() - start, fingerprint)


def run_units(
    fn: UnitFunction,
    units: Sequence[WorkUnit],
    *,
    backend: str = "local",
    scheduler: str | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    memory_limit: int | str | None = None,
    progress: bool = True,
    label: str | None = None,
    console: Console | None = None,
) -> RunResult:
    """Run ``fn(unit)`` for every unit on ``backend`` and collect or store its DataFrames.

    ``fn`` must be a module-level function (workers import it by name) returning one
    DataFrame (dataset named after ``unit.task``) or a dict dataset name -> DataFrame.
    With ``out_dir`` every dataset is written as ``out_dir/<dataset>/year=YYYY[/batch=K]/``
    Parquet, registered in ``out_dir/results.duckdb``; units finished by an earlier run are
    skipped. Without it, frames are concatenated in unit order into ``RunResult.frames``.
    ``memory_limit`` (bytes or '16GB') is given to every unit (``unit.memory_limit``) to size
    its batches.
    """
    limit = parse_memory_limit(memory_limit)
    units = [
        u if u.memory_limit is not None else dataclasses.replace(u, memory_limit=limit)
        for u in units
    ]
    seen: set[str] = set()
    for unit in units:
        if unit.key in seen:
            raise ChainAtlasError(f"unit {unit.key} given twice")
        seen.add(unit.key)
    console = console or Console(stderr=True)

    store = PartitionStore(out_dir) if out_dir is not None else None
    skipped: list[str] = []
    recomputed: dict[str, str] = {}
    fingerprints: dict[str, dict] = {}
    pending = list(units)
    if store is not None:
        from chainatlas.execution.fingerprint import persistent_memo, unit_fingerprint
        from chainatlas.execution.store import META_DIR

        store.prepare()
        # file hashes are remembered in the output directory (keyed by device, inode, size,
        # mtime and ctime), so a re-run hashes only the inputs that changed
        memo = persistent_memo(store.root / META_DIR)
        try:
            for unit in units:
                fingerprints[unit.key] = unit_fingerprint(unit, exclude=store.root, memo=memo)
        finally:
            memo.save()
        for unit in units:
            state, reason = store.status(unit, fingerprints[unit.key])
            if state == "done":
                skipped.append(unit.key)
            elif state in ("stale", "unreadable"):
                recomputed[unit.key] = reason
                console.print(
                    f"{unit.key}: recomputing the earlier result ({reason})", highlight=False
                )
        pending = [u for u in units if u.key not in set(skipped)]

    start = time.perf_counter()
    engine = make_backend(backend, scheduler)
    result = RunResult(
        backend=engine.name,
        workers=engine.workers,
        skipped=skipped,
        recomputed=recomputed,
        store=store,
        dashboard_link=engine.dashboard_link,
    )
    outputs: dict[int, Any] = {}
    root = str(store.root) if store is not None else None
    title = label or (units[0].task if units else "run")
    interrupted = False
    try:
        if pending:
            engine.check_importable(fn)
            for value in pending[0].params.values():  # e.g. run_per_year's function
                if callable(value):
                    engine.check_importable(value)
        if engine.dashboard_link and progress:
            console.print(
                f"Dask: {result.workers} workers, dashboard {engine.dashboard_link}",
                highlight=False,
            )
        with _progress_bar(console, progress) as bar:
            task = bar.add_task(title, total=len(units), completed=len(skipped))
            calls = [(fn, unit, root, fingerprints.get(unit.key)) for unit in pending]
            for index, output in engine.run(execute_unit, calls):
                outputs[index] = output
                result.computed.append(pending[index].key)
                bar.advance(task)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        engine.close()  # cancels what has not started; running units finish or are dropped
        if store is not None:
            _register(store, console)
        _clear_model_cache()
        if interrupted and store is not None:
            done = sum(store.is_done(u, fingerprints.get(u.key)) for u in units)
            console.print(
                f"interrupted: {done} of {len(units)} units finished and kept in {store.root}; "
                "run the same command again to resume",
                highlight=False,
            )
    result.seconds = time.perf_counter() - start
    if store is None:
        result.frames = _concatenate([outputs[i] for i in sorted(outputs)])
    return result


def map_years(
    function: str | Callable[..., Any],
    *,
    source: str,
    path: str | os.PathLike[str] | None,
    years: Sequence[int],
    kwargs: Mapping[str, Any] | None = None,
    backend: str = "local",
    scheduler: str | None = None,
    memory_limit: int | str | None = None,
    progress: bool = True,
    label: str = "years",
    console: Console | None = None,
) -> list[Any]:
    """``[function(model=<table of year>, **kwargs) for year in years]`` on a backend.

    Each worker loads its own table; only ``kwargs`` go out and the (small, picklable)
    return values come back, in year order — DataFrame ``attrs`` included. For panels that
    a package assembles itself (attrs, cross-year metadata); nothing is written, so nothing
    is resumed: use :func:`run_units` / ``run_per_year`` with ``out_dir`` for that.
    ``memory_limit`` is passed to ``function`` as ``memory_limit=`` only if given.
    """
    from chainatlas.execution.tasks import model_function_units, model_function_value

    limit = parse_memory_limit(memory_limit)
    extra = dict(kwargs or {})
    if limit is not None:
        extra["memory_limit"] = limit
    units = model_function_units(
        function, task="map_years", source=source, path=path, years=years, kwargs=extra
    )
    console = console or Console(stderr=True)
    engine = make_backend(backend, scheduler)
    outputs: dict[int, Any] = {}
    try:
        from chainatlas.execution.tasks import resolve_function

        engine.check_importable(resolve_function(function))
        if engine.dashboard_link and progress:
            console.print(
                f"Dask: {engine.workers} workers, dashboard {engine.dashboard_link}",
                highlight=False,
            )
        with _progress_bar(console, progress) as bar:
            task = bar.add_task(label, total=len(units))
            for index, output in engine.run(model_function_value, [(u,) for u in units]):
                outputs[index] = output
                bar.advance(task)
    finally:
        engine.close()
        _clear_model_cache()
    return [outputs[i] for i in range(len(units))]


def _progress_bar(console: Console, progress: bool) -> Progress:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    return Progress(*columns, console=console, transient=True, disable=not progress)


def _register(store: PartitionStore, console: Console) -> None:
    try:
        store.register()
    except Exception as exc:  # e.g. the catalogue open in another process
        console.print(
            f"warning: could not update {Path(store.root) / 'results.duckdb'}: {exc}; the "
            "Parquet partitions are complete",
            highlight=False,
        )


def _clear_model_cache() -> None:
    from chainatlas.execution import tasks

    tasks.load_model.cache_clear()


def _concatenate(outputs: list[Mapping[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    names: list[str] = []
    for output in outputs:
        names += [n for n in output if n not in names]
    return {
        name: pd.concat([o[name] for o in outputs if name in o], ignore_index=True)
        for name in names
    }


__all__ = ["RunResult", "execute_unit", "map_years", "run_units"]
