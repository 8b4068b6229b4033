"""Small MRIO tables written in the publishers' layouts (WIOD 2013/2016 Excel, ADB Excel,
OECD ICIO CSV), so loader tests can check that every value lands in the right cell.

The layouts follow the publishers' documented sheets (see the loader module docstrings):
title rows, header rows of codes / descriptions / countries / numbers, four row-label
columns, the intermediate block, final demand by country and category, a total-output
column, and the value-added rows between "total intermediate" and "output".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class Table:
    countries: list[str]  # the source's own codes
    sectors: list[str]
    sector_names: list[str]
    fd: list[str]
    Z: np.ndarray
    Y: np.ndarray  # (GN, G*F), country-major then category
    va_parts: np.ndarray  # (6, GN) value-added block rows
    va_codes: list[str] = field(default_factory=list)
    published_x: np.ndarray | None = None  # written as the output column when given

    @property
    def x(self) -> np.ndarray:
        if self.published_x is not None:
            return self.published_x
        return self.Z.sum(axis=1) + self.Y.sum(axis=1)

    @property
    def G(self) -> int:
        return len(self.countries)

    @property
    def N(self) -> int:
        return len(self.sectors)


def make_table(
    countries,
    sectors,
    fd,
    *,
    seed: int = 0,
    inventory_negative: bool = True,
    fd_countries: int | None = None,
):
    """A balanced table with non-integer values; VA rows split x - colsums(Z) in six parts.

    ``fd_countries``: number of final-demand destinations when it differs from the row
    countries (OECD ICIO: CN1/CN2 rows, one CHN final-demand block).
    """
    rng = np.random.default_rng(seed)
    G, N, F = len(countries), len(sectors), len(fd)
    GN = G * N
    Z = rng.uniform(1.0, 20.0, (GN, GN)).round(3)
    Y = rng.uniform(5.0, 40.0, (GN, (fd_countries or G) * F)).round(3)
    if inventory_negative:
        Y[:, F - 1 :: F] = (Y[:, F - 1 :: F] * -0.1).round(4)  # inventories: small, negative
    x = Z.sum(axis=1) + Y.sum(axis=1)
    va = x - Z.sum(axis=0)
    shares = np.array([0.05, 0.01, 0.02, -0.01, 0.9, 0.03])
    va_parts = np.outer(shares, va)
    va_parts[4] = va - va_parts[[0, 1, 2, 3, 5]].sum(axis=0)
    names = [f"Sector {s} name" for s in sectors]
    return Table(list(countries), list(sectors), names, list(fd), Z, Y, va_parts)


Mutator = Callable[[list[list[object]]], None]


def _world_rows(table: Table, style: str, year: int) -> list[list[object]]:
    """Rows of a WIOD 2013 / WIOD 2016 / ADB sheet (0-based lists of cell values)."""
    G, N, F = table.G, table.N, len(table.fd)
    GN = G * N
    x = table.x
    n_cols = 4 + GN + G * F + 1
    rows: list[list[object]] = []

    def blank() -> list[object]:
        return [None] * n_cols

    if style == "adb":
        rows.append(["Multiregional Input-Output Table", *[None] * (n_cols - 1)])
        rows.append([f"{G - 1} economies + RoW, {year}, at current prices", *[None] * (n_cols - 1)])
        rows.append(["(in millions of US$)", *[None] * (n_cols - 1)])
        rows.append(blank())
        names, regions, codes = blank(), blank(), blank()
        header_rows = [names, regions, codes]
    else:
        rows.append([f"World Input-Output Table {year}", *[None] * (n_cols - 1)])
        rows.append(["Current prices", *[None] * (n_cols - 1)] if style == "wiod2016" else blank())
        top, names, regions, codes = blank(), blank(), blank(), blank()
        top[0], names[0] = "(industry-by-industry)", "(millions of US$)"
        header_rows = [top, names, regions, codes]
    col = 4
    for country in table.countries:
        for k, sector in enumerate(table.sectors):
            names[col] = table.sector_names[k]
            regions[col] = country
            if style == "wiod2016":
                top[col], codes[col] = sector, f"c{k + 1}"
            else:
                if style == "wiod2013":
                    top[col] = f"ISIC{k}"
                codes[col] = sector
            col += 1
    for country in table.countries:
        for f, code in enumerate(table.fd):
            names[col] = f"Final demand {code}"
            regions[col] = country
            if style == "wiod2016":
                top[col], codes[col] = code, f"c{N + 1 + f}"
            else:
                codes[col] = code
            col += 1
    names[col] = "Total output"
    regions[col] = "TOT" if style != "adb" else "ToT"
    if style == "wiod2016":
        top[col], codes[col] = "GO", f"c{N + F + 1}"
    elif style == "wiod2013":
        codes[col] = "c62"
    rows.extend(header_rows)

    for i in range(GN):
        country, k = table.countries[i // N], i % N
        label = [None, table.sector_names[k], country, table.sectors[k]]
        if style == "wiod2016":
            label = [table.sectors[k], table.sector_names[k], country, f"r{i + 1}"]
        elif style == "wiod2013":
            label[0] = f"ISIC{k}"
        rows.append([*label, *table.Z[i], *table.Y[i], x[i]])

    if style == "wiod2016":
        va_codes = ["TXSP", "EXP_adj", "PURR", "PURNR", "VA", "IntTTM"]
        first = ["II_fob", "Total intermediate consumption", "TOT", "r65"]
        last = ["GO", "Output at basic prices", "TOT", "r73"]
        va_labels = [[c, f"{c} row", "TOT", f"r{66 + j}"] for j, c in enumerate(va_codes)]
    elif style == "wiod2013":
        first = [None, "Total intermediate consumption", "TOT", "r60"]
        last = [None, "Output at basic prices", "TOT", "r69"]
        va_labels = [[None, f"VA part {j}", "TOT", f"r{61 + j}"] for j in range(6)]
    else:
        first = [None, "Total intermediate inputs", "ToT", "r60"]
        last = [None, "Total output", "ToT", "r69"]
        va_codes = ["r61", "r62", "r63", "r64", "r65", "r66"]
        va_labels = [[None, f"VA part {j}", "ToT", c] for j, c in enumerate(va_codes)]
    zeros = [0.0] * (G * F + 1)
    rows.append([*first, *table.Z.sum(axis=0), *zeros])
    for j in range(6):
        rows.append([*va_labels[j], *table.va_parts[j], *zeros])
    rows.append([*last, *x, *zeros])
    return rows


def write_world_workbook(
    path: Path,
    table: Table,
    style: str,
    year: int,
    *,
    mutate: Mutator | None = None,
    sheet: str | None = None,
    plain: bool = False,
) -> Path:
    """Write ``table`` as an .xlsx in the layout of ``style`` (wiod2013, wiod2016, adb).

    ``plain=True`` writes the sheet directly (fast, one sheet; see write_plain_xlsx)."""
    import openpyxl

    rows = _world_rows(table, style, year)
    if mutate:
        mutate(rows)
    if plain:
        name = sheet or {"wiod2016": str(year), "wiod2013": "WIOT"}[style]
        return write_plain_xlsx(path, rows, name)
    workbook = openpyxl.Workbook(write_only=True)  # streams rows: fast for full-size tables
    worksheet = workbook.create_sheet(
        sheet or {"wiod2016": str(year), "wiod2013": "WIOT", "adb": "ADB MRIO"}[style]
    )
    for row in rows:
        worksheet.append(row)
    if style == "adb":
        legend = workbook.create_sheet("Legend")
        legend.append(["Code", "Economy"])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def write_plain_xlsx(path: Path, rows: list[list], sheet: str) -> Path:
    """A one-sheet .xlsx written directly as SpreadsheetML (numbers and inline strings).

    For full-size tables: openpyxl needs 15-25 s on the shared machine for WIOD's
    1,449 x 1,645 cells, this under 3 s. Cell positions are what the loaders read; the test
    using it compares every loaded value with the source arrays, so the writer is checked
    too.
    """
    import zipfile
    from xml.sax.saxutils import escape

    def column(k: int) -> str:
        name = ""
        k += 1
        while k:
            k, rem = divmod(k - 1, 26)
            name = chr(65 + rem) + name
        return name

    width = max(len(r) for r in rows)
    letters = [column(k) for k in range(width)]
    parts = []
    for i, row in enumerate(rows, 1):
        cells = []
        for k, value in enumerate(row):
            if value is None:
                continue
            ref = f"{letters[k]}{i}"
            if isinstance(value, str):
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
            else:
                cells.append(f'<c r="{ref}"><v>{float(value)!r}</v></c>')
        parts.append(f'<row r="{i}">{"".join(cells)}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    files = {
        "[Content_Types].xml": (
            f'<Types xmlns="{pkg}/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{ct}.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{pkg}/relationships"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            f'<sheet name="{escape(sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{pkg}/relationships"><Relationship Id="rId1" '
            f'Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{main}"><sheetData>{"".join(parts)}</sheetData></worksheet>'
        ),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, text in files.items():
            archive.writestr(
                name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + text
            )
    return path


# first data row / column (0-based) of the written sheets
FIRST_ROW = {"wiod2013": 6, "wiod2016": 6, "adb": 7}
FIRST_COL = 4


def write_icio_csv(path: Path, table: Table, *, mutate: Mutator | None = None) -> Path:
    """An OECD ICIO CSV: row/column labels CTRY_SECTOR, FD CTRY_HFCE …, rows TLS, VA, OUT."""
    G, N, F = table.G, table.N, len(table.fd)
    labels = [f"{c}_{s}" for c in table.countries for s in table.sectors]
    fd_labels = [f"{c}_{f}" for c in _fd_countries(table) for f in table.fd]
    header = ["", *labels, *fd_labels, "OUT"]
    x = table.x
    rows: list[list[object]] = [header]
    for i, label in enumerate(labels):
        rows.append([label, *table.Z[i], *table.Y[i], x[i]])
    tls = table.va_parts[0]
    va = table.va_parts[1:].sum(axis=0)
    zeros = [0.0] * (table.Y.shape[1] + 1)
    rows.append(["TLS", *tls, *zeros])
    rows.append(["VA", *va, *zeros])
    rows.append(["OUT", *x, *zeros])
    if mutate:
        mutate(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        import csv

        csv.writer(handle).writerows(rows)
    _ = G, N, F
    return path


def _fd_countries(table: Table) -> list[str]:
    """Final demand is by destination country; split rows (CN1, CN2) have no FD columns."""
    out = []
    for c in table.countries:
        base = {"CN": "CHN", "MX": "MEX"}.get(c[:2], c) if c[2:].isdigit() else c
        if base not in out:
            out.append(base)
    return out
