"""Borin–Mancini source, sink and ADB decompositions: WIOD 2011 and an OECD-ICIO-sized synthetic
table (81 countries × 50 sectors, GN = 4050).

References on WIOD 2011 (all 41 exporters): exvatools 0.9.0 ``make_exvadec("bm_src")`` takes
12.6 s on this machine with OpenBLAS (figure from the task brief) and 82.5–88.1 s with the
reference BLAS (../shared/reference/wiod2013_2011/exva_bm_*_meta_wiod2011.txt, which also give
2.5 s of ``make_custom_wio`` set-up and 513–588 MB R memory). Targets: source + sink ≤ 1 s on
WIOD 2011; WWZ + BM ≤ 30 s and < 8 GB on the 81×50 table.

Each row's peak_mb is the process's peak RSS so far (rows run in order, so it is cumulative).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import measure

import chainatlas
from chainatlas.core.model import MRIOModel
from chainatlas.decompositions.borin_mancini import bm_adb, bm_sink, bm_source
from chainatlas.decompositions.wwz import wwz

ROOT = Path(__file__).resolve().parents[1]
WIOD = Path(os.environ.get("CHAINATLAS_SHARED", ROOT.parent / "shared")) / "data" / "wiod2013"


def fresh(model: MRIOModel) -> MRIOModel:
    """The same table without cached A, B, L (so a timing includes the Leontief inverse)."""
    return dataclasses.replace(model)


def synthetic_table(G: int = 81, N: int = 50, seed: int = 1) -> MRIOModel:
    """Random MRIO with diagonal-dominant A (domestic blocks carry ~98 % of each column's
    inputs), column sums uniform in [0.3, 0.7] (≈ 0.5) and positive final demand."""
    rng = np.random.default_rng(seed)
    GN = G * N
    country = np.repeat(np.arange(G), N)
    A = rng.random((GN, GN))
    A *= np.where(country[:, None] == country[None, :], 1.0, 0.02)
    A *= rng.uniform(0.3, 0.7, GN)[None, :] / A.sum(axis=0)[None, :]
    Y = rng.uniform(0.1, 5.0, (GN, G))
    Y[np.arange(GN), country] += rng.uniform(50.0, 500.0, GN)  # mostly domestic use
    x = np.linalg.solve(np.eye(GN) - A, Y.sum(axis=1))
    Z = A * x[None, :]
    del A
    return MRIOModel.from_arrays(
        Z,
        Y,
        countries=[f"C{i:02d}" for i in range(G)],
        sectors=[f"s{j}" for j in range(N)],
        fd_categories=["FD"],
        x=Z.sum(axis=1) + Y.sum(axis=1),
        rebalance=False,
        source="synthetic-oecd-size",
    )


def main() -> list[dict]:
    rows: list[dict] = []

    def row(name: str, fn, repeat: int = 3, **extra) -> None:
        seconds, peak = measure(fn, repeat=repeat)
        rows.append({"name": name, "seconds": seconds, "peak_mb": peak, **extra})

    base = chainatlas.load("wiod2013", WIOD, year=2011)

    def source_and_sink(model: MRIOModel) -> None:
        bm_source(model)
        bm_sink(model)

    row("Leontief inverse B alone wiod2011 (core, for comparison)", lambda: fresh(base).B)
    row(
        "bm source+sink wiod2011 (incl. A, B, L)",
        lambda: source_and_sink(fresh(base)),
        target_seconds=1.0,
    )
    row(
        "bm source wiod2011 (incl. A, B, L)",
        lambda: bm_source(fresh(base)),
        reference="exvatools bm_src OpenBLAS",
        reference_seconds=12.6,
    )
    _ = base.B  # warm the caches
    _ = base.local_inverse
    row("bm source wiod2011 (B cached)", lambda: bm_source(base), repeat=5)
    row("bm sink wiod2011 (B cached)", lambda: bm_sink(base), repeat=5)
    row("bm adb wiod2011 (B cached)", lambda: bm_adb(base), repeat=5)
    row(
        "bm source+sink+adb wiod2011 full tables (B cached)",
        lambda: [f(base).to_frame("full") for f in (bm_source, bm_sink, bm_adb)],
        repeat=1,
    )

    big = synthetic_table()

    def wwz_and_bm(model: MRIOModel) -> None:
        wwz(model)
        bm_source(model)
        bm_sink(model)
        bm_adb(model)

    row(
        "wwz+bm source/sink/adb synthetic 81x50 (GN=4050, incl. A, B, L)",
        lambda: wwz_and_bm(fresh(big)),
        repeat=1,
        target_seconds=30.0,
    )
    cached = fresh(big)
    _ = cached.B
    _ = cached.local_inverse
    row("bm source synthetic 81x50 (B cached)", lambda: bm_source(cached), repeat=1)
    row("bm sink synthetic 81x50 (B cached)", lambda: bm_sink(cached), repeat=1)
    row("bm adb synthetic 81x50 (B cached)", lambda: bm_adb(cached), repeat=1)
    return rows


if __name__ == "__main__":
    for r in main():
        print(r)
