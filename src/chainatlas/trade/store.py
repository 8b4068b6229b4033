"""The trade data store: an embedded DuckDB database with the flows kept as Parquet files.

Layout for ``trade.duckdb``::

    trade.duckdb                      countries, products, vintages, loads, unknown_codes
    trade_flows/vintage=HS92/year=2021/<source>-<file>.parquet
                                      exporter, importer (ISO3), hs6, value (USD), quantity

Every connection gets a temporary view ``flows`` (year, vintage, exporter, importer, hs6,
value, quantity) over the Parquet files (hive partitions), and ``product_universe`` =
intermediate HS6 lines of ``products``. Loading never passes the flows through pandas:
DuckDB reads the CSV straight into a staging table, checks it, and writes Parquet.
"""

from __future__ import annotations

import codecs
import datetime as dt
import math
import os
import re
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandas as pd

from chainatlas.core.model import MAX_ABS_VALUE
from chainatlas.errors import ChainAtlasError, DataNotFoundError, ValidationError
from chainatlas.trade import atlas, baci, comtrade
from chainatlas.trade._common import (
    LoadReport,
    UnknownCodesError,
    _first_line_where,
)
from chainatlas.trade.baci import BACI_COLUMNS, read_country_codes, read_product_codes
from chainatlas.trade.concordances import Concordances, load_concordances, normalise_vintage

__all__ = [
    "BACI_COLUMNS",
    "LoadReport",
    "TradeStore",
    "UnknownCodesError",
    "open_store",
    "read_country_codes",
    "read_product_codes",
]


def default_flows_dir(db_path: Path) -> Path:
    return db_path.with_name(db_path.stem + "_flows")


class TradeStore:
    """A DuckDB trade database (see module docstring). Use as a context manager."""

    def __init__(
        self,
        db_path: str | os.PathLike[str],
        *,
        read_only: bool = False,
        memory_limit: str = "3GB",
        threads: int | None = None,
    ):
        self.path = Path(db_path).expanduser()
        if read_only and not self.path.exists():
            raise DataNotFoundError(
                "no trade database here (run 'chainatlas trade load')", path=str(self.path)
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.flows_dir = default_flows_dir(self.path)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            raise ChainAtlasError(
                f"cannot open DuckDB database ({exc})", path=str(self.path)
            ) from None
        self.con.execute(f"SET memory_limit='{memory_limit}'")
        self.con.execute("SET preserve_insertion_order=false")
        if threads:
            self.con.execute(f"SET threads={int(threads)}")
        if not read_only:
            self.con.execute(f"SET temp_directory='{self.path.parent / '.duckdb_tmp'}'")
            self._create_schema()
        self._create_views()

    # --- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> TradeStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _create_schema(self) -> None:
        self.con.execute("""
            CREATE TABLE IF NOT EXISTS countries (
                source VARCHAR, code INTEGER, iso3 VARCHAR, name VARCHAR);
            CREATE TABLE IF NOT EXISTS products (
                vintage VARCHAR, hs6 VARCHAR, hs4 VARCHAR, hs2 VARCHAR, bec VARCHAR,
                end_use VARCHAR, split_line BOOLEAN, bec_source VARCHAR, description VARCHAR,
                concordance_version VARCHAR);
            CREATE TABLE IF NOT EXISTS vintages (
                vintage VARCHAR, source VARCHAR, release VARCHAR, concordance_dir VARCHAR,
                concordance_version VARCHAR, loaded_at TIMESTAMP);
            CREATE TABLE IF NOT EXISTS loads (
                file VARCHAR, parquet VARCHAR, source VARCHAR, vintage VARCHAR, year INTEGER,
                rows BIGINT, value DOUBLE, loaded_at TIMESTAMP);
            CREATE TABLE IF NOT EXISTS unknown_codes (
                file VARCHAR, kind VARCHAR, code VARCHAR, rows BIGINT, value DOUBLE);
        """)

    def _create_views(self) -> None:
        files = list(self.flows_dir.glob("vintage=*/year=*/*.parquet"))
        if files:
            pattern = str(self.flows_dir / "*" / "*" / "*.parquet").replace("'", "''")
            self.con.execute(f"""
                CREATE OR REPLACE TEMP VIEW flows AS
                SELECT CAST(year AS INTEGER) AS year, CAST(vintage AS VARCHAR) AS vintage,
                       exporter, importer, hs6, value, quantity
                FROM read_parquet('{pattern}', hive_partitioning = true)""")
        else:
            self.con.execute("""
                CREATE OR REPLACE TEMP VIEW flows AS
                SELECT NULL::INTEGER AS year, NULL::VARCHAR AS vintage, NULL::VARCHAR AS exporter,
                       NULL::VARCHAR AS importer, NULL::VARCHAR AS hs6, NULL::DOUBLE AS value,
                       NULL::DOUBLE AS quantity
                WHERE false""")
        self.con.execute("""
            CREATE OR REPLACE TEMP VIEW product_universe AS
            SELECT * FROM products WHERE end_use = 'intermediate'""")

    # --- queries --------------------------------------------------------------------------
    def sql(self, query: str, params: list | None = None) -> pd.DataFrame:
        """Run SQL against the store and return a (small) pandas DataFrame."""
        return self.con.execute(query, params or []).df()

    def vintages(self) -> list[str]:
        return [
            r[0]
            for r in self.con.execute(
                "SELECT DISTINCT vintage FROM loads ORDER BY vintage"
            ).fetchall()
        ]

    def years(self, vintage: str | None = None) -> list[int]:
        vintage = self.resolve_vintage(vintage)
        return [
            r[0]
            for r in self.con.execute(
                "SELECT DISTINCT year FROM loads WHERE vintage = ? ORDER BY year", [vintage]
            ).fetchall()
        ]

    def resolve_vintage(self, vintage: str | None) -> str:
        """The vintage to analyse: the given one, else the only one loaded (mixed is an error)."""
        loaded = self.vintages()
        if not loaded:
            raise DataNotFoundError("the trade database holds no flows yet", path=str(self.path))
        if vintage is None:
            if len(loaded) > 1:
                raise ChainAtlasError(
                    f"the database holds several HS vintages ({', '.join(loaded)}); choose one "
                    "(--vintage) or convert to a common one with convert_vintage()",
                    path=str(self.path),
                )
            return loaded[0]
        vintage = normalise_vintage(vintage)
        if vintage not in loaded:
            raise ChainAtlasError(
                f"vintage {vintage} not loaded (have {', '.join(loaded)})", path=str(self.path)
            )
        return vintage

    def countries(self) -> list[str]:
        return [
            r[0]
            for r in self.con.execute(
                "SELECT DISTINCT exporter FROM flows UNION SELECT DISTINCT importer FROM flows"
            ).fetchall()
        ]

    # --- products ----------------------------------------------------------------------------
    def _ensure_products(
        self, vintage: str, concordances: Concordances, descriptions: pd.DataFrame | None = None
    ) -> None:
        have = self.con.execute(
            "SELECT count(*) FROM products WHERE vintage = ? AND concordance_version = ?",
            [vintage, concordances.version],
        ).fetchone()[0]
        if have and descriptions is None:
            return
        classes = concordances.classify(vintage)
        classes.insert(0, "vintage", vintage)
        classes["description"] = None
        if descriptions is not None and len(descriptions):
            lookup = dict(zip(descriptions["hs6"], descriptions["description"], strict=True))
            classes["description"] = classes["hs6"].map(lookup)
            extra = sorted(set(lookup) - set(classes["hs6"]))
            if extra:
                add = pd.DataFrame(
                    {
                        "vintage": vintage,
                        "hs6": extra,
                        "hs4": [c[:4] for c in extra],
                        "hs2": [c[:2] for c in extra],
                        "bec": "",
                        "end_use": "unclassified",
                        "split_line": False,
                        "bec_source": "product codes file only",
                        "description": [lookup[c] for c in extra],
                    }
                )
                classes = pd.concat([classes, add], ignore_index=True)
        classes["concordance_version"] = concordances.version
        # One row per code: a duplicate would double every flow joined to it.
        assert classes["hs6"].is_unique, "duplicate HS6 codes in the product table"
        self.con.execute("DELETE FROM products WHERE vintage = ?", [vintage])
        self.con.register("_classes", classes)
        self.con.execute(
            "INSERT INTO products SELECT vintage, hs6, hs4, hs2, bec, end_use, "
            "split_line, bec_source, description, concordance_version FROM _classes"
        )
        self.con.unregister("_classes")

    # --- loading ----------------------------------------------------------------------------
    def load(
        self,
        source: str,
        path: str | os.PathLike[str],
        *,
        concordances: str | os.PathLike[str] | Concordances | None = None,
        vintage: str | None = None,
        country_codes: str | os.PathLike[str] | None = None,
        country_encoding: str = "latin-1",
        country_overrides: dict[int, str] | None = None,
        on_unknown: str = "error",
        flow: str = "import",
        years: Iterable[int] | None = None,
        on_overlap: str = "error",
    ) -> LoadReport:
        """Load trade files into the store.

        ``source``: "baci" (CSV files or zip archives; a directory is searched), "comtrade"
        (UN Comtrade bulk CSV, new or legacy headers) or "atlas" (Growth Lab bilateral CSV).
        ``on_unknown``: "error" (default; the error lists every unknown code) or "keep" (rows
        kept under the raw code, codes listed in the report and the ``unknown_codes`` table).
        ``years``: load only these years (BACI: the yearly files, by file name; Comtrade and
        Atlas: the rows of these years).
        ``on_overlap``: BACI and Atlas — a flow (exporter, importer, hs6) of a year already
        stored from another file is an error ("error", default) or the other file(s) of that
        vintage-year are dropped ("replace"). Re-loading a file under the same name always
        replaces it.
        """
        if on_unknown not in ("error", "keep"):
            raise ChainAtlasError(f"on_unknown must be 'error' or 'keep', not {on_unknown!r}")
        if on_overlap not in ("error", "replace"):
            raise ChainAtlasError(f"on_overlap must be 'error' or 'replace', not {on_overlap!r}")
        try:
            codecs.lookup(country_encoding)
        except (LookupError, TypeError):
            raise ChainAtlasError(
                f"unknown country-code file encoding {country_encoding!r} (CLI: "
                "--country-encoding); use e.g. latin-1, cp1252 or utf-8"
            ) from None
        if source.lower() not in ("baci", "comtrade", "atlas"):
            raise ChainAtlasError(f"unknown trade source {source!r}: baci, comtrade or atlas")
        conc = (
            concordances
            if isinstance(concordances, Concordances)
            else load_concordances(concordances)
        )
        source = source.lower()
        year_list = None if years is None else sorted({int(y) for y in years})
        target = Path(path).expanduser()
        if not target.exists():
            raise DataNotFoundError("no such file or directory", path=str(target))
        if source == "baci":
            return baci.load_baci(
                self,
                target,
                conc,
                vintage,
                country_codes,
                country_encoding,
                country_overrides or {},
                on_unknown,
                years=year_list,
                on_overlap=on_overlap,
            )
        if source == "comtrade":
            return comtrade.load_comtrade(
                self, target, conc, vintage, on_unknown, flow, years=year_list
            )
        if source == "atlas":
            return atlas.load_atlas(
                self,
                target,
                conc,
                vintage or "HS92",
                on_unknown,
                years=year_list,
                on_overlap=on_overlap,
            )
        raise ChainAtlasError(f"unknown trade source {source!r}: baci, comtrade or atlas")

    def _refuse_negative_values(self, file: Path, value_column: str) -> None:
        """Trade values are >= 0; a negative one is an error naming its line and column."""
        row = self.con.execute(
            "SELECT count(*), any_value(v) FROM _staging WHERE v < 0"
        ).fetchall()[0]
        if not row[0]:
            return

        def negative(record: dict) -> bool:
            try:
                return float(record.get(value_column) or 0) < 0
            except ValueError:
                return False

        line = _first_line_where(file, negative)
        raise ValidationError(
            f"{row[0]} negative trade value(s) (e.g. {row[1]}); values must be >= 0",
            path=str(file),
            location=f"line {line}, column {value_column!r}"
            if line
            else f"column {value_column!r}",
        )

    def _refuse_long_hs_codes(self, file: Path, hs_column: str) -> None:
        """An HS code of more than six digits is a national tariff line or a typo: refused."""
        row = self.con.execute(
            "SELECT count(*), any_value(k) FROM _staging WHERE length(k) > 6"
        ).fetchall()[0]
        if not row[0]:
            return
        line = _first_line_where(file, lambda r: len((r.get(hs_column) or "").strip()) > 6)
        raise ValidationError(
            f"{row[0]} product code(s) longer than six digits (e.g. {row[1]!r}); the store "
            "holds HS6 codes — aggregate national tariff lines to HS6 first",
            path=str(file),
            location=f"line {line}, column {hs_column!r}" if line else f"column {hs_column!r}",
        )

    def _refuse_non_finite_values(self, file: Path, value_column: str, scale: float = 1.0) -> None:
        """NaN, inf and values whose sums would overflow (|v| * scale > 1e100) are errors."""
        limit = MAX_ABS_VALUE / scale
        row = self.con.execute(
            "SELECT count(*), CAST(any_value(v) AS VARCHAR) FROM _staging "
            "WHERE isnan(v) OR isinf(v) OR abs(v) > ?",
            [limit],
        ).fetchall()[0]
        if not row[0]:
            return

        def bad(record: dict) -> bool:
            try:
                value = float(record.get(value_column) or 0)
            except ValueError:
                return False
            return not math.isfinite(value) or abs(value) > limit

        line = _first_line_where(file, bad)
        raise ValidationError(
            f"{row[0]} trade value(s) that are NaN, infinite or beyond ±{limit:.0e} (e.g. "
            f"{row[1]}); values must be finite amounts",
            path=str(file),
            location=f"line {line}, column {value_column!r}"
            if line
            else f"column {value_column!r}",
        )

    def _write_parquet(
        self,
        file: Path,
        vintage: str,
        source: str,
        report: LoadReport,
        *,
        value_expr: str,
        quantity_expr: str,
        on_overlap: str = "error",
        check_overlap: bool = True,
    ) -> None:
        """Write the staged rows as one Parquet file per year.

        Files already stored for the same vintage and year from *other* source files are
        checked for flows (exporter, importer, hs6) that the new file also holds: adding both
        would double-count them, so that is an error unless ``on_overlap="replace"`` (the
        other files are then removed). Comtrade loads skip the check (``check_overlap``):
        monthly files of one reporter legitimately share keys.
        """
        # BACI rows carry numeric country codes (mapped here); other sources carry ISO3.
        numeric = (
            self.con.execute(
                "SELECT data_type FROM information_schema.columns WHERE table_name = '_staging' "
                "AND column_name = 'i'"
            ).fetchone()[0]
            == "INTEGER"
        )
        if numeric:
            exporter = "coalesce(ce.iso3, '?' || CAST(s.i AS VARCHAR))"
            importer = "coalesce(ci.iso3, '?' || CAST(s.j AS VARCHAR))"
            joins = """
                  LEFT JOIN (SELECT code, iso3 FROM countries WHERE source = 'baci') ce
                         ON s.i = ce.code
                  LEFT JOIN (SELECT code, iso3 FROM countries WHERE source = 'baci') ci
                         ON s.j = ci.code"""
        else:
            exporter, importer, joins = "s.i", "s.j", ""
        years = [
            r[0]
            for r in self.con.execute("SELECT DISTINCT year FROM _staging ORDER BY year").fetchall()
        ]
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", file.stem)
        replaced: list[Path] = []
        if check_overlap:
            # Check every year before writing any, so a refused load leaves the store as it was.
            for year in years:
                out_dir = self.flows_dir / f"vintage={vintage}" / f"year={year}"
                target = out_dir / f"{source}-{stem}.parquet"
                others = sorted(p for p in out_dir.glob("*.parquet") if p != target)
                if not others:
                    continue
                listing = ", ".join("'" + str(p).replace("'", "''") + "'" for p in others)
                n_overlap, example = self.con.execute(f"""
                    WITH new AS (
                      SELECT DISTINCT {exporter} AS exporter, {importer} AS importer,
                             lpad(s.k, 6, '0') AS hs6
                      FROM _staging s {joins} WHERE s.year = {int(year)}),
                    old AS (SELECT DISTINCT exporter, importer, hs6 FROM read_parquet([{listing}]))
                    SELECT count(*), any_value(new.exporter || '->' || new.importer || ' '
                                               || new.hs6)
                    FROM new JOIN old USING (exporter, importer, hs6)""").fetchall()[0]
                if not n_overlap:
                    continue
                if on_overlap == "replace":
                    replaced.extend(others)
                    continue
                held = ", ".join(p.name for p in others)
                raise ValidationError(
                    f"{n_overlap:,} flow(s) of {vintage} {year} (e.g. {example}) are already "
                    f"stored from another file ({held}); adding them would double-count. Load "
                    "a file under the name it was first loaded with to replace it, or pass "
                    "on_overlap='replace' (CLI: --replace) to drop the other file(s) of that "
                    "year",
                    path=str(file),
                )
        for year in years:
            out_dir = self.flows_dir / f"vintage={vintage}" / f"year={year}"
            out_dir.mkdir(parents=True, exist_ok=True)
            target = out_dir / f"{source}-{stem}.parquet"
            tmp = out_dir / f".{target.name}.tmp"
            # Unknown codes (kept on request) appear under their raw code prefixed with '?'.
            self.con.execute(f"""
                COPY (
                  SELECT {exporter} AS exporter,
                         {importer} AS importer,
                         lpad(s.k, 6, '0') AS hs6,
                         {value_expr} AS value,
                         {quantity_expr} AS quantity
                  FROM _staging s {joins}
                  WHERE s.year = {int(year)}
                  ORDER BY hs6
                ) TO '{str(tmp).replace("'", "''")}' (FORMAT PARQUET, COMPRESSION ZSTD)""")
            os.replace(tmp, target)
            for old_file in [p for p in replaced if p.parent == out_dir]:
                old_file.unlink(missing_ok=True)
                self.con.execute("DELETE FROM loads WHERE parquet = ?", [str(old_file)])
                report.notes.append(f"replaced {old_file.name} ({vintage} {year})")
            rows, value = self.con.execute(
                f"SELECT count(*), sum({value_expr}) FROM _staging s WHERE s.year = ?", [year]
            ).fetchone()
            self.con.execute("DELETE FROM loads WHERE parquet = ?", [str(target)])
            others = self.con.execute(
                "SELECT file FROM loads WHERE vintage = ? AND year = ?", [vintage, year]
            ).fetchall()
            if others:
                report.notes.append(
                    f"{vintage} {year} now also holds {', '.join(Path(o[0]).name for o in others)}"
                    f" besides {file.name}: flows of all files are added"
                    + (
                        " (checked: no flow is in two files)"
                        if check_overlap
                        else ", make sure they do not overlap"
                    )
                )
            self.con.execute(
                "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [str(file), str(target), source, vintage, year, rows, value, dt.datetime.now()],
            )
            report.rows += rows
            report.value += value or 0.0
            if year not in report.years:
                report.years.append(year)

    def _record_vintage(self, vintage: str, source: str, release: str, conc: Concordances) -> None:
        self.con.execute("DELETE FROM vintages WHERE vintage = ? AND source = ?", [vintage, source])
        self.con.execute(
            "INSERT INTO vintages VALUES (?, ?, ?, ?, ?, ?)",
            [vintage, source, release, str(conc.root), conc.version, dt.datetime.now()],
        )

    def _stage_unknown_iso(
        self, file: Path, vintage: str, on_unknown: str, report: LoadReport
    ) -> None:
        """ISO3-coded sources: a code is unknown if it is not three letters/digits."""
        table = self.con.execute(
            """
            WITH c AS (SELECT i AS code, 'exporter' AS kind, v FROM _staging
                       UNION ALL SELECT j, 'importer', v FROM _staging)
            SELECT kind, code, count(*) AS rows, sum(v) AS value FROM c
            WHERE code IS NULL OR NOT regexp_full_match(code, '[A-Z0-9_]{3}')
            GROUP BY kind, code
            UNION ALL
            SELECT 'hs6', k, count(*), sum(v) FROM _staging
            WHERE k NOT IN (SELECT hs6 FROM products WHERE vintage = ?) GROUP BY k
            ORDER BY 1, 2""",
            [vintage],
        ).df()
        if len(table):
            table.insert(0, "file", file.name)
            if on_unknown == "error":
                raise UnknownCodesError(f"{len(table)} unknown code(s)", table, path=str(file))
            report.unknown_codes = pd.concat([report.unknown_codes, table], ignore_index=True)
            self.con.register("_unknown", table)
            self.con.execute(
                "INSERT INTO unknown_codes SELECT file, kind, code, rows, value FROM _unknown"
            )
            self.con.unregister("_unknown")

    # --- vintage conversion -----------------------------------------------------------------
    def convert_vintage(
        self,
        source: str,
        target: str,
        concordances: str | os.PathLike[str] | Concordances | None = None,
        years: list[int] | None = None,
    ) -> LoadReport:
        """Write the flows of ``source`` vintage re-coded to ``target`` (totals kept exactly)."""
        conc = (
            concordances
            if isinstance(concordances, Concordances)
            else load_concordances(concordances)
        )
        source, target = normalise_vintage(source), normalise_vintage(target)
        weights = conc.conversion_weights(source, target)
        self._ensure_products(target, conc)
        years = years or self.years(source)
        self.con.register("_weights", weights)
        report = LoadReport(vintage=target)
        try:
            unknown = self.con.execute(
                f"""
                SELECT 'hs6' AS kind, hs6 AS code, count(*) AS rows, sum(value) AS value
                FROM flows WHERE vintage = ? AND year IN ({",".join(map(str, map(int, years)))})
                  AND hs6 NOT IN (SELECT from_code FROM _weights)
                GROUP BY hs6 ORDER BY hs6""",
                [source],
            ).df()
            if len(unknown):
                raise UnknownCodesError(
                    f"{len(unknown)} {source} code(s) have no {source}->{target} conversion",
                    unknown,
                    path=str(self.path),
                )
            # Flows of the target vintage loaded from files must not get a second copy.
            for year in years:
                out_dir = self.flows_dir / f"vintage={target}" / f"year={year}"
                out = out_dir / f"converted-from-{source}.parquet"
                others = sorted(p for p in out_dir.glob("*.parquet") if p != out)
                if not others:
                    continue
                listing = ", ".join("'" + str(p).replace("'", "''") + "'" for p in others)
                n_overlap = self.con.execute(
                    f"""
                    WITH new AS (
                      SELECT DISTINCT f.exporter, f.importer, w.to_code AS hs6
                      FROM flows f JOIN _weights w ON f.hs6 = w.from_code
                      WHERE f.vintage = ? AND f.year = ?),
                    old AS (SELECT DISTINCT exporter, importer, hs6 FROM read_parquet([{listing}]))
                    SELECT count(*) FROM new JOIN old USING (exporter, importer, hs6)""",
                    [source, year],
                ).fetchall()[0][0]
                if n_overlap:
                    raise ValidationError(
                        f"{target} {year} already holds {n_overlap:,} of the converted flows "
                        f"(from {', '.join(p.name for p in others)}); converting {source} into "
                        "it would double-count them",
                        path=str(self.path),
                    )
            for year in years:
                out_dir = self.flows_dir / f"vintage={target}" / f"year={year}"
                out_dir.mkdir(parents=True, exist_ok=True)
                out = out_dir / f"converted-from-{source}.parquet"
                tmp = out_dir / f".{out.name}.tmp"
                self.con.execute(
                    f"""
                    COPY (
                      SELECT f.exporter, f.importer, w.to_code AS hs6,
                             sum(f.value * w.weight) AS value,
                             sum(f.quantity * w.weight) AS quantity
                      FROM flows f JOIN _weights w ON f.hs6 = w.from_code
                      WHERE f.vintage = ? AND f.year = ?
                      GROUP BY f.exporter, f.importer, w.to_code
                      ORDER BY hs6
                    ) TO '{str(tmp).replace("'", "''")}' (FORMAT PARQUET, COMPRESSION ZSTD)""",
                    [source, year],
                )
                os.replace(tmp, out)
                rows, value = self.con.execute(
                    f"SELECT count(*), sum(value) FROM read_parquet('{out}')"
                ).fetchone()
                self.con.execute("DELETE FROM loads WHERE parquet = ?", [str(out)])
                self.con.execute(
                    "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        f"{source} flows",
                        str(out),
                        f"converted:{source}",
                        target,
                        year,
                        rows,
                        value,
                        dt.datetime.now(),
                    ],
                )
                report.rows += rows
                report.value += value or 0.0
                report.years.append(year)
        finally:
            self.con.unregister("_weights")
        self._record_vintage(target, f"converted from {source}", "", conc)
        report.files = [f"{source} flows"]
        self._create_views()
        return report


def open_store(db: str | os.PathLike[str], read_only: bool = True) -> TradeStore:
    """Open an existing trade database (read-only by default)."""
    return TradeStore(db, read_only=read_only)


__all__ = [
    "BACI_COLUMNS",
    "LoadReport",
    "TradeStore",
    "UnknownCodesError",
    "open_store",
    "read_country_codes",
    "read_product_codes",
]
