"""WWZ, KWW and TiVA decompositions: WIOD 2011, all 17 WIOD years, and an OECD-ICIO-sized
synthetic table (81 countries × 50 sectors, GN = 4050).

Reference: R decompr 6.8.0 ``wwz()`` on WIOD 2011 takes 5.3 s with OpenBLAS (16.6 s with the
reference BLAS, ../shared/reference/wiod2013_2011/decompr_timings_wwz_wiod2011.csv); exvatools
0.9.0 ``make_exvadec("wwz")`` for all 41 exporters takes 4.63 s after 2.46 s of set-up.
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
from chainatlas.decompositions.kww import kww
from chainatlas.decompositions.tiva import tiva, tiva_indicators
from chainatlas.decompositions.wwz import wwz

ROOT = Path(__file__).resolve().parents[1]
WIOD = Path(os.environ.get("CHAINATLAS_SHARED", ROOT.parent / "shared")) / "data" / "wiod2013"


def fresh(model: MRIOModel) -> MRIOModel:
    """The same table without cached A, B, L (so a timing includes the Leontief inverse)."""
    return dataclasses.replace(model)


def oecd_sized_table(G: int = 81, N: int = 50, seed: int = 0) -> MRIOModel:
    """Random but realistic MRIO: domestic blocks dominate A, column sums ≈ 0.5, y > 0."""
    rng = np.random.default_rng(seed)
    GN = G * N
    A = rng.random((GN, GN))
    country = np.repeat(np.arange(G), N)
    A *= np.where(country[:, None] == country[None, :], 1.0, 0.02)
    A *= rng.uniform(0.3, 0.7, GN)[None, :] / A.sum(axis=0)[None, :]
    Y = rng.uniform(0.0, 1.0, (GN, G)) * 5.0
    Y[np.arange(GN), country] += rng.uniform(50.0, 500.0, GN)  # mostly domestic use
    x = np.linalg.solve(np.eye(GN) - A, Y.sum(axis=1))
    Z = A * x[None, :]
    del A
    F = 2  # household consumption and changes in inventories (a small share)
    Y_full = np.zeros((GN, G * F))
    Y_full[:, 0::F] = 0.97 * Y
    Y_full[:, 1::F] = 0.03 * Y
    return MRIOModel.from_arrays(
        Z,
        Y_full,
        countries=[f"C{i:02d}" for i in range(G)],
        sectors=[f"s{j}" for j in range(N)],
        fd_categories=["HH", "INV"],
        x=Z.sum(axis=1) + Y_full.sum(axis=1),
        rebalance=False,
        source="synthetic-oecd-size",
    )


def main() -> list[dict]:
    rows: list[dict] = []

    def row(name: str, fn, repeat: int = 3, **extra) -> None:
        seconds, peak = measure(fn, repeat=repeat)
        rows.append({"name": name, "seconds": seconds, "peak_mb": peak, **extra})

    holder: dict[str, MRIOModel] = {}

    def load() -> None:
        holder["m"] = chainatlas.load("wiod2013", WIOD, year=2011)

    row("wiod2011 load (RData, validate; first load)", load, repeat=1)
    base = holder["m"]
    row(
        "wwz wiod2011 (incl. A, B, L)",
        lambda: wwz(fresh(base)),
        target_seconds=0.5,
        reference="decompr 6.8.0 OpenBLAS",
        reference_seconds=5.3,
    )
    _ = base.B  # warm the caches
    _ = base.local_inverse
    row("wwz wiod2011 (B cached)", lambda: wwz(base), repeat=5)
    row("kww wiod2011 (incl. A, B, L)", lambda: kww(fresh(base)))
    row("tiva wiod2011 terms (incl. A, B, L)", lambda: tiva(fresh(base)))
    row("tiva_indicators wiod2011 (B cached)", lambda: tiva_indicators(base), repeat=5)
    row(
        "wwz+kww+tiva wiod2011 sector tables (B cached)",
        lambda: [d(base).to_frame("full") for d in (wwz, tiva)] + [kww(base).to_frame("country")],
        repeat=1,
    )

    def all_years() -> None:
        for year in chainatlas.available_years("wiod2013", WIOD):
            model = chainatlas.load("wiod2013", WIOD, year=year)
            wwz(model), kww(model), tiva(model)

    row("load+wwz+kww+tiva, all 17 WIOD years", all_years, repeat=1)

    def every_method_all_years() -> None:
        from chainatlas.decompositions import METHODS, decomposition

        for year in chainatlas.available_years("wiod2013", WIOD):
            model = chainatlas.load("wiod2013", WIOD, year=year)
            for method in METHODS:
                decomposition(model, method)

    row(
        "load + every decomposition method, all 17 WIOD years",
        every_method_all_years,
        repeat=1,
        target_seconds=60.0,
    )

    big = oecd_sized_table()
    row(
        "wwz synthetic 81x50 (GN=4050, incl. A, B, L)",
        lambda: wwz(fresh(big)),
        repeat=1,
        target_seconds=30.0,
    )
    row("kww synthetic 81x50 (incl. A, B, L)", lambda: kww(fresh(big)), repeat=1)
    return rows


if __name__ == "__main__":
    for r in main():
        print(r)
