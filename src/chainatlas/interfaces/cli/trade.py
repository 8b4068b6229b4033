"""``chainatlas trade load|info|convert``, ``chainatlas vulnerability``, ``interdependence``.

Product-level supply-chain analysis on a DuckDB trade store (see docs/trade.md).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import typer

from chainatlas.errors import ChainAtlasError
from chainatlas.interfaces.cli.options import (
    atomic_write,
    check_output,
    parse_years,
    write_table,
)


def _parse_overrides(values: list[str] | None) -> dict[int, str]:
    overrides: dict[int, str] = {}
    for item in values or []:
        code, _, iso3 = item.partition("=")
        if not code.strip().isdigit() or len(iso3.strip()) != 3:
            raise ChainAtlasError(f"--map-country expects CODE=ISO3 (e.g. 380=ITA), got {item!r}")
        overrides[int(code)] = iso3.strip().upper()
    return overrides


def _universe(text: str) -> str | list[str]:
    """'intermediate', 'all', or a comma-separated list of end uses."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    return parts[0] if len(parts) == 1 else parts


def _chosen_universe(universe: str, concordance: str | None, concordances: Path | None, vintage):
    """The --universe text, or an EndUseUniverse when --end-use-concordance names one."""
    if concordance is None:
        return _universe(universe)
    from chainatlas.trade.end_use import end_use_universe

    uses = _universe(universe)
    uses = (uses,) if isinstance(uses, str) else tuple(uses)
    if "all" in uses:
        raise ChainAtlasError("--end-use-concordance selects end uses; --universe all has none")
    return end_use_universe(concordance, vintage, concordances, end_uses=uses)


def _universe_label(chosen) -> str:
    return chosen.describe() if hasattr(chosen, "describe") else f"universe {chosen}"


END_USE_HELP = (
    "End-use concordance for --universe: unsd-majority (the store's), unsd-any, adb-bec4, "
    "adb-bec4-full (see docs/trade.md)."
)


def _check_out_dir(out: Path) -> None:
    """``--out`` names a directory: refuse an existing file before any work is done."""
    if out.exists() and not out.is_dir():
        raise ChainAtlasError(
            "--out must be a directory, but a file of that name exists", path=str(out)
        )


def _check_trade_out(out: Path, db: Path) -> None:
    """``--out`` must not be the trade database or its flows directory."""
    from chainatlas.trade.store import default_flows_dir

    check_output(out, db=db, flows_directory=default_flows_dir(Path(db).expanduser()))


def _remove_new_store(db: Path) -> None:
    """Remove a database this command created, with its (empty) flows directory."""
    import shutil

    from chainatlas.trade.store import default_flows_dir

    for leftover in (db, db.with_name(db.name + ".wal")):
        leftover.unlink(missing_ok=True)
    flows = default_flows_dir(db)
    if flows.is_dir() and not any(flows.rglob("*.parquet")):
        shutil.rmtree(flows, ignore_errors=True)
    with contextlib.suppress(OSError):  # only when empty: another store may share it
        (db.parent / ".duckdb_tmp").rmdir()


def _say_coverage(attrs: dict) -> None:
    """The store's coverage on stderr, and the loud warning when it is not world-wide."""
    if attrs.get("coverage"):
        typer.echo(attrs["coverage"], err=True)
    if attrs.get("coverage_warning"):
        typer.secho(attrs["coverage_warning"], err=True, fg="yellow", bold=True)


def _write_json(data: dict, path: Path) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2, default=str)))


def register(app: typer.Typer) -> None:
    trade_app = typer.Typer(
        help="Build and inspect the product-level trade store.", no_args_is_help=True
    )
    app.add_typer(trade_app, name="trade")

    @trade_app.command("load")
    def load_command(
        source: str = typer.Option("baci", "--source", help="baci, comtrade or atlas."),
        path: Path = typer.Option(..., "--path", help="A trade CSV/zip file or a directory."),
        db: Path = typer.Option(..., "--db", help="DuckDB database (created if missing)."),
        concordances: Path = typer.Option(
            None,
            "--concordances",
            help="UNSD concordance directory (unsd_hs_bec/, unsd_hs_conversion/); default "
            "$CHAINATLAS_CONCORDANCES, $CHAINATLAS_DATA/concordances, or the fetch cache.",
        ),
        vintage: str = typer.Option(None, "--vintage", help="HS vintage if not in file names."),
        country_codes: Path = typer.Option(
            None, "--country-codes", help="BACI country-code file to use."
        ),
        country_encoding: str = typer.Option(
            "latin-1", "--country-encoding", help="Encoding of the country-code file."
        ),
        map_country: list[str] = typer.Option(
            None, "--map-country", help="Extra BACI code, e.g. 380=ITA (repeat)."
        ),
        keep_unknown: bool = typer.Option(
            False,
            "--keep-unknown",
            help="Keep rows with unknown codes (listed, stored as '?code') instead of failing.",
        ),
        flow: str = typer.Option(
            "import", "--flow", help="Comtrade: use importer- or exporter-reported rows."
        ),
        years: str = typer.Option(
            None,
            "--years",
            help="Load only these years, e.g. 2017-2018 (BACI: by file name; Comtrade, Atlas: "
            "by row).",
        ),
        replace: bool = typer.Option(
            False,
            "--replace",
            help="BACI/Atlas: drop flows stored for the same vintage and year from other files "
            "when they overlap the new file (default: refuse, it would double-count).",
        ),
    ) -> None:
        """Load BACI / UN Comtrade bulk / Atlas trade files into a DuckDB+Parquet store."""
        from chainatlas.trade.store import TradeStore

        check_output(db, path=path)
        years_list = parse_years(years) if years is not None else None
        fresh = not Path(db).expanduser().exists()
        try:
            with TradeStore(db) as store:
                report = store.load(
                    source,
                    path,
                    concordances=concordances,
                    vintage=vintage,
                    country_codes=country_codes,
                    country_encoding=country_encoding,
                    country_overrides=_parse_overrides(map_country),
                    on_unknown="keep" if keep_unknown else "error",
                    flow=flow,
                    years=years_list,
                    on_overlap="replace" if replace else "error",
                )
        except BaseException:
            if fresh:  # a failed first load leaves no empty database behind
                _remove_new_store(Path(db).expanduser())
            raise
        typer.echo(report.summary())
        for note in report.notes:
            typer.echo(f"note: {note}")
        if len(report.unknown_codes):
            typer.echo("unknown codes (kept; also in table unknown_codes):")
            typer.echo(report.unknown_codes.to_string(index=False))

    @trade_app.command("info")
    def info_command(db: Path = typer.Option(..., "--db", help="DuckDB trade database.")) -> None:
        """Vintages, years, rows and value held in the store."""
        from chainatlas.trade.store import open_store

        with open_store(db) as store:
            frame = store.sql(
                "SELECT vintage, year, CAST(sum(rows) AS BIGINT) AS rows, sum(value) AS value_usd, "
                "count(*) AS files FROM loads GROUP BY ALL ORDER BY ALL"
            )
            unknown = store.sql("SELECT * FROM unknown_codes")
        typer.echo(frame.to_string(index=False))
        if len(unknown):
            typer.echo("unknown codes kept:")
            typer.echo(unknown.to_string(index=False))

    @trade_app.command("convert")
    def convert_command(
        db: Path = typer.Option(..., "--db", help="DuckDB trade database."),
        source: str = typer.Option(..., "--from", help="Vintage held, e.g. HS17."),
        target: str = typer.Option(..., "--to", help="Vintage wanted, e.g. HS92."),
        concordances: Path = typer.Option(
            None, "--concordances", help="UNSD concordance directory."
        ),
    ) -> None:
        """Re-code flows to another HS vintage with the UNSD conversion tables."""
        from chainatlas.trade.store import TradeStore

        with TradeStore(db) as store:
            report = store.convert_vintage(source, target, concordances)
        typer.echo(f"converted {source} -> {target}: " + report.summary())

    @trade_app.command("topk")
    def topk_command(
        db: Path = typer.Option(..., "--db", help="DuckDB trade database."),
        years: str = typer.Option(None, "--years", "--year", help="Window, e.g. 2017-2018."),
        k: int = typer.Option(3, "--k", help="Top-k."),
        universe: str = typer.Option("intermediate", "--universe"),
        end_use_concordance: str = typer.Option(
            None, "--end-use-concordance", help=END_USE_HELP
        ),
        concordances: Path = typer.Option(
            None, "--concordances", help="Concordance directory (for --end-use-concordance)."
        ),
        high_centrality: float = typer.Option(
            None,
            "--high-centrality-quantile",
            help="Count only products whose mean export centrality is at least this quantile "
            "(e.g. 0.75; S0's high-centrality products).",
        ),
        centrality: str = typer.Option(
            "freeman", "--centrality", help="freeman, hhi, hits or pagerank."
        ),
        vintage: str = typer.Option(None, "--vintage"),
        out: Path = typer.Option(..., "--out", help="Output .csv, .parquet, .xlsx or .dta."),
    ) -> None:
        """Top-k and first-place counts of every exporter (METHODS §10.2)."""
        _check_trade_out(out, db)
        from chainatlas.trade.indicators import topk_counts
        from chainatlas.trade.store import open_store

        with open_store(db) as store:
            chosen = store.resolve_vintage(vintage)
            chosen_universe = _chosen_universe(
                universe, end_use_concordance, concordances, chosen
            )
            frame = topk_counts(
                store,
                parse_years(years, store.years(chosen)),
                k=k,
                vintage=chosen,
                universe=chosen_universe,
                high_centrality_quantile=high_centrality,
                centrality=centrality,
            )
        _say_coverage(frame.attrs)
        write_table(frame, out)
        typer.echo(f"wrote {len(frame):,} exporters to {out} ({_universe_label(chosen_universe)})")
        if high_centrality is not None:
            threshold = frame.attrs.get("centrality_threshold")
            if threshold is None or threshold != threshold:  # no product in the universe
                typer.echo(
                    f"high-centrality products: none (no product of the universe has a "
                    f"{centrality} value in this store)"
                )
            else:
                typer.echo(
                    f"high-centrality products ({centrality} >= quantile {high_centrality}: "
                    f"{threshold:.4f}): {frame.attrs['n_high_centrality']:,}"
                )

    @trade_app.command("eu-screen")
    def eu_screen_command(
        db: Path = typer.Option(..., "--db", help="DuckDB trade database."),
        importer: str = typer.Option("EU27", "--importer", help="Country or group."),
        year: int = typer.Option(..., "--year"),
        hhi: float = typer.Option(0.4, "--hhi-threshold"),
        extra_share: float = typer.Option(0.5, "--extra-share-threshold"),
        import_export: float = typer.Option(1.0, "--import-export-threshold"),
        universe: str = typer.Option("all", "--universe"),
        vintage: str = typer.Option(None, "--vintage"),
        out: Path = typer.Option(..., "--out", help="Output .csv, .parquet, .xlsx or .dta."),
    ) -> None:
        """EU 2021 strategic-dependency screen for a country or group (METHODS §10.7)."""
        _check_trade_out(out, db)
        from chainatlas.trade.indicators import strategic_dependency_screen
        from chainatlas.trade.store import open_store

        with open_store(db) as store:
            frame = strategic_dependency_screen(
                store,
                importer,
                year,
                vintage=vintage,
                hhi_threshold=hhi,
                extra_share_threshold=extra_share,
                import_export_threshold=import_export,
                universe=_universe(universe),
            )
        share = frame.attrs.get("dependent_value_share", 0.0)
        _say_coverage(frame.attrs)
        write_table(frame, out)
        typer.echo(
            f"{int(frame['dependent'].sum()):,} dependent products of {len(frame):,} "
            f"({share:.1%} of extra-group import value); written to {out}"
        )

    @trade_app.command("supply-risk")
    def supply_risk_command(
        db: Path = typer.Option(..., "--db", help="DuckDB trade database."),
        importer: str = typer.Option(..., "--importer"),
        distances: Path = typer.Option(
            ..., "--distances", help="CSV with country_a, country_b, distance."
        ),
        years: str = typer.Option(None, "--years", "--year"),
        lam: float = typer.Option(1.0, "--lambda", help="Weight of political distance."),
        missing_distance: float = typer.Option(
            None, "--missing-distance", help="Raw distance for suppliers not in the table."
        ),
        universe: str = typer.Option("intermediate", "--universe"),
        vintage: str = typer.Option(None, "--vintage"),
        out: Path = typer.Option(
            ..., "--out", help="Output .csv, .parquet, .xlsx or .dta (per year)."
        ),
    ) -> None:
        """Economic and political-relation-adjusted supply risk (METHODS §10.8)."""
        _check_trade_out(out, db)
        from chainatlas.trade.indicators import political_risk, read_distance_table
        from chainatlas.trade.store import open_store

        table = read_distance_table(distances)
        with open_store(db) as store:
            chosen = store.resolve_vintage(vintage)
            result = political_risk(
                store,
                importer,
                table,
                parse_years(years, store.years(chosen)),
                vintage=chosen,
                lam=lam,
                universe=_universe(universe),
                missing_distance=missing_distance,
            )
        frame = result["by_year"].assign(importer=result["importer"], lam=lam)
        write_table(frame, out)
        typer.echo(
            f"{result['importer']}: R_econ {result['r_econ']:.4f}, R_pol "
            f"{result['r_pol']:.4f} (+{result['relative_increase']:.1%}); written to {out}"
        )
        if len(result["missing"]):
            typer.echo(
                "suppliers given --missing-distance: " + ", ".join(result["missing"]["supplier"])
            )

    @trade_app.command("end-use")
    def end_use_command(
        db: Path = typer.Option(..., "--db", help="DuckDB trade database."),
        exporter: str = typer.Option(None, "--exporter", help="Country or group (omit: world)."),
        importer: str = typer.Option(None, "--importer", help="Country or group (omit: world)."),
        years: str = typer.Option(None, "--years", "--year"),
        vintage: str = typer.Option(None, "--vintage"),
        out: Path = typer.Option(..., "--out", help="Output .csv, .parquet, .xlsx or .dta."),
    ) -> None:
        """Bilateral exports by BEC end use and year (e.g. CHN -> VNM)."""
        _check_trade_out(out, db)
        from chainatlas.trade.indicators import end_use_composition
        from chainatlas.trade.store import open_store

        with open_store(db) as store:
            chosen = store.resolve_vintage(vintage)
            frame = end_use_composition(
                store, exporter, importer, parse_years(years, store.years(chosen)), vintage=chosen
            )
        if frame.empty:
            raise ChainAtlasError(
                f"no flows to write: {frame.attrs.get('why_empty', 'empty selection')}",
                path=str(db),
            )
        write_table(frame, out)
        typer.echo(f"wrote {len(frame):,} rows to {out}")

    @app.command("vulnerability")
    def vulnerability_command(
        db: Path = typer.Option(..., "--db", help="DuckDB trade database."),
        importer: str = typer.Option(..., "--importer", help="ISO3 code of the importer."),
        years: str = typer.Option(None, "--years", "--year", help="e.g. 2017-2018."),
        out: Path = typer.Option(..., "--out", help="Output directory."),
        vintage: str = typer.Option(None, "--vintage", help="HS vintage (if several loaded)."),
        centrality: str = typer.Option(
            "freeman", "--centrality", help="freeman, hhi, hits or pagerank."
        ),
        centrality_quantile: float = typer.Option(0.75, "--centrality-quantile"),
        hhi_quantile: float = typer.Option(0.75, "--hhi-quantile"),
        universe: str = typer.Option(
            "intermediate", "--universe", help="intermediate (BEC end use), all, capital, …"
        ),
        fmt: str = typer.Option("parquet", "--format", help="Per-product table: parquet or csv."),
        top_k: int = typer.Option(3, "--top-k", help="Also write top-k exporter counts."),
        end_use_concordance: str = typer.Option(
            None, "--end-use-concordance", help=END_USE_HELP
        ),
        concordances: Path = typer.Option(
            None, "--concordances", help="Concordance directory (for --end-use-concordance)."
        ),
    ) -> None:
        """Four-class screen, class shares and HS2 composite vulnerability for one importer."""
        _check_trade_out(out, db)
        from chainatlas.trade.indicators import topk_counts, vulnerability_screen
        from chainatlas.trade.store import open_store

        if fmt not in ("parquet", "csv"):
            raise ChainAtlasError(f"--format must be parquet or csv, not {fmt!r}")
        _check_out_dir(out)
        with open_store(db) as store:
            chosen_vintage = store.resolve_vintage(vintage)
            year_list = parse_years(years, store.years(chosen_vintage))
            chosen_universe = _chosen_universe(
                universe, end_use_concordance, concordances, chosen_vintage
            )
            result = vulnerability_screen(
                store,
                importer,
                year_list,
                vintage=chosen_vintage,
                centrality=centrality,
                centrality_quantile=centrality_quantile,
                hhi_quantile=hhi_quantile,
                universe=chosen_universe,
            )
            counts = topk_counts(
                store, year_list, k=top_k, vintage=chosen_vintage, universe=chosen_universe
            )
        _say_coverage(result.parameters)
        out.mkdir(parents=True, exist_ok=True)
        write_table(result.products, out / f"products.{fmt}")
        write_table(result.classes, out / "classes.csv")
        write_table(result.chapters, out / "hs2_ranking.csv")
        write_table(result.thresholds, out / "thresholds.csv")
        write_table(counts, out / f"top{top_k}_counts.csv")
        _write_json(
            {
                "importer": result.importer,
                "vintage": result.vintage,
                "years": result.years,
                "database": str(db),
                "product_universe": _universe_label(chosen_universe),
                **result.parameters,
            },
            out / "parameters.json",
        )
        typer.echo(
            f"{result.importer} {result.vintage} {', '.join(map(str, result.years))}: "
            f"{len(result.products):,} product-years screened; results in {out}"
        )
        for year, part in result.classes.groupby("year"):
            counts_text = " / ".join(str(int(n)) for n in part["n_products"])
            top = result.chapters[result.chapters["year"] == year].head(3)["hs2"].tolist()
            typer.echo(f"  {year}: classes 1-4 = {counts_text}; top HS2 by CVI: {', '.join(top)}")

    @app.command("interdependence")
    def interdependence_command(
        input: Path = typer.Option(..., "--input", help="Yearly series CSV (docs/trade.md)."),
        out: Path = typer.Option(..., "--out", help="Output directory."),
        weights: str = typer.Option(
            "0.4,0.3,0.2,0.1", "--weights", help="Trade, investment, liberalisation, technology."
        ),
    ) -> None:
        """Composite bilateral interdependence index (METHODS §12)."""
        check_output(out, input=input)
        from chainatlas.trade.interdependence import composite_interdependence, read_series

        _check_out_dir(out)
        try:
            weight_values = [float(w) for w in weights.split(",")]
        except ValueError:
            raise ChainAtlasError(f"--weights must be four numbers, got {weights!r}") from None
        series = read_series(input)
        result = composite_interdependence(series, weight_values)
        out.mkdir(parents=True, exist_ok=True)
        write_table(result.table, out / "interdependence.csv")
        _write_json(
            {"input": str(input), "weights": result.weights, "notes": result.notes},
            out / "parameters.json",
        )
        typer.echo(f"D for {len(result.table)} years written to {out / 'interdependence.csv'}")
        for note in result.notes:
            typer.echo(f"note: {note}")
