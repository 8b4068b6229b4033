"""Growth Lab Atlas bilateral CSV reader for the trade store (ISO3 codes, export values)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from chainatlas.errors import ValidationError
from chainatlas.trade._common import (
    LoadReport,
    _duckdb_csv_error,
    _finish_load,
    _first_line_where,
    _header_fields,
    _year_filter,
)
from chainatlas.trade.concordances import Concordances, normalise_vintage

if TYPE_CHECKING:
    from chainatlas.trade.store import TradeStore


def _refuse_duplicate_atlas_rows(store: TradeStore, file: Path) -> None:
    """One Atlas row per (year, location, partner, product): a repeat would double-count."""
    dup = store.con.execute(
        "SELECT year, i, j, k, count(*) FROM _staging GROUP BY ALL HAVING count(*) > 1 LIMIT 1"
    ).fetchall()
    if not dup:
        return
    year, exporter, importer, code, times = dup[0]

    def same_flow(row: dict) -> bool:
        try:
            nonzero = float(row.get("export_value") or 0) != 0
        except ValueError:
            return False
        return nonzero and (
            row.get("year", "").strip(),
            row.get("location_code", "").strip().upper(),
            row.get("partner_code", "").strip().upper(),
            row.get("hs_product_code", "").strip().zfill(6),
        ) == (str(year), exporter, importer, code)

    line = _first_line_where(file, same_flow, nth=2)
    raise ValidationError(
        f"flow {exporter}->{importer} {code} in {year} appears {times} times (one row per "
        "year, location, partner and product expected)",
        path=str(file),
        location=f"line {line}" if line else None,
    )


def load_atlas(
    store: TradeStore,
    target: Path,
    conc: Concordances,
    vintage: str,
    on_unknown: str,
    years: list[int] | None = None,
    on_overlap: str = "error",
) -> LoadReport:
    """Growth Lab Atlas bilateral file: location_code -> partner_code export_value rows."""
    files = [target] if target.is_file() else sorted(target.glob("atlas_*.csv"))
    report = LoadReport(vintage=normalise_vintage(vintage))
    store._ensure_products(report.vintage, conc)
    needed = ("location_code", "partner_code", "year", "export_value", "hs_product_code")
    for file in files:
        header = _header_fields(file)
        missing = [c for c in needed if c not in header]
        if missing:
            raise ValidationError(
                f"not an Atlas bilateral file: missing columns {missing}",
                path=str(file),
                location="line 1",
            )
        q = str(file).replace("'", "''")
        try:
            store.con.execute(f"""
                CREATE OR REPLACE TEMP TABLE _staging AS
                SELECT CAST(year AS INTEGER) AS year, upper(location_code) AS i,
                       upper(partner_code) AS j,
                       CASE WHEN length(trim(hs_product_code)) > 6 THEN trim(hs_product_code)
                            ELSE lpad(trim(hs_product_code), 6, '0') END AS k,
                       CAST(export_value AS DOUBLE) AS v, NULL::DOUBLE AS q
                FROM read_csv('{q}', header = true, all_varchar = true)
                WHERE CAST(export_value AS DOUBLE) <> 0 AND {_year_filter("year", years)}""")
        except duckdb.Error as exc:
            raise _duckdb_csv_error(
                exc, file, {"year": "int", "export_value": "float", "hs_product_code": "hs"}
            ) from None
        try:
            # Zero export_value rows are the mirrored import side; negatives are errors.
            store._refuse_long_hs_codes(file, "hs_product_code")
            store._refuse_non_finite_values(file, "export_value")
            store._refuse_negative_values(file, "export_value")
            _refuse_duplicate_atlas_rows(store, file)
            store._stage_unknown_iso(file, report.vintage, on_unknown, report)
            store._write_parquet(
                file,
                report.vintage,
                "atlas",
                report,
                value_expr="s.v",
                quantity_expr="s.q",
                on_overlap=on_overlap,
            )
        finally:
            store.con.execute("DROP TABLE IF EXISTS _staging")
    return _finish_load(store, report, "atlas", conc, files, target, years)
