"""Foreign value added in exports by source, and imported intermediates by source, for any
exporter country or group (METHODS §7.1–§7.2).

FVA_{t→s} = DEXFVAP_{s,t} = v_t B_ts e_s* (Leontief foreign content by origin, the default);
variant ``fva_bm`` = v_t B^{/s}_ts e_s* (Borin–Mancini FVA by origin, without FDC).
Imported intermediates: u'Z_ts u.

Conventions (§8 rule 2):
* ``member-sum`` (default): each member of exporter group R is an exporter; "foreign" means
  any economy other than that member, so intra-R flows stay in numerator and denominator.
  share_{R,S} = Σ_{s∈R} Σ_{t∈S,t≠s} F_ts / Σ_{s∈R} Σ_{t≠s} F_ts.
* ``bloc``: R is treated as one economy. For FVA the table is re-aggregated with R's members
  merged before inversion (this changes B); for intermediates intra-R flows are dropped.

Tidy frame: year, convention, exporter, origin, indicator, value. The denominator is the row
with origin ``ALL_FOREIGN``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.linalg

from chainatlas.core.groups import ResolvedGroup
from chainatlas.core.model import MRIOModel
from chainatlas.indicators._common import (
    ROW,
    attach_metadata,
    group_country_mask,
    resolve,
    safe_divide,
    share_exceptions,
    workspace,
)

ALL_FOREIGN = "ALL_FOREIGN"
CONVENTIONS = ("member-sum", "bloc")


def bm_fva_by_origin(model: MRIOModel) -> np.ndarray:
    """(G origin t, G exporter s): v_t B^{/s}_ts e_s* with B^{/s}_ts = B_ts (I + M_s)⁻¹,
    M_s = Σ_{j≠s} A_sj B_js (METHODS §4.4). Diagonal = BM DVA v_s L_ss e_s*."""
    G, N, GN = model.G, model.N, model.GN
    # Σ_j A_sj B_js including j = s, for every s at once (a plain C loop: 41 tiny BLAS calls
    # cost more in thread start-up than the 72 M multiply-adds themselves)
    M = np.einsum("snk,ksm->snm", model.A.reshape(G, N, GN), model.B.reshape(GN, G, N))
    idx = np.arange(G)
    M -= np.matmul(model.A_domestic, model.B_blocks[idx, idx])
    exports = model.total_exports.reshape(G, N, 1)
    K = np.linalg.solve(np.eye(N)[None] + M, exports)[..., 0]  # (G, N)
    multipliers = workspace(model).va_origin_multipliers.reshape(G, G, N)  # [t, s, n]
    return np.einsum("tsn,sn->ts", multipliers, K)


def intermediate_flows(model: MRIOModel) -> np.ndarray:
    """(G source t, G user s): u'Z_ts u."""
    return model.Z.reshape(model.G, model.N, model.G, model.N).sum(axis=(1, 3))


def _entities(model: MRIOModel, groups: Sequence[ResolvedGroup], include_row: bool):
    labels, masks = [], []
    for c, code in enumerate(model.countries):
        if code == ROW and not include_row:
            continue
        mask = np.zeros(model.G, dtype=bool)
        mask[c] = True
        labels.append(code)
        masks.append(mask)
    for group in groups:
        labels.append(group.name)
        masks.append(group_country_mask(model, group))
    return labels, np.array(masks, dtype=float)


def _member_sum(flows: np.ndarray, exporter_masks: np.ndarray, origin_masks: np.ndarray):
    """num[o, e] = Σ_{s∈e} Σ_{t∈o, t≠s} F_ts and den[e] = Σ_{s∈e} Σ_{t≠s} F_ts."""
    foreign = flows - np.diag(np.diag(flows))
    numerator = origin_masks @ foreign @ exporter_masks.T
    denominator = foreign.sum(axis=0) @ exporter_masks.T
    return numerator, denominator


def _frame(model, convention, exporters, origins, numerator, denominator, name):
    ex_idx, or_idx = np.meshgrid(np.arange(len(exporters)), np.arange(len(origins)), indexing="xy")
    base = {
        "year": model.year,
        "convention": convention,
        "exporter": np.asarray(exporters, dtype=object)[ex_idx.ravel()],
        "origin": np.asarray(origins, dtype=object)[or_idx.ravel()],
    }
    rows = [
        pd.DataFrame({**base, "indicator": name, "value": numerator.ravel()}),
        pd.DataFrame(
            {
                **base,
                "indicator": f"{name}_share",
                "value": safe_divide(numerator, denominator[None, :]).ravel(),
            }
        ),
        pd.DataFrame(
            {
                "year": model.year,
                "convention": convention,
                "exporter": exporters,
                "origin": ALL_FOREIGN,
                "indicator": name,
                "value": denominator,
            }
        ),
    ]
    return pd.concat(rows, ignore_index=True)


def _merge_map(model: MRIOModel, members: Sequence[str]) -> tuple[np.ndarray, int]:
    """One-hot (G, G') map merging ``members`` into one economy placed at the first member."""
    first = min(model.countries.index(c) for c in members)
    kept = [c for c in range(model.G) if model.countries[c] not in members or c == first]
    to_merged = np.zeros((model.G, len(kept)))
    for c, code in enumerate(model.countries):
        target = first if code in members else c
        to_merged[c, kept.index(target)] = 1.0
    return to_merged, kept.index(first)


class _CountryMerge:
    """Sums countries along an axis by a one-hot (G, G') map: the first country of each merged
    economy is taken as is and the (few) others are added to it. Equal to a tensordot with the
    map, without its G·G'·(GN)² multiply-adds."""

    def __init__(self, to_merged: np.ndarray):
        self.target = np.argmax(to_merged, axis=1)
        _, self.kept = np.unique(self.target, return_index=True)  # first country per column
        self.extra = np.setdiff1d(np.arange(len(self.target)), self.kept)

    def apply(self, array: np.ndarray, axis: int) -> np.ndarray:
        moved = np.moveaxis(array, axis, 0)
        out = moved[self.kept].copy()
        for country in self.extra:  # the merged-away members only
            out[self.target[country]] += moved[country]
        return np.moveaxis(out, 0, axis)


def merged_dexfvap(
    model: MRIOModel, to_merged: np.ndarray, exporters: Sequence[int] | None = None
) -> np.ndarray:
    """DEXFVAP (G' origin, G' exporter) of the table re-aggregated by the country map
    ``to_merged`` (G, G'): Z, Y, x summed, then A, v and exports recomputed (§8 rule 2).
    Only the ``exporters`` columns (default all) are computed, by one solve.

    Done on the arrays rather than via MRIOModel.aggregate so that rounding artefacts the
    loader keeps (row totals of −1 where output is 0) do not stop the re-aggregation.
    """
    G, N = model.G, model.N
    Gm = to_merged.shape[1]
    merge = _CountryMerge(to_merged)
    Z = merge.apply(merge.apply(model.Z.reshape(G, N, G, N), axis=0), axis=2)
    Z = Z.reshape(Gm * N, Gm * N)
    Y = merge.apply(merge.apply(model.Y.reshape(G, N, G), axis=0), axis=2).reshape(Gm * N, Gm)
    x = merge.apply(model.x.reshape(G, N), axis=0).reshape(-1)
    inv_x = np.where(x != 0, 1.0 / np.where(x != 0, x, 1.0), 0.0)
    A = Z * inv_x[None, :]
    v = (x - Z.sum(axis=0)) * inv_x
    exports = Z.reshape(Gm * N, Gm, N).sum(axis=2) + Y
    own = np.repeat(np.arange(Gm), N)
    exports[np.arange(Gm * N), own] = 0.0
    e = exports.sum(axis=1)
    # DEXFVAP'[t, s] = Σ_{i∈t} v_i (B e_s)_i with e_s = e on s's rows: one solve per economy
    columns = list(range(Gm)) if exporters is None else list(exporters)
    rhs = np.zeros((Gm * N, len(columns)))
    for k, s in enumerate(columns):
        rhs[s * N : (s + 1) * N, k] = e[s * N : (s + 1) * N]
    content = _leontief_solve_block_jacobi(A, rhs, Gm, N)
    return (v[:, None] * content).reshape(Gm, N, len(columns)).sum(axis=1)


def _leontief_solve_block_jacobi(
    A: np.ndarray, rhs: np.ndarray, G: int, N: int, max_iter: int = 500
) -> np.ndarray:
    """(I − A)⁻¹ rhs by block-Jacobi iteration z ← L(rhs + A^F z), L = (I − A^D)⁻¹.

    Why: the bloc convention needs one solve of a freshly merged table per group and year; a
    dense LU of the (GN)² matrix was the largest cost of the indicator panel. The iteration
    costs one matrix–vector product per step and converges geometrically with the rate of
    L A^F (foreign input dependence, well below 1 in MRIO tables), to rounding level. If it has
    not converged after ``max_iter`` steps the direct solve is used.
    """
    blocks = A.reshape(G, N, G, N)
    own = blocks[np.arange(G), :, np.arange(G), :]  # (G, N, N) domestic blocks A_ss
    try:
        local = np.linalg.inv(np.eye(N)[None, :, :] - own)
    except np.linalg.LinAlgError:
        local = None
    if local is not None and np.isfinite(local).all():

        def apply_local(vec: np.ndarray) -> np.ndarray:
            return np.matmul(local, vec.reshape(G, N, -1)).reshape(vec.shape)

        def apply_domestic(vec: np.ndarray) -> np.ndarray:
            return np.matmul(own, vec.reshape(G, N, -1)).reshape(vec.shape)

        z = apply_local(rhs)
        for _ in range(max_iter):
            update = apply_local(rhs + A @ z - apply_domestic(z))
            change = np.max(np.abs(update - z), initial=0.0)
            z = update
            if not np.isfinite(change):  # diverging: leave it to the direct solve
                break
            if change <= 1e-15 * max(np.max(np.abs(z), initial=0.0), 1e-300):
                return z
    return scipy.linalg.solve(np.eye(G * N) - A, rhs, check_finite=False)


def _bloc_rows(model: MRIOModel, group: ResolvedGroup, origin_labels, origin_masks):
    """Bloc convention for one exporter group: members merged into one economy."""
    members = [c for c in group.present if c != ROW]
    inside = group_country_mask(model, group)
    outside_masks = origin_masks * (~inside)[None, :]  # origins lose the bloc's own members
    if len(members) >= 2:
        to_merged, position = _merge_map(model, members)
        column = merged_dexfvap(model, to_merged, [position])[:, 0].copy()
        column[position] = 0.0
        fva_num = (outside_masks @ to_merged) @ column
        fva_den = column.sum()
    else:  # zero or one member: the bloc is the member itself
        column = workspace(model).dexfvap[:, inside].sum(axis=1) * ~inside
        fva_num, fva_den = outside_masks @ column, column.sum()
    z_column = intermediate_flows(model)[:, inside].sum(axis=1) * ~inside
    return [
        _frame(
            model, "bloc", [group.name], origin_labels, fva_num[:, None], np.array([fva_den]), "fva"
        ),
        _frame(
            model,
            "bloc",
            [group.name],
            origin_labels,
            (outside_masks @ z_column)[:, None],
            np.array([z_column.sum()]),
            "intermediate_imports",
        ),
    ]


def fva_by_origin(
    model: MRIOModel,
    groups: Sequence[str | ResolvedGroup] | None = None,
    *,
    user_groups=None,
    conventions: Sequence[str] = CONVENTIONS,
    bm_variant: bool = True,
) -> pd.DataFrame:
    """FVA in exports and imported intermediates by source, for every country and group as
    exporter and every country and group as origin (member-sum; bloc for groups)."""
    from chainatlas.errors import ChainAtlasError

    unknown = set(conventions) - set(CONVENTIONS)
    if unknown:
        raise ChainAtlasError(
            f"unknown convention(s) {sorted(unknown)}; choose from {', '.join(CONVENTIONS)}"
        )
    resolved = resolve(model, groups, user_groups)
    ws = workspace(model)
    exporters, exporter_masks = _entities(model, resolved, include_row=True)
    origins, origin_masks = _entities(model, resolved, include_row=True)
    frames = []
    if "member-sum" in conventions:
        measures = [("fva", ws.dexfvap), ("intermediate_imports", intermediate_flows(model))]
        if bm_variant:
            measures.append(("fva_bm", bm_fva_by_origin(model)))
        for name, flows in measures:
            num, den = _member_sum(flows, exporter_masks, origin_masks)
            frames.append(_frame(model, "member-sum", exporters, origins, num, den, name))
    if "bloc" in conventions:
        for group in resolved:
            frames.extend(_bloc_rows(model, group, origins, origin_masks))
    frame = pd.concat(frames, ignore_index=True)
    exceptions = share_exceptions(
        frame, ("fva_share", "intermediate_imports_share", "fva_bm_share")
    )
    notes = [
        "fva = Leontief foreign content by origin v_t B_ts e_s*; fva_bm = Borin–Mancini "
        "v_t B^{/s}_ts e_s*; denominators in rows with origin ALL_FOREIGN",
        "bloc convention re-aggregates the table with the group's present members merged",
    ]
    return attach_metadata(frame, model, resolved, notes, exceptions)
