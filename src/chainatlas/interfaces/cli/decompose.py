"""``chainatlas decompose``: gross-export decompositions of one year or a panel."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from chainatlas.decompositions import LEVELS, METHODS
from chainatlas.errors import ChainAtlasError
from chainatlas.execution import cli as backend_cli
from chainatlas.interfaces.cli.options import check_output, parse_years, write_table
from chainatlas.util.files import OUTPUT_SUFFIXES

if TYPE_CHECKING:
    import pandas as pd

    from chainatlas.core.model import MRIOModel

# years of a panel decomposed side by side by decompose_to_file (one per core of a laptop)
PANEL_WORKERS = 2


def run_decompose(
    source: str,
    path: str | None,
    years: list[int],
    method: str,
    level: str,
    wide: bool = False,
    show_progress: bool = True,
    *,
    backend: str = "local",
    scheduler: str | None = None,
    memory_limit: str | int | None = None,
    out_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Decompose every year and stack the tidy tables (shared by the CLI and the demo).

    Each year is one unit of work on ``backend`` (``local`` here, or ``dask`` with
    ``scheduler``; see docs/scaling.md); with ``out_dir`` the years are also written as
    partitioned Parquet there (re-runs skip finished years).
    """
    from chainatlas.execution import decompose_task, decompose_units, run_units
    from chainatlas.execution.tasks import decompose_dataset

    units = decompose_units(source, path, years, method, level, wide)
    result = run_units(
        decompose_task,
        units,
        backend=backend,
        scheduler=scheduler,
        out_dir=out_dir,
        memory_limit=memory_limit,
        progress=show_progress and (len(years) > 1 or backend != "local"),
        label=f"{method} {source}",
    )
    frame = result.read(decompose_dataset(method, level))
    if out_dir is not None:
        frame = frame.sort_values("year", kind="stable").reset_index(drop=True)
    frame.attrs["notes"] = _notes_of(result)
    # what the numbers are, kept in the Parquet/Excel/Stata metadata (the atlas shows it)
    from chainatlas.util.labels import release_label

    frame.attrs.update(
        table=source,
        release=release_label(source),
        year=f"{years[0]}–{years[-1]}" if len(years) > 1 else years[0],
        method=method,
        level=level,
    )
    return frame


def _notes_of(result) -> list[str]:
    """'year method: note' lines of a run (what the loader and the method reported)."""
    from chainatlas.execution.tasks import DECOMPOSE_NOTES

    if DECOMPOSE_NOTES not in result.datasets:
        return []
    notes = result.read(DECOMPOSE_NOTES)
    if notes.empty:
        return []
    notes = notes.sort_values(["year", "method"], kind="stable")
    # a note of the table (rebalancing, zero-output rows) is the same for every method
    lines = dict.fromkeys(f"{row.year}: {row.note}" for row in notes.itertuples(index=False))
    return list(lines)


def decompose_to_file(
    source: str,
    path: str | None,
    years: list[int],
    method: str,
    level: str,
    wide: bool,
    out: Path,
) -> tuple[int, list[str]]:
    """Years on this machine, straight from the arrays to one file: no runner, no pandas.

    Writes what ``run_decompose`` + ``write_table`` write (the same columns and rows in the
    same order, tested); returns (rows written, notes).
    """
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from chainatlas import sources
    from chainatlas.core import lapack
    from chainatlas.decompositions import decomposition
    from chainatlas.decompositions.columns import concat_columns, decomposition_columns
    from chainatlas.sources.cache import save_derived
    from chainatlas.util.fast_write import write_csv_columns, write_parquet_columns
    from chainatlas.util.files import atomic_write
    from chainatlas.util.threads import blas_threads

    def one_year(year: int) -> tuple[MRIOModel, dict, list[str]]:
        model = sources.load(source, path, year)
        result = decomposition(model, method)
        columns_of_year = decomposition_columns(result, level, wide=wide)
        return model, columns_of_year, [f"{year}: {note}" for note in result.notes]

    def panel_year(year: int) -> tuple[dict, list[str]]:
        model, columns_of_year, year_notes = one_year(year)
        save_derived(model)  # B (or its blocks), for the next command on this year
        return columns_of_year, year_notes

    parts, notes = [], []
    saver = None
    if len(years) == 1:
        model, columns_of_year, notes = one_year(years[0])
        parts.append(columns_of_year)
        # the derived arrays go to the table cache while the output is written (file I/O
        # frees the GIL); joined below, before the command returns
        saver = threading.Thread(target=save_derived, args=(model,), daemon=True)
        saver.start()
        del model
    else:
        from rich.progress import Progress

        progress = Progress(transient=True)
        progress.start()
        bar = progress.add_task(f"{method} {source}", total=len(years))
        # A panel runs two years at a time, one per core, each with single-threaded BLAS:
        # parsing (bzip2, XDR, the cache write) is one thread, and LAPACK's inverse on two
        # threads costs 30 % more CPU than on one; two years side by side keep both cores
        # busy with neither overhead. At most two years are held in memory; results and
        # errors are taken in year order, so a damaged year is reported as before.
        workers = min(PANEL_WORKERS, len(years))
        pool = ThreadPoolExecutor(max_workers=workers)
        lapack.load()  # SciPy's own OpenBLAS (the LU route): loaded, so the limit covers it
        try:
            with blas_threads(1):
                pending = [pool.submit(panel_year, year) for year in years[:workers]]
                for position in range(len(years)):
                    columns_of_year, year_notes = pending[position].result()
                    following = position + workers
                    if following < len(years):
                        pending.append(pool.submit(panel_year, years[following]))
                    pending[position] = None  # type: ignore[call-overload]
                    parts.append(columns_of_year)
                    notes.extend(year_notes)
                    progress.advance(bar)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            progress.stop()
    columns = concat_columns(parts)
    rows = max((len(c) for c in columns.values() if not isinstance(c, int)), default=1)
    writer = write_csv_columns if out.suffix.lower() == ".csv" else write_parquet_columns
    try:
        atomic_write(out, lambda tmp: writer(columns, tmp))
    finally:
        if saver is not None:  # the cache entry is complete before the command returns
            saver.join()
    return rows, list(dict.fromkeys(notes))


def print_notes(notes: list[str]) -> None:
    """Show the notes on stderr, so they never mix with data written to stdout."""
    if notes:
        typer.echo("notes:", err=True)
        for line in notes:
            typer.echo(f"  {line}", err=True)


def register(app: typer.Typer) -> None:
    @app.command("decompose")
    def decompose_command(
        source: str = typer.Option(..., "--source", help="Table source, e.g. wiod2013."),
        path: str = typer.Option(None, "--path", help="Directory or file of the tables."),
        year: str = typer.Option(
            ..., "--year", "--years", help="Year or range, e.g. 2011 or 1995-2011."
        ),
        method: str = typer.Option("wwz", "--method", help=f"One of: {', '.join(METHODS)}."),
        level: str = typer.Option("country", "--level", help=f"One of: {', '.join(LEVELS)}."),
        out: Path = typer.Option(
            ...,
            "--out",
            help="Output file (.csv, .parquet, .xlsx with a notes sheet, or Stata .dta), or a "
            "directory for partitioned Parquet (year=YYYY/) with a results.duckdb catalogue; "
            "re-runs resume.",
        ),
        wide: bool = typer.Option(False, "--wide", help="One column per term."),
        backend: str = backend_cli.backend_option(),
        scheduler: str = backend_cli.scheduler_option(),
        memory_limit: str = backend_cli.memory_limit_option(),
    ) -> None:
        """Decompose gross exports (tiva, kww, wwz, bm-source, bm-sink, bm-adb)."""
        from chainatlas import sources

        if method.lower() not in METHODS:
            raise ChainAtlasError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
        if level not in LEVELS:
            raise ChainAtlasError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
        to_directory = out.suffix == "" or out.is_dir()
        if not to_directory and out.suffix.lower() not in (*OUTPUT_SUFFIXES, ".pq"):
            raise ChainAtlasError(
                f"output must end in {', '.join(OUTPUT_SUFFIXES)}, or be a directory",
                path=str(out),
            )
        backend_cli.check(backend, scheduler, memory_limit)
        check_output(out, source=source, path=path)
        available = sources.available_years(source, path)
        # a single table whose file name carries no year lists none: take the year given
        years = parse_years(year, available or None)
        if to_directory:
            from chainatlas.execution import decompose_task, decompose_units, run_units

            result = run_units(
                decompose_task,
                decompose_units(source, path, years, method.lower(), level, wide),
                backend=backend,
                scheduler=scheduler,
                out_dir=out,
                memory_limit=memory_limit,
                label=f"{method.lower()} {source}",
            )
            typer.echo(
                f"{len(result.computed)} year(s) computed"
                + (
                    f" ({len(result.recomputed)} recomputed: inputs or options changed, or a "
                    "partition did not read back)"
                    if result.recomputed
                    else ""
                )
                + f", {len(result.skipped)} already done; "
                f"results in {out} (DuckDB catalogue {out / 'results.duckdb'}, notes in the "
                "decompose_notes view)"
            )
            print_notes(_notes_of(result))
            return
        fast_format = out.suffix.lower() in (".csv", ".parquet", ".pq")
        if backend == "local" and not memory_limit and fast_format:  # no runner, no pandas
            rows, notes = decompose_to_file(source, path, years, method.lower(), level, wide, out)
            typer.echo(f"wrote {rows:,} rows to {out}")
            print_notes(notes)
            from chainatlas.interfaces.cli import finish

            finish.mark_done()  # the file is in place, its worker threads are joined
            return
        frame = run_decompose(
            source,
            path,
            years,
            method.lower(),
            level,
            wide,
            backend=backend,
            scheduler=scheduler,
            memory_limit=memory_limit,
        )
        write_table(frame, out)
        typer.echo(f"wrote {len(frame):,} rows to {out}")
        print_notes(frame.attrs.get("notes", []))
