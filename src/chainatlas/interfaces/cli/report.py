"""``chainatlas report``: one self-contained bilingual HTML report on a focus economy."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress

from chainatlas.errors import ChainAtlasError


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report_command(
        source: str = typer.Option(..., "--source", help="Table source, e.g. wiod2013."),
        path: str = typer.Option(None, "--path", help="Directory or file of the tables."),
        years: str = typer.Option(
            None, "--years", "--year", help="Years, e.g. 1995-2011 (default: all available)."
        ),
        focus: str = typer.Option(..., "--focus", help="Focus economy (ISO3), e.g. CHN."),
        lang: str = typer.Option("en", "--lang", help="Language shown first: en or zh."),
        trade_db: Path = typer.Option(
            None, "--trade-db", help="Product-screen results (adds the quadrant and HS2 charts)."
        ),
        scenario: Path = typer.Option(
            None, "--scenario", help="Scenario file (.toml) whose impacts to chart."
        ),
        out: Path = typer.Option(..., "--out", help="Output .html file."),
        cache_dir: Path = typer.Option(
            None,
            "--cache-dir",
            help="Where per-year computations are cached (default ~/.cache/chainatlas/reports).",
        ),
        no_cache: bool = typer.Option(False, "--no-cache", help="Recompute everything."),
    ) -> None:
        """Write a bilingual HTML report (charts, data tables, CSV downloads; works offline)."""
        from chainatlas.reporting import build_report

        if out.suffix.lower() not in (".html", ".htm"):
            raise ChainAtlasError("the report output must end in .html", path=str(out))
        for given in (trade_db, scenario):
            if given is not None and not given.exists():
                raise ChainAtlasError("no such file", path=str(given))
        from chainatlas.interfaces.cli.options import check_output

        check_output(out, source=source, path=path, trade_db=trade_db, scenario=scenario)
        cache: Path | bool = False if no_cache else (cache_dir or True)
        with Progress(transient=True) as progress:
            task = progress.add_task("years", total=None)
            target = build_report(
                source,
                path,
                years,
                focus,
                lang,
                out,
                trade_db=trade_db,
                scenario=scenario,
                cache_dir=cache,
                progress=lambda year: progress.update(task, description=f"year {year}"),
            )
        size_mb = target.stat().st_size / 1e6
        typer.echo(
            f"wrote {target} ({size_mb:.1f} MB); open it in a browser: file://{target.resolve()}"
        )
