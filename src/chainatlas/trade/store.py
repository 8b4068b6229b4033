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

import csv
import datetime as dt
import io
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import duckdb
import pandas as pd

from chainatlas.errors import ChainAtlasError, DataNotFoundError, ValidationError
from chainatlas.trade.concordances import Concordances, load_concordances, normalise_vintage

BACI_COLUMNS = ("t", "i", "j", "k", "v", "q")
_BACI_NAME = re.compile(r"BACI_(HS\d{2})_Y(\d{4})_V(\d{6})", re.IGNORECASE)
_COUNTRY_FILE = re.compile(r"country_codes_V(\d{6})\.csv$", re.IGNORECASE)
_PRODUCT_FILE = re.compile(r"product_codes_(HS\d{2})_V(\d{6})", re.IGNORECASE)


class UnknownCodesError(ValidationError):
    """Codes in the trade file that the code lists do not know; ``table`` lists them all."""

    def __init__(self, message: str, table: pd.DataFrame, **kwargs):
        self.table = table
        shown = table.head(20).to_string(index=False)
        more = f"\n… {len(table) - 20} more" if len(table) > 20 else ""
        super().__init__(f"{message}\n{shown}{more}", **kwargs)


@dataclass
class LoadReport:
    """What one ``load`` call did (also kept in the ``loads`` and ``unknown_codes`` tables)."""

    files: list[str] = field(default_factory=list)
    rows: int = 0
    value: float = 0.0
    vintage: str = ""
    years: list[int] = field(default_factory=list)
    unknown_codes: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"loaded {self.rows:,} flows ({self.value / 1e9:,.3f} bn USD), {self.vintage}, "
            f"years {', '.join(map(str, self.years))} from {len(self.files)} file(s)"
        )
        if len(self.unknown_codes):
            text += f"; {len(self.unknown_codes)} unknown code(s) kept and listed"
        return text


# --------------------------------------------------------------------------------------------
# small readers (code lists are small: Python csv is fine)


def _sniff_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return any(b > 127 for b in raw)


def _decode(raw: bytes, encoding: str, path: Path) -> str:
    """Decode with the declared encoding; refuse UTF-8 text declared as Latin-1 (mojibake)."""
    enc = encoding.lower().replace("_", "-")
    if enc in ("latin-1", "latin1", "iso-8859-1", "cp1252") and _sniff_utf8(raw):
        line = raw[: next(i for i, b in enumerate(raw) if b > 127)].count(b"\n") + 1
        raise ValidationError(
            f"file is UTF-8 encoded but declared {encoding} (BACI country files are Latin-1); "
            "pass encoding='utf-8' (CLI: --country-encoding utf-8) if that is intended",
            path=str(path),
            location=f"line {line}",
        )
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ValidationError(
            f"not valid {encoding} text (byte {raw[exc.start]:#04x}); declare the right encoding",
            path=str(path),
            location=f"line {line}",
        ) from None


def read_country_codes(path: Path, encoding: str = "latin-1") -> pd.DataFrame:
    """BACI country-code file -> code (int), iso3, name.

    Both the pre-2023 (``iso_3digit_alpha``) and 2023+ (``country_iso3``) headers are accepted.
    Codes without an ISO3 ("N/A", e.g. 490 Other Asia nes) get ``X<code>``.
    """
    text = _decode(Path(path).read_bytes(), encoding, Path(path))
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    iso_col = next((h for h in ("iso_3digit_alpha", "country_iso3") if h in header), None)
    name_col = next(
        (
            h
            for h in ("country_name_full", "country_name", "country_name_abbreviation")
            if h in header
        ),
        None,
    )
    if "country_code" not in header or iso_col is None or name_col is None:
        raise ValidationError(
            f"expected columns country_code, iso_3digit_alpha (or country_iso3) and a country "
            f"name; found {header}",
            path=str(path),
            location="line 1",
        )
    rows = []
    for line, row in enumerate(reader, start=2):
        if not row or not any(c.strip() for c in row):
            continue
        record = dict(zip(header, row, strict=False))
        raw_code = record.get("country_code", "").strip()
        if not raw_code.isdigit():
            raise ValidationError(
                f"country_code {raw_code!r} is not an integer",
                path=str(path),
                location=f"line {line}, column 'country_code'",
            )
        iso3 = record.get(iso_col, "").strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", iso3):
            iso3 = f"X{int(raw_code):03d}"
        rows.append((int(raw_code), iso3, record.get(name_col, "").strip()))
    frame = pd.DataFrame(rows, columns=["code", "iso3", "name"])
    dup = frame[frame["code"].duplicated()]
    if len(dup):
        raise ValidationError(f"country_code {dup['code'].iloc[0]} listed twice", path=str(path))
    return frame


def read_product_codes(path: Path) -> pd.DataFrame:
    """BACI product-code file -> hs6, description (UTF-8, else Latin-1)."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    if "code" not in header or "description" not in header:
        raise ValidationError(
            f"expected columns code, description; found {header}", path=str(path), location="line 1"
        )
    ci, di = header.index("code"), header.index("description")
    rows = []
    for line, row in enumerate(reader, start=2):
        if not row:
            continue
        code = row[ci].strip()
        if not code.isdigit() or len(code) > 6:
            raise ValidationError(
                f"product code {code!r} is not an HS6 number",
                path=str(path),
                location=f"line {line}, column 'code'",
            )
        rows.append((code.zfill(6), row[di].strip()))
    return pd.DataFrame(rows, columns=["hs6", "description"])


def _first_line(path: Path) -> str:
    with open(path, "rb") as handle:
        raw = handle.readline()
    return raw.decode("utf-8-sig", errors="replace").strip()


def _check_utf8_family(path: Path) -> None:
    """Trade CSVs are read as UTF-8 (ASCII for BACI): refuse UTF-16/32 files up front."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise ValidationError(
            "file is UTF-16/UTF-32 encoded (byte-order mark or NUL bytes); trade CSV files are "
            "read as UTF-8 — re-save it as UTF-8",
            path=str(path),
            location="line 1",
        )


def _first_non_utf8_line(path: Path) -> tuple[int, int] | None:
    """Slow path for error messages: (line, byte) of the first byte that is not UTF-8."""
    with open(path, "rb") as handle:
        for line, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return line, raw[exc.start]
    return None


def _header_fields(path: Path) -> list[str]:
    _check_utf8_family(path)
    try:
        return [f.strip().strip('"').strip() for f in next(csv.reader([_first_line(path)]), [])]
    except csv.Error as exc:
        raise ValidationError(
            f"cannot read the header ({exc})", path=str(path), location="line 1"
        ) from None


def _locate_bad_value(path: Path, checks: dict[str, str]) -> tuple[int, str, str] | None:
    """Slow path (only after DuckDB refused the file): first (line, column, value) that fails.

    ``checks`` maps column -> "int", "float", "hs" or "float_or_na".
    """
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        index = {c: header.index(c) for c in checks if c in header}
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                return line, "(row)", f"{len(row)} fields where the header has {len(header)}"
            for column, kind in checks.items():
                value = row[index[column]].strip()
                ok = True
                if kind == "int":
                    ok = bool(re.fullmatch(r"-?\d+", value))
                elif kind == "hs":
                    ok = bool(re.fullmatch(r"\d{1,6}", value))
                elif kind in ("float", "float_or_na"):
                    if kind == "float_or_na" and value in ("", "NA"):
                        continue
                    try:
                        float(value)
                    except ValueError:
                        ok = False
                if not ok:
                    return line, column, value
    return None


def _first_line_where(path: Path, predicate, nth: int = 1) -> int | None:
    """Slow path for error messages: the line number of the nth row matching ``predicate``."""
    seen = 0
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.DictReader(handle)
        for line, row in enumerate(reader, start=2):
            if predicate(row):
                seen += 1
                if seen == nth:
                    return line
    return None


def _duckdb_csv_error(exc: Exception, path: Path, checks: dict[str, str]) -> ValidationError:
    if "unicode" in str(exc).lower():
        bad = _first_non_utf8_line(path)
        return ValidationError(
            "not valid UTF-8 text"
            + (f" (byte {bad[1]:#04x})" if bad else "")
            + "; trade CSV files are read as UTF-8 — re-save the file as UTF-8 (e.g. "
            "iconv -f latin1 -t utf-8)",
            path=str(path),
            location=f"line {bad[0]}" if bad else None,
        )
    found = _locate_bad_value(path, checks)
    if found is not None:
        line, column, value = found
        if column == "(row)":
            return ValidationError(
                f"wrong number of fields: {value}", path=str(path), location=f"line {line}"
            )
        expected = {
            "int": "an integer",
            "float": "a number",
            "hs": "an HS6 code (1-6 digits)",
            "float_or_na": "a number or NA",
        }.get(checks.get(column, ""), "a valid row")
        return ValidationError(
            f"value {value!r} is not {expected}",
            path=str(path),
            location=f"line {line}, column {column!r}",
        )
    text = str(exc)
    line_match = re.search(r"Line:\s*(\d+)", text)
    # DuckDB's reason follows the echoed line ("Value with unterminated quote found.", ...).
    lines = [m.strip() for m in text.splitlines()]
    reason = next(
        (
            m
            for m in lines
            if m
            and not m.startswith(("Invalid Input Error", "Conversion Error", "Original Line"))
            and not m.startswith("Possible fixes")
            and "," not in m[:40]
        ),
        lines[0] if lines else "unreadable CSV",
    )
    if "unterminated quote" in text:
        reason += " (is the file truncated?)"
    return ValidationError(
        f"cannot parse CSV: {reason}",
        path=str(path),
        location=f"line {line_match.group(1)}" if line_match else None,
    )


# --------------------------------------------------------------------------------------------


def _year_filter(column_sql: str, years: list[int] | None) -> str:
    """SQL predicate keeping only ``years`` (all rows when None)."""
    if years is None:
        return "true"
    return f"TRY_CAST({column_sql} AS INTEGER) IN ({', '.join(str(int(y)) for y in years)})"


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
            return self._load_baci(
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
            return self._load_comtrade(target, conc, vintage, on_unknown, flow, years=year_list)
        if source == "atlas":
            return self._load_atlas(
                target, conc, vintage or "HS92", on_unknown, years=year_list, on_overlap=on_overlap
            )
        raise ChainAtlasError(f"unknown trade source {source!r}: baci, comtrade or atlas")

    @contextmanager
    def _extracted(
        self, target: Path
    ) -> Iterator[tuple[list[Path], list[Path], list[Path], dict[Path, tuple[Path, str]]]]:
        """Trade, country-code and product-code CSVs under ``target``.

        Code files inside zip archives are unpacked at once (small); trade files are listed
        under their temporary path and unpacked one at a time by :meth:`_materialise` (a full
        BACI archive holds ~30 yearly files of ~400 MB each).
        """
        with tempfile.TemporaryDirectory(dir=self.path.parent, prefix=".trade_unzip_") as tmp:
            candidates: list[Path] = []
            pending: dict[Path, tuple[Path, str]] = {}
            roots = [target] if target.is_file() else sorted(target.iterdir())
            for item in roots:
                if item.suffix.lower() == ".zip":
                    try:
                        with zipfile.ZipFile(item) as archive:
                            for member in archive.namelist():
                                if not member.lower().endswith(".csv"):
                                    continue
                                dest = Path(tmp) / Path(member).name
                                if _COUNTRY_FILE.search(dest.name) or _PRODUCT_FILE.search(
                                    dest.name
                                ):
                                    with archive.open(member) as src, open(dest, "wb") as out:
                                        shutil.copyfileobj(src, out, 1 << 22)
                                else:
                                    pending[dest] = (item, member)
                                candidates.append(dest)
                    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                        raise ValidationError(
                            f"not a valid zip archive ({exc})", path=str(item)
                        ) from None
                elif item.suffix.lower() == ".csv":
                    candidates.append(item)
            countries = [p for p in candidates if _COUNTRY_FILE.search(p.name)]
            products = [p for p in candidates if _PRODUCT_FILE.search(p.name)]
            trade = [p for p in candidates if p not in countries and p not in products]
            yield trade, countries, products, pending

    @contextmanager
    def _materialise(self, file: Path, pending: dict[Path, tuple[Path, str]]) -> Iterator[Path]:
        """The file itself, or its zip member unpacked for the duration of the block."""
        if file not in pending:
            yield file
            return
        archive_path, member = pending[file]
        try:
            with (
                zipfile.ZipFile(archive_path) as archive,
                archive.open(member) as src,
                open(file, "wb") as out,
            ):
                shutil.copyfileobj(src, out, 1 << 22)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            # A damaged or truncated member (bad CRC, broken deflate stream).
            file.unlink(missing_ok=True)
            raise ValidationError(
                f"damaged zip member, cannot unpack it ({exc})", path=f"{archive_path}!{member}"
            ) from None
        try:
            yield file
        except ChainAtlasError as exc:
            # Name the archive member, not the temporary copy.
            where = f"{archive_path}!{member}"
            exc.args = tuple(str(a).replace(str(file), where) for a in exc.args)
            exc.path = where
            raise
        finally:
            file.unlink(missing_ok=True)

    def _load_baci(
        self,
        target: Path,
        conc: Concordances,
        vintage: str | None,
        country_codes: str | os.PathLike[str] | None,
        encoding: str,
        overrides: dict[int, str],
        on_unknown: str,
        years: list[int] | None = None,
        on_overlap: str = "error",
    ) -> LoadReport:
        with self._extracted(target) as (files, country_files, product_files, pending):
            if years is not None:
                named = {f: _BACI_NAME.search(f.name) for f in files}
                kept = [f for f, m in named.items() if m and int(m.group(2)) in years]
                if not kept:
                    have = sorted({int(m.group(2)) for m in named.values() if m})
                    raise DataNotFoundError(
                        f"no BACI file for year(s) {', '.join(map(str, years))} (files cover "
                        f"{', '.join(map(str, have)) or 'no recognisable year'})",
                        path=str(target),
                    )
                files = kept
            if target.is_file() and target.suffix.lower() == ".csv":
                sibling_dir = target.parent
                country_files = sorted(sibling_dir.glob("country_codes_V*.csv"))
                product_files = sorted(sibling_dir.glob("product_codes_*.csv"))
            if not files:
                raise DataNotFoundError("no BACI trade CSV files found", path=str(target))
            # Vintage and release of each file (from its name; --vintage for renamed files).
            meta: list[tuple[Path, str, str]] = []
            for file in files:
                match = _BACI_NAME.search(file.name)
                file_vintage = normalise_vintage(match.group(1)) if match else None
                if (
                    vintage is not None
                    and file_vintage
                    and file_vintage != normalise_vintage(vintage)
                ):
                    raise ValidationError(
                        f"file name says {file_vintage} but vintage {vintage} was requested",
                        path=str(file),
                    )
                if file_vintage is None and vintage is None:
                    raise ValidationError(
                        "cannot tell the HS vintage from the file name (expected "
                        "BACI_HS92_Y2021_V202301…); pass vintage= / --vintage",
                        path=str(file),
                    )
                meta.append(
                    (
                        file,
                        file_vintage or normalise_vintage(vintage),
                        match.group(3) if match else "",
                    )
                )
            vintages_found = sorted({m[1] for m in meta})
            if len(vintages_found) > 1:
                listing = "; ".join(f"{p.name}: {v}" for p, v, _ in meta)
                raise ValidationError(
                    f"mixed HS vintages in one load ({', '.join(vintages_found)}): {listing}. "
                    "Load each vintage separately and convert to a common one.",
                    path=str(target),
                )
            file_vintage = vintages_found[0]
            release = max(m[2] for m in meta)
            # Country codes: explicit file, else the one of the same release, else the newest.
            if country_codes is not None:
                code_file = Path(country_codes)
            elif country_files:
                by_release = {(_COUNTRY_FILE.search(p.name).group(1)): p for p in country_files}
                code_file = by_release.get(release) or by_release[max(by_release)]
            else:
                raise DataNotFoundError(
                    "no BACI country_codes_V*.csv next to the trade files; pass country_codes=",
                    path=str(target),
                )
            report = LoadReport(vintage=file_vintage)
            if (
                _COUNTRY_FILE.search(code_file.name)
                and release
                and (_COUNTRY_FILE.search(code_file.name).group(1) != release)
            ):
                report.notes.append(
                    f"country codes from {code_file.name} (data release V{release})"
                )
            countries = read_country_codes(code_file, encoding)
            for code, iso3 in overrides.items():
                countries = countries[countries["code"] != int(code)]
                countries = pd.concat(
                    [
                        countries,
                        pd.DataFrame(
                            [{"code": int(code), "iso3": iso3.upper(), "name": "(user override)"}]
                        ),
                    ]
                )
            descriptions = None
            for pf in product_files:
                if normalise_vintage(_PRODUCT_FILE.search(pf.name).group(1)) == file_vintage:
                    descriptions = read_product_codes(pf)
            self._ensure_products(file_vintage, conc, descriptions)
            self.con.execute("DELETE FROM countries WHERE source = 'baci'")
            countries.insert(0, "source", "baci")
            self.con.register("_countries", countries)
            self.con.execute(
                "INSERT INTO countries SELECT source, code, iso3, name FROM _countries"
            )
            self.con.unregister("_countries")
            for file, _, file_release in meta:
                with self._materialise(file, pending) as local:
                    self._load_one_baci(
                        local, file_vintage, file_release, on_unknown, report, on_overlap
                    )
            self._record_vintage(file_vintage, "baci", release, conc)
        report.files = [str(m[0].name) for m in meta]
        self._create_views()
        return report

    def _check_header(self, file: Path, expected: Iterable[str]) -> None:
        header = _header_fields(file)
        expected = list(expected)
        if header != expected:
            missing = [c for c in expected if c not in header]
            extra = [c for c in header if c not in expected]
            detail = []
            if missing:
                detail.append(f"missing {missing}")
            if extra:
                detail.append(f"unexpected {extra}")
            if not detail:
                detail.append(f"order {header}")
            raise ValidationError(
                f"expected BACI columns {','.join(expected)}; " + ", ".join(detail),
                path=str(file),
                location="line 1",
            )

    def _load_one_baci(
        self,
        file: Path,
        vintage: str,
        release: str,
        on_unknown: str,
        report: LoadReport,
        on_overlap: str = "error",
    ) -> None:
        self._check_header(file, BACI_COLUMNS)
        quoted = str(file).replace("'", "''")
        checks = {"t": "int", "i": "int", "j": "int", "k": "hs", "v": "float", "q": "float_or_na"}
        try:
            self.con.execute(f"""
                CREATE OR REPLACE TEMP TABLE _staging AS
                SELECT t AS year, i, j, k, v, q
                FROM read_csv('{quoted}', header = true, delim = ',', quote = '"',
                              columns = {{'t': 'INTEGER', 'i': 'INTEGER', 'j': 'INTEGER',
                                          'k': 'VARCHAR', 'v': 'DOUBLE', 'q': 'VARCHAR'}},
                              auto_detect = false)""")
        except duckdb.Error as exc:
            raise _duckdb_csv_error(exc, file, checks) from None
        try:
            if not self.con.execute("SELECT count(*) FROM _staging").fetchall()[0][0]:
                raise ValidationError(
                    "no data rows after the header (empty or cut-off file?)",
                    path=str(file),
                    location="line 2",
                )
            self._validate_staging(file, checks)
            self._check_years_and_duplicates(file)
            self._stage_unknowns(file, vintage, on_unknown, report, kind="baci")
            self._write_parquet(
                file,
                vintage,
                "baci",
                report,
                value_expr="s.v * 1000",
                quantity_expr="TRY_CAST(NULLIF(trim(s.q), 'NA') AS DOUBLE)",
                on_overlap=on_overlap,
            )
        finally:
            self.con.execute("DROP TABLE IF EXISTS _staging")

    def _check_years_and_duplicates(self, file: Path) -> None:
        """The year in a BACI file name must match column t; (t, i, j, k) must be unique."""
        match = _BACI_NAME.search(file.name)
        if match:
            name_year = int(match.group(2))
            other = self.con.execute(
                "SELECT year FROM _staging WHERE year <> ? LIMIT 1", [name_year]
            ).fetchone()
            if other is not None:
                line = _first_line_where(file, lambda row: row["t"].strip() != str(name_year))
                raise ValidationError(
                    f"year {other[0]} in column t, but the file name says Y{name_year}",
                    path=str(file),
                    location=f"line {line}, column 't'" if line else "column 't'",
                )
        dup = self.con.execute(
            "SELECT year, i, j, lpad(k, 6, '0'), count(*) FROM _staging GROUP BY ALL "
            "HAVING count(*) > 1 LIMIT 1"
        ).fetchone()
        if dup is not None:
            key = (str(dup[0]), str(dup[1]), str(dup[2]), dup[3])
            line = _first_line_where(
                file,
                lambda row: (
                    (
                        row["t"].strip(),
                        row["i"].strip(),
                        row["j"].strip(),
                        row["k"].strip().zfill(6),
                    )
                    == key
                ),
                nth=2,
            )
            raise ValidationError(
                f"flow t={dup[0]} i={dup[1]} j={dup[2]} k={dup[3]} appears {dup[4]} times "
                "(BACI has one row per year, exporter, importer and product)",
                path=str(file),
                location=f"line {line}" if line else None,
            )

    def _validate_staging(self, file: Path, checks: dict[str, str]) -> None:
        bad = self.con.execute("""
            SELECT
              count(*) FILTER (WHERE NOT regexp_full_match(k, '[0-9]{1,6}') OR k IS NULL),
              count(*) FILTER (WHERE v IS NULL OR isnan(v) OR isinf(v)),
              count(*) FILTER (WHERE v < 0),
              count(*) FILTER (WHERE q IS NOT NULL AND trim(q) NOT IN ('', 'NA')
                               AND TRY_CAST(trim(q) AS DOUBLE) IS NULL),
              count(*) FILTER (WHERE year IS NULL OR i IS NULL OR j IS NULL)
            FROM _staging""").fetchone()
        if any(bad[:2]) or bad[3] or bad[4]:
            found = _locate_bad_value(file, checks)
            if found is not None and found[1] == "(row)":
                raise ValidationError(
                    f"wrong number of fields: {found[2]}",
                    path=str(file),
                    location=f"line {found[0]}",
                )
            where = f"line {found[0]}, column {found[1]!r}" if found else None
            value = f" (value {found[2]!r})" if found else ""
            raise ValidationError(
                f"non-numeric or missing value{value}", path=str(file), location=where
            )
        if bad[2]:
            row = self.con.execute(
                "SELECT year, i, j, k, v FROM _staging WHERE v < 0 LIMIT 1"
            ).fetchone()
            raise ValidationError(
                f"{bad[2]} negative trade value(s), e.g. t={row[0]} i={row[1]} "
                f"j={row[2]} k={row[3]} v={row[4]}",
                path=str(file),
                location="column 'v'",
            )

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

    def _refuse_duplicate_atlas_rows(self, file: Path) -> None:
        """One Atlas row per (year, location, partner, product): a repeat would double-count."""
        dup = self.con.execute(
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

    def _stage_unknowns(
        self, file: Path, vintage: str, on_unknown: str, report: LoadReport, kind: str
    ) -> None:
        """Unknown country and HS codes -> error with the full table, or kept and recorded."""
        table = self.con.execute(
            """
            WITH ex AS (SELECT 'exporter' AS kind, CAST(i AS VARCHAR) AS code, count(*) AS rows,
                               sum(v) AS value FROM _staging
                        WHERE i NOT IN (SELECT code FROM countries WHERE source = 'baci')
                        GROUP BY i),
                 im AS (SELECT 'importer', CAST(j AS VARCHAR), count(*), sum(v) FROM _staging
                        WHERE j NOT IN (SELECT code FROM countries WHERE source = 'baci')
                        GROUP BY j),
                 hs AS (SELECT 'hs6', lpad(k, 6, '0'), count(*), sum(v) FROM _staging
                        WHERE lpad(k, 6, '0') NOT IN (SELECT hs6 FROM products WHERE vintage = ?)
                        GROUP BY lpad(k, 6, '0'))
            SELECT * FROM ex UNION ALL SELECT * FROM im UNION ALL SELECT * FROM hs
            ORDER BY kind, code""",
            [vintage],
        ).df()
        if kind == "baci":
            table["value"] = table["value"] * 1000  # thousands of USD -> USD
        if not len(table):
            return
        table.insert(0, "file", file.name)
        if on_unknown == "error":
            raise UnknownCodesError(
                f"{len(table)} unknown code(s) (country codes not in the country-code file, or "
                f"HS6 codes not in {vintage}); fix the code lists, map them "
                "(country_overrides / --map-country 380=ITA) or load with on_unknown='keep'",
                table,
                path=str(file),
            )
        report.unknown_codes = pd.concat([report.unknown_codes, table], ignore_index=True)
        self.con.execute("DELETE FROM unknown_codes WHERE file = ?", [file.name])
        self.con.register("_unknown", table)
        self.con.execute(
            "INSERT INTO unknown_codes SELECT file, kind, code, rows, value FROM _unknown"
        )
        self.con.unregister("_unknown")

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

    # --- UN Comtrade bulk CSV and Atlas ------------------------------------------------------
    _COMTRADE_ALIASES: ClassVar[dict[str, tuple[str, ...]]] = {
        "year": ("refYear", "Year", "period", "Period"),
        "reporter": ("reporterISO", "Reporter ISO"),
        "partner": ("partnerISO", "Partner ISO"),
        "flow": ("flowCode", "Trade Flow Code"),
        "hs": ("cmdCode", "Commodity Code"),
        "value": ("primaryValue", "Trade Value (US$)"),
        "quantity": ("netWgt", "Netweight (kg)"),
        "classification": ("classificationCode", "Classification"),
    }
    _COMTRADE_FILTERS: ClassVar[dict[str, str]] = {
        "partner2Code": "0",
        "customsCode": "C00",
        "motCode": "0",
        "2nd Partner Code": "0",
    }

    def _load_comtrade(
        self,
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
            for key, names in self._COMTRADE_ALIASES.items():
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
                        for r in self.con.execute(
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
        self._ensure_products(file_vintage, conc)
        flow_codes = "('M', '1')" if flow == "import" else "('X', '2')"
        for file, cols, header in staged:
            q = str(file).replace("'", "''")
            exporter, importer = (
                ("partner", "reporter") if flow == "import" else ("reporter", "partner")
            )
            filters = (
                " AND ".join(
                    f"coalesce(\"{c}\", '{v}') = '{v}'"
                    for c, v in self._COMTRADE_FILTERS.items()
                    if c in header
                )
                or "true"
            )
            qty = f'TRY_CAST("{cols["quantity"]}" AS DOUBLE)' if "quantity" in cols else "NULL"
            try:
                self.con.execute(f"""
                    CREATE OR REPLACE TEMP TABLE _raw AS
                    SELECT * FROM read_csv('{q}', header = true, all_varchar = true)""")
            except duckdb.Error as exc:
                raise _duckdb_csv_error(exc, file, {}) from None
            skipped = self.con.execute(f"""
                SELECT count(*) FILTER (WHERE "{cols["flow"]}" NOT IN {flow_codes}),
                       count(*) FILTER (WHERE "{cols["flow"]}" IN {flow_codes}
                                        AND length("{cols["hs"]}") <> 6)
                FROM _raw""").fetchone()
            if skipped[0]:
                report.notes.append(
                    f"{file.name}: {skipped[0]} rows of other flows skipped "
                    f"(kept {flow}s as reported)"
                )
            if skipped[1]:
                report.notes.append(f"{file.name}: {skipped[1]} non-HS6 (aggregate) rows skipped")
            bad = self.con.execute(f"""
                SELECT "{cols["year"]}", "{cols["value"]}", "{cols["hs"]}" FROM _raw
                WHERE "{cols["flow"]}" IN {flow_codes} AND length("{cols["hs"]}") = 6 AND (
                  TRY_CAST("{cols["value"]}" AS DOUBLE) IS NULL
                  OR TRY_CAST(left("{cols["year"]}", 4) AS INTEGER) IS NULL
                  OR NOT regexp_full_match("{cols["hs"]}", '[0-9]{{6}}'))
                LIMIT 1""").fetchone()
            if bad is not None:
                checks = {cols["value"]: "float", cols["hs"]: "hs"}
                raise _duckdb_csv_error(ValueError(str(bad)), file, checks)
            self.con.execute(f"""
                CREATE OR REPLACE TEMP TABLE _staging AS
                SELECT CAST(left("{cols["year"]}", 4) AS INTEGER) AS year,
                       upper(trim("{cols[exporter]}")) AS i, upper(trim("{cols[importer]}")) AS j,
                       "{cols["hs"]}" AS k, CAST("{cols["value"]}" AS DOUBLE) AS v, {qty} AS q
                FROM _raw
                WHERE "{cols["flow"]}" IN {flow_codes} AND length("{cols["hs"]}") = 6
                  AND upper(coalesce("{cols["partner"]}", '')) NOT IN ('W00', 'WLD', '')
                  AND {filters} AND {_year_filter(f'left("{cols["year"]}", 4)', years)}""")
            self.con.execute("DROP TABLE _raw")
            try:
                self._refuse_negative_values(file, cols["value"])
                self._stage_unknown_iso(file, file_vintage, on_unknown, report)
                self._write_parquet(
                    file,
                    file_vintage,
                    "comtrade",
                    report,
                    value_expr="s.v",
                    quantity_expr="s.q",
                    check_overlap=False,
                )
            finally:
                self.con.execute("DROP TABLE IF EXISTS _staging")
        if years is not None and not report.years:
            raise DataNotFoundError(
                f"no rows for year(s) {', '.join(map(str, years))}", path=str(target)
            )
        self._record_vintage(file_vintage, "comtrade", "", conc)
        report.files = [f.name for f in files]
        self._create_views()
        return report

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

    def _load_atlas(
        self,
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
        self._ensure_products(report.vintage, conc)
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
                self.con.execute(f"""
                    CREATE OR REPLACE TEMP TABLE _staging AS
                    SELECT CAST(year AS INTEGER) AS year, upper(location_code) AS i,
                           upper(partner_code) AS j, lpad(CAST(hs_product_code AS VARCHAR), 6,
                           '0') AS k, CAST(export_value AS DOUBLE) AS v, NULL::DOUBLE AS q
                    FROM read_csv('{q}', header = true, all_varchar = true)
                    WHERE CAST(export_value AS DOUBLE) <> 0 AND {_year_filter("year", years)}""")
            except duckdb.Error as exc:
                raise _duckdb_csv_error(
                    exc, file, {"year": "int", "export_value": "float", "hs_product_code": "hs"}
                ) from None
            try:
                # Zero export_value rows are the mirrored import side; negatives are errors.
                self._refuse_negative_values(file, "export_value")
                self._refuse_duplicate_atlas_rows(file)
                self._stage_unknown_iso(file, report.vintage, on_unknown, report)
                self._write_parquet(
                    file,
                    report.vintage,
                    "atlas",
                    report,
                    value_expr="s.v",
                    quantity_expr="s.q",
                    on_overlap=on_overlap,
                )
            finally:
                self.con.execute("DROP TABLE IF EXISTS _staging")
        if years is not None and not report.years:
            raise DataNotFoundError(
                f"no rows for year(s) {', '.join(map(str, years))}", path=str(target)
            )
        self._record_vintage(report.vintage, "atlas", "", conc)
        report.files = [f.name for f in files]
        self._create_views()
        return report

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
