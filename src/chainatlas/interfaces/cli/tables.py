"""``chainatlas tables``: the studies' tables (CSV + Markdown + HTML)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from chainatlas.errors import ChainAtlasError
from chainatlas.execution import cli as backend_cli
from chainatlas.interfaces.cli.indicators import fail, split_list
from chainatlas.interfaces.cli.options import check_output, parse_years

if TYPE_CHECKING:
    from chainatlas.core.model import MRIOModel

tables_app = typer.Typer(help="Reproduce the studies' tables from a loaded panel.")


def _loader(source: str, path: str | None) -> Callable[[int], MRIOModel]:
    from chainatlas import sources

    return lambda year: sources.load(source, path, year)


def _report(files: list[Path], notes: list[str]) -> None:
    typer.echo(f"wrote {len(files)} file(s): {', '.join(p.name for p in files)}")
    for note in notes:
        typer.echo(f"note: {note}")


@tables_app.command("linkage-study")
def linkage_study_command(
    source: str = typer.Option(..., "--source", help="Table source, e.g. wiod2013."),
    path: str = typer.Option(None, "--path", help="Directory or file of the tables."),
    years: str = typer.Option(..., "--years", "--year", help="Year range, e.g. 2007-2011."),
    link_years: str = typer.Option(
        None, "--link-years", help="Two years for Table 3 (default: last and last−4)."
    ),
    exporters: str = typer.Option("ASEAN-9,IND,MEX", "--exporters", help="Exporter groups."),
    source_group: str = typer.Option("NEA", "--source-group", help="Source region."),
    economies: str = typer.Option("CHN,JPN,KOR,RUS,MNG", "--economies", help="Table 3 rows."),
    groups_file: Path = typer.Option(None, "--groups-file", help="Extra group definitions."),
    out: Path = typer.Option(..., "--out", help="Output directory."),
    backend: str = backend_cli.backend_option(),
    scheduler: str = backend_cli.scheduler_option(),
) -> None:
    """Northeast Asia's chain links (METHODS §7.4): Tables 1–3."""
    try:
        from chainatlas import sources
        from chainatlas.indicators.tables import (
            check_output_directory,
            linkage_study,
            write_study,
        )

        check_output_directory(out)
        check_output(out, source=source, path=path)
        if groups_file is not None and not Path(groups_file).is_file():
            raise ChainAtlasError("group file not found", path=str(groups_file))
        year_list = parse_years(years, sources.available_years(source, path))
        link_list = parse_years(link_years, year_list) if link_years else None
        backend_cli.check(backend, scheduler, None)
        study_options = {
            "exporters": split_list(exporters) or [],
            "source_group": source_group,
            "link_economies": split_list(economies) or [],
            "link_years": link_list,
            "user_groups": groups_file,
        }
        if (backend or "local").lower() != "local":  # the study as one Dask unit
            from chainatlas.execution.adapters import run_study_on_backend

            study = run_study_on_backend(
                "linkage-study", source, path, year_list, study_options,
                backend=backend, scheduler=scheduler,
            )  # fmt: skip
        else:
            study = linkage_study(year_list, _loader(source, path), **study_options)
        _report(write_study(study, out), study.notes)
    except ChainAtlasError as exc:
        fail(exc)


@tables_app.command("participation-study")
def participation_study_command(
    source: str = typer.Option(..., "--source", help="Table source, e.g. wiod2013."),
    path: str = typer.Option(None, "--path", help="Directory or file of the tables."),
    years: str = typer.Option(None, "--years", "--year", help="Year range (default: all)."),
    country: str = typer.Option("CHN", "--country", help="Economy (ISO3)."),
    out: Path = typer.Option(..., "--out", help="Output directory."),
    backend: str = backend_cli.backend_option(),
    scheduler: str = backend_cli.scheduler_option(),
) -> None:
    """Forward/backward GVC participation of a country's manufacturing groups (§5)."""
    try:
        from chainatlas import sources
        from chainatlas.indicators.tables import (
            check_output_directory,
            participation_study,
            write_study,
        )

        check_output_directory(out)
        check_output(out, source=source, path=path)
        year_list = parse_years(years, sources.available_years(source, path))
        backend_cli.check(backend, scheduler, None)
        if (backend or "local").lower() != "local":  # the study as one Dask unit
            from chainatlas.execution.adapters import run_study_on_backend

            study = run_study_on_backend(
                "participation-study", source, path, year_list, {"country": country},
                backend=backend, scheduler=scheduler,
            )  # fmt: skip
        else:
            study = participation_study(year_list, _loader(source, path), country=country)
        _report(write_study(study, out), study.notes)
    except ChainAtlasError as exc:
        fail(exc)


def register(app: typer.Typer) -> None:
    app.add_typer(tables_app, name="tables")
