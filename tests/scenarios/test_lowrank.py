"""Woodbury solves with a shocked A equal dense solves (rows, columns, both, fallback)."""

from __future__ import annotations

import numpy as np
import pytest

from chainatlas.scenarios.lowrank import ShockedLeontief


@pytest.mark.parametrize(
    ("rows", "cols"),
    [([0, 5], []), ([], [3, 7, 8]), ([1], [1, 10]), (None, None)],
)
def test_woodbury_matches_dense(small, rows, cols):
    rng = np.random.default_rng(3)
    A_new = np.array(small.A)
    change_rows = rows if rows is not None else [2, 4]
    A_new[change_rows, :] *= rng.uniform(0.2, 1.5, (len(change_rows), small.GN))
    if cols:
        A_new[:, cols] *= rng.uniform(0.2, 1.2, (small.GN, len(cols)))
    solver = ShockedLeontief(
        small, A_new, rows=None if rows is None else np.array(rows, dtype=np.intp),
        cols=None if cols is None else np.array(cols, dtype=np.intp),
    )  # fmt: skip
    assert solver.rank is not None  # low rank: Woodbury, not a new LU
    rhs = rng.normal(size=(small.GN, 3))
    M = np.eye(small.GN) - A_new
    assert np.allclose(solver.solve(rhs), np.linalg.solve(M, rhs), rtol=1e-11, atol=1e-11)
    assert np.allclose(
        solver.solve_transposed(rhs), np.linalg.solve(M.T, rhs), rtol=1e-11, atol=1e-11
    )


def test_wrong_hint_falls_back_to_a_new_factorisation(small):
    A_new = np.array(small.A)
    A_new[:, 2] *= 0.5  # a column change, but only rows are declared
    solver = ShockedLeontief(small, A_new, rows=np.array([0], dtype=np.intp))
    assert solver.rank is None
    rhs = np.ones(small.GN)
    assert np.allclose(solver.solve(rhs), np.linalg.solve(np.eye(small.GN) - A_new, rhs))


def test_wiod_relocation_uses_base_factorisation(wiod2011):
    from chainatlas.scenarios import parse_scenario, resolve_shocks
    from chainatlas.scenarios.shocks import apply_relocation

    raw = {"table": {"source": "wiod2013", "year": 2011},
           "shocks": [{"kind": "relocation", "country": "CHN", "sectors": ["c4", "c14"],
                       "share": 0.2, "destinations": ["IDN", "IND", "MEX"]}]}  # fmt: skip
    (shock,) = resolve_shocks(parse_scenario(raw), wiod2011)
    outcome = apply_relocation(wiod2011, dict(shock.params))
    assert outcome.solver.rank == 8  # 2 origin rows + 6 destination rows
    dense = np.linalg.solve(np.eye(wiod2011.GN) - outcome.A_new, outcome.Y_full_new.sum(axis=1))
    assert np.abs(outcome.x_new - dense).max() <= 1e-9 * wiod2011.x.max()
