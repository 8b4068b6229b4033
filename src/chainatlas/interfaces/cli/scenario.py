"""``chainatlas scenario run|check``: shocks and scenarios declared in a TOML file."""

from __future__ import annotations

from pathlib import Path

import typer

from chainatlas.errors import ChainAtlasError
from chainatlas.execution import cli as backend_cli
from chainatlas.interfaces.cli.options import check_output


def _fail(exc: ChainAtlasError) -> typer.Exit:
    """Same contract as the main entry point: one message on stderr, exit code 2."""
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(2)


def register(app: typer.Typer) -> None:
    scenario_app = typer.Typer(
        help="Shocks and scenarios: demand, supply (Ghosh), extraction, supply cuts, "
        "relocation, tariffs, supply-constrained (non-substitutable inputs), dynamic "
        "(boario ARIO). See docs/scenarios.md.",
        no_args_is_help=True,
    )

    @scenario_app.command("run")
    def run_command(
        file: Path = typer.Argument(..., help="Scenario file (.toml)."),
        out: Path = typer.Option(..., "--out", help="Output directory (created if needed)."),
        path: str = typer.Option(
            None, "--path", help="Directory of the tables (else $CHAINATLAS_DATA, else cache)."
        ),
        fmt: str = typer.Option("parquet", "--format", help="Table format: parquet or csv."),
        trade_store: Path = typer.Option(
            None,
            "--trade-store",
            help="Trade store (trade.duckdb) for tariff lists given as "
            "hs_codes; replaces the file's [trade] store.",
        ),
        backend: str = backend_cli.backend_option(),
        scheduler: str = backend_cli.scheduler_option(),
    ) -> None:
        """Validate and run a scenario; write tidy tables and summary.md to --out."""
        from chainatlas.scenarios import run_scenario

        try:
            if fmt not in ("parquet", "csv"):
                raise ChainAtlasError(f"unknown --format {fmt!r}; use parquet or csv")
            if out.exists() and not out.is_dir():
                raise ChainAtlasError("--out exists and is not a directory", path=str(out))
            check_output(out, path=path, scenario_file=file)
            backend_cli.check(backend, scheduler, None)
            if (backend or "local").lower() != "local" and trade_store is not None:
                raise ChainAtlasError(
                    "--trade-store works with the local backend; on a distributed backend "
                    "name the store in the file's [trade] section"
                )
            if (backend or "local").lower() != "local":
                # each year's shocks on a Dask worker (docs/scaling.md)
                from chainatlas.execution.adapters import run_scenario_on_backend

                result = run_scenario_on_backend(file, path, backend=backend, scheduler=scheduler)
            else:
                result = run_scenario(file, path=path, trade_store=trade_store)
            written = result.write(out, fmt=fmt)
        except ChainAtlasError as exc:
            raise _fail(exc) from None
        typer.echo(result.summary_markdown)
        typer.echo(f"wrote {len(written)} files to {out}")

    @scenario_app.command("check")
    def check_command(
        file: Path = typer.Argument(..., help="Scenario file (.toml)."),
        path: str = typer.Option(
            None, "--path", help="Directory of the tables (else $CHAINATLAS_DATA, else cache)."
        ),
        trade_store: Path = typer.Option(
            None, "--trade-store", help="Trade store for hs_codes tariff lists (as for run)."
        ),
    ) -> None:
        """Validate a scenario file (structure, then labels against its table) without running."""
        from chainatlas.scenarios import check_scenario

        try:
            spec = check_scenario(file, path=path, trade_store=trade_store)
        except ChainAtlasError as exc:
            raise _fail(exc) from None
        kinds = ", ".join(f"{s.id} ({s.kind})" for s in spec.shocks)
        years = ", ".join(map(str, spec.years))
        typer.echo(f"{file}: OK — {spec.source} {years}; {len(spec.shocks)} shock(s): {kinds}")

    app.add_typer(scenario_app, name="scenario")
