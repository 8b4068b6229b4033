"""Parse time of the publishers' text formats at real size, beside pymrio parsing the same files.

Synthetic files are written (in a temporary directory, deleted afterwards) in each
publisher's layout, with realistic sparsity (about 70 % zeros) and full-precision values:

* EXIOBASE 3 ixi: 49 regions × 163 industries (Z.txt 7 987 × 7 987, Y.txt, x.txt, unit.txt,
  file_parameters.json) and its satellite (satellite/F.txt 1 113 stressors, F_Y.txt, unit.txt);
* Eora26: 189 countries × 26 sectors + Eora's ROW/TOTAL discrepancy row (T 4 915²), FD, VA,
  Q/QY with 2 720 stressors and the label files;
* GLORIA 059: 120 sectors, the full 164 regions for Y/V/TQ/YQ widths but only
  ``CHAINATLAS_BENCH_GLORIA_REGIONS`` regions (default 20) in T: the full T is 39 360² =
  1.5e9 cells (12 GB as float64), more than this shared 2-core machine can parse twice in a
  few minutes. MB/s is the comparable figure.

Each row reports our load (``chainatlas.load``, validated model with its extensions) in
seconds and MB/s; ``reference_seconds`` is pymrio's parse of the same files (parse_exiobase3 /
parse_eora26 / parse_gloria; without calc_all). ``CHAINATLAS_BENCH_SOURCES`` picks formats
(comma-separated: exiobase3, eora26, gloria); ``CHAINATLAS_BENCH_SCALE`` (0–1) shrinks the
number of regions for a quick run.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from _util import measure  # noqa: E402

SCALE = float(os.environ.get("CHAINATLAS_BENCH_SCALE", "1.0"))
WANTED = os.environ.get("CHAINATLAS_BENCH_SOURCES", "exiobase3,eora26,gloria").split(",")
GLORIA_REGIONS = int(os.environ.get("CHAINATLAS_BENCH_GLORIA_REGIONS", "20"))


def _sparse(rng, shape, density=0.3) -> np.ndarray:
    values = rng.lognormal(2.0, 2.0, size=shape)
    values[rng.random(shape) > density] = 0.0
    return values


def _write_block(path: Path, values: np.ndarray, *, sep: str, labels=None, header=(),
                 mode: str = "w") -> None:  # fmt: skip
    """Header lines, then rows of (labels…, values…) written by pyarrow's CSV writer."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with open(path, mode, encoding="utf-8", newline="") as handle:
        for line in header:
            handle.write(sep.join(line) + "\n")
    columns = [pa.array(col) for col in (labels or [])]
    columns += [pa.array(values[:, j]) for j in range(values.shape[1])]
    table = pa.Table.from_arrays(columns, names=[f"c{i}" for i in range(len(columns))])
    with open(path, "ab") as handle:
        pacsv.write_csv(table, handle, write_options=pacsv.WriteOptions(
            include_header=False, delimiter=sep, quoting_style="none"))  # fmt: skip


def _size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


# ---------------------------------------------------------------------------- EXIOBASE 3
def write_exiobase(folder: Path, G: int, N: int = 163, K: int = 1113, F: int = 7) -> Path:
    rng = np.random.default_rng(1)
    root = folder / "IOT_2011_ixi"
    (root / "satellite").mkdir(parents=True)
    regions = [f"R{g:02d}" for g in range(G)]
    sectors = [f"Industry {k}" for k in range(N)]
    cats = ["Final consumption expenditure by households",
            "Final consumption expenditure by non-profit organisations serving households "
            "(NPISH)", "Final consumption expenditure by government",
            "Gross fixed capital formation", "Changes in inventories", "Changes in valuables",
            "Exports: Total (fob)"][:F]  # fmt: skip
    rows_r = [r for r in regions for _ in sectors]
    rows_s = [s for _ in regions for s in sectors]
    fd_r = [r for r in regions for _ in cats]
    fd_c = [c for _ in regions for c in cats]
    GN = G * N
    Z = _sparse(rng, (GN, GN), 0.3)
    Y = _sparse(rng, (GN, G * F), 0.5)
    x = Z.sum(axis=1) + Y.sum(axis=1)
    head = [["region", "", *rows_r], ["sector", "", *rows_s], ["region", "sector"]]
    _write_block(root / "Z.txt", Z, sep="\t", labels=[rows_r, rows_s], header=head)
    head_y = [["region", "", *fd_r], ["category", "", *fd_c], ["region", "sector"]]
    _write_block(root / "Y.txt", Y, sep="\t", labels=[rows_r, rows_s], header=head_y)
    _write_block(root / "x.txt", x[:, None], sep="\t", labels=[rows_r, rows_s],
                 header=[["region", "sector", "indout"]])  # fmt: skip
    (root / "unit.txt").write_text("region\tsector\tunit\n" + "".join(
        f"{r}\t{s}\tM.EUR\n" for r, s in zip(rows_r, rows_s, strict=True)))  # fmt: skip
    core = {"Z": ("Z.txt", 2, 2), "Y": ("Y.txt", 2, 2), "x": ("x.txt", 2, 1),
            "unit": ("unit.txt", 2, 1)}  # fmt: skip
    _parameters(root, core, "IOSystem")
    stressors = [f"Stressor {k} - air" for k in range(K)]
    _write_block(root / "satellite" / "F.txt", _sparse(rng, (K, GN), 0.2), sep="\t",
                 labels=[stressors], header=[["region", *rows_r], ["sector", *rows_s],
                                             ["stressor"]])  # fmt: skip
    _write_block(root / "satellite" / "F_Y.txt", _sparse(rng, (K, G * F), 0.1), sep="\t",
                 labels=[stressors], header=[["region", *fd_r], ["category", *fd_c],
                                             ["stressor"]])  # fmt: skip
    (root / "satellite" / "unit.txt").write_text(
        "stressor\tunit\n" + "".join(f"{s}\tkg\n" for s in stressors))
    _parameters(root / "satellite", {"F": ("F.txt", 1, 2), "F_Y": ("F_Y.txt", 1, 2),
                                     "unit": ("unit.txt", 1, 1)}, "Extension", "satellite")
    return root


def _parameters(folder: Path, files: dict, kind: str, name: str | None = None) -> None:
    data = {"files": {k: {"name": n, "nr_index_col": str(i), "nr_header": str(h)}
                      for k, (n, i, h) in files.items()}, "systemtype": kind}  # fmt: skip
    if name:
        data["name"] = name
    (folder / "file_parameters.json").write_text(json.dumps(data, indent=4))


# ---------------------------------------------------------------------------- Eora26
def write_eora(folder: Path, G: int, N: int = 26, K: int = 2720) -> Path:
    rng = np.random.default_rng(2)
    folder.mkdir(parents=True)
    cats = ["Household final consumption P.3h", "Non-profit institutions serving households "
            "P.3n", "Government final consumption P.3g", "Gross fixed capital formation P.51",
            "Changes in inventories P.52", "Acquisitions less disposals of valuables P.53"]
    names = [f"Country {g}" for g in range(G)] + ["Rest of the World"]
    codes = [f"C{g:02d}" for g in range(G)] + ["ROW"]
    labels_t = [(names[g], codes[g], "Industries", f"Sector {k}") for g in range(G)
                for k in range(N)] + [("Rest of the World", "ROW", "Industries", "TOTAL")]
    labels_fd = [(names[g], codes[g], "Final Demand", c) for g in range(G + 1) for c in cats]
    (folder / "labels_T.txt").write_text("".join("\t".join(r) + "\t\n" for r in labels_t))
    (folder / "labels_FD.txt").write_text("".join("\t".join(r) + "\t\n" for r in labels_fd))
    va = ["Compensation of employees D.1", "Taxes on production D.29",
          "Subsidies on production D.39", "Net operating surplus B.2n", "Net mixed income B.3n",
          "Consumption of fixed capital K.1"]  # fmt: skip
    (folder / "labels_VA.txt").write_text("".join(f"Primary Inputs\t{v}\t\n" for v in va))
    (folder / "labels_Q.txt").write_text("".join(
        f"Stressor {k} (kg)\tSource {k % 7}\t\n" for k in range(K)))  # fmt: skip
    n_t, n_fd = len(labels_t), len(labels_fd)
    for part, shape, density in (("T", (n_t, n_t), 0.3), ("FD", (n_t, n_fd), 0.5),
                                 ("VA", (6, n_t), 0.9), ("Q", (K, n_t), 0.2),
                                 ("QY", (K, n_fd), 0.1)):  # fmt: skip
        _write_block(folder / f"Eora26_2015_bp_{part}.txt", _sparse(rng, shape, density), sep="\t")
    return folder


# ---------------------------------------------------------------------------- GLORIA
def write_gloria(folder: Path, G: int, N: int = 120, K: int = 200) -> Path:
    import openpyxl

    rng = np.random.default_rng(3)
    mrio = folder / "GLORIA_MRIOs_59_2022"
    sat = folder / "GLORIA_SatelliteAccounts_059_2022"
    mrio.mkdir(parents=True)
    sat.mkdir()
    F, V = 6, 6
    n_t = G * 2 * N
    T = np.zeros((n_t, n_t))
    ind = np.concatenate([np.arange(g * 2 * N, g * 2 * N + N) for g in range(G)])
    prod = ind + N
    T[np.ix_(prod, ind)] = _sparse(rng, (G * N, G * N), 0.3)  # use
    T[ind, prod] = rng.lognormal(8.0, 1.0, G * N)  # diagonal supply
    tail = "_2022_059_Markup001(full).csv"
    _write_block(mrio / f"20240111_120secMother_AllCountries_002_T-Results{tail}", T, sep=",")
    Y = np.zeros((n_t, G * F))
    Y[prod] = _sparse(rng, (G * N, G * F), 0.5)
    _write_block(mrio / f"20240111_120secMother_AllCountries_002_Y-Results{tail}", Y, sep=",")
    VA = np.zeros((G * V, n_t))
    VA[:, ind] = _sparse(rng, (G * V, G * N), 0.2)
    _write_block(mrio / f"20240111_120secMother_AllCountries_002_V-Results{tail}", VA, sep=",")
    TQ = np.zeros((K, n_t))
    TQ[:, ind] = _sparse(rng, (K, G * N), 0.2)
    _write_block(sat / f"20240111_120secMother_AllCountries_002_TQ-Results{tail}", TQ, sep=",")
    _write_block(sat / f"20240111_120secMother_AllCountries_002_YQ-Results{tail}",
                 _sparse(rng, (K, G * F), 0.1), sep=",")  # fmt: skip
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Regions"
    sheet.append(["Lfd_Nr", "Region_acronyms", "Region_names"])
    for g in range(G):
        sheet.append([g + 1, f"R{g:03d}", f"Region {g}"])
    sheet = book.create_sheet("Sectors")
    sheet.append(["Lfd_Nr", "Sector_names"])
    for k in range(N):
        sheet.append([k + 1, f"Sector {k}"])
    sheet = book.create_sheet("Value added and final demand")
    sheet.append(["Lfd_Nr", "Value_added_names", "Final_demand_names"])
    fd = ["Household final consumption P.3h", "Non-profit institutions serving households P.3n",
          "Government final consumption P.3g", "Gross fixed capital formation P.51",
          "Changes in inventories P.52", "Acquisitions less disposals of valuables P.53"]
    for k in range(6):
        sheet.append([k + 1, f"Value added {k}", fd[k]])
    sheet = book.create_sheet("Satellites")
    sheet.append(["Lfd_Nr", "Sat_head_indicator", "Sat_indicator", "Sat_unit"])
    for k in range(K):
        sheet.append([k + 1, "Emissions (EDGAR)", f"'gas{k}'", "kilotonnes"])
    book.save(folder / "GLORIA_ReadMe_059.xlsx")
    return folder


# ---------------------------------------------------------------------------- runs
def _row(name, path, seconds, peak, ref_seconds) -> dict:
    mb = _size_mb(path)
    return {
        "name": f"{name} ({mb:.0f} MB: {mb / seconds:.0f} MB/s; pymrio {mb / ref_seconds:.0f})",
        "seconds": seconds,
        "peak_mb": peak,
        "reference": "pymrio",
        "reference_seconds": ref_seconds,
    }


def main() -> list[dict]:
    import pymrio

    import chainatlas

    rows = []
    base = Path(tempfile.mkdtemp(prefix="bench_sources_"))
    try:
        if "exiobase3" in WANTED:
            G = max(2, round(49 * SCALE))
            root = write_exiobase(base / "exio", G)
            seconds, peak = measure(lambda: chainatlas.load("exiobase3", root))
            start = time.perf_counter()
            io = pymrio.parse_exiobase3(root)
            ref = time.perf_counter() - start
            assert io.Z.shape == (G * 163, G * 163)
            rows.append(_row(f"parse exiobase3 ixi {G}x163 + satellite", root, seconds, peak,
                             ref))  # fmt: skip
            shutil.rmtree(base / "exio")
        if "eora26" in WANTED:
            G = max(2, round(189 * SCALE))
            folder = write_eora(base / "eora", G)
            seconds, peak = measure(lambda: chainatlas.load("eora26", folder, 2015))
            start = time.perf_counter()
            pymrio.parse_eora26(folder, year=2015)
            ref = time.perf_counter() - start
            rows.append(_row(f"parse eora26 {G + 1}x26 + Q/QY", folder, seconds, peak, ref))
            shutil.rmtree(folder)
        if "gloria" in WANTED:
            G = max(2, round(GLORIA_REGIONS * SCALE))
            folder = write_gloria(base / "gloria", G)
            seconds, peak = measure(lambda: chainatlas.load("gloria", folder, 2022))
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pymrio.parse_gloria(folder, year=2022)
            ref = time.perf_counter() - start
            rows.append(_row(f"parse gloria {G}x120 (of 164) + TQ/YQ", folder, seconds, peak,
                             ref))  # fmt: skip
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return rows


if __name__ == "__main__":
    for result in main():
        print(result)
