"""UN Comtrade bulk CSV reader for the trade store (new and legacy headers, ISO3 codes)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from chainatlas.errors import ChainAtlasError, DataNotFoundError, ValidationError
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

_COMTRADE_ALIASES: dict[str, tuple[str, ...]] = {
    "year": ("refYear", "Year", "period", "Period"),
    "reporter": ("reporterISO", "Reporter ISO"),
    "partner": ("partnerISO", "Partner ISO"),
    "flow": ("flowCode", "Trade Flow Code"),
    "hs": ("cmdCode", "Commodity Code"),
    "value": ("primaryValue", "Trade Value (US$)"),
    "quantity": ("netWgt", "Netweight (kg)"),
    "classification": ("classificationCode", "Classification"),
}
_COMTRADE_FILTERS: dict[str, str] = {
    "partner2Code": "0",
    "customsCode": "C00",
    "motCode": "0",
    "2nd Partner Code": "0",
}


def load_comtrade(
    store: TradeStore,
    target: Path,
    conc: Concordances,
    vintage: str | None,
    on_unknown: str,
    flow: str,
    years: list[int] | None = None,
) -> LoadReport:
    if flow not in ("import", "export"):
        raise ChainAtlasError("flow must be 'import' (importer-reported) or 'export'")
    files = [target] if target.is_file() else sorted(target.glob("*.csv"))
    if not files:
        raise DataNotFoundError("no Comtrade CSV files found", path=str(target))
    report = LoadReport()
    found_vintages: dict[str, set[str]] = {}
    staged = []
    for file in files:
        header = _header_fields(file)
        cols: dict[str, str] = {}
        for key, names in _COMTRADE_ALIASES.items():
            hit = next((n for n in names if n in header), None)
            if hit is None and key not in ("quantity", "classification"):
                raise ValidationError(
                    f"not a UN Comtrade bulk file: no {key} column (one of {list(names)})",
                    path=str(file),
                    location="line 1",
                )
            if hit:
                cols[key] = hit
        staged.append((file, cols, header))
        if "classification" in cols:
            q = str(file).replace("'", "''")
            try:
                values = {
                    r[0]
                    for r in store.con.execute(
                        f"SELECT DISTINCT \"{cols['classification']}\" FROM read_csv('{q}', "
                        "header=true, all_varchar=true)"
                    ).fetchall()
                }
            except duckdb.Error as exc:
                raise _duckdb_csv_error(exc, file, {}) from None
            found_vintages[file.name] = {normalise_vintage(v) for v in values if v}
    all_vintages = set().union(*found_vintages.values()) if found_vintages else set()
    if vintage:
        all_vintages |= {normalise_vintage(vintage)}
    if len(all_vintages) != 1:
        listing = "; ".join(f"{k}: {', '.join(sorted(v))}" for k, v in found_vintages.items())
        raise ValidationError(
            f"mixed or unknown HS vintages ({', '.join(sorted(all_vintages)) or 'none'}): "
            f"{listing or 'no classification column; pass vintage='}",
            path=str(target),
        )
    file_vintage = all_vintages.pop()
    report.vintage = file_vintage
    store._ensure_products(file_vintage, conc)
    flow_codes = "('M', '1')" if flow == "import" else "('X', '2')"
    for file, cols, header in staged:
        q = str(file).replace("'", "''")
        exporter, importer = (
            ("partner", "reporter") if flow == "import" else ("reporter", "partner")
        )
        filters = (
            " AND ".join(
                f"coalesce(\"{c}\", '{v}') = '{v}'"
                for c, v in _COMTRADE_FILTERS.items()
                if c in header
            )
            or "true"
        )
        qty = f'TRY_CAST("{cols["quantity"]}" AS DOUBLE)' if "quantity" in cols else "NULL"
        try:
            store.con.execute(f"""
                CREATE OR REPLACE TEMP TABLE _raw AS
                SELECT * FROM read_csv('{q}', header = true, all_varchar = true)""")
        except duckdb.Error as exc:
            raise _duckdb_csv_error(exc, file, {}) from None
        too_long = store.con.execute(f"""
            SELECT count(*), any_value("{cols["hs"]}") FROM _raw
            WHERE "{cols["flow"]}" IN {flow_codes} AND length(trim("{cols["hs"]}")) > 6
              AND regexp_full_match(trim("{cols["hs"]}"), '[0-9]+')""").fetchone()
        if too_long[0]:
            hs_column = cols["hs"]
            line = _first_line_where(file, lambda r, c=hs_column: len((r.get(c) or "").strip()) > 6)
            raise ValidationError(
                f"{too_long[0]} product code(s) longer than six digits (e.g. "
                f"{too_long[1]!r}); the store holds HS6 codes",
                path=str(file),
                location=f"line {line}, column {hs_column!r}" if line else None,
            )
        skipped = store.con.execute(f"""
            SELECT count(*) FILTER (WHERE "{cols["flow"]}" NOT IN {flow_codes}),
                   count(*) FILTER (WHERE "{cols["flow"]}" IN {flow_codes}
                                    AND length("{cols["hs"]}") <> 6)
            FROM _raw""").fetchone()
        if skipped[0]:
            report.notes.append(
                f"{file.name}: {skipped[0]} rows of other flows skipped (kept {flow}s as reported)"
            )
        if skipped[1]:
            report.notes.append(f"{file.name}: {skipped[1]} non-HS6 (aggregate) rows skipped")
        bad = store.con.execute(f"""
            SELECT "{cols["year"]}", "{cols["value"]}", "{cols["hs"]}" FROM _raw
            WHERE "{cols["flow"]}" IN {flow_codes} AND length("{cols["hs"]}") = 6 AND (
              TRY_CAST("{cols["value"]}" AS DOUBLE) IS NULL
              OR TRY_CAST(left("{cols["year"]}", 4) AS INTEGER) IS NULL
              OR NOT regexp_full_match("{cols["hs"]}", '[0-9]{{6}}'))
            LIMIT 1""").fetchone()
        if bad is not None:
            checks = {cols["value"]: "float", cols["hs"]: "hs"}
            raise _duckdb_csv_error(ValueError(str(bad)), file, checks)
        store.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _staging AS
            SELECT CAST(left("{cols["year"]}", 4) AS INTEGER) AS year,
                   upper(trim("{cols[exporter]}")) AS i, upper(trim("{cols[importer]}")) AS j,
                   "{cols["hs"]}" AS k, CAST("{cols["value"]}" AS DOUBLE) AS v, {qty} AS q
            FROM _raw
            WHERE "{cols["flow"]}" IN {flow_codes} AND length("{cols["hs"]}") = 6
              AND upper(coalesce("{cols["partner"]}", '')) NOT IN ('W00', 'WLD', '')
              AND {filters} AND {_year_filter(f'left("{cols["year"]}", 4)', years)}""")
        store.con.execute("DROP TABLE _raw")
        try:
            store._refuse_non_finite_values(file, cols["value"])
            store._refuse_negative_values(file, cols["value"])
            store._stage_unknown_iso(file, file_vintage, on_unknown, report)
            store._write_parquet(
                file,
                file_vintage,
                "comtrade",
                report,
                value_expr="s.v",
                quantity_expr="s.q",
                check_overlap=False,
            )
        finally:
            store.con.execute("DROP TABLE IF EXISTS _staging")
    return _finish_load(store, report, "comtrade", conc, files, target, years)
