"""Any MRIO table in a simple documented format (see docs/sources.md), CSV or Parquet.

**Wide** — a directory (one table; several years as ``YYYY/`` subdirectories):

* ``Z.csv`` / ``Z.parquet``: column ``label`` with row labels ``COUNTRY.SECTOR``, then one
  column per ``COUNTRY.SECTOR`` in the same order (country-major: all sectors of one country,
  then the next);
* ``Y.csv``: column ``label`` (same rows), then one column per ``COUNTRY.CATEGORY`` (the
  destination country and final-demand category, e.g. ``CHN.HFCE``);
* optional ``x.csv`` (columns ``label, x``: gross output), ``va.csv`` (``label, va``:
  published value added per column country-sector) and ``meta.toml`` (``year``, ``units``,
  ``source``, ``inventory_category``, ``country_codes`` = "adb"/"wiod"/"icio" to map
  country codes to ISO3, tables ``[sector_names]`` and ``[fd_category_names]``).

**Long** — one CSV/Parquet file with columns ``row_country, row_sector, col_country,
col_code, value`` and optionally ``block`` (Z, Y, VA or X) and ``year``. Without ``block``
an entry is intermediate use when ``col_code`` is a sector code (a value of ``row_sector``)
and final demand otherwise; VA and X entries name the column country-sector in
``col_country, col_code``. Entries not listed are 0.

:func:`write_generic` exports any loaded model in the wide format.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from chainatlas.core.model import MAX_ABS_VALUE, MRIOModel
from chainatlas.errors import DataNotFoundError, ValidationError
from chainatlas.sources.codes import to_iso3
from chainatlas.sources.registry import register
from chainatlas.sources.safe_read import check_parquet

LONG_COLUMNS = ("row_country", "row_sector", "col_country", "col_code", "value")
TABLE_SUFFIXES = (".csv", ".parquet", ".pq")
# Keys of meta.toml (docs/sources.md, "Generic format").
META_KEYS = (
    "year",
    "units",
    "source",
    "inventory_category",
    "country_codes",
    "sector_names",
    "fd_category_names",
)
_YEAR_DIR = re.compile(r"^\d{4}$")


# ---------------------------------------------------------------------------- reading files
def _read_table(file: Path, *, label_column: str | None = "label") -> pd.DataFrame:
    # Labels stay text (sector codes like 01 or 1 must not become numbers).
    text_columns = [label_column] if label_column else [*LONG_COLUMNS[:4], "block"]
    try:
        if file.suffix.lower() == ".csv":
            frame = pd.read_csv(file, dtype=dict.fromkeys(text_columns, str))
        else:
            check_parquet(file)  # before pandas allocates from the footer's declared sizes
            frame = pd.read_parquet(file)
    except ValidationError:
        raise
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        detail = " ".join(str(exc).split())  # pandas' parser messages end in a newline
        raise ValidationError(f"cannot read CSV ({detail})", path=str(file)) from exc
    except Exception as exc:  # pyarrow raises many types on truncated/corrupt files
        raise ValidationError(
            f"cannot read file (corrupt or truncated? {exc.__class__.__name__}: {exc})",
            path=str(file),
        ) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _line(file: Path, i: int) -> str:
    """Where row i of a table is: the CSV line (header is line 1) or the Parquet row."""
    return f"line {i + 2}" if file.suffix.lower() == ".csv" else f"row {i + 1}"


def _numbers(frame: pd.DataFrame, columns: list[str], file: Path, labels: list[str]) -> np.ndarray:
    values = np.empty((len(frame), len(columns)), dtype=np.float64)
    for j, column in enumerate(columns):
        series = frame[column]
        if series.dtype.kind in "fiu":
            values[:, j] = series.to_numpy(dtype=np.float64)
        else:
            values[:, j] = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | (np.abs(values) > MAX_ABS_VALUE)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raw = frame[columns[j]].iloc[i]
        if np.isfinite(values[i, j]):
            raise ValidationError(
                f"cell is {values[i, j]:.6g}, beyond ±{MAX_ABS_VALUE:.0e} (sums would "
                f"overflow; check the units) ({int(bad.sum())} such cell(s))",
                path=str(file),
                location=f"{_line(file, i)} (row {labels[i]}), column {columns[j]}",
            )
        if pd.isna(raw):
            shown = "empty or NaN"
        elif isinstance(raw, (int, float, np.number)):
            shown = str(float(raw))  # inf / -inf, not np.float64(inf)
        else:
            shown = repr(raw)
        raise ValidationError(
            f"cell is {shown}, not a number ({int(bad.sum())} such cell(s))",
            path=str(file),
            location=f"{_line(file, i)} (row {labels[i]}), column {columns[j]}",
        )
    return values


def _candidates(directory: Path, stem: str) -> list[Path]:
    """Every file holding table ``stem`` (any case, any table suffix), each file once."""
    found: list[Path] = []
    for suffix in TABLE_SUFFIXES:
        for name in (stem + suffix, stem.lower() + suffix, stem.upper() + suffix):
            candidate = directory / name
            if candidate.is_file() and not any(_same_file(candidate, f) for f in found):
                found.append(candidate)
    return found


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def _find(directory: Path, stem: str, *, required: bool) -> Path | None:
    found = _candidates(directory, stem)
    if len(found) > 1:
        # Z.csv next to Z.parquet (e.g. an older export in the other format): reading
        # either one silently could mix two tables.
        raise ValidationError(
            f"{' and '.join(f.name for f in found)} both hold table {stem}; keep one",
            path=str(directory),
        )
    if found:
        return found[0]
    if required:
        raise DataNotFoundError(f"no {stem}.csv or {stem}.parquet here", path=str(directory))
    return None


def _labels(frame: pd.DataFrame, file: Path) -> list[str]:
    if "label" not in frame.columns:
        raise ValidationError(
            f"no 'label' column (columns: {', '.join(frame.columns[:5])}…)", path=str(file)
        )
    labels = []
    for i, value in enumerate(frame["label"]):
        text = "" if pd.isna(value) else str(value).strip()
        if not text:
            raise ValidationError("missing row label", path=str(file), location=_line(file, i))
        labels.append(text)
    return labels


def _split(label: str, file: Path, where: str) -> tuple[str, str]:
    country, sep, rest = label.partition(".")
    if not sep or not country or not rest:
        raise ValidationError(
            f"label {label!r} is not COUNTRY.CODE", path=str(file), location=where
        )
    return country, rest


def _meta(directory: Path) -> dict:
    file = directory / "meta.toml"
    if not file.is_file():
        return {}
    try:
        meta = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(f"cannot read meta.toml ({exc})", path=str(file)) from exc
    # A misspelt key (``inventory_categry``) would otherwise be ignored without a word.
    unknown = sorted(set(meta) - set(META_KEYS))
    if unknown:
        raise ValidationError(
            f"unknown key(s) {', '.join(unknown)}; known keys: {', '.join(META_KEYS)}",
            path=str(file),
        )
    system = meta.get("country_codes")
    if system is not None and system not in ("adb", "wiod", "icio"):
        raise ValidationError(
            f"country_codes must be adb, wiod or icio, not {system!r}",
            path=str(file),
            location="country_codes",
        )
    year = meta.get("year")
    if year is not None:
        text = (
            str(year).strip() if isinstance(year, str | int) and not isinstance(year, bool) else ""
        )
        if not (text.isascii() and text.isdigit() and 1800 <= int(text) <= 2200):
            raise ValidationError(
                f"year must be a whole number such as 2020, not {year!r}"[:200],
                path=str(file),
                location="year",
            )
        meta["year"] = int(text)
    for key in ("units", "source", "inventory_category"):
        if key in meta and not isinstance(meta[key], str):
            raise ValidationError(
                f"{key} must be a text, not {meta[key]!r}"[:200], path=str(file), location=key
            )
    for key in ("sector_names", "fd_category_names"):
        if key in meta and not isinstance(meta[key], dict):
            raise ValidationError(
                f"{key} must be a table of code = name pairs", path=str(file), location=key
            )
    return meta


# ---------------------------------------------------------------------------- years
def _is_long_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in TABLE_SUFFIXES


def _long_file_in(directory: Path) -> Path | None:
    return _find(directory, "long", required=False)


def generic_years(path: Path) -> list[int]:
    path = Path(path)
    if _is_long_file(path) or (path.is_dir() and _long_file_in(path)):
        file = path if path.is_file() else _long_file_in(path)
        frame = _read_table(file, label_column=None)
        if "year" in frame.columns:
            return sorted({int(y) for y in frame["year"].dropna().unique()})
        meta_year = _meta(path).get("year") if path.is_dir() else None
        if meta_year is not None:
            return [int(meta_year)]
        # Without a year the table could not be chosen by --year at all ("available: ").
        raise ValidationError(
            "the table has no year: add a year column, or put the file in a directory "
            "with a meta.toml saying year = YYYY",
            path=str(file),
        )
    if not path.is_dir():
        return []
    years = sorted(
        int(p.name)
        for p in path.iterdir()
        if _YEAR_DIR.match(p.name) and _find(p, "Z", required=False)
    )
    if years:
        return years
    year = _meta(path).get("year")
    if year is None:
        raise ValidationError(
            "the table has no year: add year = YYYY to meta.toml (or put the files in "
            "YYYY/ subdirectories)",
            path=str(path),
        )
    return [int(year)]


# ---------------------------------------------------------------------------- the loader
@register(
    "generic",
    list_years=generic_years,
    description="Your own table: Z/Y (+x, va) as CSV or Parquet, wide or long (docs/sources.md)",
)
def load_generic(
    path: Path, year: int | None = None, *, rebalance: bool | None = None
) -> MRIOModel:
    """Load a table in the generic wide (directory) or long (single file) format."""
    path = Path(path)
    if _is_long_file(path):
        return _load_long(path, year, meta={}, rebalance=rebalance)
    if not path.is_dir():
        raise DataNotFoundError("no such file or directory", path=str(path))
    year_dirs = sorted(p for p in path.iterdir() if _YEAR_DIR.match(p.name) and p.is_dir())
    if year_dirs and _find(path, "Z", required=False) is None:
        available = [int(p.name) for p in year_dirs]
        if year is None:
            raise ValidationError(
                f"a year is needed; available: {', '.join(map(str, available))}", path=str(path)
            )
        if year not in available:
            raise DataNotFoundError(
                f"unknown year {year}; available: {', '.join(map(str, available))}",
                path=str(path),
            )
        path = path / str(year)
    meta = _meta(path)
    long_file = _long_file_in(path)
    if long_file is not None and _find(path, "Z", required=False) is None:
        return _load_long(long_file, year, meta=meta, rebalance=rebalance)
    return _load_wide(path, year, meta=meta, rebalance=rebalance)


def _codes(meta: dict, countries_own: list[str]) -> list[str]:
    system = meta.get("country_codes")
    if system is None:
        return countries_own
    if system not in ("adb", "wiod", "icio"):
        raise ValidationError(f"country_codes must be adb, wiod or icio, not {system!r}")
    return [to_iso3(c, source=system) for c in countries_own]


def _build(
    Z, Y_full, *, countries_own, sectors, categories, x, published_va, year, meta, rebalance, origin
) -> MRIOModel:
    meta_year = meta.get("year")
    if year is not None and meta_year is not None and int(meta_year) != year:
        raise ValidationError(f"meta.toml says year {meta_year}, not {year}", path=origin)
    sector_names = meta.get("sector_names", {})
    fd_names = meta.get("fd_category_names", {})
    inventory = meta.get("inventory_category")
    if inventory is not None and inventory not in categories:
        raise ValidationError(
            f"inventory_category {inventory!r} is not a final-demand category "
            f"({', '.join(categories)})",
            path=origin,
        )
    return MRIOModel.from_arrays(
        Z,
        Y_full,
        countries=_codes(meta, countries_own),
        source_countries=countries_own,
        sectors=sectors,
        sector_names=[str(sector_names.get(s, s)) for s in sectors],
        fd_categories=categories,
        fd_category_names=[str(fd_names.get(f, f)) for f in categories],
        x=x,
        rebalance=rebalance,
        year=year if year is not None else (int(meta_year) if meta_year is not None else None),
        source=str(meta.get("source", "generic")),
        units=str(meta.get("units", "USD million, current prices")),
        inventory_category=inventory,
        published_va=published_va,
        origin=origin,
    )


def _load_wide(directory: Path, year, *, meta, rebalance) -> MRIOModel:
    z_file = _find(directory, "Z", required=True)
    y_file = _find(directory, "Y", required=True)
    z_frame = _read_table(z_file)
    labels = _labels(z_frame, z_file)
    pairs = [_split(lab, z_file, _line(z_file, i)) for i, lab in enumerate(labels)]
    countries_own = list(dict.fromkeys(c for c, _ in pairs))
    sectors = [s for c, s in pairs if c == countries_own[0]]
    N = len(sectors)
    expected = [(c, s) for c in countries_own for s in sectors]
    for i, pair in enumerate(pairs):
        if i >= len(expected) or pair != expected[i]:
            raise ValidationError(
                f"row {labels[i]!r} out of place: rows must be country-major blocks of the "
                f"same {N} sectors ({', '.join(sectors)})",
                path=str(z_file),
                location=_line(z_file, i),
            )
    if len(pairs) != len(expected):
        raise ValidationError(
            f"{len(pairs)} rows for {len(countries_own)} countries x {N} sectors",
            path=str(z_file),
        )
    z_columns = [c for c in z_frame.columns if c != "label"]
    if z_columns != labels:
        first = next(
            (
                f"column {j + 2} is {c!r}, expected "
                + (repr(labels[j]) if j < len(labels) else "no more columns")
                for j, c in enumerate(z_columns)
                if j >= len(labels) or c != labels[j]
            ),
            f"{len(labels) - len(z_columns)} column(s) missing after {z_columns[-1]!r}"
            if z_columns
            else "no columns",
        )
        raise ValidationError(
            f"Z must be square with columns in the row order: {first}", path=str(z_file)
        )
    Z = _numbers(z_frame, z_columns, z_file, labels)

    y_frame = _read_table(y_file)
    y_labels = _labels(y_frame, y_file)
    if y_labels != labels:
        i = next(
            (k for k, (a, b) in enumerate(zip(y_labels, labels, strict=False)) if a != b),
            min(len(y_labels), len(labels)),
        )
        raise ValidationError(
            f"final-demand rows must match Z's rows ({len(y_labels)} vs {len(labels)} rows; "
            f"first difference at row {i + 1})",
            path=str(y_file),
            location=_line(y_file, i),
        )
    y_columns = [c for c in y_frame.columns if c != "label"]
    y_pairs = []
    for j, column in enumerate(y_columns):
        if "." in column:
            y_pairs.append(_split(column, y_file, f"header, column {j + 2}"))
        else:
            y_pairs.append((column, "FD"))  # one column per destination country
    categories = list(dict.fromkeys(f for _, f in y_pairs))
    F = len(categories)
    Y_raw = _numbers(y_frame, y_columns, y_file, labels)
    Y_full = np.zeros((len(labels), len(countries_own) * F))
    seen = np.zeros(len(countries_own) * F, dtype=bool)
    for j, (country, category) in enumerate(y_pairs):
        if country not in countries_own:
            raise ValidationError(
                f"final-demand column {y_columns[j]!r} names a country without rows",
                path=str(y_file),
                location=f"header, column {j + 2}",
            )
        pos = countries_own.index(country) * F + categories.index(category)
        if seen[pos]:
            raise ValidationError(
                f"duplicate final-demand column {y_columns[j]!r}",
                path=str(y_file),
                location=f"header, column {j + 2}",
            )
        seen[pos] = True
        Y_full[:, pos] = Y_raw[:, j]
    if not seen.all():
        pos = int(np.flatnonzero(~seen)[0])
        raise ValidationError(
            f"missing final-demand column {countries_own[pos // F]}.{categories[pos % F]}",
            path=str(y_file),
        )
    x = _vector(directory, "x", labels)
    published_va = _vector(directory, "va", labels)
    return _build(
        Z,
        Y_full,
        countries_own=countries_own,
        sectors=sectors,
        categories=categories,
        x=x,
        published_va=published_va,
        year=year,
        meta=meta,
        rebalance=rebalance,
        origin=str(directory),
    )


def _vector(directory: Path, stem: str, labels: list[str]) -> np.ndarray | None:
    file = _find(directory, stem, required=False)
    if file is None:
        return None
    frame = _read_table(file)
    got = _labels(frame, file)
    if stem not in frame.columns:
        raise ValidationError(f"no {stem!r} column", path=str(file))
    values = _numbers(frame, [stem], file, got)[:, 0]
    position = {label: i for i, label in enumerate(got)}
    missing = [label for label in labels if label not in position]
    if missing or len(got) != len(labels):
        what = f"missing {missing[0]!r}" if missing else f"{len(got)} rows, expected {len(labels)}"
        raise ValidationError(f"{stem} must have one row per Z row ({what})", path=str(file))
    if stem == "x" and np.any(values < 0):
        i = int(np.flatnonzero(values < 0)[0])
        raise ValidationError(
            f"negative gross output {values[i]:.6g}",
            path=str(file),
            location=f"{_line(file, i)} (row {got[i]})",
        )
    return values[[position[label] for label in labels]]


def _load_long(file: Path, year, *, meta, rebalance) -> MRIOModel:
    frame = _read_table(file, label_column=None)
    missing = [c for c in LONG_COLUMNS if c not in frame.columns]
    if missing:
        raise ValidationError(
            f"long format needs columns {', '.join(LONG_COLUMNS)}; missing {', '.join(missing)}",
            path=str(file),
        )
    if "year" in frame.columns:
        years = sorted({int(y) for y in frame["year"].dropna().unique()})
        if year is None and len(years) > 1:
            raise ValidationError(
                f"a year is needed; available: {', '.join(map(str, years))}", path=str(file)
            )
        year = year if year is not None else years[0]
        if year not in years:
            raise DataNotFoundError(
                f"unknown year {year}; available: {', '.join(map(str, years))}", path=str(file)
            )
        frame = frame[frame["year"] == year]
    lines = frame.index.to_numpy()
    text = {}
    for column in ("row_country", "row_sector", "col_country", "col_code"):
        text[column] = frame[column].astype("string").fillna("").str.strip().to_numpy(object)
    if "block" in frame.columns:
        block = frame["block"].astype("string").fillna("").str.strip().str.upper()
        block = block.to_numpy(object)
        bad = ~np.isin(block, ["Z", "Y", "VA", "X", ""])
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ValidationError(
                f"block {block[k]!r} is not Z, Y, VA or X",
                path=str(file),
                location=f"{_line(file, int(lines[k]))}, column block",
            )
    else:
        block = np.full(len(frame), "", dtype=object)
    value_labels = [f"{a}.{b}->{c}.{d}" for a, b, c, d in zip(*text.values(), strict=True)]
    values = _numbers(frame.reset_index(drop=True), ["value"], file, value_labels)[:, 0]
    flows = np.isin(block, ["Z", "Y", ""])
    for column in ("row_country", "row_sector", "col_country", "col_code"):
        needed = flows if column.startswith("row") else np.ones(len(frame), dtype=bool)
        empty = needed & (text[column] == "")
        if empty.any():
            k = int(np.flatnonzero(empty)[0])
            raise ValidationError(
                f"missing label in column {column}",
                path=str(file),
                location=_line(file, int(lines[k])),
            )
    countries_own = list(dict.fromkeys(text["row_country"][flows]))
    sectors = list(dict.fromkeys(text["row_sector"][flows]))
    if not countries_own:
        raise ValidationError("no intermediate or final-demand entries", path=str(file))
    sector_set = set(sectors)
    is_z = np.where(block == "", np.isin(text["col_code"], list(sector_set)), block == "Z")
    is_y = flows & ~is_z
    categories = list(dict.fromkeys(text["col_code"][is_y]))
    G, N, F = len(countries_own), len(sectors), max(len(categories), 1)
    if not categories:
        categories = ["FD"]
    c_pos = {c: i for i, c in enumerate(countries_own)}
    s_pos = {s: i for i, s in enumerate(sectors)}
    f_pos = {f: i for i, f in enumerate(categories)}

    def index(countries, codes, lookup, width, what, rows_mask):
        # Vectorised label -> position lookup (-1 = unknown label).
        c_idx = pd.Index(list(c_pos)).get_indexer(countries)
        s_idx = pd.Index(list(lookup)).get_indexer(codes)
        unknown = (c_idx < 0) | (s_idx < 0)
        if unknown.any():
            k = int(np.flatnonzero(unknown)[0])
            line = int(lines[np.flatnonzero(rows_mask)[k]])
            raise ValidationError(
                f"{what} {countries[k]}.{codes[k]} is not a "
                f"country-{'sector' if width == N else 'category'} of the table",
                path=str(file),
                location=_line(file, line),
            )
        return c_idx.astype(np.intp) * width + s_idx

    GN = G * N
    Z = np.zeros((GN, GN))
    Y_full = np.zeros((GN, G * F))
    for mask, target, col_lookup, width in ((is_z, Z, s_pos, N), (is_y, Y_full, f_pos, F)):
        if not mask.any():
            continue
        r = index(text["row_country"][mask], text["row_sector"][mask], s_pos, N, "row", mask)
        c = index(
            text["col_country"][mask], text["col_code"][mask], col_lookup, width, "column", mask
        )
        flat = r * target.shape[1] + c
        uniq, counts = np.unique(flat, return_counts=True)
        if (counts > 1).any():
            dup = uniq[counts > 1][0]
            k = int(np.flatnonzero(flat == dup)[1])
            raise ValidationError(
                "duplicate entry",
                path=str(file),
                location=_line(file, int(lines[np.flatnonzero(mask)[k]])),
            )
        target.ravel()[flat] = values[mask]
    vectors = {}
    for name in ("VA", "X"):
        mask = block == name
        if not mask.any():
            vectors[name] = None
            continue
        c = index(text["col_country"][mask], text["col_code"][mask], s_pos, N, "column", mask)
        vector = np.zeros(GN)
        np.add.at(vector, c, values[mask])  # VA may come in several component rows
        vectors[name] = vector
    if vectors["X"] is not None and np.any(vectors["X"] < 0):
        i = int(np.flatnonzero(vectors["X"] < 0)[0])
        raise ValidationError(
            f"negative gross output {vectors['X'][i]:.6g} for "
            f"{countries_own[i // N]}.{sectors[i % N]}",
            path=str(file),
        )
    return _build(
        Z,
        Y_full,
        countries_own=countries_own,
        sectors=sectors,
        categories=categories,
        x=vectors["X"],
        published_va=vectors["VA"],
        year=year,
        meta=meta,
        rebalance=rebalance,
        origin=str(file),
    )


# ---------------------------------------------------------------------------- export
def write_generic(model: MRIOModel, directory: str | Path, *, fmt: str = "csv") -> Path:
    """Write ``model`` in the generic wide format (Z, Y, x, va, meta.toml) into ``directory``.

    Files are written through temporary names and renamed, so an interrupted export never
    leaves a half-written table under the final name.
    """
    import os
    import tempfile

    if fmt not in ("csv", "parquet"):
        raise ValidationError(f"format must be csv or parquet, not {fmt!r}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    writes = {"Z", "Y", "x"} | ({"va"} if model.published_va is not None else set())
    others = [
        f.name
        for stem in ("Z", "Y", "x", "va", "long")
        for f in _candidates(directory, stem)
        if not (stem in writes and f.name == f"{stem}.{fmt}")
    ]
    if others:
        # A table file this export would not replace (the other format, a va.csv the new
        # model has no counterpart for, a long file) would be read with the new files.
        raise ValidationError(
            f"the directory already holds {', '.join(others)}, which this export would not "
            "replace; write into an empty directory (or remove them)",
            path=str(directory),
        )
    # ISO3 codes (not the source's own) so the export reloads to the same countries.
    labels = [f"{c}.{s}" for c in model.countries for s in model.sectors]
    fd_labels = [f"{c}.{f}" for c in model.countries for f in model.fd_categories]
    frames = {
        "Z": pd.DataFrame(model.Z, columns=labels),
        "Y": pd.DataFrame(model.Y_full, columns=fd_labels),
        "x": pd.DataFrame({"x": _published_output(model)}),
    }
    if model.published_va is not None:
        frames["va"] = pd.DataFrame({"va": model.published_va})
    for name, frame in frames.items():
        frame.insert(0, "label", labels)
        target = directory / f"{name}.{fmt}"
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=f".{fmt}", dir=directory)
        os.close(fd)
        try:
            if fmt == "csv":
                frame.to_csv(tmp, index=False, float_format="%.17g")
            else:
                frame.to_parquet(tmp, index=False)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    lines = [f"source = {_toml_str(model.source)}", f"units = {_toml_str(model.units)}"]
    if model.year is not None:
        lines.insert(0, f"year = {model.year}")
    if model.inventory_category:
        lines.append(f"inventory_category = {_toml_str(model.inventory_category)}")
    lines.append("\n[sector_names]")
    lines += [
        f"{_toml_key(s)} = {_toml_str(n)}"
        for s, n in zip(model.sectors, model.sector_names, strict=True)
    ]
    lines.append("\n[fd_category_names]")
    lines += [
        f"{_toml_key(f)} = {_toml_str(n)}"
        for f, n in zip(model.fd_categories, model.fd_category_names, strict=True)
    ]
    fd, tmp = tempfile.mkstemp(prefix=".meta.toml.", dir=directory)
    try:  # atomically, like the tables: an existing meta.toml is never left half-written
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        os.replace(tmp, directory / "meta.toml")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return directory


def _published_output(model: MRIOModel) -> np.ndarray:
    """x as the source published it (before any rebalancing), so a reload rebuilds the same
    model: the loader then makes the same rebalancing decision on the same numbers."""
    gap = model.validation.balance_gap
    if model.validation.rebalanced and gap is not None and "x" in gap:
        return gap["x"].to_numpy(dtype=np.float64)
    return np.asarray(model.x)


def _toml_str(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_key(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z0-9_-]+", text) else _toml_str(text)
