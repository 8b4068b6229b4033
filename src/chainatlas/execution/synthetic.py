"""Random, balanced MRIO tables of any size (benchmarks and memory tests).

``synthetic_table(49, 200)`` is EXIOBASE-sized (GN = 9,800): a dense Z of 768 MB. Domestic
blocks are heavier than foreign ones, as in published tables; every A column sums to about
0.5, so I − A is well conditioned.
"""

from __future__ import annotations

import numpy as np

from chainatlas.core.model import MRIOModel


def synthetic_table(G: int, N: int, F: int = 5, seed: int = 0, year: int = 2011) -> MRIOModel:
    """A validated G-country, N-sector model with x = Z1 + Y1 (no GN×GN temporaries)."""
    rng = np.random.default_rng(seed)
    GN = G * N
    Z = rng.random((GN, GN))
    Z *= Z  # skewed flows: many small, few large
    for s in range(G):  # domestic blocks carry more (one N×N block at a time)
        block = slice(s * N, (s + 1) * N)
        Z[block, block] *= G
    demand = Z.sum(axis=1)  # final demand about as large as intermediate sales
    Y_full = rng.random((GN, G * F)) * (2.0 * demand / (G * F))[:, None]
    countries = [f"C{i:02d}" for i in range(G)]
    sectors = [f"s{j}" for j in range(1, N + 1)]
    categories = [f"F{k}" for k in range(1, F + 1)]
    return MRIOModel.from_arrays(
        Z,
        Y_full,
        countries=countries,
        sectors=sectors,
        fd_categories=categories,
        rebalance=True,
        year=year,
        source="synthetic",
    )


__all__ = ["synthetic_table"]
