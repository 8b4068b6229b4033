"""Borin & Mancini gross-export decompositions (METHODS §4.4), exporter perspective.

Borin & Mancini (2019, WB PRWP 8804; 2023, Economic Systems Research 35(4)) split each
bilateral export flow E_sr (N×1, by exporting sector of s) with the "extraction" inverse
B^{/s} = (I − A^{/s})⁻¹, where A^{/s} is A with s's export blocks A_sj (j ≠ s) set to 0.

Functions (each returns a :class:`Decomposition` of (GN, G) arrays, exporter-sector × importer):

* :func:`bm_source` — source-based (VA counted the *first* time it leaves s):
  DC, DVA, DDC, FC, FVA, FDC, DAVAX, VAX, REF (nested, not all additive; see ``NESTING``).
* :func:`bm_source_terms` — the 12 additive source terms in exvatools ``bm_src`` naming
  (VAX1..VAX4, REF1, REF2, DDC, FVA1..FVA4, FDC), summing to E_sr.
* :func:`bm_sink` — sink-based (VA counted the *last* time it leaves s; BM 2019 §3):
  DC, DVA, DDC, FC, FVA, FDC, VAX, VAXIM, REF.  :func:`bm_sink_terms` — exvatools ``bm_snk``.
* :func:`bm_adb` — ADB Key Indicators 2021 ten-term split (DAVAX1, DAVAX2, REX1, REX2, REX3,
  REF1, REF2, FVA, PDC1, PDC2), summing to E_sr.
* :func:`bm_participation` — GVC, GVCB, GVCF (not additive components of exports).
* :func:`adb_trade_participation` — ADB trade-based forward/backward participation ratios.

Numerics. B^{/s} is never formed. With M_s = Σ_{j≠s} A_sj B_js and F_s = I + M_s =
(I − A_ss) B_ss, B_ts = B^{/s}_ts F_s, so

* v_s L_ss = v_s B_ss F_s⁻¹ and Σ_t v_t B^{/s}_ts = (Σ_{t≠s} v_t B_ts) F_s⁻¹ (batched N×N solves);
* with C = A^F B (A^F = off-diagonal blocks of A), C_rs = (I − A_rr) B_rs for r ≠ s, and
  A^F B Y = B Y − Y − A^D B Y — so neither C nor any GN×GN×G array is formed;
* the sink variant needs A^F B^{/s} Y^{/s} (Y^{/s}: s's final exports removed), which by the
  Woodbury identity equals C Y − C_{·s} F_s⁻¹ (Y^F_s + (C Y)_s), Y^F_s = s's final exports by
  destination; only its (r, s), (r, r) entries and row sums are needed, all O(G²N²).

All (s, r) pairs are computed at once on stacked (G, G, N, ·) arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chainatlas.core.model import MRIOModel
from chainatlas.decompositions.tidy import Decomposition
from chainatlas.decompositions.tiva import (
    cube_to_rows,
    domestic_multipliers,
    exports_cube,
    foreign_multiplier,
    residual_notes,
)
from chainatlas.errors import ChainAtlasError
from chainatlas.util.lazy import lazy_module

pd = lazy_module("pandas")  # imported on first use (util/lazy.py)

# The eight terms both splits share come first in the same order (the issue's and docs'
# order), so --wide tables of bm-source and bm-sink line up; the variant's own sub-term of
# VAX (DAVAX / VAXIM) comes last.
SHARED_TERMS = ("DC", "DVA", "DDC", "FC", "FVA", "FDC", "VAX", "REF")
SOURCE_TERMS = (*SHARED_TERMS, "DAVAX")
SINK_TERMS = (*SHARED_TERMS, "VAXIM")
# exvatools 0.9.0 make_exvadec(method = "bm_src" / "bm_snk", output = "terms")
FINE_TERMS = (
    "VAX1",
    "VAX2",
    "VAX3",
    "VAX4",
    "REF1",
    "REF2",
    "DDC",
    "FVA1",
    "FVA2",
    "FVA3",
    "FVA4",
    "FDC",
)
ADB_TERMS = ("DAVAX1", "DAVAX2", "REX1", "REX2", "REX3", "REF1", "REF2", "FVA", "PDC1", "PDC2")
PARTICIPATION_TERMS = ("GVC", "GVCB", "GVCF")

# How the nested terms relate (every identity is tested; E = gross exports E_sr)
NESTING = {
    "E": ("DC", "FC"),
    "DC": ("DVA", "DDC"),
    "FC": ("FVA", "FDC"),
    "DVA": ("VAX", "REF"),
}
# fine terms -> standard terms (exvatools "terms" -> "standard"; the sink split has no DAVAX)
SOURCE_FINE_TO_STANDARD = {
    "DAVAX": ("VAX1", "VAX2"),
    "VAX": ("VAX1", "VAX2", "VAX3", "VAX4"),
    "REF": ("REF1", "REF2"),
    "DDC": ("DDC",),
    "FVA": ("FVA1", "FVA2", "FVA3", "FVA4"),
    "FDC": ("FDC",),
}


# ---------------------------------------------------------------------- shared block algebra
@dataclass(frozen=True)
class _Blocks:
    """Per-table ingredients shared by every BM variant; cubes are indexed [s, r, :]."""

    G: int
    N: int
    E: np.ndarray  # (G, G, N) E_sr
    Y_pair: np.ndarray  # (G, G, N) Y_sr
    F: np.ndarray  # (G, N, N) F_s = I + M_s = (I − A_ss) B_ss
    content_dom: np.ndarray  # (G, N) v_s B_ss (domestic content multiplier)
    va_dom: np.ndarray  # (G, N) v_s L_ss (domestic VA, first exit)
    foreign: np.ndarray  # (G, N) Σ_{t≠s} v_t B_ts (foreign content multiplier)
    foreign_ext: np.ndarray  # (G, N) Σ_t v_t B^{/s}_ts = foreign F_s⁻¹ (FVA multiplier)
    Y: np.ndarray  # (G, N, G) [r, :, l] = Y_rl
    CY: np.ndarray  # (G, N, G) [r, :, l] = (A^F B Y)_{r,l}


def _blocks(model: MRIOModel) -> _Blocks:
    G, N = model.G, model.N
    B_own = model.B_diagonal_blocks  # B_ss
    A_own = np.asarray(model.A_domestic)
    F = B_own - np.matmul(A_own, B_own)  # (I − A_ss) B_ss = I + M_s
    v_B, v_L = domestic_multipliers(model)
    foreign = foreign_multiplier(model)
    # row vector × F_s⁻¹: solve F_sᵀ wᵀ = foreignᵀ for all s at once
    foreign_ext = np.linalg.solve(F.transpose(0, 2, 1), foreign[:, :, None])[:, :, 0]
    BY = model.leontief_product(model.Y).reshape(G, N, G)
    Y = np.asarray(model.Y).reshape(G, N, G)
    CY = BY - Y - np.matmul(A_own, BY)  # A^F B Y = A B Y − A^D B Y, A B Y = B Y − Y
    return _Blocks(
        G=G,
        N=N,
        E=exports_cube(model),
        Y_pair=Y.transpose(0, 2, 1),
        F=F,
        content_dom=v_B,
        va_dom=v_L,
        foreign=foreign,
        foreign_ext=foreign_ext,
        Y=Y,
        CY=CY,
    )


def _sink_blocks(model: MRIOModel) -> _Blocks:
    """:func:`_blocks` for the sink-based terms, which need every block B_rs: B is formed
    first, so its diagonal blocks are read from it rather than computed a second way."""
    model.B  # noqa: B018 (a cached property, computed here on purpose)
    return _blocks(model)


def _through_partner(model: MRIOModel, vectors: np.ndarray) -> np.ndarray:
    """A_sr L_rr w_sr for every (s, r): vectors (G, G, N, K) indexed [s, r] -> same shape."""
    local = np.matmul(model.local_inverse[None], vectors)
    # matmul on the strided view beats copying A_blocks to contiguous memory (a GN×GN copy)
    return np.matmul(model.A_blocks, local)


def _pairs(G: int, per_partner: np.ndarray) -> np.ndarray:
    """(G, N) indexed by partner r -> (G, G, N) indexed [s, r] (broadcast over exporters s)."""
    return np.broadcast_to(per_partner[None], (G, *per_partner.shape))


def _pair_entries(cube: np.ndarray) -> np.ndarray:
    """(G, N, G) [r, :, l] -> (G, G, N) [s, r, :] = cube[r, :, s] (the column l = s)."""
    return cube.transpose(2, 0, 1)


def _source_cubes(model: MRIOModel, blocks: _Blocks) -> dict[str, np.ndarray]:
    """Source-based fine terms as (G, G, N) cubes, plus the direct DC/DVA/FC/FVA products."""
    G = blocks.G
    idx = np.arange(G)
    Y, CY = blocks.Y, blocks.CY
    y = Y.sum(axis=2)  # y_r
    cy = CY.sum(axis=2)  # Σ_l (A^F B Y)_{r,l} = (A^F x)_r
    Y_rr, CY_rr = Y[idx, :, idx], CY[idx, :, idx]
    Y_rs, CY_rs = _pair_entries(Y), _pair_entries(CY)
    inner = np.stack(
        [
            _pairs(G, Y_rr),  # DAVAX2: Y_rr
            _pairs(G, y - Y_rr) - Y_rs,  # REX1: Σ_{l∉{s,r}} Y_rl
            _pairs(G, cy - CY_rr) - CY_rs,  # REX2: Σ_{l∉{s,r}} (A^F B Y)_{r,l}
            _pairs(G, CY_rr),  # REX3: (A^F B Y)_{r,r}
            Y_rs,  # REF1: Y_rs
            CY_rs,  # REF2: (A^F B Y)_{r,s}
        ],
        axis=-1,
    )
    through = _through_partner(model, inner)  # A_sr L_rr (·)
    del inner
    dva = blocks.va_dom[:, None, :]
    fva = blocks.foreign_ext[:, None, :]
    M = blocks.F - np.eye(blocks.N)[None]
    ddc_multiplier = np.einsum("si,sij->sj", blocks.va_dom, M)  # v_s L_ss M_s
    fdc_multiplier = np.einsum("si,sij->sj", blocks.foreign_ext, M)  # (Σ_t v_t B^{/s}_ts) M_s
    E, Y_pair = blocks.E, blocks.Y_pair
    return {
        "DAVAX1": dva * Y_pair,
        "DAVAX2": dva * through[..., 0],
        "REX1": dva * through[..., 1],
        "REX2": dva * through[..., 2],
        "REX3": dva * through[..., 3],
        "REF1": dva * through[..., 4],
        "REF2": dva * through[..., 5],
        "FVA1": fva * Y_pair,
        "FVA2": fva * through[..., 0],
        "FVA3": fva * (through[..., 1] + through[..., 4]),  # Σ_{l≠r} Y_rl
        "FVA4": fva * (through[..., 2] + through[..., 3] + through[..., 5]),  # Σ_l (A^F BY)_rl
        "DDC": ddc_multiplier[:, None, :] * E,
        "FDC": fdc_multiplier[:, None, :] * E,
        # direct products (not built from the pieces above; the identities test both)
        "DC": blocks.content_dom[:, None, :] * E,
        "DVA": dva * E,
        "FC": blocks.foreign[:, None, :] * E,
        "FVA": fva * E,
    }


def _additive(model: MRIOModel, method: str, terms: dict[str, np.ndarray]) -> Decomposition:
    """A decomposition whose terms add up to E_sr, noting any untraced exports."""
    residual = model.exports - sum(terms.values())
    return Decomposition.of(model, method, terms, residual_notes(model, residual))


def _rows(cubes: dict[str, np.ndarray], names: tuple[str, ...]) -> dict[str, np.ndarray]:
    return {name: cube_to_rows(cubes[name]) for name in names}


# ---------------------------------------------------------------------- source-based
def bm_source(model: MRIOModel) -> Decomposition:
    """BM source-based terms DC, DVA, DDC, FC, FVA, FDC, DAVAX, VAX, REF, each (GN, G).

    Nested (see ``NESTING``): E = DC + FC, DC = DVA + DDC, FC = FVA + FDC, DVA = VAX + REF,
    DAVAX ⊂ VAX. Additive over partners and sectors. GVC measures: :func:`bm_participation`.
    """
    cubes = _source_cubes(model, _blocks(model))
    cubes["DAVAX"] = cubes["DAVAX1"] + cubes["DAVAX2"]
    cubes["VAX"] = cubes["DAVAX"] + cubes["REX1"] + cubes["REX2"] + cubes["REX3"]
    cubes["REF"] = cubes["REF1"] + cubes["REF2"]
    terms = _rows(cubes, SOURCE_TERMS)
    notes = (
        "BM source-based terms are nested, not additive: E = DC + FC, DC = DVA + DDC, "
        "FC = FVA + FDC, DVA = VAX + REF, DAVAX is part of VAX",
        *residual_notes(model, model.exports - terms["DC"] - terms["FC"]),
    )
    return Decomposition.of(model, "bm-source", terms, notes)


def bm_source_terms(model: MRIOModel) -> Decomposition:
    """The 12 additive BM source terms in exvatools ``bm_src`` naming; they sum to E_sr.

    VAX1 = DAVAX1, VAX2 = DAVAX2, VAX3 = REX1, VAX4 = REX2 + REX3, FVA1..FVA4 split FVA by the
    same absorption paths as VAX1..VAX4 plus REF (FVA3: Σ_{l≠r} Y_rl, FVA4: Σ_l (A^F B Y)_rl).
    """
    cubes = _source_cubes(model, _blocks(model))
    cubes["VAX1"], cubes["VAX2"], cubes["VAX3"] = cubes["DAVAX1"], cubes["DAVAX2"], cubes["REX1"]
    cubes["VAX4"] = cubes["REX2"] + cubes["REX3"]
    return _additive(model, "bm-source-terms", _rows(cubes, FINE_TERMS))


def bm_adb(model: MRIOModel) -> Decomposition:
    """ADB Key Indicators 2021 ten-term split of E_sr (METHODS §4.4); the ten sum to E_sr.

    DAVAX1..REF2 use the first-exit multiplier v_s L_ss; FVA = Σ_t v_t B^{/s}_ts # E_sr;
    PDC1 = BM DDC, PDC2 = BM FDC.
    """
    cubes = _source_cubes(model, _blocks(model))
    cubes["PDC1"], cubes["PDC2"] = cubes["DDC"], cubes["FDC"]
    return _additive(model, "bm-adb", _rows(cubes, ADB_TERMS))


# ---------------------------------------------------------------------- sink-based
def _sink_cubes(model: MRIOModel, blocks: _Blocks) -> dict[str, np.ndarray]:
    G, N = blocks.G, blocks.N
    idx = np.arange(G)
    Y, CY = blocks.Y, blocks.CY
    y = Y.sum(axis=2)
    cy = CY.sum(axis=2)
    Y_rr = Y[idx, :, idx]
    Y_rs = _pair_entries(Y)

    # S_s = F_s⁻¹ (Y^F_s + (A^F B Y)_s), (G, N, G) [s, :, l]; its row sum is ê_s = F_s⁻¹ e_s*
    final_exports = Y.copy()
    final_exports[idx, :, idx] = 0.0  # Y^F_s: s's final exports by destination
    S = np.linalg.solve(blocks.F, final_exports + CY)
    e_hat = S.sum(axis=2)
    # C_rs w = (I − A_rr) B_rs w for r ≠ s; [s, r] products for w = S_s[:, s], ê_s, S_s[:, r]
    B_by_exporter = model.B.reshape(G, N, G, N).transpose(2, 0, 1, 3)  # [s, r] = B_rs, a view
    S_own = S[idx, :, idx]  # S_s[:, s]
    fixed = np.matmul(B_by_exporter, np.stack([S_own, e_hat], -1)[:, None])  # (G, G, N, 2)
    at_partner = np.matmul(B_by_exporter, S.transpose(0, 2, 1)[..., None])  # B_rs S_s[:, r]
    BS = np.concatenate([fixed, at_partner], axis=-1)  # (G, G, N, 3)
    C_S = BS - np.matmul(np.asarray(model.A_domestic)[None], BS)
    # D_s = A^F B^{/s} Y^{/s} = C Y − C_{·s} S_s: rows r ≠ s, columns s, r and the row sum
    D_rs = _pair_entries(CY) - C_S[..., 0]
    D_rr = _pairs(G, CY[idx, :, idx]) - C_S[..., 2]
    D_sum = _pairs(G, cy) - C_S[..., 1]
    inner = np.stack(
        [
            _pairs(G, Y_rr),  # VAX2
            _pairs(G, y - Y_rr) - Y_rs,  # VAX3: Σ_{l∉{s,r}} Y_rl
            D_sum - D_rs,  # VAX4: Σ_{l≠s} D_s[r, l]
            Y_rs,  # REF1
            D_rs,  # REF2
            C_S[..., 1],  # DDC / FDC: (A^F B^{/s}_{·s} e_s*)_r
            D_rr,  # VAXIM3: D_s[r, r]
        ],
        axis=-1,
    )
    del D_rs, D_rr, D_sum
    through = _through_partner(model, inner)
    del inner
    dc = blocks.content_dom[:, None, :]
    fc = blocks.foreign[:, None, :]
    Y_pair, E = blocks.Y_pair, blocks.E
    fine = {
        "VAX1": dc * Y_pair,
        "VAX2": dc * through[..., 0],
        "VAX3": dc * through[..., 1],
        "VAX4": dc * through[..., 2],
        "REF1": dc * through[..., 3],
        "REF2": dc * through[..., 4],
        "DDC": dc * through[..., 5],
        "FVA1": fc * Y_pair,
        "FVA2": fc * through[..., 0],
        "FVA3": fc * (through[..., 1] + through[..., 3]),  # Σ_{l≠r} Y_rl
        "FVA4": fc * (through[..., 2] + through[..., 4]),  # Σ_l D_s[r, l]
        "FDC": fc * through[..., 5],
        "VAXIM3": dc * through[..., 6],
        "DC": dc * E,
        "FC": fc * E,
    }
    return fine


def bm_sink(model: MRIOModel) -> Decomposition:
    """BM sink-based terms DC, DVA, DDC, FC, FVA, FDC, VAX, VAXIM, REF, each (GN, G).

    Same DC and FC per cell as :func:`bm_source`; DVA/FVA differ by cell but agree summed over
    partners and sectors. VAXIM = DVA absorbed by the direct importer (exvatools/decompr).
    """
    c = _sink_cubes(model, _sink_blocks(model))
    c["VAX"] = c["VAX1"] + c["VAX2"] + c["VAX3"] + c["VAX4"]
    c["VAXIM"] = c["VAX1"] + c["VAX2"] + c["VAXIM3"]
    c["REF"] = c["REF1"] + c["REF2"]
    c["DVA"] = c["VAX"] + c["REF"]
    c["FVA"] = c["FVA1"] + c["FVA2"] + c["FVA3"] + c["FVA4"]
    terms = _rows(c, SINK_TERMS)
    notes = (
        "BM sink-based terms are nested, not additive: E = DC + FC, DC = DVA + DDC, "
        "FC = FVA + FDC, DVA = VAX + REF, VAXIM is part of VAX",
        *residual_notes(model, model.exports - terms["DC"] - terms["FC"]),
    )
    return Decomposition.of(model, "bm-sink", terms, notes)


def bm_sink_terms(model: MRIOModel) -> Decomposition:
    """The 12 additive BM sink terms in exvatools ``bm_snk`` naming; they sum to E_sr."""
    cubes = _sink_cubes(model, _sink_blocks(model))
    return _additive(model, "bm-sink-terms", _rows(cubes, FINE_TERMS))


# ---------------------------------------------------------------------- participation
def _derived(decomposition: Decomposition, method: str, terms: dict) -> Decomposition:
    return Decomposition(
        method=method,
        terms=terms,
        countries=decomposition.countries,
        sectors=decomposition.sectors,
        layout=decomposition.layout,
        year=decomposition.year,
        source=decomposition.source,
        notes=decomposition.notes,
    )


def bm_participation(decomposition: Decomposition) -> Decomposition:
    """BM GVC-related trade from a ``bm-source`` decomposition (METHODS §4.4).

    GVC = E − DAVAX, GVCB = FC + DDC (backward), GVCF = DVA − DAVAX (forward); GVC = GVCB + GVCF.
    These are *not* additive components of exports (they overlap); divide by E after
    aggregating to the level you need (``.aggregate(term, level)``) for shares.
    """
    if decomposition.method != "bm-source":
        raise ChainAtlasError(
            f"bm_participation needs a bm-source decomposition, got {decomposition.method!r}"
        )
    t = decomposition.terms
    terms = {
        "GVC": t["DC"] + t["FC"] - t["DAVAX"],
        "GVCB": t["FC"] + t["DDC"],
        "GVCF": t["DVA"] - t["DAVAX"],
    }
    return _derived(decomposition, "bm-participation", terms)


def adb_trade_participation(decomposition: Decomposition, level: str = "country") -> pd.DataFrame:
    """ADB trade-based GVC participation from a ``bm-adb`` decomposition (METHODS §4.4).

    Columns: the level's keys, exports, forward_va (REX1+REX2+REX3+REF1+REF2), backward_va
    (FVA+PDC1+PDC2), forward = forward_va/exports, backward = backward_va/exports,
    participation = forward + backward. Ratios are Σnumerator/Σdenominator at ``level``;
    NaN where exports are 0 (never 0).
    """
    if decomposition.method != "bm-adb":
        raise ChainAtlasError(
            f"adb_trade_participation needs a bm-adb decomposition, got {decomposition.method!r}"
        )
    wide = decomposition.to_frame(level, wide=True)
    keys = [c for c in wide.columns if c not in ADB_TERMS]
    exports = wide[list(ADB_TERMS)].sum(axis=1)
    forward = wide[["REX1", "REX2", "REX3", "REF1", "REF2"]].sum(axis=1)
    backward = wide[["FVA", "PDC1", "PDC2"]].sum(axis=1)
    denominator = exports.where(exports != 0)
    out = wide[keys].copy()
    out["exports"] = exports
    out["forward_va"] = forward
    out["backward_va"] = backward
    out["forward"] = forward / denominator
    out["backward"] = backward / denominator
    out["participation"] = out["forward"] + out["backward"]
    return out


__all__ = [
    "ADB_TERMS",
    "FINE_TERMS",
    "NESTING",
    "SINK_TERMS",
    "SOURCE_FINE_TO_STANDARD",
    "SOURCE_TERMS",
    "adb_trade_participation",
    "bm_adb",
    "bm_participation",
    "bm_sink",
    "bm_sink_terms",
    "bm_source",
    "bm_source_terms",
]
