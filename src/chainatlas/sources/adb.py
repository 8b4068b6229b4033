"""ADB Multiregional Input-Output tables (kidb.adb.org/mrio), Excel workbooks.

ADB publishes one workbook per year and version, e.g. ``ADB-MRIO-2022_Dec2023.xlsx`` (the
62-economy table plus RoW) or ``ADB-MRIO72-2022_….xlsx`` / ``ADB-MRIO62-2019_Dec2022.xlsx``.
The sheet follows the WIOD 2013 layout (METHODS §1): title rows, then three header rows —
descriptions, ADB economy codes (``PRC``, ``GER``, ``UKG``, …, ``RoW``), and codes (``c1`` …
``c35`` for the 35 sectors, ``F1`` … ``F5`` for the five final-demand categories of each
economy); row labels in columns B (description), C (economy) and D (code); after the
intermediate rows come ``r60`` (total intermediate inputs), the value-added block (taxes
less subsidies on products, cif/fob adjustments, direct purchases abroad, purchases by
non-residents, value added at basic prices, international transport margins) and ``r69``
(total output). Economy codes are mapped to ISO3 with :data:`codes.ADB_TO_ISO3`; the ADB
codes stay in ``source_countries``.
"""

from __future__ import annotations

import re
from pathlib import Path

from chainatlas.core.model import MRIOModel
from chainatlas.errors import DataNotFoundError, ValidationError
from chainatlas.sources.registry import register
from chainatlas.sources.wiod_excel import SheetLayout, load_world_workbook

ADB_FD = ("F1", "F2", "F3", "F4", "F5")
ADB_FD_NAMES = (
    "Final consumption expenditure by households",
    "Final consumption expenditure by non-profit institutions serving households",
    "Final consumption expenditure by government",
    "Gross fixed capital formation",
    "Changes in inventories and valuables",
)
ADB_LAYOUT = SheetLayout(
    source="adb",
    code_system="adb",
    fd_codes=ADB_FD,
    fd_names=ADB_FD_NAMES,
    inventory_category="F5",
    code_row_offset=0,
    row_code_col_offset=-1,
    intermediate_total_rows=frozenset({"r60"}),
    output_rows=frozenset({"r69", "GO"}),
)
# ADB-MRIO-2022_Dec2023.xlsx, ADB-MRIO62-2019_Dec2022.xlsx, ADB-MRIO72-2024_August 2025.xlsx,
# ADB-MRIO-2024_August 2025-62.xlsx (version as a suffix), ADB-MRIO-2022-July 2025.xlsx (75
# economies), ADB MRIO 2019, at constant 2010 prices_Jan 2025.xlsx (constant prices)
ADB_FILE = re.compile(
    r"^ADB[-_ ]?MRIO(?P<version>\d{2})?[-_ ]+(?P<year>\d{4})(?!\d)"
    r"(?P<rest>.*?)(?:-(?P<suffix>62|72|75))?\.xlsx$",
    re.I,
)


def _candidates(path: Path) -> dict[int, list[Path]]:
    found: dict[int, list[Path]] = {}
    for candidate in sorted(path.iterdir()):
        if candidate.name.startswith((".", "~$")):
            continue
        if match := ADB_FILE.match(candidate.name):
            found.setdefault(int(match.group("year")), []).append(candidate)
    return found


def adb_years(path: Path) -> list[int]:
    path = Path(path)
    if path.is_file():
        match = ADB_FILE.match(path.name)
        return [int(match.group("year"))] if match else []
    return sorted(_candidates(path)) if path.is_dir() else []


def _version(file: Path) -> str | None:
    match = ADB_FILE.match(file.name)
    return (match.group("version") or match.group("suffix")) if match else None


def _prices(file: Path) -> str:
    return "constant" if "constant" in file.name.lower() else "current"


def find_adb_file(
    path: Path, year: int | None, economies: int | None, prices: str = "current"
) -> tuple[Path, int | None]:
    if path.is_file():
        match = ADB_FILE.match(path.name)
        file_year = int(match.group("year")) if match else None
        if year is not None and file_year is not None and file_year != year:
            raise ValidationError(f"file holds year {file_year}, not {year}", path=str(path))
        return path, file_year if file_year is not None else year
    if not path.is_dir():
        raise DataNotFoundError("no such file or directory", path=str(path))
    found = _candidates(path)
    if not found:
        raise DataNotFoundError("no ADB-MRIO-YYYY*.xlsx files here", path=str(path))
    years = sorted(found)
    if year is None:
        raise ValidationError(
            f"a year is needed; available: {', '.join(map(str, years))}", path=str(path)
        )
    if year not in found:
        raise DataNotFoundError(
            f"unknown year {year}; available: {', '.join(map(str, years))}", path=str(path)
        )
    if prices not in ("current", "constant"):
        raise ValidationError(f"prices must be 'current' or 'constant', not {prices!r}")
    files = [f for f in found[year] if _prices(f) == prices]
    if not files:
        raise DataNotFoundError(
            f"no workbook at {prices} prices for {year} (found "
            f"{', '.join(f.name for f in found[year])})",
            path=str(path),
        )
    if economies is not None:
        files = [f for f in files if (_version(f) or "62") == str(economies)]
        if not files:
            raise DataNotFoundError(f"no {economies}-economy workbook for {year}", path=str(path))
    if len(files) > 1:
        raise ValidationError(
            f"several workbooks for {year}: {', '.join(f.name for f in files)}; pass "
            "economies=62, 72 or 75, or give the file itself as the path",
            path=str(path),
        )
    return files[0], year


@register(
    "adb",
    list_years=adb_years,
    description="ADB MRIO (kidb.adb.org/mrio) Excel workbooks ADB-MRIO[62|72]-YYYY_*.xlsx",
)
def load_adb(
    path: Path,
    year: int | None = None,
    *,
    economies: int | None = None,
    prices: str = "current",
    rebalance: bool | None = None,
    sheet: str | None = None,
    blank_as_zero: bool = True,
    engine: str | None = None,
) -> MRIOModel:
    """Load one ADB MRIO workbook; ``economies`` (62/72/75) picks between versions of a year,
    ``prices='constant'`` the constant-2010-price tables.

    Empty and space-only cells read as 0 by default: ADB writes ``' '`` for zero (ADB
    mrio-processing replaces them by 0 too); pass ``blank_as_zero=False`` to refuse them."""
    file, file_year = find_adb_file(Path(path), year, economies, prices)
    return load_world_workbook(
        file,
        file_year,
        ADB_LAYOUT,
        sheet=sheet,
        rebalance=rebalance,
        blank_as_zero=blank_as_zero,
        engine=engine,
    )
