"""Split economies (CN1/CN2, MX1/MX2 kept) on an OECD-ICIO-2023-sized synthetic table.

81 economies × 45 industries, two of them split in two parts (83 part blocks, 3 735 real
rows). The split table is computed on a padded uniform view (core/layout.py: 81 × 90 slots,
GN = 7 290, half of it zero dummy rows); the global inverse is taken on the real rows only.
The baseline ("reference") is the same 3 735 rows as an ordinary uniform table of 83
countries — what the padding costs on top of the table's own size. Run:
``.venv/bin/python benchmarks/bench_split.py`` (or benchmarks/run.py).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import measure

from chainatlas.core.model import MRIOModel
from chainatlas.decompositions import decomposition

G, N, SPLIT = 81, 45, 2  # economies, industries, economies split in two parts


def part_level_table(seed: int = 0):
    """Random realistic part-level arrays: (Z, Y_full by economy, part codes, part economy)."""
    rng = np.random.default_rng(seed)
    part_economy = np.concatenate([np.arange(G), np.arange(SPLIT)])  # parts of CHN, MEX last
    K = part_economy.size
    KN = K * N
    economy_of_row = np.repeat(part_economy, N)
    A = rng.random((KN, KN))
    A *= np.where(economy_of_row[:, None] == economy_of_row[None, :], 1.0, 0.02)
    A *= rng.uniform(0.3, 0.7, KN)[None, :] / A.sum(axis=0)[None, :]
    Y = rng.uniform(0.0, 1.0, (KN, G)) * 5.0
    Y[np.arange(KN), economy_of_row] += rng.uniform(50.0, 500.0, KN)
    x = np.linalg.solve(np.eye(KN) - A, Y.sum(axis=1))
    Z = A * x[None, :]
    codes = [f"C{e:02d}" for e in range(G)]
    part_codes = [*codes, *(f"{codes[e]}b" for e in range(SPLIT))]
    return Z, Y, part_codes, part_economy, codes


def main() -> list[dict]:
    rows: list[dict] = []
    Z, Y, part_codes, part_economy, codes = part_level_table()
    sectors = [f"s{j}" for j in range(N)]

    split = MRIOModel.from_parts(
        Z,
        Y,
        countries=codes,
        part_codes=part_codes,
        part_country=part_economy,
        sectors=sectors,
        fd_categories=["FD"],
        rebalance=True,
        source="synthetic-icio2023-split",
    )
    # the same rows as 83 ordinary countries (final demand of a split economy's destination
    # column copied to the part, so the table has the same size and values)
    K = len(part_codes)
    Y_parts = np.zeros((K * N, K))
    Y_parts[:, :G] = Y
    uniform = MRIOModel.from_arrays(
        Z,
        Y_parts,
        countries=part_codes,
        sectors=sectors,
        fd_categories=["FD"],
        rebalance=True,
        source="synthetic-icio2023-parts-as-countries",
    )
    del Z, Y

    def run(name: str, model: MRIOModel, method: str, reference: float | None = None):
        seconds, peak = measure(lambda: decomposition(dataclasses.replace(model), method), repeat=1)
        row = {"name": name, "seconds": seconds, "peak_mb": peak}
        if reference is not None:
            # budget: padding doubles the matrix sides (4x the products), never the O(n³)
            # inverse, so the split run should stay within 4x the same rows unpadded
            row.update(
                reference="83 uniform",
                reference_seconds=round(reference, 3),
                target_seconds=round(4 * reference, 1),
            )
        rows.append(row)
        return seconds

    for method in ("wwz", "bm-source", "tiva"):
        base = run(f"{method} 83x45 uniform (incl. A, B, L)", uniform, method)
        run(f"{method} 81x45 2 split, padded (incl. A, B, L)", split, method, base)
    seconds, peak = measure(lambda: dataclasses.replace(split).B, repeat=1)
    rows.append({"name": "B of the split table (real-rows inverse)", "seconds": seconds,
                 "peak_mb": peak})  # fmt: skip
    return rows


if __name__ == "__main__":
    for r in main():
        ratio = r.get("reference_seconds")
        extra = f"  ratio uniform/split {ratio / r['seconds']:.2f}x" if ratio else ""
        print(f"{r['name']:<58} {r['seconds']:8.2f} s {r['peak_mb']:8.0f} MB{extra}")
