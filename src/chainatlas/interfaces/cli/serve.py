"""``chainatlas serve``: the local, read-only web atlas over a results directory."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from chainatlas.errors import ChainAtlasError


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve_command(
        results: Path = typer.Option(
            ..., "--results", help="Directory written by indicators/decompose/scenario."
        ),
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback)."),
        port: int = typer.Option(8050, "--port", help="TCP port (0 = any free port)."),
        verbose: bool = typer.Option(False, "--verbose", help="Log every request."),
    ) -> None:
        """Browse results in a local web app: pick indicator, economies, sector, years."""
        from chainatlas.interfaces.web.server import make_server

        if not results.is_dir():
            raise ChainAtlasError("results directory not found", path=str(results))
        if not 0 <= port <= 65535:
            raise ChainAtlasError(f"bad port {port} (use 0..65535)")
        logging.basicConfig(
            level=logging.INFO if verbose else logging.WARNING, format="%(message)s"
        )
        try:
            server = make_server(results, host, port)
        except OSError as exc:
            raise ChainAtlasError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}"
            ) from None
        catalog = server.catalog  # type: ignore[attr-defined]
        for name, reason in catalog.skipped.items():
            if reason.startswith("cannot read"):
                typer.echo(f"warning: skipped {name}: {reason}", err=True)
        if not catalog.tables:
            raise ChainAtlasError(
                "no tidy result tables (Parquet with a 'value' column) found", path=str(results)
            )
        if host not in ("127.0.0.1", "localhost", "::1"):
            typer.echo(f"warning: listening on {host}, reachable from other machines", err=True)
        bound_host, bound_port = server.server_address[:2]
        typer.echo(
            f"web atlas over {results} ({len(catalog.tables)} tables): "
            f"http://{bound_host}:{bound_port}/  (Ctrl-C to stop)"
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            typer.echo("stopped")
        finally:
            server.server_close()
