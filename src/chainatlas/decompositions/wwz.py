"""Wang, Wei & Zhu (2013, NBER w19677; 2018 rev.) 16-term decomposition (METHODS §4.3).

Every bilateral export flow E_sr (N×1, by exporting sector of s) is split into 16 terms. All
(s, r) pairs are computed at once on stacked (G, G, N, ·) arrays: the only large products are
a handful of GN×GN @ GN×G matrix products with the global inverse B and one batched product
of the G×G blocks A_sr with the (s, r)-specific N-vectors the terms need. No GN×GN×G
temporaries. The "others" sums (t ∉ {s, r}) are computed as totals over all t minus the
t = s and t = r parts.

Term order is that of METHODS §4.3 (terms 1..16); names are R decompr 6.8.0's (whose CSV
column order differs, so compare by name); exvatools 0.9.0 names are in ``EXVATOOLS_NAMES``.
"""

from __future__ import annotations

import numpy as np

from chainatlas.core.model import MRIOModel
from chainatlas.decompositions.tidy import Decomposition
from chainatlas.decompositions.tiva import (
    cube_to_rows,
    diagonal_blocks,
    domestic_multipliers,
    origin_multipliers,
    residual_notes,
)
from chainatlas.errors import ChainAtlasError

WWZ_TERMS = (
    "DVA_FIN",
    "DVA_INT",
    "DVA_INTrexI1",
    "DVA_INTrexF",
    "DVA_INTrexI2",
    "RDV_FIN",
    "RDV_FIN2",
    "RDV_INT",
    "DDC_FIN",
    "DDC_INT",
    "MVA_FIN",
    "OVA_FIN",
    "MVA_INT",
    "OVA_INT",
    "MDC",
    "ODC",
)

# decompr 6.8.0 name -> exvatools 0.9.0 (make_exvadec "wwz", output="terms") name
EXVATOOLS_NAMES = {
    "DVA_FIN": "DVA_FIN",
    "DVA_INT": "DVA_INT",
    "DVA_INTrexI1": "DVA_INTrex1",
    "DVA_INTrexF": "DVA_INTrex2",
    "DVA_INTrexI2": "DVA_INTrex3",
    "RDV_FIN": "RDV_FIN1",
    "RDV_FIN2": "RDV_FIN2",
    "RDV_INT": "RDV_INT",
    "DDC_FIN": "DDC_FIN",
    "DDC_INT": "DDC_INT",
    "MVA_FIN": "FVA_FIN1",
    "OVA_FIN": "FVA_FIN2",
    "MVA_INT": "FVA_INT1",
    "OVA_INT": "FVA_INT2",
    "MDC": "MDC",
    "ODC": "ODC",
}

# Groups of METHODS §4.3 (term positions 1..16 -> names)
GROUPS = {
    "DVA": WWZ_TERMS[0:5],  # domestic VA absorbed abroad (sums to VAX_s over r and sectors)
    "RDV": WWZ_TERMS[5:8],  # domestic VA that returns home
    "FVA": WWZ_TERMS[10:14],  # foreign VA
    "PDC": ("DDC_FIN", "DDC_INT", "MDC", "ODC"),  # pure double counting
}


def wwz(model: MRIOModel) -> Decomposition:
    """The 16 WWZ terms, each (GN, G): exporting country-sector × importer (0 on own column)."""
    G, N, GN = model.G, model.N, model.GN
    idx = np.arange(G)
    B = model.B
    A_blocks = np.ascontiguousarray(model.A_blocks)  # [s, r] = A_sr, (G, G, N, N)
    B_own = diagonal_blocks(model, B)  # B_rr
    L_own = model.local_inverse  # L_rr
    x = model.x.reshape(G, N)
    y = model.y.reshape(G, N)  # y_r = Σ_u Y_ru
    Y_cube = model.Y.reshape(G, N, G)  # [r, :, u] = Y_ru
    Y_pair = Y_cube.transpose(0, 2, 1)  # [s, r, :] = Y_sr
    Y_own = Y_cube[idx, :, idx]  # Y_rr, (G, N)
    e = model.total_exports.reshape(G, N)  # e_r*

    # --- products with the global inverse (GN×GN @ GN×k, BLAS)
    BY = (B @ model.Y).reshape(G, N, G).transpose(2, 0, 1)  # [s, r] = (BY)_{r,s}
    # B_rs Y_ss and B_rs Y_s* for every (r, s): B times block-diagonal right-hand sides
    own_final = np.zeros((GN, 2 * G))
    own_final[np.arange(GN), np.repeat(idx, N)] = Y_own.reshape(-1)
    own_final[np.arange(GN), G + np.repeat(idx, N)] = (y - Y_own).reshape(-1)
    B_blockdiag = (B @ own_final).reshape(G, N, 2, G).transpose(2, 3, 0, 1)
    B_Yss = B_blockdiag[0]  # [s, r] = B_rs Y_ss
    B_Ysx = B_blockdiag[1]  # [s, r] = B_rs Y_s*
    totals = B @ np.stack([Y_own.reshape(-1), (y - Y_own).reshape(-1)], axis=1)
    B_Ytt = totals[:, 0].reshape(G, N)  # Σ_t B_rt Y_tt
    B_Ytx = totals[:, 1].reshape(G, N)  # Σ_t B_rt (y_t − Y_tt)

    # --- products with the own blocks B_rr, L_rr (batched N×N)
    Brr_Yrr = np.einsum("rij,rj->ri", B_own, Y_own)  # B_rr Y_rr
    Brr_yr = np.einsum("rij,rj->ri", B_own, y)  # B_rr y_r
    Brr_Yrs = np.matmul(B_own, Y_cube).transpose(2, 0, 1)  # [s, r] = B_rr Y_rs
    Lrr_Yrr = np.einsum("rij,rj->ri", L_own, Y_own)
    Lrr_er = np.einsum("rij,rj->ri", L_own, e)

    # --- the (s, r) vectors that A_sr multiplies, all (G, G, N) indexed [s, r]
    rdv_fin = Brr_Yrs  # 6: B_rr Y_rs
    rex_f = Brr_yr[None] - Brr_Yrr[None] - Brr_Yrs  # 4: B_rr Σ_{t∉{s,r}} Y_rt
    inner = np.stack(
        [
            np.broadcast_to(Brr_Yrr[None], (G, G, N)),  # 2: B_rr Y_rr
            B_Ytt[None] - Brr_Yrr[None] - B_Yss,  # 3: Σ_{t∉{s,r}} B_rt Y_tt
            rex_f,  # 4
            # 5: Σ_{t∉{s,r}} B_rt Σ_{u≠s,t} Y_tu  (u = r included); all-t total minus
            # Σ_t B_rt Y_ts and the t = s (B_rs (Y_s* − Y_ss)) and t = r (= term 4) parts
            B_Ytx[None] - BY - (B_Ysx - B_Yss) - rex_f,
            rdv_fin,  # 6
            BY - B_Yss - Brr_Yrs,  # 7: Σ_{t∉{s,r}} B_rt Y_ts
            B_Yss,  # 8: B_rs Y_ss
            B_Ysx,  # 9: B_rs Y_s*
            np.broadcast_to(x[None], (G, G, N)),  # A_sr x_r (intermediate exports)
            np.broadcast_to(Lrr_Yrr[None], (G, G, N)),  # A_sr L_rr Y_rr
            np.broadcast_to(Lrr_er[None], (G, G, N)),  # A_sr L_rr e_r*
        ],
        axis=-1,
    )  # (G, G, N, 11)
    through = np.matmul(A_blocks, inner)  # [s, r, :, k] = A_sr @ inner[s, r, :, k]
    del inner

    # --- multipliers (row vectors by exporting sector)
    v_B, v_L = domestic_multipliers(model)  # (G, N): v_s B_ss, v_s L_ss
    by_origin = origin_multipliers(model)  # [t, s] = v_t B_ts
    mva = by_origin.transpose(1, 0, 2)  # [s, r] = v_r B_rs
    foreign = by_origin.sum(axis=0) - by_origin[idx, idx]  # Σ_{t≠s} v_t B_ts
    ova = foreign[:, None, :] - mva  # Σ_{t∉{s,r}} v_t B_ts

    dom = v_L[:, None, :]
    cubes = {
        "DVA_FIN": v_B[:, None, :] * Y_pair,
        "DVA_INT": dom * through[..., 0],
        "DVA_INTrexI1": dom * through[..., 1],
        "DVA_INTrexF": dom * through[..., 2],
        "DVA_INTrexI2": dom * through[..., 3],
        "RDV_FIN": dom * through[..., 4],
        "RDV_FIN2": dom * through[..., 5],
        "RDV_INT": dom * through[..., 6],
        "DDC_FIN": dom * through[..., 7],
        "DDC_INT": (v_B - v_L)[:, None, :] * through[..., 8],
        "MVA_FIN": mva * Y_pair,
        "OVA_FIN": ova * Y_pair,
        "MVA_INT": mva * through[..., 9],
        "OVA_INT": ova * through[..., 9],
        "MDC": mva * through[..., 10],
        "ODC": ova * through[..., 10],
    }
    terms = {name: cube_to_rows(cubes[name]) for name in WWZ_TERMS}
    residual = model.exports - sum(terms.values())
    return Decomposition.of(model, "wwz", terms, residual_notes(model, residual))


def wwz_to_kww(decomposition: Decomposition) -> Decomposition:
    """Country-level KWW 9 terms from the WWZ 16 (METHODS §4.3; decompr's ``wwz2kww``).

    Exact only after summing over importers and sectors, so the result is (G,) arrays.
    """
    if decomposition.method != "wwz":
        raise ChainAtlasError(f"wwz_to_kww needs a wwz decomposition, got {decomposition.method}")
    from chainatlas.decompositions.kww import KWW_TERMS

    country = {name: decomposition.aggregate(name, "country") for name in WWZ_TERMS}
    mapping = {
        "DVA_FIN": ("DVA_FIN",),
        "DVA_INT": ("DVA_INT", "DVA_INTrexI1"),
        "DVA_INTrex": ("DVA_INTrexF", "DVA_INTrexI2"),
        "RDV_FIN": ("RDV_FIN", "RDV_FIN2"),
        "RDV_INT": ("RDV_INT",),
        "DDC": ("DDC_FIN", "DDC_INT"),
        "FVA_FIN": ("MVA_FIN", "OVA_FIN"),
        "FVA_INT": ("MVA_INT", "OVA_INT"),
        "FDC": ("MDC", "ODC"),
    }
    terms = {kww: sum(country[w] for w in mapping[kww]) for kww in KWW_TERMS}
    return Decomposition(
        method="kww",
        terms=terms,
        countries=decomposition.countries,
        sectors=decomposition.sectors,
        year=decomposition.year,
        source=decomposition.source,
        notes=(*decomposition.notes, "KWW terms mapped from WWZ (country level)"),
    )


__all__ = ["EXVATOOLS_NAMES", "GROUPS", "WWZ_TERMS", "wwz", "wwz_to_kww"]
