"""WIOD 2013 release as distributed in R format (the `wiod` R data package, wiot_YYYY.RData).

Each file holds a list with ``inter`` (Z, 1435 x 1435), ``final`` (1435 x 205: 41 countries x
5 categories c37, c38, c39, c41, c42), ``output``, ``countries`` and ``industries``. Values are
rounded to USD 1 million, so the table is rebalanced by default (x := Z1 + Y1; METHODS §1).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from chainatlas.core.model import MRIOModel
from chainatlas.data import read_csv
from chainatlas.errors import DataNotFoundError, ValidationError
from chainatlas.sources.codes import to_iso3
from chainatlas.sources.registry import register

WIOD2013_FD = ("c37", "c38", "c39", "c41", "c42")
WIOD2013_FD_NAMES = (
    "Final consumption expenditure by households",
    "Final consumption expenditure by non-profit organisations serving households",
    "Final consumption expenditure by government",
    "Gross fixed capital formation",
    "Changes in inventories and valuables",
)
_FILE = re.compile(r"^wiot_(\d{4})\.RData$", re.IGNORECASE)


def wiod2013_r_years(path: Path) -> list[int]:
    if path.is_file():
        match = _FILE.match(path.name)
        return [int(match.group(1))] if match else []
    return sorted(int(m.group(1)) for p in path.iterdir() if (m := _FILE.match(p.name)))


def _find_file(path: Path, year: int | None) -> Path:
    if path.is_file():
        return path
    years = wiod2013_r_years(path)
    if not years:
        raise DataNotFoundError("no wiot_YYYY.RData files here", path=str(path))
    if year is None:
        raise ValidationError(
            f"a year is needed; available: {years[0]}-{years[-1]}", path=str(path)
        )
    if year not in years:
        raise DataNotFoundError(
            f"unknown year {year}; available: {', '.join(map(str, years))}", path=str(path)
        )
    for candidate in path.iterdir():
        match = _FILE.match(candidate.name)
        if match and int(match.group(1)) == year:
            return candidate
    raise DataNotFoundError(f"year {year} not found", path=str(path))  # pragma: no cover


@register(
    "wiod2013",
    list_years=wiod2013_r_years,
    description="WIOD 2013 release, R data package files wiot_YYYY.RData (1995-2011)",
)
def load_wiod2013_r(
    path: Path, year: int | None = None, *, rebalance: bool | None = None
) -> MRIOModel:
    """Load one year of the WIOD 2013 release from the R package's ``wiot_YYYY.RData``."""
    import rdata  # imported lazily: only this loader needs it

    file = _find_file(Path(path), year)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # rdata warns about the R class "iot"
            parsed = rdata.read_rda(str(file))
    except Exception as exc:  # rdata raises many types on truncated/corrupt files
        raise ValidationError(
            f"cannot read R data file ({exc.__class__.__name__}: {exc})", path=str(file)
        ) from exc
    if len(parsed) != 1:
        raise ValidationError(f"expected one object, found {list(parsed)}", path=str(file))
    table = next(iter(parsed.values()))
    required = ("inter", "final", "output", "countries", "industries")
    if not isinstance(table, dict) or any(k not in table for k in required):
        have = list(table) if isinstance(table, dict) else type(table).__name__
        raise ValidationError(
            f"not a WIOD table: needs {', '.join(required)}; has {have}", path=str(file)
        )
    countries_own = [str(c) for c in np.asarray(table["countries"])]
    sectors = [str(s) for s in np.asarray(table["industries"])]
    Z = np.asarray(table["inter"], dtype=np.float64)
    final = np.asarray(table["final"], dtype=np.float64)
    output = np.asarray(table["output"], dtype=np.float64).reshape(-1)
    file_year = int(np.asarray(table.get("year", [year or 0])).reshape(-1)[0])
    if year is not None and file_year and file_year != year:
        raise ValidationError(f"file holds year {file_year}, not {year}", path=str(file))
    names = read_csv("sectors_wiod2013.csv").set_index("code")["name_en"]
    return MRIOModel.from_arrays(
        Z,
        final,
        countries=[to_iso3(c, source="wiod") for c in countries_own],
        source_countries=countries_own,
        sectors=sectors,
        sector_names=[names.get(s, s) for s in sectors],
        fd_categories=WIOD2013_FD,
        fd_category_names=WIOD2013_FD_NAMES,
        x=output,
        rebalance=rebalance,
        year=file_year or year,
        source="wiod2013",
        units="USD million, current prices",
        inventory_category="c42",
        origin=str(file),
    )
