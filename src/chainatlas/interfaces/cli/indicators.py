"""``chainatlas indicators``: GVC indicator sets for a year panel, as tidy Parquet + DuckDB."""

from __future__ import annotations

from pathlib import Path

import typer

from chainatlas.errors import ChainAtlasError
from chainatlas.execution import cli as backend_cli
from chainatlas.interfaces.cli.console import err_console
from chainatlas.interfaces.cli.options import check_output, parse_years


def split_list(text: str | None) -> list[str] | None:
    """'A, B,,C' -> ['A', 'B', 'C']; None or only commas -> None."""
    if text is None:
        return None
    items = [item.strip() for item in text.split(",") if item.strip()]
    return items or None


def check_groups(names: list[str] | None, groups_file: Path | None) -> None:
    """Fail before loading any table if a name is neither a group nor an ISO3 code."""
    from chainatlas.core.groups import registry_with

    registry = registry_with(groups_file)
    for name in names or []:
        if name not in registry and not (len(name) == 3 and name.isalpha()):
            raise ChainAtlasError(
                f"unknown group {name!r}; known groups: {', '.join(registry.names())} "
                "(or give an ISO3 country code)"
            )
        if name.upper() == "ROW":
            raise ChainAtlasError("RoW cannot be used as a group (METHODS §8 rule 4)")


def fail(exc: ChainAtlasError) -> None:
    """One line on stderr and exit code 2 (also under typer's CliRunner)."""
    err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def register(app: typer.Typer) -> None:
    @app.command("indicators")
    def indicators_command(
        source: str = typer.Option(..., "--source", help="Table source, e.g. wiod2013."),
        path: str = typer.Option(None, "--path", help="Directory or file of the tables."),
        years: str = typer.Option(
            None, "--years", "--year", help="Year or range, e.g. 1995-2011 (default: all)."
        ),
        sets: str = typer.Option(
            "all",
            "--set",
            "--sets",
            help="Comma-separated sets: participation, length, upstreamness, vax, fva-origin, "
            "linkage, dependence, regional, servicification, hubs, satellite, rca; or 'all'.",
        ),
        groups: str = typer.Option(
            "NEA,ASEAN-9,EU,USMCA",
            "--groups",
            help="Comma-separated country groups (or ISO3 codes) to aggregate and report.",
        ),
        groups_file: Path = typer.Option(
            None, "--groups-file", help="TOML file with extra/overriding group definitions."
        ),
        satellite: str = typer.Option(
            None,
            "--satellite",
            help="Satellite set: CSV country,sector,value[,year], or EXTENSION:STRESSOR of the "
            "table's own accounts (e.g. 'Air Emission Accounts:CO2').",
        ),
        satellite_name: str = typer.Option("satellite", "--satellite-name"),
        hub_k_min: int = typer.Option(3, "--hub-k-min", help="Hubs: min. largest-supplier degree."),
        hub_top_k: int = typer.Option(2, "--hub-top-k", help="Hubs: suppliers per importer."),
        hub_min_share: float = typer.Option(0.0, "--hub-min-share", help="Hubs: min. share."),
        hub_sectors: str = typer.Option(
            None, "--hub-sectors", help="Hubs: sector-level network of these sectors (c14,…)."
        ),
        no_trade_based: bool = typer.Option(
            False, "--no-trade-based", help="Participation: skip Koopman and ADB trade-based."
        ),
        out: Path = typer.Option(..., "--out", help="Output directory."),
        backend: str = backend_cli.backend_option(),
        scheduler: str = backend_cli.scheduler_option(),
    ) -> None:
        """GVC indicators as tidy Parquet per set plus results.duckdb (views)."""
        try:
            run_indicators(
                source, path, years, sets, groups, groups_file, satellite, satellite_name,
                hub_k_min, hub_top_k, hub_min_share, not no_trade_based, out,
                backend=backend, scheduler=scheduler, hub_sectors=split_list(hub_sectors),
            )  # fmt: skip
        except ChainAtlasError as exc:
            fail(exc)


def run_indicators(
    source: str, path: str | None, years: str | None, sets: str, groups: str | None,
    groups_file: Path | None, satellite: str | Path | None, satellite_name: str,
    hub_k_min: int, hub_top_k: int, hub_min_share: float, trade_based: bool, out: Path,
    *, backend: str = "local", scheduler: str | None = None,
    hub_sectors: list[str] | None = None,
) -> dict[str, Path]:  # fmt: skip
    """Validate the options (before loading any table), compute the panel and write it."""
    from chainatlas import sources
    from chainatlas.indicators.io import write_indicator_panel
    from chainatlas.indicators.sets import parse_sets

    set_names = parse_sets(sets)
    group_names = split_list(groups) or []
    if groups_file is not None and not Path(groups_file).is_file():
        raise ChainAtlasError("group file not found", path=str(groups_file))
    check_groups(group_names, groups_file)
    satellite_is_file = satellite is not None and (
        Path(satellite).is_file() or str(satellite).lower().endswith(".csv")
    )
    if satellite_is_file and not Path(satellite).is_file():
        raise ChainAtlasError("satellite file not found", path=str(satellite))
    if "satellite" in set_names and satellite is None:
        raise ChainAtlasError(
            "the satellite set needs --satellite FILE.csv or --satellite EXTENSION:STRESSOR"
        )
    if satellite is not None and "satellite" not in set_names:
        set_names.append("satellite")
    if Path(out).exists() and not Path(out).is_dir():
        raise ChainAtlasError("--out must be a directory", path=str(out))
    if hub_k_min < 1 or hub_top_k < 1 or not 0 <= hub_min_share <= 1:
        raise ChainAtlasError(
            f"need --hub-k-min >= 1 (got {hub_k_min}), --hub-top-k >= 1 (got {hub_top_k}) and "
            f"0 <= --hub-min-share <= 1 (got {hub_min_share})"
        )
    backend_cli.check(backend, scheduler, None)
    check_output(out, source=source, path=path, groups_file=groups_file, satellite=satellite)
    available = sources.available_years(source, path)
    year_list = parse_years(years, available)
    options = {
        "trade_based": trade_based,
        "hub_k_min": hub_k_min,
        "hub_top_k": hub_top_k,
        "hub_min_share": hub_min_share,
        "satellite_name": satellite_name,
    }
    if hub_sectors:
        options["hub_sectors"] = list(hub_sectors)
    if groups_file is not None:
        options["user_groups"] = Path(groups_file)
    if satellite is not None:
        # a CSV path, or the name of a satellite account the loader attaches to each year
        options["satellite"] = Path(satellite) if satellite_is_file else str(satellite)
    if (backend or "local").lower() != "local":
        # one year per unit on Dask (docs/scaling.md); the same files as the local path
        from chainatlas.execution.adapters import write_indicator_panel_on_backend

        files = write_indicator_panel_on_backend(
            source, path, year_list, out, set_names, group_names, options,
            backend=backend, scheduler=scheduler,
        )  # fmt: skip
    else:
        from rich.progress import Progress  # 12 ms: only for the command that runs

        with Progress(transient=True, disable=len(year_list) < 2) as progress:
            task = progress.add_task(f"indicators {source}", total=len(year_list))
            files = write_indicator_panel(
                source, path, year_list, out, set_names, group_names, options,
                on_year=lambda _year: progress.advance(task),
            )  # fmt: skip
    from chainatlas.util.labels import write_source_note

    write_source_note(out, source, year_list)  # the atlas's source line
    typer.echo(
        f"wrote {len(set_names)} indicator set(s) for {len(year_list)} year(s) to {out} "
        f"({', '.join(sorted(p.name for p in files.values()))})"
    )
    for note in missing_member_notes(files.get("groups")):
        typer.echo(f"note: {note}")
    return files


def missing_member_notes(groups_file: Path | None) -> list[str]:
    """One line per group whose configured members the table lacks (from groups.parquet),
    so the console says what the aggregates leave out, not only the metadata."""
    if groups_file is None or not Path(groups_file).is_file():
        return []
    import pandas as pd

    groups = pd.read_parquet(groups_file)
    missing = groups[groups["status"] == "missing"]
    notes = []
    for name, rows in missing.groupby("group", sort=False):
        members = list(dict.fromkeys(rows["member"]))
        years = sorted(int(y) for y in rows["year"].unique())
        when = "" if len(years) == groups["year"].nunique() else f" in {_years_text(years)}"
        notes.append(
            f"{name}: not in the table{when}: {', '.join(members)} "
            "(aggregates cover the present members only)"
        )
    return notes


def _years_text(years: list[int]) -> str:
    return ", ".join(str(y) for y in years)
