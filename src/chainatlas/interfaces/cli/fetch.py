"""``chainatlas fetch``: download published tables into the cache, verified and resumable."""

from __future__ import annotations

from pathlib import Path

import typer

from chainatlas.interfaces.cli.options import parse_years


def register(app: typer.Typer) -> None:
    @app.command("fetch")
    def fetch_command(
        source: str = typer.Argument(
            None, help="Source to download (wiod2013, wiod2016, adb, oecd-icio)."
        ),
        years: str = typer.Option(
            None, "--years", "--year", help="Year or range, e.g. 2011 or 2010-2011 (default all)."
        ),
        cache: Path = typer.Option(
            None,
            "--cache",
            help="Cache directory (default $CHAINATLAS_CACHE or ~/.cache/chainatlas).",
        ),
        url_base: str = typer.Option(
            None, "--url-base", help="Download from this directory URL (a mirror) instead."
        ),
        list_sources: bool = typer.Option(False, "--list", help="List fetchable sources."),
    ) -> None:
        """Download published tables to CACHE/SOURCE/ with SHA-256 verification.

        Interrupted downloads resume; a file appears under its final name only after its
        checksum verified. Sources without a published checksum are checked against the
        digest recorded on first download (CACHE/SOURCE/manifest.json).
        """
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TaskID,
            TextColumn,
            TransferSpeedColumn,
        )

        from chainatlas.errors import ChainAtlasError
        from chainatlas.sources.fetch import FetchResult, catalogue_entry, fetch, load_catalogue
        from chainatlas.sources.paths import cache_dir

        if list_sources or source is None:
            for name, entry in sorted(load_catalogue().items()):
                where = entry.url_base or "no stable per-file address: give --url-base"
                typer.echo(f"{name:10s} {entry.first_year}-{entry.last_year}  {entry.description}")
                if entry.homepage:
                    typer.echo(f"{'':10s} official download page: {entry.homepage}")
                typer.echo(f"{'':10s} from {where}")
            if source is None and not list_sources:
                raise ChainAtlasError("give a SOURCE to fetch (listed above)")
            return
        entry = catalogue_entry(source)
        wanted = parse_years(years, entry.years) if years is not None else entry.years
        directory = (cache.expanduser() if cache else cache_dir()) / entry.source

        def report(result: FetchResult) -> None:
            size = result.path.stat().st_size / 1e6
            how = {
                "catalogue": "sha256 matches the catalogue",
                "manifest": "sha256 matches the manifest",
                "recorded": "sha256 recorded in manifest.json (publisher gives none)",
            }[result.verified_by]
            verb = {"present": "already present", "downloaded": "downloaded", "resumed": "resumed"}
            typer.echo(f"{result.path.name}: {verb[result.status]} ({size:.2f} MB; {how})")

        tasks: dict[str, TaskID] = {}

        def show(name: str, done: int, total: int | None) -> None:
            # Byte progress per file on stderr (published workbooks are 100+ MB); it
            # disappears when the file is done, leaving the one-line report above.
            if name not in tasks:
                tasks[name] = progress.add_task(name, total=total)
            progress.update(tasks[name], completed=done, total=total)

        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=Console(stderr=True),
            transient=True,
            redirect_stdout=False,  # the per-file lines stay on stdout
            redirect_stderr=False,
        )
        with progress:
            results = fetch(
                entry.source,
                wanted,
                cache=cache,
                url_base=url_base,
                on_file=report,
                progress=show,
            )
        fetched = sum(r.bytes_downloaded for r in results)
        typer.echo(f"{len(results)} file(s) in {directory} ({fetched / 1e6:.2f} MB fetched)")
