"""Wang, Wei & Zhu (2013, NBER w19677; 2018 rev.) 16-term decomposition (METHODS §4.3).

Every bilateral export flow E_sr (N×1, by exporting sector of s) is split into 16 terms. The
formulas are written once, in :func:`wwz_term_cubes`, for a batch of exporters, from
:class:`WWZIngredients` built by a provider: :func:`dense_ingredients` (cached B; used by
:func:`wwz`, all exporters in one batch) or the LU-solve provider of
``chainatlas.execution.wwz_batched`` (never forms A or B). In :func:`wwz` all
(s, r) pairs are computed at once on stacked (G, G, N, ·) arrays: the only large products are
a handful of GN×GN @ GN×G matrix products with the global inverse B and one batched product
of the G×G blocks A_sr with the (s, r)-specific N-vectors the terms need. No GN×GN×G
temporaries. The "others" sums (t ∉ {s, r}) are computed as totals over all t minus the
t = s and t = r parts.

Term order is that of METHODS §4.3 (terms 1..16); names are R decompr 6.8.0's (whose CSV
column order differs, so compare by name); exvatools 0.9.0 names are in ``EXVATOOLS_NAMES``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chainatlas.core.model import MRIOModel
from chainatlas.decompositions.tidy import Decomposition
from chainatlas.decompositions.tiva import (
    cube_to_rows,
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


@dataclass(frozen=True)
class WWZIngredients:
    """Everything the 16 term formulas read, for all G countries ([s, r] = exporter, importer).

    Built by a provider — :func:`dense_ingredients` (the model's cached B) or the LU-solve one
    in ``chainatlas.execution.wwz_batched`` — and consumed by :func:`wwz_term_cubes`, the only
    place the formulas are written.
    """

    x: np.ndarray  # (G, N) x_r
    Y_pair: np.ndarray  # (G, G, N) [s, r] = Y_sr
    BY: np.ndarray  # (G, G, N) [s, r] = (BY)_{r,s} = Σ_t B_rt Y_ts
    B_Yss: np.ndarray  # (G, G, N) [s, r] = B_rs Y_ss
    B_Ysx: np.ndarray  # (G, G, N) [s, r] = B_rs (y_s − Y_ss)
    B_Ytt: np.ndarray  # (G, N) Σ_t B_rt Y_tt
    B_Ytx: np.ndarray  # (G, N) Σ_t B_rt (y_t − Y_tt)
    Brr_Yrr: np.ndarray  # (G, N) B_rr Y_rr
    Brr_yr: np.ndarray  # (G, N) B_rr y_r
    Brr_Yrs: np.ndarray  # (G, G, N) [s, r] = B_rr Y_rs
    Lrr_Yrr: np.ndarray  # (G, N) L_rr Y_rr
    Lrr_er: np.ndarray  # (G, N) L_rr e_r*
    domestic_content: np.ndarray  # (G, N) v_s B_ss
    domestic_va: np.ndarray  # (G, N) v_s L_ss
    mva: np.ndarray  # (G, G, N) [s, r] = v_r B_rs
    foreign: np.ndarray  # (G, N) Σ_{t≠s} v_t B_ts


def final_demand_rhs(model: MRIOModel) -> np.ndarray:
    """(GN, 3G + 2) right-hand sides whose products with B the terms need.

    Columns: Y | block-diagonal Y_ss | block-diagonal (y_s − Y_ss) | stacked Y_tt | stacked
    (y_t − Y_tt). Multiply by B (dense) or solve with I − A (lean), then pass to
    :func:`ingredients_from`.
    """
    G, N, GN = model.G, model.N, model.GN
    idx = np.arange(G)
    Y_cube = model.Y.reshape(G, N, G)
    Y_own = Y_cube[idx, :, idx].reshape(-1)
    Y_rest = model.y - Y_own
    rows = np.arange(GN)
    country = np.repeat(idx, N)
    rhs = np.zeros((GN, 3 * G + 2))
    rhs[:, :G] = model.Y
    rhs[rows, G + country] = Y_own
    rhs[rows, 2 * G + country] = Y_rest
    rhs[:, 3 * G] = Y_own
    rhs[:, 3 * G + 1] = Y_rest
    return rhs


def ingredients_from(
    model: MRIOModel,
    B_rhs: np.ndarray,
    by_origin: np.ndarray,
    B_own: np.ndarray,
    L_own: np.ndarray,
) -> WWZIngredients:
    """Assemble the ingredients from B @ :func:`final_demand_rhs` (``B_rhs``), v_t B_ts
    (``by_origin``, (G, G, N) [t, s]) and the own blocks B_rr, L_rr ((G, N, N) each)."""
    G, N = model.G, model.N
    idx = np.arange(G)
    y = model.y.reshape(G, N)
    Y_cube = model.Y.reshape(G, N, G)  # [r, :, u] = Y_ru
    Y_own = Y_cube[idx, :, idx]
    e = model.total_exports.reshape(G, N)
    v = model.v.reshape(G, N)

    def pairs(block: np.ndarray) -> np.ndarray:  # (GN, G) columns by s -> [s, r]
        return block.reshape(G, N, G).transpose(2, 0, 1)

    return WWZIngredients(
        x=model.x.reshape(G, N),
        Y_pair=Y_cube.transpose(0, 2, 1),
        BY=pairs(B_rhs[:, :G]),
        B_Yss=pairs(B_rhs[:, G : 2 * G]),
        B_Ysx=pairs(B_rhs[:, 2 * G : 3 * G]),
        B_Ytt=B_rhs[:, 3 * G].reshape(G, N),
        B_Ytx=B_rhs[:, 3 * G + 1].reshape(G, N),
        Brr_Yrr=np.einsum("rij,rj->ri", B_own, Y_own),
        Brr_yr=np.einsum("rij,rj->ri", B_own, y),
        Brr_Yrs=np.matmul(B_own, Y_cube).transpose(2, 0, 1),
        Lrr_Yrr=np.einsum("rij,rj->ri", L_own, Y_own),
        Lrr_er=np.einsum("rij,rj->ri", L_own, e),
        domestic_content=np.einsum("si,sij->sj", v, B_own),
        domestic_va=np.einsum("si,sij->sj", v, L_own),
        mva=by_origin.transpose(1, 0, 2),
        foreign=by_origin.sum(axis=0) - by_origin[idx, idx],
    )


def dense_ingredients(model: MRIOModel) -> WWZIngredients:
    """Ingredients from the model's B: its product with the 3G + 2 right-hand sides and its
    diagonal blocks — read off B when the model holds it, else from the LU factors of I − A
    (core/lapack.py), which costs half as much as forming B."""
    return ingredients_from(
        model,
        model.leontief_product(final_demand_rhs(model)),
        origin_multipliers(model),
        model.B_diagonal_blocks,
        model.local_inverse,
    )


def wwz_term_cubes(
    ing: WWZIngredients, exporters: slice, A_rows: np.ndarray
) -> dict[str, np.ndarray]:
    """The 16 terms (METHODS §4.3) for the exporters s in ``exporters``: (b, G, N) cubes
    [s, r, :] by exporting sector (own column r = s not yet zeroed).

    ``A_rows`` (b, G, N, N) holds [s, r] = A_sr for those exporters. The "others" sums
    (t ∉ {s, r}) are totals over all t minus the t = s and t = r parts.
    """
    S = exporters
    b, G, N = A_rows.shape[0], A_rows.shape[1], A_rows.shape[2]
    BY, B_Yss, B_Ysx, Brr_Yrs = ing.BY[S], ing.B_Yss[S], ing.B_Ysx[S], ing.Brr_Yrs[S]
    rex_f = ing.Brr_yr[None] - ing.Brr_Yrr[None] - Brr_Yrs  # 4: B_rr Σ_{t∉{s,r}} Y_rt
    # the (s, r) vectors that A_sr multiplies, (b, G, N, 11)
    inner = np.stack(
        [
            np.broadcast_to(ing.Brr_Yrr[None], (b, G, N)),  # 2: B_rr Y_rr
            ing.B_Ytt[None] - ing.Brr_Yrr[None] - B_Yss,  # 3: Σ_{t∉{s,r}} B_rt Y_tt
            rex_f,  # 4
            # 5: Σ_{t∉{s,r}} B_rt Σ_{u≠s,t} Y_tu  (u = r included); all-t total minus
            # Σ_t B_rt Y_ts and the t = s (B_rs (Y_s* − Y_ss)) and t = r (= term 4) parts
            ing.B_Ytx[None] - BY - (B_Ysx - B_Yss) - rex_f,
            Brr_Yrs,  # 6: B_rr Y_rs
            BY - B_Yss - Brr_Yrs,  # 7: Σ_{t∉{s,r}} B_rt Y_ts
            B_Yss,  # 8: B_rs Y_ss
            B_Ysx,  # 9: B_rs Y_s*
            np.broadcast_to(ing.x[None], (b, G, N)),  # A_sr x_r (intermediate exports)
            np.broadcast_to(ing.Lrr_Yrr[None], (b, G, N)),  # A_sr L_rr Y_rr
            np.broadcast_to(ing.Lrr_er[None], (b, G, N)),  # A_sr L_rr e_r*
        ],
        axis=-1,
    )
    through = np.matmul(A_rows, inner)  # [s, r, :, k] = A_sr @ inner[s, r, :, k]
    del inner

    # multipliers (row vectors by exporting sector)
    mva = ing.mva[S]  # v_r B_rs
    ova = ing.foreign[S, None, :] - mva  # Σ_{t∉{s,r}} v_t B_ts
    dom = ing.domestic_va[S, None, :]
    Y_pair = ing.Y_pair[S]
    return {
        "DVA_FIN": ing.domestic_content[S, None, :] * Y_pair,
        "DVA_INT": dom * through[..., 0],
        "DVA_INTrexI1": dom * through[..., 1],
        "DVA_INTrexF": dom * through[..., 2],
        "DVA_INTrexI2": dom * through[..., 3],
        "RDV_FIN": dom * through[..., 4],
        "RDV_FIN2": dom * through[..., 5],
        "RDV_INT": dom * through[..., 6],
        "DDC_FIN": dom * through[..., 7],
        "DDC_INT": (ing.domestic_content - ing.domestic_va)[S, None, :] * through[..., 8],
        "MVA_FIN": mva * Y_pair,
        "OVA_FIN": ova * Y_pair,
        "MVA_INT": mva * through[..., 9],
        "OVA_INT": ova * through[..., 9],
        "MDC": mva * through[..., 10],
        "ODC": ova * through[..., 10],
    }


def wwz(model: MRIOModel) -> Decomposition:
    """The 16 WWZ terms, each (GN, G): exporting country-sector × importer (0 on own column).

    Dense provider (cached B) and all exporters in one batch.
    """
    ingredients = dense_ingredients(model)
    A_rows = np.ascontiguousarray(model.A_blocks)  # [s, r] = A_sr, (G, G, N, N)
    cubes = wwz_term_cubes(ingredients, slice(0, model.G), A_rows)
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
        layout=decomposition.layout,
        year=decomposition.year,
        source=decomposition.source,
        notes=(*decomposition.notes, "KWW terms mapped from WWZ (country level)"),
    )


__all__ = [
    "EXVATOOLS_NAMES",
    "GROUPS",
    "WWZ_TERMS",
    "WWZIngredients",
    "dense_ingredients",
    "final_demand_rhs",
    "ingredients_from",
    "wwz",
    "wwz_term_cubes",
    "wwz_to_kww",
]
