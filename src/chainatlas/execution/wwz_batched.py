"""WWZ 16 terms for large tables, by batches of exporters, without forming A or B.

``chainatlas.decompositions.wwz.wwz`` keeps A, the LU factors of I − A and B = (I − A)⁻¹ in the
model's cache and copies A into (G, G, N, N) blocks: about 5 dense GN×GN float64 matrices
(3.8 GB for EXIOBASE's GN = 9,800) plus transients. This path keeps only Z (the table) and one
GN×GN buffer holding I − A and then, in place, its LU factors:

* the products with B that WWZ needs (B Y, B times block-diagonal final demand, v_t B_ts) are
  LU solves with a few G-wide right-hand sides (``trans=1`` for the row-vector ones);
* the diagonal blocks B_rr are solved for a few countries' unit columns at a time;
* the rows A_s* of the exporters in a batch are rebuilt from Z when the batch needs them.

The term formulas are those of wwz.py (same names, same order, same (s, r) vectors that A_sr
multiplies), evaluated for the exporters of each batch; ``tests/execution`` checks the result
against ``wwz(model)`` to 1e-10 relative on WIOD and random tables.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from chainatlas.core.model import MRIOModel
from chainatlas.decompositions.tidy import Decomposition
from chainatlas.decompositions.wwz import WWZ_TERMS
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

    x = model.x.reshape(G, N)
    y = model.y.reshape(G, N)
    Y_cube = model.Y.reshape(G, N, G)  # [r, :, u] = Y_ru
    Y_pair = Y_cube.transpose(0, 2, 1)  # [s, r, :] = Y_sr
    Y_own = Y_cube[idx, :, idx]  # Y_rr
    e = model.total_exports.reshape(G, N)
    v = model.v.reshape(G, N)

    # --- products with B as solves: B Y, B [Y_ss block-diagonal | Y_s* − Y_ss block-diag],
    # B [Y_tt stacked | y_t − Y_tt stacked]
    rows = np.arange(GN)
    country = np.repeat(idx, N)
    rhs = np.zeros((GN, 3 * G + 2))
    rhs[:, :G] = model.Y
    rhs[rows, G + country] = Y_own.reshape(-1)
    rhs[rows, 2 * G + country] = (y - Y_own).reshape(-1)
    rhs[:, 3 * G] = Y_own.reshape(-1)
    rhs[:, 3 * G + 1] = (y - Y_own).reshape(-1)
    solved = scipy.linalg.lu_solve(lu, rhs, check_finite=False)
    del rhs
    BY = solved[:, :G].reshape(G, N, G).transpose(2, 0, 1)  # [s, r] = (BY)_{r,s}
    B_Yss = solved[:, G : 2 * G].reshape(G, N, G).transpose(2, 0, 1)  # [s, r] = B_rs Y_ss
    B_Ysx = solved[:, 2 * G : 3 * G].reshape(G, N, G).transpose(2, 0, 1)  # B_rs Y_s*
    B_Ytt = solved[:, 3 * G].reshape(G, N)
    B_Ytx = solved[:, 3 * G + 1].reshape(G, N)

    # --- v_t B_ts for every (t, s): rows of B weighted by v, one transposed solve
    weights = np.zeros((GN, G))
    weights[rows, country] = model.v
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

    Brr_Yrr = np.einsum("rij,rj->ri", B_own, Y_own)
    Brr_yr = np.einsum("rij,rj->ri", B_own, y)
    Brr_Yrs = np.matmul(B_own, Y_cube).transpose(2, 0, 1)  # [s, r] = B_rr Y_rs
    Lrr_Yrr = np.einsum("rij,rj->ri", L_own, Y_own)
    Lrr_er = np.einsum("rij,rj->ri", L_own, e)

    v_B = np.einsum("si,sij->sj", v, B_own)
    v_L = np.einsum("si,sij->sj", v, L_own)
    mva_all = by_origin.transpose(1, 0, 2)  # [s, r] = v_r B_rs
    foreign = by_origin.sum(axis=0) - by_origin[idx, idx]  # Σ_{t≠s} v_t B_ts

    out = {name: np.zeros((G, N, G)) for name in WWZ_TERMS}  # [s, n, r]
    for start in range(0, G, batch):
        S = slice(start, min(G, start + batch))
        b = S.stop - S.start
        # rows A_s* of this batch as contiguous (b, G, N, N) blocks [s, r] = A_sr
        A_rows = model.Z[S.start * N : S.stop * N] * inv_x[None, :]
        A_blocks = np.ascontiguousarray(A_rows.reshape(b, N, G, N).transpose(0, 2, 1, 3))
        del A_rows
        rex_f = Brr_yr[None] - Brr_Yrr[None] - Brr_Yrs[S]
        inner = np.stack(
            [
                np.broadcast_to(Brr_Yrr[None], (b, G, N)),  # 2
                B_Ytt[None] - Brr_Yrr[None] - B_Yss[S],  # 3
                rex_f,  # 4
                B_Ytx[None] - BY[S] - (B_Ysx[S] - B_Yss[S]) - rex_f,  # 5
                Brr_Yrs[S],  # 6
                BY[S] - B_Yss[S] - Brr_Yrs[S],  # 7
                B_Yss[S],  # 8
                B_Ysx[S],  # 9
                np.broadcast_to(x[None], (b, G, N)),  # A_sr x_r
                np.broadcast_to(Lrr_Yrr[None], (b, G, N)),  # A_sr L_rr Y_rr
                np.broadcast_to(Lrr_er[None], (b, G, N)),  # A_sr L_rr e_r*
            ],
            axis=-1,
        )
        through = np.matmul(A_blocks, inner)
        del inner, A_blocks

        mva = mva_all[S]
        ova = foreign[S, None, :] - mva
        dom = v_L[S, None, :]
        Yp = Y_pair[S]
        cubes = {
            "DVA_FIN": v_B[S, None, :] * Yp,
            "DVA_INT": dom * through[..., 0],
            "DVA_INTrexI1": dom * through[..., 1],
            "DVA_INTrexF": dom * through[..., 2],
            "DVA_INTrexI2": dom * through[..., 3],
            "RDV_FIN": dom * through[..., 4],
            "RDV_FIN2": dom * through[..., 5],
            "RDV_INT": dom * through[..., 6],
            "DDC_FIN": dom * through[..., 7],
            "DDC_INT": (v_B - v_L)[S, None, :] * through[..., 8],
            "MVA_FIN": mva * Yp,
            "OVA_FIN": ova * Yp,
            "MVA_INT": mva * through[..., 9],
            "OVA_INT": ova * through[..., 9],
            "MDC": mva * through[..., 10],
            "ODC": ova * through[..., 10],
        }
        local = np.arange(b)
        for name, cube in cubes.items():
            cube = cube.copy()
            cube[local, local + start] = 0.0  # the exporter's own column
            out[name][S] = cube.transpose(0, 2, 1)
        del through, cubes

    terms = {name: out[name].reshape(GN, G) for name in WWZ_TERMS}
    notes = (
        f"WWZ computed in {-(-G // batch)} exporter batch(es) of up to {batch} countries "
        "from LU solves (no dense A or B formed)",
    )
    return Decomposition.of(model, "wwz", terms, notes)


__all__ = ["wwz_batched"]
