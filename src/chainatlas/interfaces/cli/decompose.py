"""``chainatlas decompose``: gross-export decompositions of one year or a panel."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.progress import Progress

from chainatlas.decompositions import LEVELS, METHODS
from chainatlas.errors import ChainAtlasError
from chainatlas.interfaces.cli.options import parse_years, write_table


def run_decompose(
    source: str,
    path: str | None,
    years: list[int],
    method: str,
    level: str,
    wide: bool = False,
    show_progress: bool = True,
) -> pd.DataFrame:
    """Decompose every year and stack the tidy tables (shared by the CLI and the demo)."""
    from chainatlas import sources
    from chainatlas.decompositions import decompose

    frames = []
    with Progress(transient=True, disable=not show_progress or len(years) < 2) as progress:
        task = progress.add_task(f"{method} {source}", total=len(years))
        for year in years:
            model = sources.load(source, path, year)
            frames.append(decompose(model, method).to_frame(level, wide=wide))
            progress.advance(task)
    return pd.concat(frames, ignore_index=True)


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
        out: Path = typer.Option(..., "--out", help="Output file, .csv or .parquet."),
        wide: bool = typer.Option(False, "--wide", help="One column per term."),
    ) -> None:
        """Decompose gross exports (tiva, kww, wwz, bm-source, bm-sink, bm-adb)."""
        from chainatlas import sources

        if method.lower() not in METHODS:
            raise ChainAtlasError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
        if level not in LEVELS:
            raise ChainAtlasError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
        if out.suffix.lower() not in (".csv", ".parquet", ".pq"):
            raise ChainAtlasError("output must end in .csv or .parquet", path=str(out))
        available = sources.available_years(source, path)
        years = parse_years(year, available)
        frame = run_decompose(source, path, years, method.lower(), level, wide)
        write_table(frame, out)
        typer.echo(f"wrote {len(frame):,} rows to {out}")
