"""``chainatlas study s0|s1|s2|s3|s4|all``: replication reports of the five studies."""

from __future__ import annotations

from pathlib import Path

import typer

from chainatlas.errors import ChainAtlasError
from chainatlas.interfaces.cli.indicators import fail
from chainatlas.interfaces.cli.options import parse_years


def run_study_command(
    study: str, source: str | None, path: str | None, years: str | None, out: Path, **files
) -> list[Path]:
    """Validate everything before any table is loaded, then compute and write."""
    import pandas as pd

    from chainatlas.studies.common import STUDIES, StudyContext, check_file, run_study
    from chainatlas.studies.report import write_report
    from chainatlas.util.files import atomic_write

    names = list(STUDIES) if study.lower() == "all" else [study.lower()]
    if names[0] not in STUDIES:
        raise ChainAtlasError(f"unknown study {study!r}; choose from {', '.join(STUDIES)}, all")
    if out.exists() and not out.is_dir():
        raise ChainAtlasError("--out must be a directory, not a file", path=str(out))
    for option in ("controls", "patents", "satellite", "distances", "interdependence_series"):
        check_file(files.get(option), f"--{option.replace('_', '-')} file")
    trade_db = files.get("trade_db")
    if trade_db is not None and not Path(trade_db).exists():
        raise ChainAtlasError("trade database not found", path=str(trade_db))
    concordance = files.get("end_use_concordance") or "unsd-majority"
    from chainatlas.trade.end_use import END_USE_CONCORDANCES

    if concordance not in END_USE_CONCORDANCES:
        raise ChainAtlasError(
            f"unknown --end-use-concordance {concordance!r}; choose from "
            f"{', '.join(END_USE_CONCORDANCES)}"
        )
    year_list: list[int] = []
    if source is not None:
        from chainatlas import sources

        year_list = parse_years(years, sources.available_years(source, path))
    elif years is not None:
        raise ChainAtlasError("--years needs --source (and --path) to name the tables")
    trade_years = files.get("trade_years")
    ctx = StudyContext(
        source=source,
        path=path,
        years=year_list,
        trade_db=Path(trade_db) if trade_db else None,
        concordances=files.get("concordances"),
        end_use_concordance=concordance,
        controls=files.get("controls"),
        patents=files.get("patents"),
        satellite=files.get("satellite"),
        distances=files.get("distances"),
        interdependence_series=files.get("interdependence_series"),
        trade_years=parse_years(trade_years, list(range(1900, 2101))) if trade_years else None,
    )
    written: list[Path] = []
    index = []
    try:
        for name in names:
            report = run_study(name, ctx)
            written += write_report(report, out)
            items = report.items_frame()
            index.append(items)
            counts = items["status"].value_counts().to_dict()
            typer.echo(
                f"{name}: {len(items)} items — "
                + ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
            )
    finally:
        ctx.close()
    if len(names) > 1:
        combined = pd.concat(index, ignore_index=True)
        written.append(
            atomic_write(
                out / "studies_items.csv",
                lambda tmp: combined.to_csv(tmp, index=False, encoding="utf-8-sig"),
            )
        )
    typer.echo(f"wrote {len(written)} file(s) to {out}")
    return written


def register(app: typer.Typer) -> None:
    @app.command("study")
    def study_command(
        study: str = typer.Argument(..., help="s0, s1, s2, s3, s4 or all."),
        source: str = typer.Option(None, "--source", help="Table source, e.g. wiod2013, adb."),
        path: str = typer.Option(None, "--path", help="Directory or file of the tables."),
        years: str = typer.Option(None, "--years", "--year", help="Years, e.g. 2007-2011."),
        trade_db: Path = typer.Option(None, "--trade-db", help="DuckDB trade store (S0, S1)."),
        trade_years: str = typer.Option(
            None, "--trade-years", help="Trade window (default 2017-2018 if loaded, else all)."
        ),
        concordances: Path = typer.Option(
            None, "--concordances", help="Concordance directory (end-use universe)."
        ),
        end_use_concordance: str = typer.Option(
            "unsd-majority",
            "--end-use-concordance",
            help="Intermediate-goods universe: unsd-majority, unsd-any, adb-bec4, adb-bec4-full.",
        ),
        controls: Path = typer.Option(
            None, "--controls", help="S0 item 13: CSV sector,year,<controls…>."
        ),
        patents: Path = typer.Option(
            None, "--patents", help="S4 item 80: CSV country,year,patents."
        ),
        satellite: Path = typer.Option(
            None, "--satellite", help="S0 item 1: CO2 CSV country,sector,value[,year]."
        ),
        distances: Path = typer.Option(
            None, "--distances", help="S0 item 14: CSV country_a,country_b,distance."
        ),
        interdependence_series: Path = typer.Option(
            None, "--interdependence-series", help="S4 item 76: yearly series CSV."
        ),
        out: Path = typer.Option(..., "--out", help="Output directory."),
    ) -> None:
        """Replication report (CSV + Markdown + HTML, English/Chinese) of a study's items."""
        try:
            run_study_command(
                study, source, path, years, out, trade_db=trade_db, trade_years=trade_years,
                concordances=concordances, end_use_concordance=end_use_concordance,
                controls=controls, patents=patents, satellite=satellite, distances=distances,
                interdependence_series=interdependence_series,
            )  # fmt: skip
        except ChainAtlasError as exc:
            fail(exc)
