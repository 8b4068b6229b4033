"""CEPII BACI reader for the trade store: yearly CSV files (or zip archives of them) with
numeric country codes mapped through the release's country-code file (see docs/trade.md)."""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from chainatlas.errors import ChainAtlasError, DataNotFoundError, ValidationError
from chainatlas.sources import safe_read
from chainatlas.trade._common import (
    LoadReport,
    UnknownCodesError,
    _duckdb_csv_error,
    _first_line_where,
    _header_fields,
    _locate_bad_value,
)
from chainatlas.trade.concordances import Concordances, normalise_vintage

if TYPE_CHECKING:
    from chainatlas.trade.store import TradeStore

BACI_COLUMNS = ("t", "i", "j", "k", "v", "q")
_BACI_NAME = re.compile(r"BACI_(HS\d{2})_Y(\d{4})_V(\d{6})", re.IGNORECASE)
_COUNTRY_FILE = re.compile(r"country_codes_V(\d{6})\.csv$", re.IGNORECASE)
_PRODUCT_FILE = re.compile(r"product_codes_(HS\d{2})_V(\d{6})", re.IGNORECASE)


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


@contextmanager
def _extracted(
    store: TradeStore, target: Path
) -> Iterator[tuple[list[Path], list[Path], list[Path], dict[Path, tuple[Path, str]]]]:
    """Trade, country-code and product-code CSVs under ``target``.

    Code files inside zip archives are unpacked at once (small); trade files are listed
    under their temporary path and unpacked one at a time by :meth:`_materialise` (a full
    BACI archive holds ~30 yearly files of ~400 MB each).
    """
    with tempfile.TemporaryDirectory(dir=store.path.parent, prefix=".trade_unzip_") as tmp:
        candidates: list[Path] = []
        pending: dict[Path, tuple[Path, str]] = {}
        roots = [target] if target.is_file() else sorted(target.iterdir())
        for item in roots:
            if item.suffix.lower() == ".zip":
                # caps on declared sizes, duplicate base names and damage: one clear error
                for info in safe_read.list_members(item):
                    member = info.filename
                    if not member.lower().endswith(".csv"):
                        continue
                    dest = Path(tmp) / Path(member).name
                    if dest in candidates:
                        first = pending.get(dest, (None, dest.name))
                        raise ValidationError(
                            f"two trade files named {dest.name!r} ({first[0]}!{first[1]} and "
                            f"{item}!{member}); keep one of them",
                            path=str(item),
                        )
                    if _COUNTRY_FILE.search(dest.name) or _PRODUCT_FILE.search(dest.name):
                        safe_read.extract_member(item, member, dest)
                    else:
                        pending[dest] = (item, member)
                    candidates.append(dest)
            elif item.suffix.lower() == ".csv":
                candidates.append(item)
        countries = [p for p in candidates if _COUNTRY_FILE.search(p.name)]
        products = [p for p in candidates if _PRODUCT_FILE.search(p.name)]
        trade = [p for p in candidates if p not in countries and p not in products]
        yield trade, countries, products, pending


@contextmanager
def _materialise(
    store: TradeStore, file: Path, pending: dict[Path, tuple[Path, str]]
) -> Iterator[Path]:
    """The file itself, or its zip member unpacked for the duration of the block."""
    if file not in pending:
        yield file
        return
    archive_path, member = pending[file]
    # A damaged or truncated member (bad CRC, broken deflate stream), or one inflating past
    # what it declares, is one error naming archive!member.
    safe_read.extract_member(archive_path, member, file)
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


def load_baci(
    store: TradeStore,
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
    with _extracted(store, target) as (files, country_files, product_files, pending):
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
            if vintage is not None and file_vintage and file_vintage != normalise_vintage(vintage):
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
            report.notes.append(f"country codes from {code_file.name} (data release V{release})")
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
        store._ensure_products(file_vintage, conc, descriptions)
        store.con.execute("DELETE FROM countries WHERE source = 'baci'")
        countries.insert(0, "source", "baci")
        store.con.register("_countries", countries)
        store.con.execute("INSERT INTO countries SELECT source, code, iso3, name FROM _countries")
        store.con.unregister("_countries")
        for file, _, file_release in meta:
            with _materialise(store, file, pending) as local:
                _load_one_baci(
                    store, local, file_vintage, file_release, on_unknown, report, on_overlap
                )
        store._record_vintage(file_vintage, "baci", release, conc)
    report.files = [str(m[0].name) for m in meta]
    store._create_views()
    return report


def _check_header(store: TradeStore, file: Path, expected: Iterable[str]) -> None:
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
    store: TradeStore,
    file: Path,
    vintage: str,
    release: str,
    on_unknown: str,
    report: LoadReport,
    on_overlap: str = "error",
) -> None:
    _check_header(store, file, BACI_COLUMNS)
    quoted = str(file).replace("'", "''")
    checks = {"t": "int", "i": "int", "j": "int", "k": "hs", "v": "float", "q": "float_or_na"}
    try:
        store.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _staging AS
            SELECT t AS year, i, j, k, v, q
            FROM read_csv('{quoted}', header = true, delim = ',', quote = '"',
                          columns = {{'t': 'INTEGER', 'i': 'INTEGER', 'j': 'INTEGER',
                                      'k': 'VARCHAR', 'v': 'DOUBLE', 'q': 'VARCHAR'}},
                          auto_detect = false)""")
    except duckdb.Error as exc:
        raise _duckdb_csv_error(exc, file, checks) from None
    try:
        if not store.con.execute("SELECT count(*) FROM _staging").fetchall()[0][0]:
            raise ValidationError(
                "no data rows after the header (empty or cut-off file?)",
                path=str(file),
                location="line 2",
            )
        _validate_staging(store, file, checks)
        store._refuse_non_finite_values(file, "v", scale=1000.0)  # thousands of USD
        _check_years_and_duplicates(store, file)
        _stage_unknowns(store, file, vintage, on_unknown, report, kind="baci")
        store._write_parquet(
            file,
            vintage,
            "baci",
            report,
            value_expr="s.v * 1000",
            quantity_expr="TRY_CAST(NULLIF(trim(s.q), 'NA') AS DOUBLE)",
            on_overlap=on_overlap,
        )
    finally:
        store.con.execute("DROP TABLE IF EXISTS _staging")


def _check_years_and_duplicates(store: TradeStore, file: Path) -> None:
    """The year in a BACI file name must match column t; (t, i, j, k) must be unique."""
    match = _BACI_NAME.search(file.name)
    if match:
        name_year = int(match.group(2))
        other = store.con.execute(
            "SELECT year FROM _staging WHERE year <> ? LIMIT 1", [name_year]
        ).fetchone()
        if other is not None:
            line = _first_line_where(file, lambda row: row["t"].strip() != str(name_year))
            raise ValidationError(
                f"year {other[0]} in column t, but the file name says Y{name_year}",
                path=str(file),
                location=f"line {line}, column 't'" if line else "column 't'",
            )
    dup = store.con.execute(
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


def _validate_staging(store: TradeStore, file: Path, checks: dict[str, str]) -> None:
    bad = store.con.execute("""
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
        row = store.con.execute(
            "SELECT year, i, j, k, v FROM _staging WHERE v < 0 LIMIT 1"
        ).fetchone()
        raise ValidationError(
            f"{bad[2]} negative trade value(s), e.g. t={row[0]} i={row[1]} "
            f"j={row[2]} k={row[3]} v={row[4]}",
            path=str(file),
            location="column 'v'",
        )


def _stage_unknowns(
    store: TradeStore, file: Path, vintage: str, on_unknown: str, report: LoadReport, kind: str
) -> None:
    """Unknown country and HS codes -> error with the full table, or kept and recorded."""
    table = store.con.execute(
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
    store.con.execute("DELETE FROM unknown_codes WHERE file = ?", [file.name])
    store.con.register("_unknown", table)
    store.con.execute(
        "INSERT INTO unknown_codes SELECT file, kind, code, rows, value FROM _unknown"
    )
    store.con.unregister("_unknown")
