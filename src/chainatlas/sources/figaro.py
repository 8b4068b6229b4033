"""FIGARO (Eurostat's EU inter-country input-output tables), industry by industry.

Eurostat publishes one CSV per year and edition, in two layouts
(ec.europa.eu/eurostat/web/esa-supply-use-input-tables/database):

* **matrix** ``matrix_eu-ic-io_ind-by-ind_24ed_2022.csv`` (earlier editions without the
  ``YYed_`` part): first column the row labels (header ``rowLabels``), header row the
  column labels, each ``AREA_CODE`` — e.g. ``AT_A01``, ``FIGW1_C10T12`` (``FIGW1`` is the rest
  of the world) — split at the first underscore. Rows: 46 areas × 64 industries, then the
  value-added rows of the "domestic area" ``W2`` (``W2_D21X31`` taxes less subsidies on
  products, ``W2_OP_RES``, ``W2_OP_NRES``, ``W2_D1``, ``W2_D29X39``, ``W2_B2A3G``); columns:
  the 46 × 64 industries, then five final-use categories per area (``AT_P3_S13``,
  ``AT_P3_S14``, ``AT_P3_S15``, ``AT_P51G``, ``AT_P5M``).
* **flat** ``flatfile_eu-ic-io_ind-by-ind_24ed_2022.csv``: one row per cell with columns
  ``refArea``, ``rowPi`` (or ``rowIi``), ``counterpartArea``, ``colPi`` (or ``colIi``),
  ``obsValue`` (compound labels in the first two columns are ignored).

What the loader does, and why: FIGARO publishes no output column, so x = Z1 + Y1 (as
exvatools does); published VA is the sum of the value-added rows. Areas are ISO 3166
alpha-2 (``EL`` and ``GR`` for Greece, ``UK``/``GB``) → ISO3; ``FIGW1`` → ``ROW``. Final-use
codes keep Eurostat's ESA 2010 codes; ``P5M`` (changes in inventories and acquisitions less
disposals of valuables) is the inventory category. Rows of the value-added block under the
final-use columns (taxes on final use) are not part of the model.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from chainatlas.core.model import MRIOModel
from chainatlas.errors import DataNotFoundError, ValidationError
from chainatlas.sources.codes import EXIOBASE_TO_ISO3
from chainatlas.sources.delimited import TextFile, read_labelled
from chainatlas.sources.registry import register
from chainatlas.sources.year_choice import choose_year

FIGARO_FILE = re.compile(
    r"^(?P<layout>matrix|flatfile)_eu-ic-io_ind-by-ind_(?:(?P<edition>\d{2})ed_)?"
    r"(?P<year>\d{4})\.csv$",
    re.I,
)
FD_NAMES = {
    "P3_S13": "Final consumption expenditure of general government",
    "P3_S14": "Final consumption expenditure of households",
    "P3_S15": "Final consumption expenditure of non-profit institutions serving households",
    "P51G": "Gross fixed capital formation",
    "P5M": "Changes in inventories and acquisition less disposals of valuables",
}
AREA_TO_ISO3 = {
    **{k: v for k, v in EXIOBASE_TO_ISO3.items() if len(k) == 2 and len(v) == 3},
    "AR": "ARG", "SA": "SAU", "EL": "GRC", "UK": "GBR", "FIGW1": "ROW",
}  # fmt: skip


def _files(path: Path) -> dict[int, list[Path]]:
    items = [path] if path.is_file() else sorted(path.iterdir()) if path.is_dir() else []
    found: dict[int, list[Path]] = {}
    for item in items:
        if match := FIGARO_FILE.match(item.name):
            found.setdefault(int(match.group("year")), []).append(item)
    return found


def figaro_years(path: Path) -> list[int]:
    return sorted(_files(Path(path)))


def _split(label: str) -> tuple[str, str]:
    area, _, code = label.partition("_")
    return area, code


def _from_cells(
    rows: list[tuple[str, str]],
    columns: list[tuple[str, str]],
    values: np.ndarray,
    file: Path,
    year: int,
) -> MRIOModel:
    column_index = {c: j for j, c in enumerate(columns)}
    # intermediate: row labels that are also column labels (industries), in row order
    inter = [i for i, r in enumerate(rows) if r in column_index]
    if not inter:
        raise ValidationError("no row label is also a column label (not FIGARO ind-by-ind?)",
                              path=str(file))  # fmt: skip
    inter_labels = [rows[i] for i in inter]
    countries = list(dict.fromkeys(r[0] for r in inter_labels))
    n = len(inter_labels) // len(countries)
    sectors = [r[1] for r in inter_labels[:n]]
    expected = [(c, s) for c in countries for s in sectors]
    if inter_labels != expected:
        bad = next(i for i, (a, b) in enumerate(zip(inter_labels, expected, strict=False))
                   if a != b)  # fmt: skip
        raise ValidationError(
            f"row {'_'.join(inter_labels[bad])} where {'_'.join(expected[bad])} was expected "
            "(areas in blocks of the same industries)",
            path=str(file), location=f"row {inter[bad] + 1}",
        )  # fmt: skip
    if inter != list(range(len(inter))):
        raise ValidationError("value-added rows between industry rows", path=str(file))
    inter_cols = [column_index[r] for r in inter_labels]
    fd_cols = [j for j, c in enumerate(columns) if c not in set(inter_labels)]
    fd_labels = [columns[j] for j in fd_cols]
    categories = list(dict.fromkeys(c[1] for c in fd_labels))
    fd_index = {c: j for c, j in zip(fd_labels, fd_cols, strict=True)}
    missing = [f"{c}_{f}" for c in countries for f in categories if (c, f) not in fd_index]
    if missing:
        raise ValidationError(
            f"final-use column(s) missing: {', '.join(missing[:5])}", path=str(file)
        )
    extra = sorted({c[0] for c in fd_labels} - set(countries))
    if extra:
        raise ValidationError(f"final-use columns of unknown area(s) {', '.join(extra)}",
                              path=str(file))  # fmt: skip
    Z = values[np.ix_(inter, inter_cols)]
    Y = values[np.ix_(inter, [fd_index[(c, f)] for c in countries for f in categories])]
    va_rows = [i for i in range(len(rows)) if i >= len(inter)]
    published_va = values[np.ix_(va_rows, inter_cols)].sum(axis=0) if va_rows else None
    return MRIOModel.from_arrays(
        Z, Y,
        countries=[AREA_TO_ISO3.get(c, c) for c in countries],
        sectors=sectors,
        fd_categories=categories,
        fd_category_names=[FD_NAMES.get(f, f) for f in categories],
        rebalance=True,
        source_countries=countries,
        year=year,
        source="figaro",
        units="EUR million, current prices",
        inventory_category="P5M" if "P5M" in categories else None,
        published_va=published_va,
        origin=str(file),
    )  # fmt: skip


def _read_matrix(file: Path, year: int) -> MRIOModel:
    matrix = read_labelled(TextFile(file), index_columns=1, header_rows=1, sep=",",
                           what="FIGARO matrix")  # fmt: skip
    rows = [_split(r[0]) for r in matrix.rows]
    columns = [_split(c[0]) for c in matrix.columns]
    return _from_cells(rows, columns, matrix.values, file, year)


def _read_flat(file: Path, year: int) -> MRIOModel:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        table = pacsv.read_csv(file)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ValidationError(f"cannot read CSV: {exc}", path=str(file)) from None
    names = {n.lower(): n for n in table.column_names}
    need = {
        "refarea": ["refarea"], "row": ["rowpi", "rowii"],
        "counterpartarea": ["counterpartarea"], "col": ["colpi", "colii"],
        "obsvalue": ["obsvalue"],
    }  # fmt: skip
    picked = {}
    for key, options in need.items():
        hit = next((names[o] for o in options if o in names), None)
        if hit is None:
            raise ValidationError(
                f"flat FIGARO file lacks a {'/'.join(options)} column (has "
                f"{', '.join(table.column_names)})",
                path=str(file),
            )
        picked[key] = hit
    values = table.column(picked["obsvalue"]).cast(pa.float64(), safe=False)
    if values.null_count:
        line = int(np.flatnonzero(values.is_null().to_numpy(zero_copy_only=False))[0]) + 2
        raise ValidationError("obsValue empty or not a number", path=str(file),
                              location=f"line {line}")  # fmt: skip
    row_labels = list(zip(table.column(picked["refarea"]).to_pylist(),
                          table.column(picked["row"]).to_pylist(), strict=True))  # fmt: skip
    col_labels = list(zip(table.column(picked["counterpartarea"]).to_pylist(),
                          table.column(picked["col"]).to_pylist(), strict=True))  # fmt: skip
    rows = list(dict.fromkeys(row_labels))
    columns = list(dict.fromkeys(col_labels))
    r_index = {r: i for i, r in enumerate(rows)}
    c_index = {c: j for j, c in enumerate(columns)}
    ri = np.fromiter((r_index[r] for r in row_labels), dtype=np.int64, count=len(row_labels))
    ci = np.fromiter((c_index[c] for c in col_labels), dtype=np.int64, count=len(col_labels))
    flat = ri * len(columns) + ci
    if np.unique(flat).size != flat.size:
        first = int(np.flatnonzero(np.bincount(flat) > 1)[0])
        r, c = rows[first // len(columns)], columns[first % len(columns)]
        raise ValidationError(f"duplicate cell {'_'.join(r)} x {'_'.join(c)}", path=str(file))
    dense = np.zeros((len(rows), len(columns)))
    dense.reshape(-1)[flat] = values.to_numpy()
    # the matrix file's order: areas and codes alphabetical (FIGW1 falls after FI), industry
    # rows before the value-added rows, industry columns before final-use columns
    industry = sorted(r for r in rows if r in c_index)
    others = sorted(r for r in rows if r not in c_index)
    col_order = sorted(columns, key=lambda c: (c not in r_index, c))
    order = [r_index[r] for r in industry + others]
    dense = dense[order][:, [c_index[c] for c in col_order]]
    return _from_cells(industry + others, col_order, dense, file, year)


@register(
    "figaro",
    list_years=figaro_years,
    description="FIGARO (Eurostat) matrix_eu-ic-io_ind-by-ind_[YYed_]YYYY.csv or flatfile_…",
)
def load_figaro(path: Path, year: int | None = None) -> MRIOModel:
    """One FIGARO industry-by-industry year (matrix or flat CSV)."""
    path = Path(path)
    found = _files(path)
    if not found:
        raise DataNotFoundError(
            "no FIGARO files here: expected matrix_eu-ic-io_ind-by-ind_[YYed_]YYYY.csv or "
            "flatfile_eu-ic-io_ind-by-ind_[YYed_]YYYY.csv",
            path=str(path),
        )
    year = choose_year(found, year, path)
    files = found[year]
    matrices = [f for f in files if f.name.lower().startswith("matrix")]
    file = (matrices or files)[0]
    if len(matrices) > 1:
        raise ValidationError(
            f"several FIGARO editions for {year}: {', '.join(f.name for f in matrices)}; "
            "give the file itself as the path",
            path=str(path),
        )
    if file.name.lower().startswith("matrix"):
        return _read_matrix(file, year)
    return _read_flat(file, year)
