"""Upstreamness, downstreamness and final-use share (Antràs–Chor 2018; METHODS §6.3).

Uncorrected (Miller–Temurshoev MRIO form): U = (I − x̂⁻¹Z)⁻¹u, D = u'(I − A)⁻¹,
FUGO = f ⊘ x with f the final use of each country-sector's output (inventories included).
Net-inventory correction (the default; Antràs & Chor 2018): with N the row sum of the
inventory final-demand columns and x̃ = x − N,
U = (I − x̃̂⁻¹Z)⁻¹u, D = u'(I − Ã)⁻¹ with Ã_ij = Z_ij x_i /(x̃_i x_j), FUGO = (f − N) ⊘ x̃.
Rows with zero (or, for the corrected variant, zero net) output get NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.linalg

from chainatlas.core.model import MRIOModel
from chainatlas.indicators._common import SHARE_TOLERANCE, attach_metadata, safe_divide

UPSTREAMNESS_INDICATORS = (
    "upstreamness",
    "downstreamness",
    "final_use_share",
    "upstreamness_uncorrected",
    "downstreamness_uncorrected",
    "final_use_share_uncorrected",
)


def upstreamness_values(model: MRIOModel, corrected: bool = True) -> dict[str, np.ndarray]:
    """(GN,) arrays: upstreamness, downstreamness, final_use_share for one variant."""
    x = model.x
    ones = np.ones(model.GN)
    final_use = model.y
    if corrected:
        inventories = model.inventories
        net = x - inventories
        inv_net = safe_divide(np.ones_like(net), net)
        inv_net = np.where(np.isfinite(inv_net), inv_net, 0.0)
        ghosh = model.Z * inv_net[:, None]  # G̃ = x̃̂⁻¹ Z
        lu = scipy.linalg.lu_factor(np.eye(model.GN) - ghosh, check_finite=False)
        up = scipy.linalg.lu_solve(lu, ones, check_finite=False)
        # Ã = x̂ G̃ x̂⁻¹, so u'(I − Ã)⁻¹ = (x'(I − G̃)⁻¹) ⊘ x': one factorisation serves both
        down = safe_divide(scipy.linalg.lu_solve(lu, x, trans=1, check_finite=False), x)
        fugo = safe_divide(final_use - inventories, net)
        valid = net != 0
    else:
        # (I − x̂⁻¹Z)⁻¹u = x̂⁻¹ B x and u'(I − A)⁻¹ = u'B: reuse the model's B
        up = safe_divide(model.B @ x, x)
        down = ones @ model.B
        fugo = safe_divide(final_use, x)
        valid = x != 0
    up = np.where(valid & (x != 0), up, np.nan)
    down = np.where(valid & (x != 0), down, np.nan)
    return {"upstreamness": up, "downstreamness": down, "final_use_share": fugo}


def upstreamness(model: MRIOModel) -> pd.DataFrame:
    """Tidy frame: year, country, sector, indicator, value with the corrected indicators
    (upstreamness, downstreamness, final_use_share) and the *_uncorrected variants."""
    corrected = upstreamness_values(model, corrected=True)
    plain = upstreamness_values(model, corrected=False)
    columns = {**corrected, **{f"{k}_uncorrected": v for k, v in plain.items()}}
    countries = np.repeat(np.array(model.countries, dtype=object), model.N)
    sectors = np.tile(np.array(model.sectors, dtype=object), model.G)
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "year": model.year,
                    "country": countries,
                    "sector": sectors,
                    "indicator": name,
                    "value": values,
                }
            )
            for name, values in columns.items()
        ],
        ignore_index=True,
    )
    notes = [
        "corrected = Antràs–Chor (2018) net-inventory variant (x̃ = x − inventories); "
        "*_uncorrected = Miller–Temurshoev MRIO form",
    ]
    if model.inventory_category is None:
        notes.append("table has no inventory category: corrected = uncorrected")
    values = frame["value"]
    fugo_out = frame["indicator"].str.startswith("final_use_share") & (
        (values < -SHARE_TOLERANCE) | (values > 1 + SHARE_TOLERANCE)
    )
    # U, D ≥ 1 hold for non-negative tables; negative inventories/VA can break them: reported
    below_one = ~frame["indicator"].str.startswith("final_use_share") & (
        values < 1 - SHARE_TOLERANCE
    )
    return attach_metadata(frame, model, (), notes, frame[fugo_out | below_one])
