"""``chainatlas report``: one self-contained bilingual HTML report on a focus economy."""

from __future__ import annotations

from pathlib import Path

import typer

from chainatlas.errors import ChainAtlasError

# Options both commands take alike (typer reads an Option default without changing it).
_SOURCE = typer.Option(..., "--source", help="Table source, e.g. wiod2013.")
_PATH = typer.Option(None, "--path", help="Directory or file of the tables.")
_YEARS = typer.Option(
    None, "--years", "--year", help="Years, e.g. 1995-2011 (default: all available)."
)
_NO_CACHE = typer.Option(False, "--no-cache", help="Recompute everything.")


def _check_page_outputs(out: Path, pdf: Path | None, what: str) -> None:
    """The page must be written as .html and its print as .pdf (``what``: report, profile)."""
    if out.suffix.lower() not in (".html", ".htm"):
        raise ChainAtlasError(f"the {what} output must end in .html", path=str(out))
    if pdf is not None and pdf.suffix.lower() != ".pdf":
        raise ChainAtlasError("the --pdf output must end in .pdf", path=str(pdf))


def _cache_setting(cache_dir: Path | None, no_cache: bool) -> Path | bool:
    """--no-cache: none; else --cache-dir, or True for the default cache."""
    return False if no_cache else (cache_dir or True)


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report_command(
        source: str = _SOURCE,
        path: str = _PATH,
        years: str = _YEARS,
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
        no_cache: bool = _NO_CACHE,
        pdf: Path = typer.Option(
            None, "--pdf", help="Also print the report to this PDF (needs Chromium)."
        ),
        charts_dir: Path = typer.Option(
            None,
            "--charts-dir",
            help="Also save every chart as PNG and SVG in this folder (needs Chromium).",
        ),
    ) -> None:
        """Write a bilingual HTML report (charts, data tables, CSV downloads; works offline).

        Example: chainatlas report --source wiod2013 --path ../shared/data/wiod2013
        --years 1995-2011 --focus CHN --lang zh --out report.html --pdf report.pdf
        """
        from chainatlas.reporting import build_report

        _check_page_outputs(out, pdf, "report")
        for given in (trade_db, scenario):
            if given is not None and not given.exists():
                raise ChainAtlasError("no such file", path=str(given))
        from chainatlas.interfaces.cli.options import check_output

        check_output(out, source=source, path=path, trade_db=trade_db, scenario=scenario)
        cache = _cache_setting(cache_dir, no_cache)
        from rich.progress import Progress  # 12 ms: only for the command that runs

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
                pdf=pdf,
                charts_dir=charts_dir,
            )
        size_mb = target.stat().st_size / 1e6
        typer.echo(
            f"wrote {target} ({size_mb:.1f} MB); open it in a browser: file://{target.resolve()}"
        )
        if pdf is not None:
            typer.echo(f"wrote {pdf}")
        if charts_dir is not None:
            typer.echo(f"wrote the charts (PNG, SVG) to {charts_dir}/")

    @app.command("profile")
    def profile_command(
        source: str = _SOURCE,
        path: str = _PATH,
        years: str = _YEARS,
        focus: str = typer.Option(..., "--focus", help="The economy (ISO3), e.g. CHN."),
        lang: str = typer.Option("en", "--lang", help="Language: en or zh."),
        out: Path = typer.Option(..., "--out", help="Output .html file."),
        pdf: Path = typer.Option(
            None, "--pdf", help="Also print the profile to this PDF (needs Chromium)."
        ),
        cache_dir: Path = typer.Option(
            None, "--cache-dir", help="Cache of per-year computations (shared with report)."
        ),
        no_cache: bool = _NO_CACHE,
    ) -> None:
        """Write a one- or two-page country profile (headline indicators, trends, top partners
        and industries), in the manner of the OECD TiVA country notes.

        Example: chainatlas profile --source wiod2013 --path ../shared/data/wiod2013
        --years 1995-2011 --focus CHN --lang zh --out chn.html --pdf chn.pdf
        """
        from chainatlas.reporting import build_profile

        _check_page_outputs(out, pdf, "profile")
        cache = _cache_setting(cache_dir, no_cache)
        target = build_profile(
            source, path, years, focus, lang, out, cache_dir=cache, pdf=pdf
        )
        typer.echo(f"wrote {target}" + (f" and {pdf}" if pdf is not None else ""))
