"""Helpers for scenario tests: a small random table and scenario dicts."""

from __future__ import annotations

import numpy as np

from chainatlas.core.model import MRIOModel


def small_model(seed: int = 7) -> MRIOModel:
    """4 countries x 3 sectors x 2 final-demand categories, strictly positive flows."""
    rng = np.random.default_rng(seed)
    countries, sectors, categories = ["CHN", "USA", "DEU", "ROW"], ["s1", "s2", "s3"], ["hh", "inv"]
    GN = len(countries) * len(sectors)
    Z = rng.uniform(1.0, 10.0, (GN, GN))
    Y_full = rng.uniform(5.0, 30.0, (GN, len(countries) * len(categories)))
    return MRIOModel.from_arrays(
        Z, Y_full, countries=countries, sectors=sectors, fd_categories=categories,
        year=2011, source="test",
    )  # fmt: skip


def scenario(*shocks: dict, **table) -> dict:
    """A scenario dict on the WIOD 2011 table with the given shocks."""
    return {"table": {"source": "wiod2013", "year": 2011, **table}, "shocks": list(shocks)}
