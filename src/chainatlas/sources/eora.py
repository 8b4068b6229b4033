"""Eora26 (worldmrio.com), the 26-sector harmonised version of the Eora MRIO.

Eora publishes one zip per year and price basis (``Eora26_2015_bp.zip``) holding
tab-separated matrices without labels and the label files (also distributed on their own as
``indices.zip``):

* ``Eora26_YYYY_bp_T.txt`` — intermediate flows (country-sector × country-sector);
* ``Eora26_YYYY_bp_FD.txt`` — final demand (country-sector × country-category);
* ``Eora26_YYYY_bp_VA.txt`` — primary inputs (6 value-added rows × country-sector);
* ``Eora26_YYYY_bp_Q.txt`` / ``_QY.txt`` — satellite accounts on production / final demand;
* ``labels_T.txt`` (country name, code, ``Industries``, sector), ``labels_FD.txt`` (…,
  ``Final Demand``, category), ``labels_VA.txt``, ``labels_Q.txt`` (``stressor (unit)``,
  source).

What the loader does, and why (the same as ``pymrio.parse_eora26``):

* The last "country", ``ROW``, is Eora's statistical-discrepancy account (one sector,
  ``TOTAL``): it is dropped from rows and columns of every matrix (a validation note gives
  the amount), since it is no economy and has no sector structure.
* Eora26 publishes no gross output: x = Z1 + Y1 (row totals), so the table is balanced by
  construction; value added is x − column sums of Z, compared with the VA rows.
* Monetary unit: thousands of current US dollars (Eora FAQ).
* ``Q``/``QY`` become the extension ``Q``; each stressor is ``name - source`` (Eora repeats
  names across sources) with the unit from the parentheses in ``labels_Q.txt``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np

from chainatlas.core.extensions import Extension
from chainatlas.core.model import MRIOModel
from chainatlas.errors import DataNotFoundError, ValidationError
from chainatlas.sources.delimited import TextFile, read_block, zip_members
from chainatlas.sources.registry import register

EORA_FILE = re.compile(r"^Eora26_(?P<year>\d{4})_(?P<price>bp|pp)(?:_(?P<part>T|FD|VA|Q|QY))?"
                       r"\.(?P<ext>txt|zip)$", re.I)  # fmt: skip
DISCREPANCY = "ROW"
FD_KEYWORDS = (
    ("non-profit", "NPISH"),  # before "household": "…serving households (NPISH)"
    ("household", "HFCE"),
    ("government", "GGFC"),
    ("fixed capital", "GFCF"),
    ("inventor", "INVNT"),
    ("valuables", "VALU"),
    ("export", "EXP"),
)


def _fd_code(name: str) -> str:
    lowered = name.lower()
    return next((code for key, code in FD_KEYWORDS if key in lowered), name)


class _Location:
    """The files of one Eora26 year: in a folder, or in a zip (labels maybe in indices.zip)."""

    def __init__(self, path: Path, year: int, price: str):
        self.path, self.year, self.price = path, year, price
        self.zip: Path | None = None
        self.indices: Path | None = None
        if path.is_file():
            self.zip, self.folder = path, path.parent
        else:
            self.folder = path
            candidate = path / f"Eora26_{year}_{price}.zip"
            if not (path / f"Eora26_{year}_{price}_T.txt").is_file() and candidate.is_file():
                self.zip = candidate
        if (self.folder / "indices.zip").is_file():
            self.indices = self.folder / "indices.zip"
        self._members = {Path(m).name: m for m in zip_members(self.zip)} if self.zip else {}
        self._index_members = (
            {Path(m).name: m for m in zip_members(self.indices)} if self.indices else {}
        )

    def file(self, name: str) -> TextFile:
        if self.zip is not None and name in self._members:
            return TextFile(self.zip, self._members[name])
        if (self.folder / name).is_file():
            return TextFile(self.folder / name)
        if self.indices is not None and name in self._index_members:
            return TextFile(self.indices, self._index_members[name])
        where = str(self.zip or self.folder)
        raise DataNotFoundError(f"missing Eora26 file {name}", path=where)

    def data(self, part: str) -> TextFile:
        return self.file(f"Eora26_{self.year}_{self.price}_{part}.txt")


def _scan(path: Path) -> dict[tuple[int, str], Path]:
    found: dict[tuple[int, str], Path] = {}
    items = [path] if path.is_file() else sorted(path.iterdir()) if path.is_dir() else []
    for item in items:
        match = EORA_FILE.match(item.name)
        if match:
            found.setdefault((int(match.group("year")), match.group("price").lower()), item)
    return found


def eora_years(path: Path) -> list[int]:
    return sorted({year for year, _ in _scan(Path(path))})


def _labels(file: TextFile, width: int) -> list[list[str]]:
    rows = []
    for line_no, line in enumerate(file.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("\t")]
        if len(parts) < width:
            raise ValidationError(
                f"label line has {len(parts)} field(s), expected {width}",
                path=str(file), location=f"line {line_no}",
            )  # fmt: skip
        rows.append(parts[:width])
    return rows


def _matrix(file: TextFile, rows: int, cols: int, what: str) -> np.ndarray:
    _, values = read_block(file, sep="\t", what=what)
    if values.shape != (rows, cols):
        raise ValidationError(
            f"{what}: {values.shape[0]} rows x {values.shape[1]} columns, the label files "
            f"give {rows} x {cols} (cut file, or labels of another release?)",
            path=str(file),
        )
    return values


@register(
    "eora26",
    list_years=eora_years,
    description="Eora26 (worldmrio.com) Eora26_YYYY_bp.zip or Eora26_YYYY_bp_{T,FD,VA,Q,QY}.txt",
)
def load_eora26(
    path: Path, year: int | None = None, *, price: str = "bp", extensions: bool = True
) -> MRIOModel:
    """One Eora26 year at basic prices (``price='pp'``: purchasers' prices)."""
    path = Path(path)
    if price not in ("bp", "pp"):
        raise ValidationError(f"price must be 'bp' or 'pp', not {price!r}")
    found = {k: v for k, v in _scan(path).items() if k[1] == price}
    if not found:
        raise DataNotFoundError(
            f"no Eora26 files here: expected Eora26_YYYY_{price}.zip or "
            f"Eora26_YYYY_{price}_T.txt with labels_T.txt",
            path=str(path),
        )
    years = sorted({y for y, _ in found})
    if year is None:
        if len(years) > 1:
            raise ValidationError(f"a year is needed; available: {', '.join(map(str, years))}",
                                  path=str(path))  # fmt: skip
        year = years[0]
    if (year, price) not in found:
        raise DataNotFoundError(
            f"unknown year {year}; available: {', '.join(map(str, years))}", path=str(path)
        )
    location = _Location(path, year, price)

    labels_t = _labels(location.file("labels_T.txt"), 4)
    labels_fd = _labels(location.file("labels_FD.txt"), 4)
    n_t, n_fd = len(labels_t), len(labels_fd)
    T = _matrix(location.data("T"), n_t, n_t, "T (intermediate flows)")
    FD = _matrix(location.data("FD"), n_t, n_fd, "FD (final demand)")
    labels_va = _labels(location.file("labels_VA.txt"), 2)
    VA = _matrix(location.data("VA"), len(labels_va), n_t, "VA (primary inputs)")

    keep = np.array([row[1] != DISCREPANCY for row in labels_t])
    keep_fd = np.array([row[1] != DISCREPANCY for row in labels_fd])
    lost = float(np.abs(T[~keep]).sum() + np.abs(T[:, ~keep]).sum() + np.abs(FD[~keep]).sum()
                 + np.abs(FD[:, ~keep_fd]).sum())  # fmt: skip
    rows = [labels_t[i] for i in np.flatnonzero(keep)]
    countries = list(dict.fromkeys(r[1] for r in rows))
    n = len(rows) // max(len(countries), 1)
    sectors = [r[3] for r in rows[:n]]
    for i, r in enumerate(rows):
        expected = (countries[i // n] if i // n < len(countries) else "?", sectors[i % n])
        if (r[1], r[3]) != expected:
            raise ValidationError(
                f"row label {r[1]}/{r[3]} where {expected[0]}/{expected[1]} was expected "
                "(Eora26 has the same 26 sectors for every country)",
                path=str(location.file("labels_T.txt")),
                location=f"line {int(np.flatnonzero(keep)[i]) + 1}",
            )
    fd_rows = [labels_fd[i] for i in np.flatnonzero(keep_fd)]
    f = len(fd_rows) // max(len(countries), 1)
    categories = [r[3] for r in fd_rows[:f]]
    for i, r in enumerate(fd_rows):
        if i // f >= len(countries) or (r[1], r[3]) != (countries[i // f], categories[i % f]):
            raise ValidationError(
                f"final-demand label {r[1]}/{r[3]} out of order (expected the same categories "
                "for every country, in the country order of labels_T.txt)",
                path=str(location.file("labels_FD.txt")),
                location=f"line {int(np.flatnonzero(keep_fd)[i]) + 1}",
            )
    Z = T[np.ix_(keep, keep)]
    Y_full = FD[np.ix_(keep, keep_fd)]
    model = MRIOModel.from_arrays(
        Z,
        Y_full,
        countries=[c.upper() for c in countries],
        sectors=sectors,
        fd_categories=[_fd_code(c) for c in categories],
        fd_category_names=categories,
        rebalance=True,
        source_countries=countries,
        year=year,
        source="eora26",
        units=f"USD thousand, current prices ({'basic' if price == 'bp' else 'purchasers'} "
        "prices)",
        inventory_category="INVNT" if "INVNT" in {_fd_code(c) for c in categories} else None,
        published_va=VA[:, keep].sum(axis=0),
        origin=str(location.data("T")),
    )
    dropped = [labels_t[i][1] + "/" + labels_t[i][3] for i in np.flatnonzero(~keep)]
    if dropped:
        note = (
            f"Eora's statistical-discrepancy account {', '.join(dropped)} dropped from rows and "
            f"columns (sum of absolute entries {lost:.6g}), as pymrio.parse_eora26 does"
        )
        model = replace(model, validation=replace(
            model.validation, notes=(note, *model.validation.notes)))  # fmt: skip
    if not extensions:
        return model
    labels_q = _labels(location.file("labels_Q.txt"), 2)
    Q = _matrix(location.data("Q"), len(labels_q), n_t, "Q (satellite accounts)")
    QY = _matrix(location.data("QY"), len(labels_q), n_fd, "QY (final-demand satellite)")
    stressors, units = [], []
    for name, source in labels_q:
        match = re.match(r"^(.*?)\s*\(([^()]*)\)\s*$", name)
        stressors.append(f"{match.group(1) if match else name} - {source}")
        units.append(match.group(2) if match else "")
    ext = Extension.build(
        "Q", Q[:, keep], stressors, units, F_Y=QY[:, keep_fd], origin=str(location.data("Q")),
        description="Eora26 satellite accounts (Q, QY)",
    )  # fmt: skip
    return model.with_extensions([ext])
