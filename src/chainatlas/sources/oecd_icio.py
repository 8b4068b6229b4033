"""OECD Inter-Country Input-Output tables, CSV files (2021 and 2023 editions).

One file per year, ``ICIO2021_YYYY.csv`` / ``ICIO2023_YYYY.csv`` (also read inside the
publisher's ``.zip``): the first column holds row labels, the header row column labels.
Intermediate rows and columns are ``CTRY_SECTOR`` (``AUS_D01T02`` in 2021, ``AUS_A01_02`` in
2023); final-demand columns are ``CTRY_HFCE``, ``_NPISH``, ``_GGFC``, ``_GFCF``, ``_INVNT``,
``_DPABR`` (direct purchases abroad by residents, can be negative); the last column ``OUT`` is
gross output; the bottom rows are ``TLS`` (taxes less subsidies on intermediate products),
``VA`` and ``OUT``.

China and Mexico are split into ``CN1``/``CN2`` and ``MX1``/``MX2`` (processing / non-processing
activity) in the intermediate rows and columns. METHODS §1: they are merged into ``CHN`` and
``MEX`` (rows and columns summed) before the model is built. If the file also holds non-zero
``CHN``/``MEX`` rows, they must equal the sum of the split rows (then the split rows are
dropped); anything else is an error rather than a silent double count.
"""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse

from chainatlas.core.model import MRIOModel
from chainatlas.errors import DataNotFoundError, ValidationError
from chainatlas.sources.codes import to_iso3
from chainatlas.sources.registry import register

ICIO_FD = ("HFCE", "NPISH", "GGFC", "GFCF", "INVNT", "DPABR")
ICIO_FD_NAMES = (
    "Household final consumption expenditure",
    "Final consumption expenditure of non-profit institutions serving households",
    "General government final consumption",
    "Gross fixed capital formation",
    "Changes in inventories and valuables",
    "Direct purchases abroad by residents",
)
OUTPUT_LABELS = frozenset({"OUT", "OUTPUT", "TOTAL"})
VA_ROW_LABELS = frozenset({"TLS", "VA", "TAXSUB", "VALU"})
SPLITS = {"CHN": ("CN1", "CN2"), "MEX": ("MX1", "MX2")}
ICIO_FILE = re.compile(r"^ICIO(?P<edition>\d{4})(?:econ|ext)?_(?P<year>\d{4})\.(csv|zip)$", re.I)


# ---------------------------------------------------------------------------- file lookup
# One table: (file, edition, member of a multi-year zip bundle or None).
Entry = tuple[Path, str, str | None]


def _bundle_members(file: Path) -> list[tuple[int, str, str]]:
    """(year, edition, member) of the ICIO CSVs inside a zip (OECD ships multi-year bundles)."""
    try:
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError):
        return []
    out = []
    for name in names:
        match = ICIO_FILE.match(Path(name).name)
        if match and name.lower().endswith(".csv"):
            out.append((int(match.group("year")), match.group("edition"), name))
    return out


def _entries(path: Path) -> dict[int, list[Entry]]:
    candidates = [path] if path.is_file() else sorted(path.iterdir())
    found: dict[int, list[Entry]] = {}
    for candidate in candidates:
        if candidate.name.startswith("."):
            continue
        match = ICIO_FILE.match(candidate.name)
        if match:
            found.setdefault(int(match.group("year")), []).append(
                (candidate, match.group("edition"), None)
            )
        elif candidate.suffix.lower() == ".zip":
            for year, edition, member in _bundle_members(candidate):
                found.setdefault(year, []).append((candidate, edition, member))
    return found


def oecd_icio_years(path: Path) -> list[int]:
    path = Path(path)
    return sorted(_entries(path)) if path.exists() else []


def _find_file(path: Path, year: int | None, edition: int | None) -> tuple[Entry, int | None]:
    if not path.exists():
        raise DataNotFoundError("no such file or directory", path=str(path))
    found = _entries(path)
    if path.is_file() and not found:
        return (path, "", None), year  # a CSV under another name: read it as it is
    if not found:
        raise DataNotFoundError("no ICIO20xx_YYYY.csv files (or zips of them) here", path=str(path))
    years = sorted(found)
    if year is None and len(years) == 1:
        year = years[0]
    if year is None:
        raise ValidationError(
            f"a year is needed; available: {', '.join(map(str, years))}", path=str(path)
        )
    if year not in found:
        raise DataNotFoundError(
            f"unknown year {year}; available: {', '.join(map(str, years))}", path=str(path)
        )
    files = found[year]
    if edition is not None:
        files = [f for f in files if f[1] == str(edition)]
    editions = sorted({e for _, e, _ in files})
    if len(editions) > 1:
        raise ValidationError(
            f"several editions for {year} ({', '.join(editions)}); pass edition=…", path=str(path)
        )
    if not files:
        raise DataNotFoundError(f"no edition {edition} file for {year}", path=str(path))
    # Prefer an unpacked CSV over a zip.
    files.sort(key=lambda f: f[0].suffix.lower() != ".csv")
    return files[0], year


def _read_csv(file: Path, member: str | None = None) -> pd.DataFrame:
    try:
        if file.suffix.lower() == ".zip":
            with zipfile.ZipFile(file) as archive:
                if member is None:
                    members = [n for n in archive.namelist() if n.lower().endswith(".csv")]
                    wanted = file.stem.lower() + ".csv"
                    member = next((n for n in members if Path(n).name.lower() == wanted), None)
                    if member is None and len(members) == 1:
                        member = members[0]
                    if member is None:
                        raise ValidationError(
                            f"the archive holds {len(members)} CSV files, none named {wanted}",
                            path=str(file),
                        )
                data = io.BytesIO(archive.read(member))
            frame = pd.read_csv(data, index_col=0)
        else:
            frame = pd.read_csv(file, index_col=0)
    except ValidationError:
        raise
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise ValidationError(
            f"cannot read CSV (corrupt or truncated? {exc.__class__.__name__}: {exc})",
            path=str(file),
        ) from exc
    except (zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise ValidationError(f"cannot read zip archive ({exc})", path=str(file)) from exc
    return frame


def _numeric(frame: pd.DataFrame, file: Path) -> np.ndarray:
    """All cells as float64; name the first empty or non-numeric cell (row label, column)."""
    values = np.empty(frame.shape, dtype=np.float64)
    for j, column in enumerate(frame.columns):
        series = frame[column]
        if series.dtype.kind in "fiu":
            values[:, j] = series.to_numpy(dtype=np.float64)
        else:
            values[:, j] = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raw = frame.iat[i, j]
        shown = "empty or NaN" if pd.isna(raw) else repr(raw)
        raise ValidationError(
            f"cell is {shown}, not a number ({int(bad.sum())} such cell(s))",
            path=str(file),
            location=f"row {frame.index[i]!s} (line {i + 2}), column {frame.columns[j]!s}",
        )
    return values


def _split_label(label: str) -> tuple[str, str] | None:
    country, sep, rest = label.partition("_")
    return (country, rest) if sep and country and rest else None


# ---------------------------------------------------------------------------- the loader
@register(
    "oecd-icio",
    list_years=oecd_icio_years,
    description="OECD ICIO CSV files ICIO2021_YYYY.csv / ICIO2023_YYYY.csv (CN1/CN2, MX1/MX2 "
    "merged into CHN, MEX)",
)
def load_oecd_icio(
    path: Path,
    year: int | None = None,
    *,
    edition: int | None = None,
    rebalance: bool | None = None,
) -> MRIOModel:
    """Load one year of the OECD ICIO tables from the published CSV (or its zip)."""
    (file, _, member), file_year = _find_file(Path(path), year, edition)
    frame = _read_csv(file, member)
    if member is not None:
        file = Path(f"{file}!{member}")  # name the member in every message
    if frame.empty or frame.shape[1] < 2:
        raise ValidationError("no table in the file (empty or one column)", path=str(file))
    row_labels = [str(v).strip() for v in frame.index]
    col_labels = [str(v).strip() for v in frame.columns]
    for i, label in enumerate(row_labels):
        if not label or label.lower() == "nan":
            raise ValidationError(
                "missing row label", path=str(file), location=f"line {i + 2}, first column"
            )
    for j, label in enumerate(col_labels):
        if not label or label.lower().startswith("unnamed"):
            raise ValidationError(
                "missing column label", path=str(file), location=f"header, column {j + 2}"
            )
    values = _numeric(frame, file)

    # ---- partition rows and columns
    z_rows = [
        i for i, lab in enumerate(row_labels) if lab.upper() not in VA_ROW_LABELS | OUTPUT_LABELS
    ]
    va_rows = [i for i, lab in enumerate(row_labels) if lab.upper() in VA_ROW_LABELS]
    for i in z_rows:
        if _split_label(row_labels[i]) is None:
            raise ValidationError(
                f"row label {row_labels[i]!r} is not COUNTRY_SECTOR, TLS, VA or OUT",
                path=str(file),
                location=f"line {i + 2}",
            )
    z_row_set = {row_labels[i] for i in z_rows}
    z_cols, fd_cols, out_col = [], [], None
    for j, lab in enumerate(col_labels):
        if lab.upper() in OUTPUT_LABELS:
            out_col = j
        elif lab in z_row_set:
            z_cols.append(j)
        elif (parts := _split_label(lab)) and parts[1] in ICIO_FD:
            fd_cols.append(j)
        else:
            raise ValidationError(
                f"column {lab!r} is neither an intermediate-use column matching a row label, "
                f"a final-demand column COUNTRY_{{{','.join(ICIO_FD)}}} nor OUT",
                path=str(file),
                location=f"header, column {j + 2}",
            )
    z_col_labels = [col_labels[j] for j in z_cols]
    z_row_labels = [row_labels[i] for i in z_rows]
    if z_col_labels != z_row_labels:
        missing = next(
            (lab for lab in z_row_labels if lab not in set(z_col_labels)),
            next((a for a, b in zip(z_row_labels, z_col_labels, strict=False) if a != b), None),
        )
        raise ValidationError(
            f"intermediate rows and columns differ (first: {missing!r}); they must list the "
            "same COUNTRY_SECTOR labels in the same order",
            path=str(file),
        )

    # ---- merge CN1/CN2 -> CHN, MX1/MX2 -> MEX (rows and columns)
    own = [_split_label(lab) for lab in z_row_labels]
    notes: list[str] = []
    drop: set[str] = set()
    present = {c for c, _ in own}
    z_block = values[np.ix_(z_rows, z_cols)]
    y_block = values[np.ix_(z_rows, fd_cols)]
    for base, parts in SPLITS.items():
        split_present = [p for p in parts if p in present]
        if not split_present:
            continue
        base_idx = [k for k, (c, _) in enumerate(own) if c == base]
        split_idx = [k for k, (c, _) in enumerate(own) if c in split_present]
        if base_idx and (np.any(z_block[base_idx] != 0) or np.any(y_block[base_idx] != 0)):
            # The file carries both the total and the split: use the total if they agree.
            n_sec = len(base_idx)
            summed = z_block[split_idx].reshape(len(split_present), n_sec, -1).sum(axis=0)
            if not np.allclose(summed, z_block[base_idx], rtol=1e-6, atol=1e-6):
                raise ValidationError(
                    f"{base} rows hold values and differ from the sum of "
                    f"{'/'.join(split_present)}: cannot tell which is the total",
                    path=str(file),
                )
            drop.update(split_present)
            notes.append(f"{base} rows kept; split rows {'/'.join(split_present)} dropped")
        else:
            notes.append(f"merged {'+'.join(split_present)} into {base} (rows and columns)")
    keep = [k for k, (c, _) in enumerate(own) if c not in drop]
    keys = [f"{to_iso3(own[k][0], source='icio')}_{own[k][1]}" for k in keep]
    z_block = z_block[np.ix_(keep, keep)]
    y_block = y_block[keep]
    x_full = values[z_rows, out_col][keep] if out_col is not None else None
    va_block = values[np.ix_(va_rows, z_cols)][:, keep] if va_rows else None

    merged = list(dict.fromkeys(keys))
    position = {key: n for n, key in enumerate(merged)}
    index = np.array([position[key] for key in keys])
    GN = len(merged)

    # Summing rows through a sparse 0/1 aggregation matrix: one pass, no Python loop.
    aggregate = scipy.sparse.csr_matrix(
        (np.ones(len(index)), (index, np.arange(len(index)))), shape=(GN, len(index))
    )

    def rows_sum(block: np.ndarray) -> np.ndarray:
        if len(index) == GN:  # nothing merged: keys are unique, in order
            return block
        return np.asarray(aggregate @ block)

    Z = rows_sum(rows_sum(z_block).T).T
    Y_rows = rows_sum(y_block)
    x = rows_sum(x_full) if x_full is not None else None
    published_va = rows_sum(va_block.sum(axis=0)) if va_block is not None else None

    # ---- countries, sectors (country-major, same sectors for every country)
    pairs = [tuple(k.split("_", 1)) for k in merged]
    countries = list(dict.fromkeys(c for c, _ in pairs))
    sectors = [s for c, s in pairs if c == countries[0]]
    N = len(sectors)
    expected = [(c, s) for c in countries for s in sectors]
    if pairs != expected:
        bad = next(p for p, e in zip(pairs, expected + [None] * len(pairs), strict=False) if p != e)
        raise ValidationError(
            f"intermediate rows are not country-major blocks of the same {N} sectors "
            f"(first out of place: {'_'.join(bad)})",
            path=str(file),
        )
    source_countries = []
    for c in countries:
        own_codes = [o for o, _ in own if to_iso3(o, source="icio") == c and o not in drop]
        source_countries.append("+".join(dict.fromkeys(own_codes)))

    # ---- final demand: destination country x category, reordered to (country, ICIO_FD)
    fd_pairs = [_split_label(col_labels[j]) for j in fd_cols]
    categories = [f for f in ICIO_FD if any(p[1] == f for p in fd_pairs)]
    F = len(categories)
    Y_full = np.zeros((GN, len(countries) * F))
    filled = np.zeros(len(countries) * F, dtype=bool)
    for k, (c, f) in enumerate(fd_pairs):
        iso = to_iso3(c, source="icio")
        if iso not in countries:
            raise ValidationError(
                f"final-demand column {col_labels[fd_cols[k]]!r} for a country without rows",
                path=str(file),
            )
        pos = countries.index(iso) * F + categories.index(f)
        Y_full[:, pos] += Y_rows[:, k]
        filled[pos] = True
    if not filled.all():
        pos = int(np.flatnonzero(~filled)[0])
        raise ValidationError(
            f"missing final-demand column {countries[pos // F]}_{categories[pos % F]}",
            path=str(file),
        )
    if x is not None and np.any(x < 0):
        i = int(np.flatnonzero(x < 0)[0])
        raise ValidationError(
            f"negative output {x[i]:.6g}", path=str(file), location=f"row {merged[i]}, column OUT"
        )
    names = dict(zip(ICIO_FD, ICIO_FD_NAMES, strict=True))
    model = MRIOModel.from_arrays(
        Z,
        Y_full,
        countries=countries,
        source_countries=source_countries,
        sectors=sectors,
        fd_categories=categories,
        fd_category_names=[names[f] for f in categories],
        x=x,
        rebalance=rebalance,
        year=file_year,
        source="oecd-icio",
        units="USD million, current prices",
        inventory_category="INVNT" if "INVNT" in categories else None,
        published_va=published_va,
        origin=str(file),
    )
    if notes:
        validation = dataclasses.replace(model.validation, notes=(*model.validation.notes, *notes))
        model = dataclasses.replace(model, validation=validation)
    return model
