"""WIOD world input-output tables as published in Excel (2013 and 2016 releases).

Both releases (and the ADB MRIO, see :mod:`chainatlas.sources.adb`) share one sheet layout,
documented by the publisher and read the same way by pymrio and MARIO:

* a few title rows (table name and year, "(industry-by-industry)", "(millions of US$)");
* four column-header rows ending in the *number row* (``c1``, ``c2``, …): above it the row
  of country codes, above that the row of descriptions, and (WIOD) above that the row of
  industry codes (ISIC ``AtB`` … in 2013, NACE ``A01`` … in 2016);
* four row-label columns left of the data: industry code, description, country, number
  (``c1`` … in 2013/ADB, ``r1`` … in 2016);
* the GN × GN intermediate block, then G × F final-demand columns (and a total-output
  column), then the value-added block rows (taxes, cif/fob, purchases, VA, transport margins)
  between "total intermediate consumption" and "output" rows.

2013 release: ``WIOT{YY}_ROW_Apr12.xlsx`` (file names vary in case and month), 41 countries
(RoW last, Romania as ``ROM``), 35 sectors ``c1..c35``, FD ``c37 c38 c39 c41 c42``, rows
``r60`` (total intermediate) … ``r69`` (output). 2016 release: ``WIOT{YYYY}_Nov16_ROW.xlsb``
(or ``.xlsx``), 44 countries (``ROW`` last), 56 sectors ``A01 … U``, FD ``CONS_h CONS_np
CONS_g GFCF INVEN``, rows ``II_fob TXSP EXP_adj PURR PURNR VA IntTTM GO``.

The loader locates the number row instead of trusting fixed offsets, checks every row and
column label against the expected country-major order, and names the Excel cell
(``Sheet!E7``) of any missing label or non-numeric entry.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from chainatlas.core.model import MAX_ABS_VALUE, MRIOModel
from chainatlas.errors import DataNotFoundError, ValidationError
from chainatlas.sources.codes import to_iso3
from chainatlas.sources.registry import register
from chainatlas.sources.safe_read import check_grid, check_workbook_extent
from chainatlas.sources.wiod_r import WIOD2013_FD, WIOD2013_FD_NAMES

WIOD2016_FD = ("CONS_h", "CONS_np", "CONS_g", "GFCF", "INVEN")
WIOD2016_FD_NAMES = (
    "Final consumption expenditure by households",
    "Final consumption expenditure by non-profit organisations serving households (NPISH)",
    "Final consumption expenditure by government",
    "Gross fixed capital formation",
    "Changes in inventories and valuables",
)
# Header cells that mark the total-output column, and regions used for totals.
OUTPUT_COLUMN_CODES = frozenset({"GO", "TOTAL", "TOT", "c62", "OUT"})
TOTAL_REGIONS = frozenset({"TOT", "TOTAL", "ZZZ"})
# How many top rows to search for the header row with the sector numbers c1, c2, ...
HEADER_SEARCH_ROWS = 25


# ---------------------------------------------------------------------------- cell helpers
def column_letter(col: int) -> str:
    """0-based column index -> Excel letters (0 -> A, 26 -> AA)."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_ref(sheet: str, row: int, col: int) -> str:
    """0-based (row, col) -> 'Sheet!C7'."""
    return f"{sheet}!{column_letter(col)}{row + 1}"


def clean(value: object) -> str | None:
    """A header/label cell as stripped text; None when empty."""
    if value is None:
        return None
    if isinstance(value, float):
        if np.isnan(value):
            return None
        if value.is_integer():
            return str(int(value))
    text = str(value).strip()
    return text or None


def code(value: object) -> str | None:
    """A code cell: like :func:`clean`, with sector numbers as c1… and FD codes as F1… whatever
    their case in the file (C1 and c1 are the same column)."""
    text = clean(value)
    if text and re.fullmatch(r"[cCrR]\d+", text):
        return text.lower()
    if text and re.fullmatch(r"[fF]\d", text):
        return text.upper()
    return text


def numeric_block(
    grid: np.ndarray,
    rows: Sequence[int] | np.ndarray,
    cols: Sequence[int] | np.ndarray,
    *,
    what: str,
    file: Path,
    sheet: str,
    blank_as_zero: bool = False,
) -> np.ndarray:
    """Cells grid[rows, cols] as float64; the first empty or non-numeric cell is an error."""
    rows = np.asarray(rows, dtype=np.intp)
    cols = np.asarray(cols, dtype=np.intp)
    block = grid[np.ix_(rows, cols)]
    flat = block.ravel()
    values = np.array(
        pd.to_numeric(pd.Series(flat, dtype=object), errors="coerce"), dtype=np.float64
    )
    bad = ~np.isfinite(values)
    if blank_as_zero and bad.any():
        # empty, or a cell holding only spaces (ADB writes ' ' for zero)
        blank = np.array([v is None or (isinstance(v, str) and not v.strip()) for v in flat])
        blank &= bad
        values[blank] = 0.0
        bad &= ~blank
    bad |= np.abs(values) > MAX_ABS_VALUE  # 1e308 cells: their sums overflow to inf
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        i, j = divmod(k, len(cols))
        raw = flat[k]
        shown = "empty" if raw is None else repr(raw)
        if np.isfinite(values[k]):
            shown = f"{values[k]:.6g}, beyond ±{MAX_ABS_VALUE:.0e} (sums would overflow)"
        hint = " (pass blank_as_zero=True to read empty cells as 0)" if raw is None else ""
        raise ValidationError(
            f"{what}: cell is {shown}, not a number ({int(bad.sum())} such cell(s)){hint}",
            path=str(file),
            location=cell_ref(sheet, int(rows[i]), int(cols[j])),
        )
    return values.reshape(block.shape)


# ---------------------------------------------------------------------------- reading sheets
def _grid_from_rows(rows: list[Sequence[object]]) -> np.ndarray:
    width = max((len(r) for r in rows), default=0)
    grid = np.full((len(rows), width), None, dtype=object)
    for i, row in enumerate(rows):
        grid[i, : len(row)] = row
    return grid


ENGINES = ("calamine", "openpyxl", "pyxlsb")


def read_sheet(
    file: Path,
    sheet: str | None = None,
    *,
    prefer: Callable[[list[str]], str | None] | None = None,
    engine: str | None = None,
) -> tuple[np.ndarray, str]:
    """Read one worksheet of an .xlsx or .xlsb workbook as a 0-based object grid (A1 = [0, 0]).

    ``sheet`` names the sheet; otherwise ``prefer(sheet_names)`` picks one, else the first.
    ``engine``: "calamine" (fast, Rust; the default when python-calamine is installed),
    "openpyxl" (.xlsx) or "pyxlsb" (.xlsb). Empty cells are None. A corrupt or truncated
    workbook is a ValidationError naming the file.
    """
    suffix = file.suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".xlsb"):
        raise ValidationError(
            f"unsupported file type {suffix!r}; expected .xlsx or .xlsb", path=str(file)
        )
    if engine is None:
        try:
            import python_calamine  # noqa: F401

            engine = "calamine"
        except ImportError:
            engine = "pyxlsb" if suffix == ".xlsb" else "openpyxl"
    if engine not in ENGINES:
        raise ValidationError(f"unknown Excel engine {engine!r}; use one of {', '.join(ENGINES)}")
    reader = {"calamine": _read_calamine, "openpyxl": _read_xlsx, "pyxlsb": _read_xlsb}[engine]
    try:
        # before any reader allocates a dense grid from the sheet's declared extent
        check_workbook_extent(file)
        return reader(file, sheet, prefer)
    except ValidationError:
        raise
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, EOFError, IndexError) as exc:
        raise ValidationError(
            f"cannot read workbook (corrupt or truncated? {exc.__class__.__name__}: {exc})",
            path=str(file),
        ) from exc
    except Exception as exc:  # the Excel readers raise many types on damaged files
        raise ValidationError(
            f"cannot read workbook (corrupt or truncated? {exc.__class__.__name__}: {exc})",
            path=str(file),
        ) from exc


def _read_calamine(file: Path, sheet, prefer) -> tuple[np.ndarray, str]:
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(file))
    name = _pick_sheet(list(workbook.sheet_names), sheet, prefer, file)
    # skip_empty_area=False keeps leading empty rows/columns, so [0, 0] is cell A1.
    rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    grid = _grid_from_rows(rows)
    empty = np.frompyfunc(lambda v: isinstance(v, str) and v == "", 1, 1)(grid).astype(bool)
    grid[empty] = None
    return grid, name


def _pick_sheet(
    names: list[str], sheet: str | None, prefer: Callable[[list[str]], str | None] | None, file
) -> str:
    if sheet is not None:
        if sheet not in names:
            raise ValidationError(
                f"no sheet {sheet!r}; the workbook has {', '.join(names)}", path=str(file)
            )
        return sheet
    chosen = prefer(names) if prefer else None
    if chosen is None:
        if not names:
            raise ValidationError("workbook has no sheets", path=str(file))
        chosen = names[0]
    return chosen


def _read_xlsx(file: Path, sheet, prefer) -> tuple[np.ndarray, str]:
    import openpyxl

    workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
    try:
        name = _pick_sheet(workbook.sheetnames, sheet, prefer, file)
        worksheet = workbook[name]
        rows = [row for row in worksheet.iter_rows(min_row=1, min_col=1, values_only=True)]
    finally:
        workbook.close()
    return _grid_from_rows(rows), name


def _read_xlsb(file: Path, sheet, prefer) -> tuple[np.ndarray, str]:
    import pyxlsb

    with pyxlsb.open_workbook(str(file)) as workbook:
        name = _pick_sheet(list(workbook.sheets), sheet, prefer, file)
        cells: dict[tuple[int, int], object] = {}
        n_rows = n_cols = 0
        with workbook.get_sheet(name) as worksheet:
            for row in worksheet.rows(sparse=True):
                for cell in row:
                    if cell.v is not None:
                        cells[(cell.r, cell.c)] = cell.v
                        n_rows = max(n_rows, cell.r + 1)
                        n_cols = max(n_cols, cell.c + 1)
    check_grid(n_rows, n_cols, None, file, name)
    grid = np.full((n_rows, n_cols), None, dtype=object)
    for (r, c), v in cells.items():
        grid[r, c] = v
    return grid, name


# ---------------------------------------------------------------------------- the layout
@dataclass(frozen=True)
class SheetLayout:
    """What differs between WIOD 2013, WIOD 2016 and ADB sheets of the shared layout."""

    source: str  # registry name
    code_system: str  # country-code mapping for to_iso3 ("wiod", "adb")
    fd_codes: tuple[str, ...]
    fd_names: tuple[str, ...]
    inventory_category: str
    # Header row holding the sector / FD codes, relative to the number row (c1, c2, …):
    # 0 = the number row itself (c1 … / c37 … / F1 …), -3 = the industry-code row (A01 …).
    code_row_offset: int
    # Column holding each row's sector code, relative to the first data column:
    # -1 = the number column (c1 …), -4 = the industry-code column (A01 …).
    row_code_col_offset: int
    intermediate_total_rows: frozenset[str]  # row codes of "total intermediate consumption"
    output_rows: frozenset[str]  # row codes of total output
    units: str = "USD million, current prices"


WIOD2013_LAYOUT = SheetLayout(
    source="wiod2013-excel",
    code_system="wiod",
    fd_codes=WIOD2013_FD,
    fd_names=WIOD2013_FD_NAMES,
    inventory_category="c42",
    code_row_offset=0,
    row_code_col_offset=-1,
    intermediate_total_rows=frozenset({"r60"}),
    output_rows=frozenset({"r69", "GO"}),
)
WIOD2016_LAYOUT = SheetLayout(
    source="wiod2016",
    code_system="wiod",
    fd_codes=WIOD2016_FD,
    fd_names=WIOD2016_FD_NAMES,
    inventory_category="INVEN",
    code_row_offset=-3,
    row_code_col_offset=-4,
    intermediate_total_rows=frozenset({"II_fob"}),
    output_rows=frozenset({"GO"}),
)


def _label_is_total_intermediate(label: str | None) -> bool:
    return bool(label) and bool(re.match(r"(total )?intermediate", label, re.IGNORECASE))


def _label_is_output(label: str | None) -> bool:
    return bool(label) and bool(
        re.fullmatch(r"total|(total )?output.*|gross output.*", label, re.IGNORECASE)
    )


def find_number_row(grid: np.ndarray, file: Path, sheet: str) -> tuple[int, int]:
    """(row, col) of the header cell 'c1' followed by 'c2' (the sector-number header row)."""
    for r in range(min(HEADER_SEARCH_ROWS, grid.shape[0])):
        row = grid[r]
        for c in range(2, grid.shape[1] - 1):
            if code(row[c]) == "c1" and code(row[c + 1]) == "c2":
                return r, c
    raise ValidationError(
        f"no header row with sector numbers c1, c2, … in the first {HEADER_SEARCH_ROWS} rows: "
        "not a WIOD/ADB world input-output sheet",
        path=str(file),
        location=sheet,
    )


def parse_world_table(
    grid: np.ndarray,
    layout: SheetLayout,
    *,
    file: Path,
    sheet: str,
    year: int | None,
    rebalance: bool | None = None,
    blank_as_zero: bool = False,
) -> MRIOModel:
    """Build the model from a sheet in the shared WIOD/ADB layout (see module docstring)."""
    num_row, start = find_number_row(grid, file, sheet)
    code_row = num_row + layout.code_row_offset
    region_row, name_row = num_row - 1, num_row - 2
    row_country_col = start - 2
    row_code_col = start + layout.row_code_col_offset
    row_name_col = start - 3
    if min(code_row, name_row) < 0 or min(row_code_col, row_name_col) < 0:
        raise ValidationError(
            "header rows or label columns missing above/left of the data",
            path=str(file),
            location=cell_ref(sheet, num_row, start),
        )

    # ---- columns: sectors (country-major), then final demand, then total output
    sector_cols: list[int] = []
    fd_cols: list[int] = []
    output_col: int | None = None
    for c in range(start, grid.shape[1]):
        code_ = code(grid[code_row, c])
        region = clean(grid[region_row, c])
        if code_ is None and region is None:
            break  # end of the table
        if code_ in layout.fd_codes:
            fd_cols.append(c)
        elif code_ in OUTPUT_COLUMN_CODES or (region or "").upper() in TOTAL_REGIONS:
            output_col = c
            break
        elif fd_cols and (
            region is None
            or re.search(r"total|output", clean(grid[name_row, c]) or "", re.IGNORECASE)
        ):
            output_col = c  # the totals column after final demand, however it is coded
            break
        else:
            if fd_cols:
                raise ValidationError(
                    f"unexpected column {code_!r} after the final-demand columns; final-demand "
                    f"codes are {', '.join(layout.fd_codes)}",
                    path=str(file),
                    location=cell_ref(sheet, code_row, c),
                )
            if region is None or code_ is None:
                missing_row = region_row if region is None else code_row
                raise ValidationError(
                    "missing column label (country or sector code_)",
                    path=str(file),
                    location=cell_ref(sheet, missing_row, c),
                )
            sector_cols.append(c)
    if not sector_cols:
        raise ValidationError(
            "no intermediate-use columns", path=str(file), location=cell_ref(sheet, code_row, start)
        )

    col_regions = [clean(grid[region_row, c]) for c in sector_cols]
    countries_own = list(dict.fromkeys(col_regions))
    G = len(countries_own)
    first_block = [
        c for c, r in zip(sector_cols, col_regions, strict=True) if r == countries_own[0]
    ]
    sectors = [code(grid[code_row, c]) for c in first_block]
    N = len(sectors)
    if len(set(sectors)) != N:
        dup = next(s for s in sectors if sectors.count(s) > 1)
        raise ValidationError(
            f"sector {dup!r} appears twice in the columns of {countries_own[0]}",
            path=str(file),
            location=sheet,
        )
    if len(sector_cols) != G * N:
        raise ValidationError(
            f"{len(sector_cols)} intermediate-use columns for {G} countries x {N} sectors "
            f"(expected {G * N}): the column blocks have different sizes",
            path=str(file),
            location=sheet,
        )
    for k, c in enumerate(sector_cols):
        want_region, want_code = countries_own[k // N], sectors[k % N]
        got_region, got_code = col_regions[k], code(grid[code_row, c])
        if (got_region, got_code) != (want_region, want_code):
            bad_row = region_row if got_region != want_region else code_row
            raise ValidationError(
                f"column label {got_region}/{got_code}, expected {want_region}/{want_code} "
                "(countries must be in blocks of the same sectors in the same order)",
                path=str(file),
                location=cell_ref(sheet, bad_row, c),
            )
    sector_names = [clean(grid[name_row, c]) or sectors[i] for i, c in enumerate(first_block)]

    # ---- final demand columns -> Y_full in (country, category) order
    F = len(layout.fd_codes)
    fd_order = np.full(G * F, -1, dtype=np.intp)
    for c in fd_cols:
        region, code_ = clean(grid[region_row, c]), code(grid[code_row, c])
        if region not in countries_own:
            raise ValidationError(
                f"final-demand column for unknown country {region!r}",
                path=str(file),
                location=cell_ref(sheet, region_row, c),
            )
        pos = countries_own.index(region) * F + layout.fd_codes.index(code_)
        if fd_order[pos] >= 0:
            raise ValidationError(
                f"final-demand column {region}/{code_} appears twice",
                path=str(file),
                location=cell_ref(sheet, code_row, c),
            )
        fd_order[pos] = c
    if (fd_order < 0).any():
        pos = int(np.flatnonzero(fd_order < 0)[0])
        raise ValidationError(
            f"missing final-demand column {countries_own[pos // F]}/{layout.fd_codes[pos % F]}",
            path=str(file),
            location=sheet,
        )

    # ---- rows: GN intermediate rows in the same order, then the value-added block
    GN = G * N
    first_data = num_row + 1
    if grid.shape[0] < first_data + GN:
        raise ValidationError(
            f"the sheet ends at row {grid.shape[0]}; {GN} rows of intermediate use expected "
            f"from row {first_data + 1} (truncated table?)",
            path=str(file),
            location=sheet,
        )
    z_rows = np.arange(first_data, first_data + GN)
    for i, r in enumerate(z_rows):
        want_region, want_code = countries_own[i // N], sectors[i % N]
        got_region, got_code = clean(grid[r, row_country_col]), code(grid[r, row_code_col])
        if (got_region, got_code) != (want_region, want_code):
            bad_col = row_country_col if got_region != want_region else row_code_col
            raise ValidationError(
                f"row label {got_region}/{got_code}, expected {want_region}/{want_code} "
                "(rows must list the same country-sectors as the columns, in the same order)",
                path=str(file),
                location=cell_ref(sheet, int(r), bad_col),
            )

    va_rows: list[int] = []
    output_row: int | None = None
    for r in range(first_data + GN, grid.shape[0]):
        code_ = code(grid[r, row_code_col]) or code(grid[r, start - 1])
        label = clean(grid[r, row_name_col])
        if code_ is None and label is None:
            if all(clean(v) is None for v in grid[r, start : start + 3]):
                break  # blank row: end of table
            raise ValidationError(
                "value-added block row without a code_ or label",
                path=str(file),
                location=cell_ref(sheet, r, row_code_col),
            )
        if code_ in layout.intermediate_total_rows or _label_is_total_intermediate(label):
            continue
        if code_ in layout.output_rows or _label_is_output(label):
            output_row = r
            break
        va_rows.append(r)

    read = dict(file=file, sheet=sheet, blank_as_zero=blank_as_zero)
    Z = numeric_block(grid, z_rows, sector_cols, what="intermediate use", **read)
    Y_full = numeric_block(grid, z_rows, fd_order, what="final demand", **read)
    x = None
    if output_col is not None:
        x = numeric_block(grid, z_rows, [output_col], what="total output", **read)[:, 0]
        negative = np.flatnonzero(x < 0)
        if negative.size:
            i = int(negative[0])
            raise ValidationError(
                f"negative total output {x[i]:.6g} for {countries_own[i // N]}/{sectors[i % N]}",
                path=str(file),
                location=cell_ref(sheet, int(z_rows[i]), output_col),
            )
    elif output_row is not None:
        x = numeric_block(grid, [output_row], sector_cols, what="total output", **read)[0]
    published_va = None
    if va_rows:
        published_va = numeric_block(grid, va_rows, sector_cols, what="value added", **read).sum(
            axis=0
        )

    title_year = _title_year(grid[: max(num_row - 3, 1), :2])
    if year is not None and title_year is not None and title_year != year:
        raise ValidationError(
            f"the sheet title says {title_year}, the file name {year}",
            path=str(file),
            location=cell_ref(sheet, 0, 0),
        )
    units = layout.units
    title_text = " ".join(clean(v) or "" for v in grid[: max(num_row - 2, 1), 0])
    if "constant" in title_text.lower() or "previous year" in title_text.lower():
        units = f"USD million ({title_text.strip()})"
    return MRIOModel.from_arrays(
        Z,
        Y_full,
        countries=[to_iso3(c, source=layout.code_system) for c in countries_own],
        source_countries=countries_own,
        sectors=sectors,
        sector_names=sector_names,
        fd_categories=layout.fd_codes,
        fd_category_names=layout.fd_names,
        x=x,
        rebalance=rebalance,
        year=year if year is not None else title_year,
        source=layout.source,
        units=units,
        inventory_category=layout.inventory_category,
        published_va=published_va,
        origin=f"{file} [{sheet}]",
    )


def _title_year(cells: np.ndarray) -> int | None:
    for value in cells.ravel():
        text = clean(value)
        if text and (match := re.search(r"\b(19[5-9]\d|20\d\d)\b", text)):
            return int(match.group(1))
    return None


# ---------------------------------------------------------------------------- file lookup
def find_year_file(
    path: Path,
    year: int | None,
    pattern: re.Pattern[str],
    year_of: Callable[[re.Match[str]], int],
    describe: str,
) -> tuple[Path, int | None]:
    """The file for ``year`` in a directory (or the file itself), and its year."""
    if path.is_file():
        match = pattern.match(path.name)
        file_year = year_of(match) if match else None
        if year is not None and file_year is not None and file_year != year:
            raise ValidationError(f"file holds year {file_year}, not {year}", path=str(path))
        return path, file_year if file_year is not None else year
    if not path.is_dir():
        raise DataNotFoundError("no such file or directory", path=str(path))
    found: dict[int, list[Path]] = {}
    for candidate in sorted(path.iterdir()):
        if candidate.name.startswith((".", "~$")):
            continue
        match = pattern.match(candidate.name)
        if match:
            found.setdefault(year_of(match), []).append(candidate)
    if not found:
        raise DataNotFoundError(f"no {describe} files here", path=str(path))
    years = sorted(found)
    if year is None:
        raise ValidationError(
            f"a year is needed; available: {', '.join(map(str, years))}", path=str(path)
        )
    if year not in found:
        raise DataNotFoundError(
            f"unknown year {year}; available: {', '.join(map(str, years))}", path=str(path)
        )
    files = found[year]
    # Prefer the publisher's binary workbook when both formats are present.
    files.sort(key=lambda p: (p.suffix.lower() != ".xlsb", p.name))
    return files[0], year


def list_years(path: Path, pattern: re.Pattern[str], year_of) -> list[int]:
    path = Path(path)
    if path.is_file():
        match = pattern.match(path.name)
        return [year_of(match)] if match else []
    if not path.is_dir():
        return []
    return sorted(
        {
            year_of(m)
            for p in path.iterdir()
            if not p.name.startswith(".") and (m := pattern.match(p.name))
        }
    )


# ---------------------------------------------------------------------------- WIOD 2013
WIOD2013_FILE = re.compile(r"^wiot(\d{2})_row_[a-z]{3}\d{2}\.xlsx$", re.IGNORECASE)


def _wiod2013_year(match: re.Match[str]) -> int:
    yy = int(match.group(1))
    return 1900 + yy if yy >= 90 else 2000 + yy


def wiod2013_excel_years(path: Path) -> list[int]:
    return list_years(path, WIOD2013_FILE, _wiod2013_year)


@register(
    "wiod2013-excel",
    list_years=wiod2013_excel_years,
    description="WIOD 2013 release, official Excel files WIOT{YY}_ROW_Apr12.xlsx (1995-2011)",
)
def load_wiod2013_excel(
    path: Path,
    year: int | None = None,
    *,
    rebalance: bool | None = None,
    sheet: str | None = None,
    blank_as_zero: bool = False,
    engine: str | None = None,
    extensions: bool = True,
) -> MRIOModel:
    """Load one year of the WIOD 2013 release from the published Excel workbook
    (``extensions``: with the environmental accounts and SEA found beside it)."""
    file, file_year = find_year_file(
        Path(path), year, WIOD2013_FILE, _wiod2013_year, "WIOT{YY}_ROW_*.xlsx"
    )
    model = load_world_workbook(
        file,
        file_year,
        WIOD2013_LAYOUT,
        sheet=sheet,
        rebalance=rebalance,
        blank_as_zero=blank_as_zero,
        engine=engine,
    )
    if not extensions:
        return model
    from chainatlas.sources.wiod_env import attach_wiod2013_extensions  # (loaders' module)

    return attach_wiod2013_extensions(model, file.parent)


# ---------------------------------------------------------------------------- WIOD 2016
WIOD2016_FILE = re.compile(r"^wiot(\d{4})_nov16_row\.xls[bx]$", re.IGNORECASE)


def _wiod2016_year(match: re.Match[str]) -> int:
    return int(match.group(1))


def wiod2016_years(path: Path) -> list[int]:
    return list_years(path, WIOD2016_FILE, _wiod2016_year)


def _prefer_data_sheet(names: list[str]) -> str | None:
    """The data sheet: one named like a year, else the first that is not notes/legend."""
    for name in names:
        if re.fullmatch(r"\d{4}", name.strip()):
            return name
    for name in names:
        if not re.search(r"legend|note|content|readme|source", name, re.IGNORECASE):
            return name
    return None


def load_world_workbook(
    file: Path,
    year: int | None,
    layout: SheetLayout,
    *,
    sheet: str | None,
    rebalance: bool | None,
    blank_as_zero: bool,
    engine: str | None,
) -> MRIOModel:
    """Read the data sheet of one publisher workbook and parse it with ``layout``.

    Without an explicit ``sheet``, a sheet named like the file's year wins, then the first
    data sheet (WIOD and ADB workbooks keep notes and legends in other sheets).
    """

    def prefer(names: list[str]) -> str | None:
        if year is not None and str(year) in names:
            return str(year)
        return _prefer_data_sheet(names)

    grid, sheet_name = read_sheet(file, sheet, prefer=prefer, engine=engine)
    return parse_world_table(
        grid,
        layout,
        file=file,
        sheet=sheet_name,
        year=year,
        rebalance=rebalance,
        blank_as_zero=blank_as_zero,
    )


@register(
    "wiod2016",
    list_years=wiod2016_years,
    description="WIOD 2016 release, Excel files WIOT{YYYY}_Nov16_ROW.xlsb/.xlsx (2000-2014)",
)
def load_wiod2016(
    path: Path,
    year: int | None = None,
    *,
    rebalance: bool | None = None,
    sheet: str | None = None,
    blank_as_zero: bool = False,
    engine: str | None = None,
) -> MRIOModel:
    """Load one year of the WIOD 2016 release (``.xlsb`` as published, or ``.xlsx``)."""
    file, file_year = find_year_file(
        Path(path), year, WIOD2016_FILE, _wiod2016_year, "WIOT{YYYY}_Nov16_ROW.xlsb"
    )
    return load_world_workbook(
        file,
        file_year,
        WIOD2016_LAYOUT,
        sheet=sheet,
        rebalance=rebalance,
        blank_as_zero=blank_as_zero,
        engine=engine,
    )
