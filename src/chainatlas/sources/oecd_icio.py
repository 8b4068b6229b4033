"""OECD Inter-Country Input-Output tables, every edition, recognised from the file itself.

One CSV per year (``ICIO2016_YYYY.csv`` … ``ICIO2023_YYYY.csv``), unpacked, inside its
single-file zip, or inside the OECD's multi-year zip bundles. The first column holds row
labels, the header row column labels; intermediate rows and columns are ``CTRY_SECTOR``. The
edition is recognised from the final-demand columns and the bottom rows (docs/sources.md):

* 2016 (1995–2011): ``HFCE_AUS``-style columns (category first: HFCE, NPS, GGFC, GFCF, INV,
  DIRP), one ``DISC`` column (statistical discrepancy), rows ``VA+TAXSUB`` and ``OUT`` (empty
  under the final-demand columns);
* 2018 (2005–2015): ``AUS_HFCE`` … ``AUS_P33`` (HFCE, NPISH, GGFC, GFCF, INVNT, P33), rows
  ``CTRY_TAXSUB``, ``VALU``, ``OUTPUT``, column ``TOTAL``;
* 2021 and 2023 (and later editions in that documented layout): ``AUS_HFCE`` … ``AUS_DPABR``
  (HFCE, NPISH, GGFC, GFCF, INVNT, DPABR), rows ``TLS``, ``VA``, ``OUT``, column ``OUT``;
  2021 sector codes look like ``D01T02``, 2023 ones like ``A01_02``;
* exvatools' ICIO-type test table (``iciotest``): FD ``CONS``/``INVST``, no VA or output rows.

China and Mexico are split into ``CN1``/``CN2`` and ``MX1``/``MX2`` (processing / non-
processing) in the intermediate rows and columns; final demand is by CHN / MEX. METHODS §1:
by default (``split="keep"``) the split is kept in the computation — CHN is one economy made
of its two parts, flows between them are domestic (core/layout.py) — and results report CHN
and MEX. ``split="merge"`` sums the parts first (the published aggregate; it overstates
China's domestic value added in exports). Rows of the base code (``CHN``/``MEX``) that are all
zero are dropped; rows equal to the sum of the parts are a total (the parts are dropped);
other non-zero base rows are kept as one more part (pymrio sums them the same way).
"""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from chainatlas.core.model import MRIOModel
from chainatlas.errors import DataNotFoundError, ValidationError
from chainatlas.sources.codes import to_iso3
from chainatlas.sources.registry import register

ICIO_FD = ("HFCE", "NPISH", "GGFC", "GFCF", "INVNT", "DPABR")
FD_NAMES = {
    "HFCE": "Household final consumption expenditure",
    "NPISH": "Final consumption expenditure of non-profit institutions serving households",
    "NPS": "Final consumption expenditure of non-profit institutions serving households",
    "GGFC": "General government final consumption",
    "GFCF": "Gross fixed capital formation",
    "INVNT": "Changes in inventories and valuables",
    "INV": "Changes in inventories and valuables",
    "DPABR": "Direct purchases abroad by residents",
    "DIRP": "Direct purchases abroad by residents",
    "P33": "Direct purchases abroad (SNA P.33)",
    "CONS": "Final consumption",
    "INVST": "Investment",
    "DISC": "Statistical discrepancy",
}


@dataclass(frozen=True)
class Edition:
    """One published layout: how its final-demand columns are written and which they are."""

    name: str
    categories: tuple[str, ...]  # in the published order
    category_first: bool  # HFCE_AUS (2016) rather than AUS_HFCE
    inventory: str | None


EDITIONS = {
    "2016": Edition("2016", ("HFCE", "NPS", "GGFC", "GFCF", "INV", "DIRP"), True, "INV"),
    "2018": Edition("2018", ("HFCE", "NPISH", "GGFC", "GFCF", "INVNT", "P33"), False, "INVNT"),
    # 2021, 2023 and later editions in the same documented layout
    "2021": Edition("2021", ICIO_FD, False, "INVNT"),
    "iciotest": Edition("iciotest", ("CONS", "INVST"), False, None),
}
OUTPUT_LABELS = frozenset({"OUT", "OUTPUT", "TOTAL"})
VA_ROW_LABELS = frozenset({"TLS", "VA", "TAXSUB", "VALU", "VA+TAXSUB"})  # and CTRY_TAXSUB
DISCREPANCY = "DISC"
# Split economies: CN1/CN2 and MX1/MX2 since 2018; the 2016 edition has more parts (up to
# CN4, MX3), so any CN<digit> / MX<digit> is a part of CHN / MEX.
SPLIT_PART = re.compile(r"^(?P<base>CN|MX)\d$")
SPLIT_BASE = {"CN": "CHN", "MX": "MEX"}


def _economy(code: str) -> str:
    """ISO3 economy of a row code: CN1 -> CHN, MX3 -> MEX, ROW -> ROW, AUS -> AUS."""
    match = SPLIT_PART.match(code)
    return SPLIT_BASE[match.group("base")] if match else to_iso3(code, source="icio")


SPLIT_OPTIONS = ("keep", "merge")
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
    seen: dict[str, str] = {}
    for name in names:
        match = ICIO_FILE.match(Path(name).name)
        if match and name.lower().endswith(".csv"):
            base = Path(name).name.lower()
            if base in seen:
                # two copies of one table-year (e.g. a re-release in another folder): which
                # one the user means cannot be guessed
                raise ValidationError(
                    f"the archive holds {Path(name).name} twice ({seen[base]} and {name})",
                    path=str(file),
                )
            seen[base] = name
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
def _recognise(
    fd_labels: list[str], economies: set[str], sectors: list[str], file: Path
) -> Edition:
    """The edition whose final-demand column scheme the file uses."""
    suffixes = {lab.rsplit("_", 1)[-1] for lab in fd_labels if "_" in lab}
    prefixes = {lab.split("_", 1)[0] for lab in fd_labels if "_" in lab}
    if prefixes and prefixes <= set(EDITIONS["2016"].categories):
        return EDITIONS["2016"]
    if "P33" in suffixes:
        return EDITIONS["2018"]
    if "DPABR" in suffixes or suffixes & {"HFCE", "GGFC", "GFCF"}:
        return EDITIONS["2021"]
    if suffixes and suffixes <= set(EDITIONS["iciotest"].categories):
        return EDITIONS["iciotest"]
    shown = ", ".join(sorted(fd_labels)[:6]) or "none"
    raise ValidationError(
        "cannot recognise the ICIO edition from the final-demand columns (found "
        f"{shown}; expected HFCE_AUS… (2016), AUS_HFCE…AUS_P33 (2018) or "
        "AUS_HFCE…AUS_DPABR (2021, 2023))",
        path=str(file),
    )


def _layout_of(edition: str) -> str | None:
    """The layout an edition (year of release, or 'iciotest') is published in."""
    if edition in ("2016", "2018", "iciotest"):
        return edition
    return "2021" if edition.isdigit() and int(edition) >= 2021 else None


def _fd_column(label: str, edition: Edition, economies: set[str]) -> tuple[str, str] | None:
    """(destination code, category) of a final-demand column label, or None."""
    first, sep, second = label.partition("_")
    if not sep:
        return None
    country, category = (second, first) if edition.category_first else (first, second)
    if category in edition.categories and country in economies:
        return country, category
    return None


def _read_block(values: pd.DataFrame, rows: list[int], cols: list[int], file: Path) -> np.ndarray:
    return _numeric(values.iloc[rows, cols], file)


@register(
    "oecd-icio",
    list_years=oecd_icio_years,
    description="OECD ICIO CSV files, editions 2016, 2018, 2021, 2023 (ICIO20xx_YYYY.csv, "
    "zips, multi-year bundles); CN1/CN2, MX1/MX2 kept as parts of CHN, MEX (split='merge' "
    "sums them first)",
)
def load_oecd_icio(
    path: Path,
    year: int | None = None,
    *,
    edition: int | str | None = None,
    rebalance: bool | None = None,
    split: str = "keep",
) -> MRIOModel:
    """Load one year of the OECD ICIO tables from the published CSV (or its zip).

    ``edition``: pick among several editions of the year in a folder, and check that the
    file is in that edition's layout. ``split``: ``"keep"`` (default, METHODS §1) computes on
    the CN1/CN2, MX1/MX2 parts; ``"merge"`` sums them into CHN/MEX first. ``year`` names the
    year of a file whose name carries none.
    """
    if split not in SPLIT_OPTIONS:
        raise ValidationError(
            f"unknown split option {split!r}; choose one of {', '.join(SPLIT_OPTIONS)}"
        )
    wanted = None if edition is None else str(edition)
    if wanted is not None and _layout_of(wanted) is None:
        raise ValidationError(
            f"unknown ICIO edition {edition!r}; known: {', '.join(EDITIONS)}", path=str(path)
        )
    (file, named_edition, member), file_year = _find_file(
        Path(path), year, int(wanted) if wanted and wanted.isdigit() else None
    )
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

    # ---- partition rows: intermediate (also a column label), VA-type, output
    z_rows, va_rows, out_row = [], [], None
    for i, lab in enumerate(row_labels):
        upper = lab.upper()
        if upper in OUTPUT_LABELS:
            out_row = i
        elif upper in VA_ROW_LABELS or upper.endswith("_TAXSUB"):
            va_rows.append(i)
        elif _split_label(lab) is not None:
            z_rows.append(i)  # its intermediate-use column is checked below
        else:
            raise ValidationError(
                f"row label {lab!r} is not COUNTRY_SECTOR, a value-added row "
                "(TLS, VA, TAXSUB, VALU, VA+TAXSUB) or an output row (OUT, OUTPUT)",
                path=str(file),
                location=f"line {i + 2}",
            )
    if not z_rows:
        raise ValidationError("no COUNTRY_SECTOR rows", path=str(file))
    z_row_labels = [row_labels[i] for i in z_rows]
    own = [_split_label(lab) for lab in z_row_labels]
    own_codes = list(dict.fromkeys(c for c, _ in own))
    sectors = [sec for c, sec in own if c == own_codes[0]]
    N = len(sectors)
    expected = [(c, sec) for c in own_codes for sec in sectors]
    if own != expected:
        bad = next(p for p, e in zip(own, expected + [None] * len(own), strict=False) if p != e)
        raise ValidationError(
            f"intermediate rows are not country blocks of the same {N} sectors "
            f"(first out of place: {'_'.join(bad)})",
            path=str(file),
        )
    economies_iso = list(dict.fromkeys(_economy(c) for c in own_codes))
    destination_codes = set(own_codes) | set(economies_iso)

    # ---- partition columns: intermediate, final demand, output, discrepancy
    z_row_set = set(z_row_labels)
    z_cols, fd_cols, out_col, disc_col = [], [], None, None
    other = [lab for lab in col_labels if lab not in z_row_set]
    fd_like = [lab for lab in other if lab.upper() not in OUTPUT_LABELS and lab != DISCREPANCY]
    # recognise the edition on the labels that look like final demand of some edition (a
    # cut file leaves intermediate-use columns without rows; they are named further down)
    known = {c for e in EDITIONS.values() for c in e.categories}
    looks_fd = [
        lab for lab in fd_like if lab.rsplit("_", 1)[-1] in known or lab.split("_", 1)[0] in known
    ]
    layout = _recognise(looks_fd or fd_like, destination_codes, sectors, file)
    if wanted is not None and _layout_of(wanted) != layout.name:
        raise ValidationError(
            f"the file is in the ICIO {layout.name} layout, not the {wanted} edition asked for",
            path=str(file),
        )
    if named_edition and _layout_of(named_edition) not in (None, layout.name):
        raise ValidationError(
            f"the file is named as the ICIO {named_edition} edition but is in the "
            f"{layout.name} layout (final-demand columns {', '.join(fd_like[:3])}, …)",
            path=str(file),
        )
    fd_pairs: list[tuple[str, str]] = []
    for j, lab in enumerate(col_labels):
        if lab in z_row_set:
            z_cols.append(j)
        elif lab.upper() in OUTPUT_LABELS:
            out_col = j
        elif lab == DISCREPANCY and layout.name == "2016":
            disc_col = j
        elif (pair := _fd_column(lab, layout, destination_codes)) is not None:
            fd_cols.append(j)
            fd_pairs.append(pair)
        else:
            form = "CATEGORY_COUNTRY" if layout.category_first else "COUNTRY_CATEGORY"
            raise ValidationError(
                f"column {lab!r} is neither an intermediate-use column matching a row label "
                "(rows missing: a cut file?), "
                f"a final-demand column {form} with category in "
                f"{{{','.join(layout.categories)}}} (ICIO {layout.name} layout) nor an output "
                "column",
                path=str(file),
                location=f"header, column {j + 2}",
            )
    if [col_labels[j] for j in z_cols] != z_row_labels:
        z_col_labels = [col_labels[j] for j in z_cols]
        missing = next(
            (lab for lab in z_row_labels if lab not in set(z_col_labels)),
            next((a for a, b in zip(z_row_labels, z_col_labels, strict=False) if a != b), None),
        )
        raise ValidationError(
            f"intermediate rows and columns differ (first: {missing!r}); they must list the "
            "same COUNTRY_SECTOR labels in the same order",
            path=str(file),
        )
    if layout.name != "iciotest" and out_row is None and out_col is None:
        raise ValidationError(
            "no output row or column (OUT, OUTPUT or TOTAL): a cut file?", path=str(file)
        )

    # ---- numbers (the VA/output rows under final-demand columns may be empty: not read)
    Z = _read_block(frame, z_rows, z_cols, file)
    Y_cols = _read_block(frame, z_rows, fd_cols, file)
    disc = _read_block(frame, z_rows, [disc_col], file)[:, 0] if disc_col is not None else None
    if out_col is not None:
        x = _read_block(frame, z_rows, [out_col], file)[:, 0]
    elif out_row is not None:
        x = _read_block(frame, [out_row], z_cols, file)[0]
    else:
        x = None
    va = _read_block(frame, va_rows, z_cols, file).sum(axis=0) if va_rows else None
    if x is not None and np.any(x < 0):
        i = int(np.flatnonzero(x < 0)[0])
        raise ValidationError(
            f"negative output {x[i]:.6g}",
            path=str(file),
            location=f"row {z_row_labels[i]}, column {col_labels[out_col] if out_col else 'OUT'}",
        )

    # ---- final demand by destination economy x category (published category order)
    categories = [c for c in layout.categories if any(p[1] == c for p in fd_pairs)]
    notes: list[str] = [f"OECD ICIO {'2021/2023' if layout.name == '2021' else layout.name} layout"]
    if disc is not None and np.any(disc != 0):
        # exvatools' treatment: the discrepancy is a destination of its own with no rows
        economies_iso.append(DISCREPANCY)
        notes.append("the DISC column (statistical discrepancy) is a destination 'DISC'")
    elif disc is not None:
        notes.append("the DISC column is all zero and was dropped")
    F = len(categories)
    E = len(economies_iso)
    Y_full = np.zeros((len(z_rows), E * F))
    filled = np.zeros(E * F, dtype=bool)
    for k, (country, category) in enumerate(fd_pairs):
        pos = economies_iso.index(_economy(country)) * F + categories.index(category)
        Y_full[:, pos] += Y_cols[:, k]
        filled[pos] = True
    if DISCREPANCY in economies_iso:
        Y_full[:, (E - 1) * F] = disc
        filled[(E - 1) * F : E * F] = True
    if not filled.all():
        pos = int(np.flatnonzero(~filled)[0])
        raise ValidationError(
            f"missing final-demand column {economies_iso[pos // F]}_{categories[pos % F]}",
            path=str(file),
        )

    # ---- parts of each economy (CN1/CN2 of CHN, …)
    blocks = {c: slice(k * N, (k + 1) * N) for k, c in enumerate(own_codes)}
    drop: set[str] = set()
    for base in SPLIT_BASE.values():
        present = [c for c in own_codes if SPLIT_PART.match(c) and _economy(c) == base]
        if not present:
            continue
        parts = "/".join(present)
        if base not in blocks:
            notes.append(f"{base} computed on its parts {parts}")
            continue
        rows = blocks[base]
        base_rows = np.concatenate([Z[rows], Y_full[rows]], axis=1)
        if not np.any(base_rows != 0) and not np.any(Z[:, rows] != 0):
            drop.add(base)
            notes.append(f"{base} rows are empty; {base} computed on its parts {parts}")
            continue
        summed = sum(np.concatenate([Z[blocks[c]], Y_full[blocks[c]]], axis=1) for c in present)
        if np.allclose(summed, base_rows, rtol=1e-6, atol=1e-6):
            drop.update(present)
            notes.append(f"{base} rows equal {'+'.join(present)}: {base} kept, {parts} dropped")
        else:
            notes.append(
                f"{base} rows hold values that are not the sum of {parts}: kept as one more "
                f"part of {base}"
            )
    keep_codes = [c for c in own_codes if c not in drop]
    rows_kept = np.concatenate([np.arange(blocks[c].start, blocks[c].stop) for c in keep_codes])
    if DISCREPANCY in economies_iso:
        keep_codes.append(DISCREPANCY)  # a destination without production: N zero rows
    part_country = [economies_iso.index(_economy(c)) for c in keep_codes]

    def part_rows(array: np.ndarray, columns: bool = False) -> np.ndarray:
        out = array[rows_kept]
        if DISCREPANCY in economies_iso:
            out = np.concatenate([out, np.zeros((N, *out.shape[1:]))])
        return out

    Z_parts = part_rows(part_rows(Z).T).T
    Y_parts = part_rows(Y_full)
    x_parts = None if x is None else part_rows(x)
    va_parts = None if va is None else part_rows(va)
    common = dict(
        countries=economies_iso,
        part_codes=keep_codes,
        part_country=part_country,
        sectors=sectors,
        fd_categories=categories,
        x=x_parts,
        published_va=va_parts,
        origin=str(file),
        rebalance=rebalance,
        fd_category_names=[FD_NAMES.get(c, c) for c in categories],
        year=file_year,
        source="oecd-icio",
        units="USD million, current prices",
        inventory_category=layout.inventory if layout.inventory in categories else None,
    )
    if split == "merge":
        model = _merged(Z_parts, Y_parts, x_parts, va_parts, common, N)
        notes.append(
            "split='merge': parts summed into one technology per economy before computing "
            "(overstates China's DVA in exports; METHODS §1)"
        )
    else:
        model = MRIOModel.from_parts(Z_parts, Y_parts, **common)
    validation = dataclasses.replace(model.validation, notes=(*model.validation.notes, *notes))
    return dataclasses.replace(model, validation=validation)


def _merged(Z, Y_full, x, va, common: dict, N: int) -> MRIOModel:
    """The uniform model with every economy's parts summed (rows and columns)."""
    countries = common["countries"]
    part_country = np.asarray(common["part_country"])
    target = (part_country[:, None] * N + np.arange(N)[None, :]).reshape(-1)
    size = len(countries) * N

    def rows_sum(array: np.ndarray) -> np.ndarray:
        out = np.zeros((size, *array.shape[1:]))
        np.add.at(out, target, array)
        return out

    codes = [[] for _ in countries]
    for code, e in zip(common["part_codes"], part_country, strict=True):
        codes[e].append(code)
    options = {k: v for k, v in common.items() if k not in ("part_codes", "part_country")}
    options.update(
        x=None if x is None else rows_sum(x),
        published_va=None if va is None else rows_sum(va),
        source_countries=["+".join(c) for c in codes],
    )
    return MRIOModel.from_arrays(rows_sum(rows_sum(Z).T).T, rows_sum(Y_full), **options)


@register(
    "oecd-icio-merged",
    list_years=oecd_icio_years,
    description="OECD ICIO as oecd-icio, with CN1/CN2 and MX1/MX2 summed into CHN, MEX "
    "before computing (split='merge'; overstates China's DVA)",
)
def load_oecd_icio_merged(
    path: Path,
    year: int | None = None,
    *,
    edition: int | str | None = None,
    rebalance: bool | None = None,
) -> MRIOModel:
    """``load_oecd_icio(..., split="merge")`` as a source name, for the CLI."""
    return load_oecd_icio(path, year, edition=edition, rebalance=rebalance, split="merge")
