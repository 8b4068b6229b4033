"""WWZ 16 terms for large tables, by batches of exporters, without forming A or B.

``chainatlas.decompositions.wwz.wwz`` keeps A, the LU factors of I − A and B = (I − A)⁻¹ in the
model's cache and copies A into (G, G, N, N) blocks: about 5 dense GN×GN float64 matrices
(3.8 GB for EXIOBASE's GN = 9,800) plus transients. This path keeps only Z (the table) and one
GN×GN buffer holding I − A and then, in place, its LU factors:

* the products with B that WWZ needs (B Y, B times block-diagonal final demand, v_t B_ts) are
  LU solves with a few G-wide right-hand sides (``trans=1`` for the row-vector ones);
* the diagonal blocks B_rr are solved for a few countries' unit columns at a time;
* the rows A_s* of the exporters in a batch are rebuilt from Z when the batch needs them.

This module only provides the ingredients (the "lean provider"); the 16 term formulas are
written once, in ``chainatlas.decompositions.wwz.wwz_term_cubes``, and evaluated here for the
exporters of each batch. ``tests/execution`` checks the result against ``wwz(model)`` to 1e-10
relative on WIOD and random tables.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from chainatlas.core.model import MRIOModel
from chainatlas.decompositions.tidy import Decomposition
from chainatlas.decompositions.wwz import (
    WWZ_TERMS,
    final_demand_rhs,
    ingredients_from,
    wwz_term_cubes,
)
from chainatlas.execution.memory import WWZPlan, wwz_memory_plan


def wwz_batched(
    model: MRIOModel,
    memory_limit: int | None = None,
    *,
    exporters_per_batch: int | None = None,
    plan: WWZPlan | None = None,
) -> Decomposition:
    """The WWZ decomposition of ``model`` computed exporter batch by exporter batch.

    ``memory_limit`` (bytes) sizes the batches (see :func:`wwz_memory_plan`);
    ``exporters_per_batch`` overrides the batch size (tests use 1 to 3).
    """
    G, N, GN = model.G, model.N, model.GN
    if plan is None:
        plan = wwz_memory_plan(G, N, memory_limit, F=model.F)
    batch = exporters_per_batch or plan.exporters_per_batch
    idx = np.arange(G)
    inv_x = model.inverse_output

    # I − A in one GN×GN buffer (bit-identical to np.eye − model.A), factorised in place;
    # Fortran order, or LAPACK would work on a second (transposed) copy
    system = np.empty((GN, GN), order="F")
    np.multiply(model.Z, (-inv_x)[None, :], out=system)
    system[np.diag_indices(GN)] += 1.0
    lu = scipy.linalg.lu_factor(system, overwrite_a=True, check_finite=False)
    del system

    # --- products with B as LU solves of the shared right-hand sides
    B_rhs = scipy.linalg.lu_solve(lu, final_demand_rhs(model), check_finite=False)

    # --- v_t B_ts for every (t, s): rows of B weighted by v, one transposed solve
    rows = np.arange(GN)
    weights = np.zeros((GN, G))
    weights[rows, np.repeat(idx, N)] = model.v
    by_origin = scipy.linalg.lu_solve(lu, weights, trans=1, check_finite=False)
    by_origin = np.ascontiguousarray(by_origin.T).reshape(G, G, N)  # [t, s] = v_t B_ts
    del weights

    # --- diagonal blocks B_rr from unit columns, a few countries per solve
    B_own = np.empty((G, N, N))
    per_solve = max(1, plan.columns_per_solve // N)
    for start in range(0, G, per_solve):
        stop = min(G, start + per_solve)
        k = stop - start
        # Fortran order: LAPACK solves in place, no second copy of the k·N columns
        unit = np.zeros((GN, k * N), order="F")
        unit[start * N + np.arange(k * N), np.arange(k * N)] = 1.0
        cols = scipy.linalg.lu_solve(lu, unit, overwrite_b=True, check_finite=False)
        del unit
        for j in range(k):  # the diagonal block of each solved country
            r = start + j
            B_own[r] = cols[r * N : (r + 1) * N, j * N : (j + 1) * N]
        del cols

    # --- local inverses L_rr from the diagonal blocks of A (built from Z, no full A)
    Z_own = model.Z.reshape(G, N, G, N)[idx, :, idx, :]
    A_own = Z_own * inv_x.reshape(G, N)[:, None, :]
    L_own = np.linalg.inv(np.eye(N)[None] - A_own)
    del Z_own, A_own

    ingredients = ingredients_from(model, B_rhs, by_origin, B_own, L_own)
    del B_rhs, by_origin, B_own, L_own  # the ingredients keep views/results they need

    out = {name: np.zeros((G, N, G)) for name in WWZ_TERMS}  # [s, n, r]
    for start in range(0, G, batch):
        S = slice(start, min(G, start + batch))
        b = S.stop - S.start
        # rows A_s* of this batch as contiguous (b, G, N, N) blocks [s, r] = A_sr
        A_rows = model.Z[S.start * N : S.stop * N] * inv_x[None, :]
        A_blocks = np.ascontiguousarray(A_rows.reshape(b, N, G, N).transpose(0, 2, 1, 3))
        del A_rows
        cubes = wwz_term_cubes(ingredients, S, A_blocks)
        del A_blocks
        local = np.arange(b)
        for name, cube in cubes.items():
            cube[local, local + start] = 0.0  # the exporter's own column
            out[name][S] = cube.transpose(0, 2, 1)
        del cubes

    terms = {name: out[name].reshape(GN, G) for name in WWZ_TERMS}
    notes = (
        f"WWZ computed in {-(-G // batch)} exporter batch(es) of up to {batch} countries "
        "from LU solves (no dense A or B formed)",
    )
    return Decomposition.of(model, "wwz", terms, notes)


__all__ = ["wwz_batched"]
