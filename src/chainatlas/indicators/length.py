"""Production length and GVC position (Wang, Wei, Yu & Zhu 2017b; METHODS §6.1–§6.2).

Xv = V̂BBŶ. Forward length PLv = Xv u ⊘ va, backward PLy = u'Xv ⊘ y. The five-way split
Xv = V̂LLŶ^D + V̂LLŶ^F + Xd_GVC + E_GVC + Xf_GVC with Xd_GVC = V̂LLA^F BŶ (domestic segment),
E_GVC = V̂BA^F BŶ (border crossings), Xf_GVC = V̂LA^F B A^D BŶ (foreign segment). GVC lengths
divide the GVC parts by V_GVC = V̂LA^F BŶ (row sums forward, column sums backward).
GVC position GVCPs = PLv_GVC / PLy_GVC (> 1: upstream).

Only matrix–vector products are needed: every row sum is v ⊙ (M x) and every column sum is
(u'V̂ M) ⊙ y for a chain M of L, B, A^F, A^D.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from chainatlas.core.groups import ResolvedGroup
from chainatlas.core.model import MRIOModel
from chainatlas.indicators._common import (
    aggregate_parts,
    apply_domestic,
    apply_domestic_left,
    apply_local_inverse,
    apply_local_inverse_left,
    attach_metadata,
    ratio,
    ratio_of_sums,
    resolve,
    safe_divide,
    workspace,
)

FORWARD_PIECES = ("xv_f_domestic", "xv_f_traditional", "xv_f_gvc_d", "xv_f_gvc_cb", "xv_f_gvc_f")
BACKWARD_PIECES = ("xv_b_domestic", "xv_b_traditional", "xv_b_gvc_d", "xv_b_gvc_cb", "xv_b_gvc_f")


def length_parts(model: MRIOModel) -> dict[str, np.ndarray]:
    """Row sums (forward) and column sums (backward) of Xv's five pieces, of Xv and of V_GVC."""
    ws = workspace(model)
    v, y, B = model.v, model.y, model.B
    x = ws.x_traced  # BYu (= x up to rounding artefacts of the table)
    L = lambda vec: apply_local_inverse(model, vec)  # noqa: E731
    Lt = lambda row: apply_local_inverse_left(model, row)  # noqa: E731
    AF_x = ws.AF_x
    # forward: v ⊙ (chain · x) because BŶu = x
    fwd = {
        "xv_f_domestic": v * L(ws.L_yd),
        "xv_f_traditional": v * L(ws.L_yf),
        "xv_f_gvc_d": v * L(L(AF_x)),
        "xv_f_gvc_cb": v * (B @ AF_x),
        "xv_f_gvc_f": v * L(ws.foreign_apply(B @ apply_domestic(model, x))),
        "xv_f_total": v * (B @ x),
        "v_gvc_f": v * L(AF_x),
    }
    # backward: (u'V̂ · chain) ⊙ y; u'V̂B = u'
    vLAF = ws.vLAF
    vLAF_B = vLAF @ B
    ones = np.ones(model.GN)
    bwd = {
        "xv_b_domestic": Lt(ws.vL) * ws.y_domestic,
        "xv_b_traditional": Lt(ws.vL) * ws.y_foreign,
        "xv_b_gvc_d": ws.foreign_apply_left(Lt(ws.vL)) @ B * y,
        "xv_b_gvc_cb": (ws.foreign_apply_left(ones) @ B) * y,
        "xv_b_gvc_f": (apply_domestic_left(model, vLAF_B) @ B) * y,
        "xv_b_total": (ones @ B) * y,
        "y_gvc_b": vLAF_B * y,
    }
    return {"va": v * x, "y": y, "x": x, **fwd, **bwd}


def _sum_ratio(names: Sequence[str], den: str):
    return ratio_of_sums(list(names), den)


LENGTH_DERIVED = {
    "plv": ratio("xv_f_total", "va"),
    "ply": ratio("xv_b_total", "y"),
    "plv_gvc": _sum_ratio(("xv_f_gvc_d", "xv_f_gvc_cb", "xv_f_gvc_f"), "v_gvc_f"),
    "plvd_gvc": ratio("xv_f_gvc_d", "v_gvc_f"),
    "cbv_gvc": ratio("xv_f_gvc_cb", "v_gvc_f"),
    "plvf_gvc": ratio("xv_f_gvc_f", "v_gvc_f"),
    "ply_gvc": _sum_ratio(("xv_b_gvc_d", "xv_b_gvc_cb", "xv_b_gvc_f"), "y_gvc_b"),
    "plyd_gvc": ratio("xv_b_gvc_d", "y_gvc_b"),
    "cby_gvc": ratio("xv_b_gvc_cb", "y_gvc_b"),
    "plyf_gvc": ratio("xv_b_gvc_f", "y_gvc_b"),
}


def _position(parts: Mapping[str, np.ndarray]) -> np.ndarray:
    plv = LENGTH_DERIVED["plv_gvc"](parts)
    ply = LENGTH_DERIVED["ply_gvc"](parts)
    return safe_divide(plv, ply)


def _intl(direction: str):
    cb, f = ("cbv_gvc", "plvf_gvc") if direction == "f" else ("cby_gvc", "plyf_gvc")

    def fn(parts):
        return LENGTH_DERIVED[cb](parts) + LENGTH_DERIVED[f](parts)

    return fn


def _intl_ratio(direction: str):
    d = "plvd_gvc" if direction == "f" else "plyd_gvc"

    def fn(parts):
        return safe_divide(_intl(direction)(parts), LENGTH_DERIVED[d](parts))

    return fn


ALL_LENGTH_DERIVED = {
    **LENGTH_DERIVED,
    "gvc_position": _position,
    # §6.2 shortening panel pieces
    "pl_gvc_international_f": _intl("f"),
    "pl_gvc_international_b": _intl("b"),
    "pl_gvc_intl_domestic_ratio_f": _intl_ratio("f"),
    "pl_gvc_intl_domestic_ratio_b": _intl_ratio("b"),
}


def production_length(
    model: MRIOModel,
    groups: Sequence[str | ResolvedGroup] | None = None,
    *,
    user_groups=None,
    levels: Sequence[str] = ("country_sector", "country", "sector_group", "group", "world"),
    keep_parts: bool = True,
) -> pd.DataFrame:
    """WWYZ production lengths, GVC segment lengths, Xv split and the GVC position index.

    Columns: year, level, country, sector, indicator, value. Complex-GVC VA share for the
    shortening panel comes from the participation set (gvc_forward_complex).
    """
    resolved = resolve(model, groups, user_groups)
    frame = aggregate_parts(
        model,
        length_parts(model),
        ALL_LENGTH_DERIVED,
        resolved,
        levels=levels,
        keep_parts=keep_parts,
    )
    notes = [
        "plv = Xv u/va (= Bx/x), ply = u'Xv/y (= u'B); gvc_position = plv_gvc/ply_gvc",
        "pl_gvc_international = border crossings + foreign segment; domestic = plvd/plyd",
    ]
    below_one = frame[frame["indicator"].isin(["plv", "ply"]) & (frame["value"] < 1 - 1e-9)]
    return attach_metadata(frame, model, resolved, notes, below_one)


def shortening_panel(length_frame: pd.DataFrame, participation_frame: pd.DataFrame | None = None):
    """§6.2: per country/sector, PL_GVC, its international and domestic parts, their ratio
    (and, when given, the complex-GVC share of VA) by year, with year-on-year changes and
    'shortened' flags (a fall of PL_GVC or of its international part)."""
    wanted = [
        "plv_gvc",
        "plvd_gvc",
        "pl_gvc_international_f",
        "pl_gvc_intl_domestic_ratio_f",
        "ply_gvc",
        "plyd_gvc",
        "pl_gvc_international_b",
        "pl_gvc_intl_domestic_ratio_b",
    ]
    keys = ["level", "country", "sector"]
    subset = length_frame[length_frame["indicator"].isin(wanted)]
    if participation_frame is not None:
        extra = participation_frame[
            (participation_frame["indicator"] == "gvc_forward_complex")
            & (participation_frame.get("method", "wwyz2017-production") == "wwyz2017-production")
        ]
        subset = pd.concat([subset, extra[subset.columns]], ignore_index=True)
    wide = subset.pivot_table(index=[*keys, "year"], columns="indicator", values="value")
    wide = wide.sort_index()
    grouped = wide.groupby(level=keys, sort=False)
    for column in ("plv_gvc", "pl_gvc_international_f", "ply_gvc", "pl_gvc_international_b"):
        if column in wide:
            wide[f"d_{column}"] = grouped[column].diff()
    for direction, total, intl in (
        ("f", "d_plv_gvc", "d_pl_gvc_international_f"),
        ("b", "d_ply_gvc", "d_pl_gvc_international_b"),
    ):
        fell = (wide[total] < 0) | (wide[intl] < 0)
        # first year of the panel (no previous year): NaN, not "did not shorten"
        wide[f"shortened_{direction}"] = np.where(wide[total].isna(), np.nan, fell.astype(float))
    return wide.reset_index()
