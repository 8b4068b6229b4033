"""Leontief source decomposition of gross exports and OECD TiVA indicators (METHODS §3, §4.1).

``tiva(model)`` splits every bilateral export flow E_sr by exporting sector into the TiVA
content terms (each a (GN, G) array, exporting country-sector × importer):

* EXGR_DVA = (v_s B_ss)' # E_sr — domestic VA content (includes VA that later returns home),
  split into EXGR_DDC (VA of the exporting sector itself: diagonal of v̂_s L_ss),
  EXGR_IDC (VA of the other domestic sectors: off-diagonal of v̂_s L_ss) and
  EXGR_RIM = v_s (B_ss − L_ss) # E_sr (domestic VA that went abroad and came back in imports);
* EXGR_FVA = (Σ_{t≠s} v_t B_ts)' # E_sr — foreign VA content.

The terms are *not* all additive: EXGR_DDC + EXGR_IDC + EXGR_RIM = EXGR_DVA and
EXGR_DVA + EXGR_FVA = EXGR. TiVA defines them on total exports e_s*; applying the same
multiplier to each partner's E_sr is additive, so bilateral values sum to the TiVA ones.

``tiva_indicators(model)`` gives the country-level TiVA indicators that are not shaped like
export flows (VAX, VAM, VAD, DEXFVAP by origin, FEXDVAP by user, FD_VA, …) as a tidy table.

The block multipliers defined here (v_s B_ss, v_s L_ss, v_t B_ts) are shared with the WWZ and
KWW modules.
"""

from __future__ import annotations

import numpy as np

from chainatlas.core import value_added
from chainatlas.core.model import MRIOModel
from chainatlas.decompositions.tidy import Decomposition
from chainatlas.util.lazy import lazy_module

pd = lazy_module("pandas")  # imported on first use (util/lazy.py)

TIVA_TERMS = ("EXGR_DVA", "EXGR_DDC", "EXGR_IDC", "EXGR_RIM", "EXGR_FVA")


# ---------------------------------------------------------------------- shared block algebra
def origin_multipliers(model: MRIOModel) -> np.ndarray:
    """(G, G, N): [t, s, :] = v_t B_ts — VA of origin country t per unit of output of s's sectors.

    Summed over t it is u' (every unit of output is fully traced to value added, §2.1).
    """
    return model.va_origin_multipliers.reshape(model.G, model.G, model.N)


def domestic_multipliers(model: MRIOModel) -> tuple[np.ndarray, np.ndarray]:
    """(v_s B_ss, v_s L_ss) as two (G, N) arrays (domestic content and domestic VA)."""
    G, N = model.G, model.N
    v = model.v.reshape(G, N)
    idx = np.arange(G)
    v_B = origin_multipliers(model)[idx, idx]  # [s, s] = v_s B_ss
    v_L = np.einsum("si,sij->sj", v, model.local_inverse)
    return v_B, v_L


def foreign_multiplier(model: MRIOModel, by_origin: np.ndarray | None = None) -> np.ndarray:
    """(G, N): Σ_{t≠s} v_t B_ts — foreign VA per unit of output of each sector of s."""
    if by_origin is None:
        by_origin = origin_multipliers(model)
    idx = np.arange(model.G)
    return by_origin.sum(axis=0) - by_origin[idx, idx]


def exports_cube(model: MRIOModel) -> np.ndarray:
    """E as (G exporter, G importer, N exporting sector): [s, r] = E_sr (0 for r = s)."""
    return model.exports.reshape(model.G, model.N, model.G).transpose(0, 2, 1)


def residual_notes(model: MRIOModel, residual: np.ndarray) -> tuple[str, ...]:
    """A note when the terms do not add up to gross exports (``residual`` = exports − Σ terms).

    On a balanced table with positive output they add up exactly. Integer-rounded copies such
    as the WIOD R package have sectors with zero output that still trade; METHODS §1 gives them
    a zero A column and v = 0, so their exports carry no value added and inputs they buy drop
    out of A x: a few USD million of exports then end up in no term. Say so, with the amount,
    rather than attribute it silently to some term.
    """
    total = float(np.abs(residual).sum())
    if total <= 1e-9 * max(float(np.abs(model.exports).sum()), 1.0):
        return ()
    zero = [
        f"{model.countries[i // model.N]}.{model.sectors[i % model.N]}"
        for i in np.flatnonzero(model.x == 0)
        if model.total_exports[i] != 0 or model.Z[:, i].any()
    ]
    return (
        f"terms sum to gross exports minus {total:.6g} (sum of |gap| over all cells, "
        f"{model.units}): zero-output sector(s) {', '.join(zero) or '(none)'} trade but have no "
        "value added (rounding artefact of the table)",
    )


def cube_to_rows(cube: np.ndarray) -> np.ndarray:
    """(G exporter, G importer, N) -> (GN, G) term layout; the exporter's own column set to 0."""
    G, _, N = cube.shape
    cube = cube.copy()
    idx = np.arange(G)
    cube[idx, idx] = 0.0
    return np.ascontiguousarray(cube.transpose(0, 2, 1)).reshape(G * N, G)


# ---------------------------------------------------------------------- TiVA content terms
def tiva(model: MRIOModel) -> Decomposition:
    """TiVA content of gross exports by exporting sector × importer (METHODS §4.1)."""
    G, N = model.G, model.N
    v = model.v.reshape(G, N)
    v_B, v_L = domestic_multipliers(model)
    own_sector = v * np.einsum("sii->si", model.local_inverse)  # diagonal of v̂_s L_ss
    foreign = foreign_multiplier(model)
    E = exports_cube(model)
    multipliers = {
        "EXGR_DVA": v_B,
        "EXGR_DDC": own_sector,
        "EXGR_IDC": v_L - own_sector,
        "EXGR_RIM": v_B - v_L,
        "EXGR_FVA": foreign,
    }
    terms = {name: cube_to_rows(m[:, None, :] * E) for name, m in multipliers.items()}
    residual = model.exports - terms["EXGR_DVA"] - terms["EXGR_FVA"]
    notes = (
        *residual_notes(model, residual),
        "TiVA terms are not all additive: EXGR_DDC + EXGR_IDC + EXGR_RIM = EXGR_DVA and "
        "EXGR_DVA + EXGR_FVA = gross exports",
        "TiVA EXGR_DDC (the exporting sector's own VA) is not WWZ/BM DDC (double counting)",
    )
    return Decomposition.of(model, "tiva", terms, notes)


# ---------------------------------------------------------------------- country indicators
def tiva_indicators(model: MRIOModel) -> pd.DataFrame:
    """Country-level TiVA indicators as a tidy table.

    Columns: year, exporter, partner, term, value. ``partner`` is empty (<NA>) for country
    totals and is
    * the VA origin country t for DEXFVAP (v_t B_ts e_s*, foreign VA from t in s's exports),
    * the user (exporting) country r for FEXDVAP (v_s B_sr e_r*, s's VA in r's exports),
    * the final-demand country r for FD_VA (T_sr, VA of s absorbed by r; diagonal = VAD).
    Country totals: EXGR, EXGR_DVA, EXGR_FVA, EXGR_DVAFX (= Σ_{r≠s} FEXDVAP), VAX (Johnson–
    Noguera, FFD_DVA), VAM (DFD_FVA), VAD (DXD_DVA), BALVAFD (= VAX − VAM), VAX_ratio
    (VAX / EXGR), GDP, REF (re-imported domestic VA, KWW T4 + T5).
    """
    G, N = model.G, model.N
    countries = np.array(model.countries, dtype=object)
    by_origin = origin_multipliers(model)  # (t, s, N)
    e = model.total_exports.reshape(G, N)
    content = np.einsum("tsn,sn->ts", by_origin, e)  # [t, s] = v_t B_ts e_s*
    idx = np.arange(G)
    exgr = e.sum(axis=1)
    dva = content[idx, idx]
    fva = content.sum(axis=0) - dva
    T = value_added.va_trade_matrix(model)
    vax = T.sum(axis=1) - np.diag(T)
    vam = T.sum(axis=0) - np.diag(T)
    with np.errstate(divide="ignore", invalid="ignore"):
        vax_ratio = np.where(exgr != 0, vax / np.where(exgr != 0, exgr, 1.0), np.nan)
    # FEXDVAP[s, r] = v_s B_sr e_r* = content[s, r]; its off-diagonal row sum is EXGR_DVAFX
    dvafx = content.sum(axis=1) - dva
    ref = _reimported_domestic_va(model, by_origin)
    totals = {
        "EXGR": exgr,
        "EXGR_DVA": dva,
        "EXGR_FVA": fva,
        "EXGR_DVAFX": dvafx,
        "VAX": vax,
        "VAM": vam,
        "VAD": np.diag(T).copy(),
        "BALVAFD": vax - vam,
        "VAX_ratio": vax_ratio,
        "GDP": value_added.gdp(model),
        "REF": ref,
    }
    year = model.year if model.year is not None else pd.NA
    frames = [
        pd.DataFrame(
            {"year": year, "exporter": countries, "partner": pd.NA, "term": name, "value": values}
        )
        for name, values in totals.items()
    ]
    off = ~np.eye(G, dtype=bool)
    ex, pa = np.meshgrid(idx, idx, indexing="ij")
    pairs = {
        # [exporter s, partner]: DEXFVAP partner = origin t -> content[t, s]
        "DEXFVAP": (content.T, off),
        "FEXDVAP": (content, off),
        "FD_VA": (T, np.ones((G, G), dtype=bool)),
    }
    for name, (matrix, keep) in pairs.items():
        frames.append(
            pd.DataFrame(
                {
                    "year": year,
                    "exporter": countries[ex[keep]],
                    "partner": countries[pa[keep]],
                    "term": name,
                    "value": matrix[keep],
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    frame["partner"] = frame["partner"].astype(object)
    return frame


def _reimported_domestic_va(model: MRIOModel, by_origin: np.ndarray) -> np.ndarray:
    """(G,): v_s Σ_{r≠s} B_sr Y_rs + v_s Σ_{r≠s} B_sr A_rs L_ss Y_ss (KWW T4 + T5)."""
    G, N = model.G, model.N
    idx = np.arange(G)
    own_rows = by_origin.copy()  # [s, r] = v_s B_sr
    own_rows[idx, idx] = 0.0
    Y_cube = model.Y.reshape(G, N, G)  # [r, :, s] = Y_rs
    final = np.einsum("srn,rns->s", own_rows, Y_cube)
    through = np.einsum("srn,rsnm->sm", own_rows, model.A_blocks, optimize=True)
    L_Y = np.einsum("snm,sm->sn", model.local_inverse, Y_cube[idx, :, idx])
    return final + np.einsum("sn,sn->s", through, L_Y)


__all__ = [
    "TIVA_TERMS",
    "cube_to_rows",
    "domestic_multipliers",
    "exports_cube",
    "foreign_multiplier",
    "origin_multipliers",
    "residual_notes",
    "tiva",
    "tiva_indicators",
]
