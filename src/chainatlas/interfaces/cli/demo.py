"""``chainatlas demo``: the main job of `make demo` on the real WIOD 2013 panel.

1. finds the WIOD 2013 tables (../shared/data/wiod2013, else --path/$CHAINATLAS_DATA/fetch cache,
   else downloads them with ``fetch``);
2. runs the WWZ decomposition for every year and writes country and bilateral tables;
3. writes a summary: China's domestic value-added share of exports by year and world totals;
4. computes the GVC indicator panel into out/results (``chainatlas serve --results out`` shows
   it together with the WWZ tables);
5. writes the bilingual report for China to out/report.html.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from chainatlas.interfaces.cli.console import LazyConsole
from chainatlas.interfaces.cli.options import atomic_write, write_table
from chainatlas.util.lazy import lazy_module

pd = lazy_module("pandas")  # imported when the demo runs, not when the CLI starts

console = LazyConsole()

DOMESTIC_VA_TERMS = (
    "DVA_FIN", "DVA_INT", "DVA_INTrexI1", "DVA_INTrexF", "DVA_INTrexI2",
    "RDV_FIN", "RDV_FIN2", "RDV_INT",
)  # fmt: skip
DOUBLE_COUNTED_TERMS = ("DDC_FIN", "DDC_INT", "MDC", "ODC")
FOREIGN_VA_TERMS = ("MVA_FIN", "OVA_FIN", "MVA_INT", "OVA_INT")


def locate_wiod(shared: Path | None, path: str | None) -> str:
    """The WIOD 2013 directory: --path, ../shared, $CHAINATLAS_DATA/cache, else fetch it."""
    from chainatlas.errors import DataNotFoundError
    from chainatlas.sources.paths import resolve_path

    if path:
        return str(resolve_path("wiod2013", path))
    if shared is not None and (shared / "data" / "wiod2013").is_dir():
        return str(shared / "data" / "wiod2013")
    try:
        return str(resolve_path("wiod2013", None))
    except DataNotFoundError:
        console.print("WIOD 2013 tables not found locally: downloading them with fetch")
        from chainatlas.sources import fetch as fetch_module

        fetch_module.fetch_source("wiod2013")
        return str(resolve_path("wiod2013", None))


def summarise(country: pd.DataFrame, focus: str = "CHN") -> pd.DataFrame:
    """Per year: the focus economy's domestic VA share of gross exports and world totals."""
    wide = country.pivot_table(index=["year", "exporter"], columns="term", values="value")
    wide["EXGR"] = wide.sum(axis=1)
    wide["DVA"] = wide[list(DOMESTIC_VA_TERMS)].sum(axis=1)
    wide["PDC"] = wide[list(DOUBLE_COUNTED_TERMS)].sum(axis=1)
    wide["FVA"] = wide[list(FOREIGN_VA_TERMS)].sum(axis=1)
    world = wide.groupby(level="year")[["EXGR", "DVA", "FVA", "PDC"]].sum()
    focus_rows = wide.xs(focus, level="exporter")
    summary = pd.DataFrame(
        {
            f"{focus}_exports_usd_mn": focus_rows["EXGR"],
            f"{focus}_dva_share": focus_rows["DVA"] / focus_rows["EXGR"],
            f"{focus}_fva_share": focus_rows["FVA"] / focus_rows["EXGR"],
            "world_exports_usd_mn": world["EXGR"],
            "world_dva_usd_mn": world["DVA"],
            "world_fva_usd_mn": world["FVA"],
            "world_pdc_usd_mn": world["PDC"],
            "world_dva_share": world["DVA"] / world["EXGR"],
        }
    )
    summary.index.name = "year"
    return summary.reset_index()


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_command(
        shared: Path = typer.Option(Path("../shared"), "--shared", help="The shared data folder."),
        path: str = typer.Option(None, "--path", help="WIOD 2013 directory (overrides --shared)."),
        out: Path = typer.Option(Path("out"), "--out", help="Output directory."),
        focus: str = typer.Option("CHN", "--focus", help="Economy of the summary and report."),
        report: bool = typer.Option(True, "--report/--no-report", help="Write out/report.html."),
    ) -> None:
        """Run the main job: WWZ for all WIOD years, summary, indicators and the report."""
        from chainatlas import sources
        from chainatlas.interfaces.cli.decompose import run_decompose

        started = time.perf_counter()
        wiod = locate_wiod(shared, path)
        years = sources.available_years("wiod2013", wiod)
        console.print(f"[bold]WWZ decomposition[/] of WIOD 2013, {years[0]}-{years[-1]} ({wiod})")
        out.mkdir(parents=True, exist_ok=True)
        bilateral = run_decompose("wiod2013", wiod, years, "wwz", "bilateral")
        write_table(bilateral, out / "wwz_bilateral.parquet")
        country = (
            bilateral.groupby(["year", "exporter", "term"], sort=False)["value"].sum().reset_index()
        )
        write_table(country, out / "wwz_country.parquet")
        summary = summarise(country, focus)
        write_table(summary, out / "summary.csv")
        markdown = summary_markdown(summary, focus)
        atomic_write(out / "summary.md", lambda tmp: tmp.write_text(markdown, encoding="utf-8"))
        show_summary(summary, focus)
        console.print(
            f"wrote {out / 'wwz_bilateral.parquet'}, {out / 'wwz_country.parquet'}, "
            f"{out / 'summary.csv'}, {out / 'summary.md'} "
            f"({time.perf_counter() - started:.1f} s)"
        )
        results = out / "results"
        write_indicators(wiod, years, results)
        if report:
            write_report(wiod, years, focus, out / "report.html")
        console.print(
            "\n[bold]Next:[/] open the report in a browser:  "
            f"file://{(out / 'report.html').resolve()}\n"
            # the whole output folder: the WWZ tables and the indicator panel (results/)
            f"start the web atlas:  .venv/bin/chainatlas serve --results {out}  "
            "(then open http://127.0.0.1:8050)"
        )


def summary_markdown(summary: pd.DataFrame, focus: str) -> str:
    lines = [
        f"# WWZ decomposition of WIOD 2013 — {focus} and world, "
        f"{summary['year'].min()}–{summary['year'].max()}",
        "",
        "Domestic VA = WWZ terms 1–8 (value added exported and absorbed abroad or returned "
        "home); FVA = terms 11–14; PDC = pure double counting (9, 10, 15, 16). Shares are of "
        "gross exports. Table: WIOD 2013 release (R package copy, rebalanced x = Z1 + Y1).",
        "",
        f"| year | {focus} exports (USD bn) | {focus} DVA share | {focus} FVA share | "
        "world exports (USD bn) | world DVA share |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for row in summary.itertuples(index=False):
        values = row._asdict()
        lines.append(
            f"| {values['year']} | {values[f'{focus}_exports_usd_mn'] / 1e3:,.1f} | "
            f"{values[f'{focus}_dva_share']:.1%} | {values[f'{focus}_fva_share']:.1%} | "
            f"{values['world_exports_usd_mn'] / 1e3:,.1f} | {values['world_dva_share']:.1%} |"
        )
    return "\n".join(lines) + "\n"


def show_summary(summary: pd.DataFrame, focus: str) -> None:
    from rich.table import Table

    table = Table(title=f"{focus}: domestic value added in gross exports (WWZ), and world totals")
    for column in ("year", f"{focus} exports bn", "DVA share", "FVA share", "world exports bn"):
        table.add_column(column, justify="right")
    for row in summary.to_dict("records"):
        table.add_row(
            str(row["year"]),
            f"{row[f'{focus}_exports_usd_mn'] / 1e3:,.1f}",
            f"{row[f'{focus}_dva_share']:.1%}",
            f"{row[f'{focus}_fva_share']:.1%}",
            f"{row['world_exports_usd_mn'] / 1e3:,.1f}",
        )
    console.print(table)


def write_indicators(wiod: str, years: list[int], results: Path) -> None:
    """The GVC indicator panel for the web atlas (as ``chainatlas indicators`` writes it)."""
    from chainatlas.indicators import write_indicator_panel

    console.print(f"[bold]GVC indicators[/] for {len(years)} years into {results}")
    started = time.perf_counter()
    from rich.progress import Progress

    with Progress(transient=True) as progress:
        task = progress.add_task("indicators", total=len(years))
        write_indicator_panel(
            "wiod2013", wiod, years, results, on_year=lambda _year: progress.advance(task)
        )
    from chainatlas.util.labels import write_source_note

    write_source_note(results, "wiod2013", years)  # the atlas's source line
    console.print(f"wrote {results} ({time.perf_counter() - started:.1f} s)")


def write_report(wiod: str, years: list[int], focus: str, target: Path) -> None:
    """The bilingual HTML report for the focus economy."""
    from chainatlas.reporting import build_report

    console.print(f"[bold]Report[/] for {focus} into {target}")
    started = time.perf_counter()
    build_report("wiod2013", wiod, years, focus, "en", target)
    console.print(f"wrote {target} ({time.perf_counter() - started:.1f} s)")
