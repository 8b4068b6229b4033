"""Koopman, Wang & Wei (2014, AER 104(2)) 9-term decomposition, country level (METHODS §4.2).

For exporter s (all sums over r, t ≠ s):
T1 DVA_FIN = v_s B_ss Y_s*;  T2 DVA_INT = v_s Σ_r B_sr Y_rr;  T3 DVA_INTrex = v_s Σ_r Σ_{t≠r}
B_sr Y_rt;  T4 RDV_FIN = v_s Σ_r B_sr Y_rs;  T5 RDV_INT = v_s Σ_r B_sr A_rs L_ss Y_ss;
T6 DDC = v_s Σ_r B_sr A_rs L_ss e_s*;  T7 FVA_FIN = Σ_t v_t B_ts Y_s*;  T8 FVA_INT = Σ_t v_t B_ts
Σ_r A_sr L_rr Y_rr;  T9 FDC = Σ_t v_t B_ts Σ_r A_sr L_rr e_r*.

KWW terms are only meaningful for a country's total exports (sector or bilateral values can be
negative), so each term is a (G,) array; use WWZ or Borin–Mancini below country level.
"""

from __future__ import annotations

import numpy as np

from chainatlas.core.model import MRIOModel
from chainatlas.decompositions.tidy import Decomposition
from chainatlas.decompositions.tiva import origin_multipliers, residual_notes

KWW_TERMS = (
    "DVA_FIN",
    "DVA_INT",
    "DVA_INTrex",
    "RDV_FIN",
    "RDV_INT",
    "DDC",
    "FVA_FIN",
    "FVA_INT",
    "FDC",
)

# decompr 6.8.0 name -> exvatools 0.9.0 (make_exvadec "kww", output="terms") name
EXVATOOLS_NAMES = {
    "DVA_FIN": "VAX1",
    "DVA_INT": "VAX2",
    "DVA_INTrex": "VAX3",
    "RDV_FIN": "REF1",
    "RDV_INT": "REF2",
    "DDC": "DDC",
    "FVA_FIN": "FVA1",
    "FVA_INT": "FVA2",
    "FDC": "FDC",
}


def kww(model: MRIOModel) -> Decomposition:
    """The 9 KWW terms, each (G,) by exporting country."""
    G, N = model.G, model.N
    idx = np.arange(G)
    off = ~np.eye(G, dtype=bool)
    y = model.y.reshape(G, N)
    Y_cube = model.Y.reshape(G, N, G)  # [r, :, u] = Y_ru
    Y_own = Y_cube[idx, :, idx]  # Y_rr
    Y_exported = y - Y_own  # Y_s*
    e = model.total_exports.reshape(G, N)
    L_own = model.local_inverse

    by_origin = origin_multipliers(model)  # [t, s] = v_t B_ts
    dom_content = by_origin[idx, idx]  # v_s B_ss
    foreign = by_origin.sum(axis=0) - dom_content  # Σ_{t≠s} v_t B_ts
    partner_rows = by_origin * off[:, :, None]  # [s, r] = v_s B_sr, r ≠ s

    # v_s B_sr applied to r's final goods: Y_rr, Y_rs, and everything else Y_rt (t ∉ {s, r})
    to_own = np.einsum("srn,rn->sr", partner_rows, Y_own)
    back_home = np.einsum("srn,rns->sr", partner_rows, Y_cube)
    to_all = np.einsum("srn,rn->sr", partner_rows, y)

    # v_s Σ_{r≠s} B_sr A_rs: s's VA that returns embodied in s's intermediate imports
    returning = np.einsum("srn,rsnm->sm", partner_rows, model.A_blocks, optimize=True)
    Lss_Yss = np.einsum("snm,sm->sn", L_own, Y_own)
    Lss_es = np.einsum("snm,sm->sn", L_own, e)

    # Σ_{r≠s} A_sr L_rr Y_rr and Σ_{r≠s} A_sr L_rr e_r*: s's intermediate exports by use
    A_foreign = model.A_blocks * off[:, :, None, None]
    Lrr_Yrr = np.einsum("rnm,rm->rn", L_own, Y_own)
    Lrr_er = np.einsum("rnm,rm->rn", L_own, e)
    absorbed_by_partner = np.einsum("srnm,rm->sn", A_foreign, Lrr_Yrr, optimize=True)
    exported_on = np.einsum("srnm,rm->sn", A_foreign, Lrr_er, optimize=True)

    terms = {
        "DVA_FIN": np.einsum("sn,sn->s", dom_content, Y_exported),
        "DVA_INT": to_own.sum(axis=1),
        "DVA_INTrex": (to_all - to_own - back_home).sum(axis=1),
        "RDV_FIN": back_home.sum(axis=1),
        "RDV_INT": np.einsum("sn,sn->s", returning, Lss_Yss),
        "DDC": np.einsum("sn,sn->s", returning, Lss_es),
        "FVA_FIN": np.einsum("sn,sn->s", foreign, Y_exported),
        "FVA_INT": np.einsum("sn,sn->s", foreign, absorbed_by_partner),
        "FDC": np.einsum("sn,sn->s", foreign, exported_on),
    }
    residual = e.sum(axis=1) - sum(terms.values())
    notes = ("KWW terms are defined at country level only", *residual_notes(model, residual))
    return Decomposition.of(model, "kww", terms, notes)


__all__ = ["EXVATOOLS_NAMES", "KWW_TERMS", "kww"]
