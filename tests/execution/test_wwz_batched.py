"""WWZ by exporter batches from LU solves equals wwz() and keeps to its memory model."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from chainatlas.decompositions.wwz import WWZ_TERMS, wwz
from chainatlas.execution import wwz_batched, wwz_memory_plan
from chainatlas.execution.memory import square_bytes, table_bytes
from chainatlas.execution.synthetic import synthetic_table


def worst_relative_gap(a, b) -> float:
    gaps = []
    for name in WWZ_TERMS:
        scale = max(np.abs(a.terms[name]).max(), 1e-300)
        gaps.append(np.abs(a.terms[name] - b.terms[name]).max() / scale)
    return max(gaps)


@pytest.mark.parametrize("per_batch", [1, 7, None])
def test_matches_wwz_on_wiod_2011(wiod2011, per_batch):
    reference = wwz(wiod2011)
    batched = wwz_batched(wiod2011, exporters_per_batch=per_batch)
    assert list(batched.terms) == list(WWZ_TERMS)
    assert worst_relative_gap(reference, batched) < 1e-10
    # the 16 terms add up to bilateral sector exports (METHODS §4.3), own column 0
    total = sum(batched.terms[name] for name in WWZ_TERMS)
    exports = np.asarray(wiod2011.exports)
    assert np.abs(total - exports).max() <= 1e-9 * np.abs(exports).max()


@pytest.mark.parametrize("per_batch", [1, 2, 5])
def test_matches_wwz_on_random_tables(per_batch):
    model = synthetic_table(5, 4, F=3, seed=per_batch)
    assert worst_relative_gap(wwz(model), wwz_batched(model, exporters_per_batch=per_batch)) < 1e-10


def test_memory_limit_sets_batches_and_peak_stays_within_the_model():
    G, N = 8, 150  # GN = 1,200: 11.5 MB per dense matrix, well above Python's own noise
    model = synthetic_table(G, N, seed=3)
    _ = model.exports, model.Y, model.v  # small cached vectors, as any caller would have
    limit = 40 * 10**6  # table 12 MB + LU 11.5 MB + room for about two exporters
    plan = wwz_memory_plan(G, N, limit)
    assert 1 <= plan.exporters_per_batch < G
    tracemalloc.start()
    try:
        batched = wwz_batched(model, limit)
        _, batched_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        reference = wwz(model)  # caches A, LU, B in the model: ~5 GN² more
        _, standard_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert worst_relative_gap(reference, batched) < 1e-10
    # the table (Z, Y) was allocated before tracing started
    assert batched_peak <= plan.peak_bytes - table_bytes(G, N)
    assert standard_peak > 3 * square_bytes(G, N)
    assert batched_peak < 0.5 * standard_peak
