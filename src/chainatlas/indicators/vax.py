"""Value-added trade: T, VAX, VAM, VAX ratios (Johnson & Noguera 2012; METHODS §3).

Tidy frame columns: year, level, exporter, importer, indicator, value.
* level ``bilateral``: exporter s (VA origin), importer r (absorber): ``va_trade`` = T_sr
  (diagonal included: T_ss = VAD_s), ``gross_exports`` = Σ E_sr, ``vax_ratio`` = T_sr/ΣE_sr.
* level ``country`` / ``group`` (importer = TOTAL): gdp, vad, vax, vam, gross_exports,
  gross_imports, vax_ratio = VAX/e*, balvafd = VAX − VAM, final_demand. Groups are
  member-sum: intra-group flows count as exports of each member.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from chainatlas.core.groups import ResolvedGroup
from chainatlas.core.model import MRIOModel
from chainatlas.indicators._common import (
    ALL,
    attach_metadata,
    country_sum,
    group_country_mask,
    resolve,
    safe_divide,
    share_exceptions,
    tidy_matrix,
    workspace,
)


def country_vax_parts(model: MRIOModel) -> dict[str, np.ndarray]:
    """(G,) additive country totals of §3."""
    T = workspace(model).T
    domestic = np.diag(T)
    exports = country_sum(model, model.exports)  # (G exporter, G importer)
    return {
        "gdp": T.sum(axis=1),
        "final_demand": T.sum(axis=0),
        "vad": domestic,
        "vax": T.sum(axis=1) - domestic,
        "vam": T.sum(axis=0) - domestic,
        "gross_exports": exports.sum(axis=1),
        "gross_imports": exports.sum(axis=0),
    }


def value_added_trade(
    model: MRIOModel,
    groups: Sequence[str | ResolvedGroup] | None = None,
    *,
    user_groups=None,
) -> pd.DataFrame:
    """T, VAX, VAM, VAD, GDP and VAX ratios by country, pair and group."""
    resolved = resolve(model, groups, user_groups)
    T = workspace(model).T
    gross = country_sum(model, model.exports)
    labels = model.countries
    bilateral = [
        tidy_matrix(model, T, "va_trade", labels, labels, "exporter", "importer"),
        tidy_matrix(model, gross, "gross_exports", labels, labels, "exporter", "importer"),
        tidy_matrix(
            model, safe_divide(T, gross), "vax_ratio", labels, labels, "exporter", "importer"
        ),
    ]
    for frame in bilateral:
        frame.insert(1, "level", "bilateral")
    parts = country_vax_parts(model)
    entity_labels = list(model.countries)
    levels = ["country"] * model.G
    weights = [np.eye(model.G)]
    for group in resolved:
        weights.append(group_country_mask(model, group)[None, :].astype(float))
        entity_labels.append(group.name)
        levels.append("group")
    W = np.vstack(weights)
    totals = {name: W @ values for name, values in parts.items()}
    totals["vax_ratio"] = safe_divide(totals["vax"], totals["gross_exports"])
    totals["balvafd"] = totals["vax"] - totals["vam"]
    totals["vax_share_of_gdp"] = safe_divide(totals["vax"], totals["gdp"])
    country_rows = pd.concat(
        [
            pd.DataFrame(
                {
                    "year": model.year,
                    "level": levels,
                    "exporter": entity_labels,
                    "importer": ALL,
                    "indicator": name,
                    "value": values,
                }
            )
            for name, values in totals.items()
        ],
        ignore_index=True,
    )
    frame = pd.concat([*bilateral, country_rows], ignore_index=True)
    exceptions = share_exceptions(frame, ("vax_share_of_gdp",))
    notes = [
        "va_trade = T_sr (VA of s absorbed in r; Johnson–Noguera VAX_sr for r ≠ s); "
        "vax_ratio = VAX/gross exports (may exceed 1 bilaterally)"
    ]
    return attach_metadata(frame, model, resolved, notes, exceptions)
