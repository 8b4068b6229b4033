"""WIOD 2013 release: environmental accounts (May 2012) and Socio-Economic Accounts (July 2014).

They sit next to the world tables (``WIOT09_ROW_Apr12.xlsx`` …) as published:

* one item per account — a zip or its unpacked folder — ``AIR_may12`` (air emissions),
  ``CO2_may12`` (CO2 by source), ``EM_may12`` (emission-relevant energy use), ``EU_may12``
  (gross energy use), ``lan_may12`` (land), ``mat_may12`` (materials), ``wat_may12``
  (water); inside, one workbook per country (``AUS_AIR_May12.xls``), one sheet per year,
  stressors as columns and rows ``secAtB`` … ``secP`` (WIOD's 35 industries by ISIC code),
  ``secQ`` (not in the world tables: dropped), ``secTOT``/``total`` (totals: dropped) and
  ``FC_HH`` (households' direct use, which goes to the households' final-demand column
  ``c37`` of that country, the F_Y of the account). Empty cells are zeros.
* ``WIOD_SEA_July14.xlsx`` (in the folder or a ``SEA/`` subfolder), sheet ``DATA``: Country,
  Variable, Description, Code, ``_1995`` … Employment (``EMP``, ``EMPE``: thousand persons)
  and hours (``H_EMP``, ``H_EMPE``: million hours) become the ``SEA`` extension; RoW, absent
  from the SEA, is zero; the monetary variables (national currency) are not used.

Units follow the WIOD documentation as pymrio records them (air: CO2 in Gg, other gases in
t; energy TJ; CO2 Gg; land/materials/water: the unit in the sheet's first header cell).
The result is checked against ``pymrio.parse_wiod`` in the tests.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np

from chainatlas.core.extensions import Extension
from chainatlas.core.model import MRIOModel
from chainatlas.errors import DataNotFoundError, ValidationError

ACCOUNTS = {
    "AIR": ("Air Emission Accounts", {"CO2": "Gg", "CH4": "t", "N2O": "t", "NOX": "t",
                                      "SOX": "t", "CO": "t", "NMVOC": "t", "NH3": "t"}),
    "CO2": ("CO2 emissions - per source", {"*": "Gg"}),
    "EM": ("Emission relevant energy use", {"*": "TJ"}),
    "EU": ("Gross energy use", {"*": "TJ"}),
    "LAN": ("land use", {}),
    "MAT": ("material use", {}),
    "WAT": ("water use", {}),
}  # fmt: skip
SEA_VARIABLES = {"EMP": "thousand persons", "EMPE": "thousand persons",
                 "H_EMP": "mill hours", "H_EMPE": "mill hours"}  # fmt: skip
HOUSEHOLDS_FD = "c37"


def _isic_to_sector(model: MRIOModel) -> dict[str, int]:
    from chainatlas.data import read_csv

    table = read_csv("sectors_wiod2013.csv")
    by_code = dict(zip(table["code"], table["isic_rev3"], strict=True))
    return {str(by_code.get(s, s)).lower(): i for i, s in enumerate(model.sectors)}


def _workbook_rows(data: bytes | Path, sheet: str, where: str) -> list[list]:
    from python_calamine import CalamineWorkbook

    try:
        book = (CalamineWorkbook.from_path(str(data)) if isinstance(data, Path)
                else CalamineWorkbook.from_filelike(io.BytesIO(data)))  # fmt: skip
    except Exception as exc:  # calamine raises its own types for corrupt files
        raise ValidationError(f"cannot read workbook: {exc}", path=where) from None
    if sheet not in book.sheet_names:
        raise ValidationError(
            f"no sheet {sheet!r} (the year); sheets: {', '.join(book.sheet_names)}", path=where
        )
    return book.get_sheet_by_name(sheet).to_python()


def _number(value, where: str, cell: str) -> float:
    if value in ("", None):
        return 0.0
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{value!r} is not a number", path=where, location=cell) from None
    if not np.isfinite(number):
        raise ValidationError(f"{value!r} is not finite", path=where, location=cell)
    return number


def _cell(row: int, col: int) -> str:
    letters, col = "", col + 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def _account_items(folder: Path) -> dict[str, Path]:
    items = {}
    for item in sorted(folder.iterdir()):
        match = re.match(r"^([A-Za-z0-9]+)_may12(\.zip)?$", item.name, re.I)
        if match and match.group(1).upper() in ACCOUNTS:
            key = match.group(1).upper()
            if key in items and items[key].is_dir():
                continue  # an unpacked folder wins over its zip (as pymrio)
            items[key] = item
    return items


def _read_account(key: str, item: Path, model: MRIOModel, year: int) -> Extension:
    name, units_by_stressor = ACCOUNTS[key]
    if item.is_dir():
        files = {p.name: p for p in item.iterdir() if p.suffix.lower() == ".xls"}
        archive = None
    else:
        try:
            archive = zipfile.ZipFile(item)
        except zipfile.BadZipFile as exc:
            raise ValidationError(f"not a readable zip: {exc}", path=str(item)) from None
        files = {Path(n).name: n for n in archive.namelist() if n.lower().endswith(".xls")}
    sector_of = _isic_to_sector(model)
    N, F = model.N, model.F
    hh = model.fd_categories.index(HOUSEHOLDS_FD) if HOUSEHOLDS_FD in model.fd_categories else 0
    stressors: list[str] | None = None
    unit_header = ""
    blocks, fd_blocks = [], []
    for iso, own in zip(model.countries, model.source_countries, strict=True):
        codes = {iso.upper(), own.upper(), "ROM" if iso == "ROU" else iso.upper()}
        hits = [n for n in files if n.split("_", 1)[0].upper() in codes]
        if not hits:
            raise DataNotFoundError(
                f"{name}: no workbook for {own} (expected {own}_{key}_May12.xls)", path=str(item)
            )
        where = f"{item}!{hits[0]}" if archive else str(files[hits[0]])
        data = archive.read(files[hits[0]]) if archive else files[hits[0]]
        rows = _workbook_rows(data, str(year), where)
        header_at = next((i for i, r in enumerate(rows) if any(str(v).strip() for v in r)), None)
        if header_at is None:
            raise ValidationError(f"sheet {year} is empty", path=where)
        header = rows[header_at]
        label_col = next((j for j, r in enumerate(zip(*rows[header_at + 1:], strict=False))
                          if any(str(v).startswith("sec") for v in r)), None)  # fmt: skip
        if label_col is None:
            raise ValidationError(f"sheet {year}: no secAtB … row labels", path=where)
        names = [str(v).strip() for v in header[label_col + 1:]]
        while names and not names[-1]:
            names.pop()
        if stressors is None:
            stressors, unit_header = names, str(header[0]).strip()
        elif names != stressors:
            raise ValidationError(
                f"sheet {year}: stressors {', '.join(names)} differ from the first country's "
                f"{', '.join(stressors)}",
                path=where, location=f"row {header_at + 1}",
            )  # fmt: skip
        F_c = np.zeros((len(stressors), N))
        F_y = np.zeros(len(stressors))
        for i in range(header_at + 1, len(rows)):
            label = str(rows[i][label_col]).strip()
            values = rows[i][label_col + 1: label_col + 1 + len(stressors)]
            if label == "FC_HH":
                F_y = np.array([_number(v, where, _cell(i, label_col + 1 + j))
                                for j, v in enumerate(values)])  # fmt: skip
                continue
            if not label.startswith("sec") or label in ("secTOT", "secQ"):
                continue
            code = label[3:].lower()
            if code not in sector_of:
                raise ValidationError(
                    f"row {label}: not a sector of the table", path=where, location=_cell(i, 0)
                )
            F_c[:, sector_of[code]] = [_number(v, where, _cell(i, label_col + 1 + j))
                                       for j, v in enumerate(values)]  # fmt: skip
        blocks.append(F_c)
        fd = np.zeros((len(stressors), F))
        fd[:, hh] = F_y
        fd_blocks.append(fd)
    if archive is not None:
        archive.close()
    default_unit = units_by_stressor.get("*", unit_header or "undefined")
    units = [units_by_stressor.get(s.upper(), default_unit) for s in stressors or []]
    return Extension.build(
        name, np.hstack(blocks), stressors or [], units, F_Y=np.hstack(fd_blocks),
        origin=str(item), description=f"WIOD 2013 {item.name}",
    )  # fmt: skip


def _read_sea(file: Path, model: MRIOModel, year: int) -> Extension:
    rows = _workbook_rows(file, "DATA", str(file))
    header = [str(v).strip() for v in rows[0]]
    column = f"_{year}" if f"_{year}" in header else str(year)
    if column not in header:
        raise ValidationError(f"DATA sheet has no column _{year}", path=str(file))
    j = header.index(column)
    sector_of = _isic_to_sector(model)
    country_of = {}
    for g, (iso, own) in enumerate(zip(model.countries, model.source_countries, strict=True)):
        country_of[iso.upper()] = g
        country_of[own.upper()] = g
    variables = list(SEA_VARIABLES)
    F = np.zeros((len(variables), model.GN))
    for i, row in enumerate(rows[1:], start=1):
        country, variable, code = str(row[0]).strip().upper(), str(row[1]).strip(), row[3]
        if variable not in SEA_VARIABLES:
            continue
        code = str(int(code)) if isinstance(code, float) and code.is_integer() else str(code)
        if code.strip().upper() == "TOT" or code.strip().lower() not in sector_of:
            continue
        if country not in country_of:
            continue  # a country not in this table (e.g. a cut table)
        g, s = country_of[country], sector_of[code.strip().lower()]
        F[variables.index(variable), g * model.N + s] = _number(row[j], str(file), _cell(i, j))
    return Extension.build(
        "SEA", F, variables, [SEA_VARIABLES[v] for v in variables],
        F_Y=np.zeros((len(variables), model.G * model.F)), origin=str(file),
        description="WIOD Socio-Economic Accounts (employment, hours)",
    )  # fmt: skip


def wiod2013_extensions(folder: Path, model: MRIOModel) -> tuple[Extension, ...]:
    """Every WIOD 2013 account found in ``folder`` for ``model``'s year."""
    if model.year is None:
        return ()
    exts = [_read_account(k, item, model, model.year)
            for k, item in _account_items(folder).items()]  # fmt: skip
    sea_folder = folder / "SEA" if (folder / "SEA").is_dir() else folder
    sea = sorted(p for p in sea_folder.glob("WIOD_SEA*.xlsx"))
    if sea:
        exts.append(_read_sea(sea[0], model, model.year))
    return tuple(exts)


def attach_wiod2013_extensions(model: MRIOModel, path: Path) -> MRIOModel:
    folder = Path(path) if Path(path).is_dir() else Path(path).parent
    exts = wiod2013_extensions(folder, model)
    return model.with_extensions(exts) if exts else model
