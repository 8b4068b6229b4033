"""Bilateral industrial-chain linkage LINK_rs (METHODS §7.3, reconstructed formula).

LINK_rs = 100 · VAEX_rs / √(VAEX_r · VAIM_s) = 100 · √[(VAEX_rs/VAEX_r)·(VAEX_rs/VAIM_s)],
VAEX_rs = T_rs (VA created in r, absorbed in s), VAEX_r = VAX_r = Σ_{s≠r} T_rs,
VAIM_s = VAM_s = Σ_{r≠s} T_rs. Rows r = VA source, columns s = absorber; the diagonal is
undefined (NaN, printed "–"). Groups enter member-sum: VAEX_RS = Σ_{r∈R, s∈S, r≠s} T_rs,
VAEX_R = Σ_{r∈R} VAX_r, VAIM_S = Σ_{s∈S} VAM_s.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from chainatlas.core.groups import ResolvedGroup, registry_with
from chainatlas.core.model import MRIOModel
from chainatlas.indicators._common import (
    ROW,
    SHARE_TOLERANCE,
    attach_metadata,
    group_country_mask,
    resolve,
    safe_divide,
    share_exceptions,
    workspace,
)

LINK_INDICATORS = ("link", "vaex_rs", "vaex_r", "vaim_s", "export_share", "import_share")


def _economy_masks(model: MRIOModel, economies: Sequence[str], user_groups):
    """Masks (E, G) for economies given as country codes or configured group names."""
    registry = registry_with(user_groups)
    labels, masks, unavailable, used_groups = [], [], [], []
    for name in economies:
        code = name.strip().upper()
        if code in model.countries and code != ROW:
            mask = np.zeros(model.G, dtype=bool)
            mask[model.countries.index(code)] = True
            labels.append(code)
            masks.append(mask)
        elif name in registry:
            group = registry.resolve(name, model.countries, model.year)
            used_groups.append(group)
            labels.append(group.name)
            masks.append(group_country_mask(model, group))
        else:
            unavailable.append(name)
    array = np.array(masks, dtype=float).reshape(len(labels), model.G)
    return labels, array, unavailable, used_groups


def link_matrix(
    model: MRIOModel,
    economies: Sequence[str] | None = None,
    *,
    groups: Sequence[str | ResolvedGroup] | None = None,
    user_groups=None,
) -> pd.DataFrame:
    """LINK_rs and its inputs for every ordered pair of ``economies`` (default: all countries
    except RoW, plus ``groups``). Economies the table lacks (e.g. MNG in WIOD) are listed in
    ``attrs['unavailable_economies']`` and get no rows; use :func:`link_table` for a square
    matrix with those rows/columns marked.

    Tidy columns: year, exporter (source r), importer (absorber s), indicator, value.
    """
    resolved = resolve(model, groups, user_groups)
    if economies is None:
        economies = [c for c in model.countries if c != ROW] + [g.name for g in resolved]
    labels, masks, unavailable, used_groups = _economy_masks(model, economies, user_groups)
    T = workspace(model).T
    foreign = T - np.diag(np.diag(T))
    # VAEX_RS: exclude r = s pairs inside overlapping entities (foreign already drops them)
    vaex_rs = masks @ foreign @ masks.T
    vaex_r = masks @ foreign.sum(axis=1)
    vaim_s = masks @ foreign.sum(axis=0)
    export_share = safe_divide(vaex_rs, vaex_r[:, None])
    import_share = safe_divide(vaex_rs, vaim_s[None, :])
    # 100·VAEX_rs/√(VAEX_r·VAIM_s), not 100·√(export_share·import_share): the two agree for
    # T_rs ≥ 0, but the geometric-mean form turns a negative flow (negative inventories/VA)
    # into a positive LINK
    with np.errstate(invalid="ignore"):
        link = 100.0 * safe_divide(vaex_rs, np.sqrt(np.outer(vaex_r, vaim_s)))
    link = np.where(np.eye(len(labels), dtype=bool), np.nan, link)
    overlap = (masks @ masks.T) > 0  # r and s share members: undefined like the diagonal
    link = np.where(overlap, np.nan, link)
    values = {
        "link": link,
        "vaex_rs": vaex_rs,
        "vaex_r": np.broadcast_to(vaex_r[:, None], link.shape),
        "vaim_s": np.broadcast_to(vaim_s[None, :], link.shape),
        "export_share": export_share,
        "import_share": import_share,
    }
    r_idx, s_idx = np.meshgrid(np.arange(len(labels)), np.arange(len(labels)), indexing="ij")
    keep = (r_idx != s_idx).ravel()
    names = np.asarray(labels, dtype=object)
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "year": model.year,
                    "exporter": names[r_idx.ravel()[keep]],
                    "importer": names[s_idx.ravel()[keep]],
                    "indicator": name,
                    "value": np.asarray(matrix, dtype=float).ravel()[keep],
                }
            )
            for name, matrix in values.items()
        ],
        ignore_index=True,
    )
    notes = ["LINK_rs = 100·T_rs/√(VAX_r·VAM_s); row r = VA source, column s = absorber"]
    if unavailable:
        notes.append(f"not in the table (no rows): {', '.join(unavailable)}")
    # shares can leave [0, 1] where T has negative entries (negative inventories or VA):
    # reported, never clipped
    exceptions = share_exceptions(frame, ("export_share", "import_share"))
    link_rows = frame[frame["indicator"] == "link"]
    link_outside = link_rows[
        (link_rows["value"] < -100 * SHARE_TOLERANCE)
        | (link_rows["value"] > 100 * (1 + SHARE_TOLERANCE))
    ]
    if not link_outside.empty:  # LINK ∈ [0, 100] fails only with negative flows: reported
        exceptions = pd.concat([exceptions, link_outside], ignore_index=True)
    frame = attach_metadata(frame, model, used_groups, notes, exceptions)
    frame.attrs["unavailable_economies"] = unavailable
    return frame


def link_table(model: MRIOModel, economies: Sequence[str], user_groups=None) -> pd.DataFrame:
    """Square LINK matrix (rows = source r, columns = absorber s) over ``economies`` in the
    given order; economies the table lacks stay as all-NaN rows/columns (attrs say which)."""
    frame = link_matrix(model, economies, user_groups=user_groups)
    link = frame[frame["indicator"] == "link"].pivot(
        index="exporter", columns="importer", values="value"
    )
    table = link.reindex(index=list(economies), columns=list(economies))
    table.index.name, table.columns.name = "source", "absorber"
    table.attrs.update(frame.attrs)
    return table
