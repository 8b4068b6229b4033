"""GLORIA (Global Resource Input-Output Assessment, ielab.info), release 059.

A year is published as three items in one folder (zips or unpacked folders):

* ``GLORIA_MRIOs_59_YYYY`` — ``…_120secMother_AllCountries_002_{T,Y,V}-Results_YYYY_059_
  Markup001(full).csv`` (``Markup001`` = basic prices; ``002``–``005`` are the margin and tax
  layers), comma-separated numbers without labels;
* ``GLORIA_SatelliteAccounts_059_YYYY`` — ``…_TQ-Results_…`` (satellites × T columns) and
  ``…_YQ-Results_…`` (satellites × Y columns);
* ``GLORIA_ReadMe_059.xlsx`` — the labels: sheets ``Regions`` (``Region_acronyms``),
  ``Sectors`` (``Sector_names``), ``Value added and final demand`` (``Value_added_names``,
  ``Final_demand_names``), ``Satellites`` (``Sat_head_indicator``, ``Sat_indicator``,
  ``Sat_unit``).

**GLORIA's T is a supply-use system**, not an input-output table: its rows and columns are
region × {Industry, Product} × sector (120 each), so T holds the supply table V (industry
rows × product columns) and the use table U (product rows × industry columns); final demand
Y is on the product rows, value added and TQ on the industry columns.

The loader turns it into a product-by-product table exactly as ``pymrio.parse_gloria``
(``construct="B"``, the industry-technology assumption, Eurostat Manual of Supply, Use and
Input-Output Tables, ch. 11):

* g = V 1 (industry output), q = U 1 + Y 1 (product output);
* market shares D = ĝ⁻¹ V (industry × product);
* Z = U D (so A = U D q̂⁻¹, pymrio's A), x = q, Y = Y's product rows;
* satellites and value added move with the same D: F = TQ_industry D, VA = V_industry D;
  F_Y = YQ.

GLORIA's supply table is diagonal (each industry makes its own product), so all four
constructs agree (pymrio notes the same). Regions whose T rows and columns are all zero
(e.g. ``DYE`` in 2022) are dropped, as pymrio does, since they would make I − A singular
where they have no output; a validation note names them. Units: thousands of current US
dollars.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np

from chainatlas.core.extensions import Extension
from chainatlas.core.model import MRIOModel
from chainatlas.errors import DataNotFoundError, ValidationError
from chainatlas.sources.delimited import TextFile, iter_row_blocks, read_block, zip_members
from chainatlas.sources.registry import register
from chainatlas.sources.year_choice import choose_year

MRIO_ITEM = re.compile(r"^GLORIA_MRIOs_(?P<version>\d+)_(?P<year>\d{4})(\.zip)?$", re.I)
FD_KEYWORDS = (
    ("household", "HFCE"),
    ("non-profit", "NPISH"),
    ("government", "GGFC"),
    ("fixed capital", "GFCF"),
    ("inventor", "INVNT"),
    ("valuables", "VALU"),
)


def _fd_code(name: str) -> str:
    lowered = name.lower()
    if "non-profit" in lowered:
        return "NPISH"
    return next((code for key, code in FD_KEYWORDS if key in lowered), name)


class _Item:
    """A GLORIA folder or zip and the CSV files in it, found by their name's tail."""

    def __init__(self, path: Path):
        self.path = path
        if path.is_dir():
            self.names = {p.name: TextFile(p) for p in path.rglob("*.csv")}
        else:
            self.names = {Path(m).name: TextFile(path, m) for m in zip_members(path)
                          if m.lower().endswith(".csv")}  # fmt: skip

    def find(self, tail: str) -> TextFile:
        hits = [f for name, f in self.names.items() if name.endswith(tail)]
        if not hits:
            raise DataNotFoundError(f"missing GLORIA file *{tail}", path=str(self.path))
        if len(hits) > 1:
            raise ValidationError(
                f"several files end in {tail}: {', '.join(h.name for h in hits)}",
                path=str(self.path),
            )
        return hits[0]


def _scan(path: Path) -> dict[int, tuple[str, Path]]:
    if not path.is_dir():
        return {}
    found = {}
    for item in sorted(path.iterdir()):
        if match := MRIO_ITEM.match(item.name):
            found.setdefault(int(match.group("year")), (match.group("version"), item))
    return found


def gloria_years(path: Path) -> list[int]:
    return sorted(_scan(Path(path)))


def _readme(path: Path, version: str) -> dict[str, list]:
    import pandas as pd

    candidates = sorted(path.glob(f"GLORIA_ReadMe_0{version}*.xlsx")) or sorted(
        path.glob("GLORIA_ReadMe_*.xlsx")
    )
    if not candidates:
        raise DataNotFoundError(
            f"no GLORIA_ReadMe_0{version}.xlsx (the labels of regions, sectors, final-demand "
            "and satellite rows)",
            path=str(path),
        )
    file = candidates[0]
    needed = {
        "Regions": ["Region_acronyms"],
        "Sectors": ["Sector_names"],
        "Value added and final demand": ["Value_added_names", "Final_demand_names"],
        "Satellites": ["Sat_head_indicator", "Sat_indicator", "Sat_unit"],
    }
    out: dict[str, list] = {}
    try:
        sheets = pd.read_excel(file, sheet_name=list(needed), engine="calamine")
    except ValueError as exc:
        raise ValidationError(f"ReadMe workbook: {exc}", path=str(file)) from None
    except Exception as exc:  # a corrupt workbook (calamine raises its own error types)
        raise ValidationError(f"cannot read workbook: {exc}", path=str(file)) from None
    for sheet, columns in needed.items():
        frame = sheets[sheet]
        for column in columns:
            if column not in frame.columns:
                raise ValidationError(
                    f"sheet {sheet!r} has no column {column!r} (has "
                    f"{', '.join(map(str, frame.columns))})",
                    path=str(file),
                )
            values = frame[column].dropna().astype(str).str.strip().str.strip("'").tolist()
            out[column] = values
    return out


def _read(file: TextFile, shape: tuple[int, int], what: str) -> np.ndarray:
    _, values = read_block(file, sep=",", what=what)
    if values.shape != shape:
        raise ValidationError(
            f"{what}: {values.shape[0]} rows x {values.shape[1]} columns, the ReadMe labels "
            f"give {shape[0]} x {shape[1]} (cut file, or another release?)",
            path=str(file),
        )
    return values


@register(
    "gloria",
    list_years=gloria_years,
    description="GLORIA release 059 (ielab.info): GLORIA_MRIOs_59_YYYY, SatelliteAccounts, ReadMe",
)
def load_gloria(path: Path, year: int | None = None, *, extensions: bool = True) -> MRIOModel:
    """One GLORIA year at basic prices (Markup001) as a product-by-product table."""
    path = Path(path)
    if path.is_file() or MRIO_ITEM.match(path.name):
        path = path.parent
    found = _scan(path)
    if not found:
        raise DataNotFoundError(
            "no GLORIA files here: expected GLORIA_MRIOs_59_YYYY(.zip), "
            "GLORIA_SatelliteAccounts_059_YYYY(.zip) and GLORIA_ReadMe_059.xlsx",
            path=str(path),
        )
    year = choose_year(found, year, path)
    version, item_path = found[year]
    if version.lstrip("0") != "59":
        raise ValidationError(
            f"GLORIA release {version}: this loader reads the release 059 layout",
            path=str(item_path),
        )
    labels = _readme(path, "59")
    regions, sectors = labels["Region_acronyms"], labels["Sector_names"]
    fd_names, va_names = labels["Final_demand_names"], labels["Value_added_names"]
    G, N, F = len(regions), len(sectors), len(fd_names)
    item = _Item(item_path)
    tail = f"_{year}_059_Markup001(full).csv"
    t_file = item.find(f"_T-Results{tail}")
    n_t = G * 2 * N
    # stream T, keeping U (product rows x industry columns) and V (industry x product)
    region_of = np.repeat(np.arange(G), 2 * N)
    is_industry = np.tile(np.r_[np.ones(N, bool), np.zeros(N, bool)], G)
    ind, prod = np.flatnonzero(is_industry), np.flatnonzero(~is_industry)
    U = np.zeros((G * N, G * N))
    V = np.zeros((G * N, G * N))
    row_sum, col_sum = np.zeros(n_t), np.zeros(n_t)
    rows_seen = 0
    for start, block in iter_row_blocks(t_file, sep=",", n_columns=n_t, what="T-Results"):
        if start + block.shape[0] > n_t:
            raise ValidationError(f"T-Results: more than {n_t} rows", path=str(t_file))
        index = np.arange(start, start + block.shape[0])
        row_sum[index] = block.sum(axis=1)
        col_sum += block.sum(axis=0)
        industry_rows = is_industry[index]
        pos = np.searchsorted(ind, index[industry_rows])
        V[pos] = block[industry_rows][:, prod]
        pos = np.searchsorted(prod, index[~industry_rows])
        U[pos] = block[~industry_rows][:, ind]
        rows_seen = start + block.shape[0]
    if rows_seen != n_t:
        raise ValidationError(
            f"T-Results: {rows_seen} rows, the ReadMe labels give {n_t} ({G} regions x 2 x "
            f"{N} sectors; cut file?)",
            path=str(t_file),
        )
    Y_all = _read(item.find(f"_Y-Results{tail}"), (n_t, G * F), "Y-Results")
    VA_all = _read(item.find(f"_V-Results_{year}_059_Markup001(full).csv"),
                   (G * len(va_names), n_t), "V-Results")  # fmt: skip

    empty = [r for r in range(G) if not (np.any(row_sum[region_of == r])
                                         or np.any(col_sum[region_of == r]))]  # fmt: skip
    keep_regions = [r for r in range(G) if r not in empty]
    keep_n = np.concatenate([np.arange(r * N, (r + 1) * N) for r in keep_regions])
    keep_f = np.concatenate([np.arange(r * F, (r + 1) * F) for r in keep_regions])
    U, V = U[np.ix_(keep_n, keep_n)], V[np.ix_(keep_n, keep_n)]
    Y = Y_all[prod][np.ix_(keep_n, keep_f)]
    g = V.sum(axis=1)
    q = U.sum(axis=1) + Y.sum(axis=1)
    with np.errstate(divide="ignore"):
        g_inv = np.where(g != 0, 1.0 / np.where(g != 0, g, 1.0), 0.0)
    D = g_inv[:, None] * V  # market shares (industry x product)
    Z = U @ D
    va_published = VA_all[:, ind].sum(axis=0)[keep_n] @ D
    model = MRIOModel.from_arrays(
        Z,
        Y,
        countries=[regions[r] for r in keep_regions],
        sectors=sectors,
        fd_categories=[_fd_code(n) for n in fd_names]
        if len({_fd_code(n) for n in fd_names}) == F else fd_names,
        fd_category_names=fd_names,
        x=q,
        rebalance=False,
        year=year,
        source="gloria",
        units="USD thousand, current prices (basic prices)",
        inventory_category="INVNT" if "INVNT" in {_fd_code(n) for n in fd_names} else None,
        published_va=va_published,
        origin=str(t_file),
    )
    notes = ["product-by-product table from GLORIA's supply-use T (industry technology, "
             "pymrio construct B): Z = U ĝ⁻¹V, x = q = U1 + Y1"]  # fmt: skip
    if empty:
        notes.append(f"regions with all-zero T rows and columns dropped: "
                     f"{', '.join(regions[r] for r in empty)}")  # fmt: skip
    model = replace(model, validation=replace(
        model.validation, notes=(*notes, *model.validation.notes)))  # fmt: skip
    if not extensions:
        return model
    sat_items = [p for p in path.iterdir()
                 if re.match(rf"^GLORIA_SatelliteAccounts_0?59_{year}(\.zip)?$", p.name, re.I)]
    if not sat_items:
        raise DataNotFoundError(
            f"no GLORIA_SatelliteAccounts_059_{year}(.zip) next to the MRIO files (pass "
            "extensions=False to load without satellites)",
            path=str(path),
        )  # fmt: skip
    sat = _Item(sat_items[0])
    K = len(labels["Sat_indicator"])
    TQ = _read(sat.find(f"_TQ-Results{tail}"), (K, n_t), "TQ-Results")
    YQ = _read(sat.find(f"_YQ-Results{tail}"), (K, G * F), "YQ-Results")
    stressors = [f"{head} - {name}" for head, name in
                 zip(labels["Sat_head_indicator"], labels["Sat_indicator"], strict=True)]
    ext = Extension.build(
        "Q", TQ[:, ind][:, keep_n] @ D, stressors, labels["Sat_unit"], F_Y=YQ[:, keep_f],
        origin=str(sat.path), description="GLORIA satellite accounts (TQ, YQ)",
    )  # fmt: skip
    return model.with_extensions([ext])
