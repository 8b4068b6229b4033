"""Shared machinery of the indicator modules.

* :class:`Workspace` — per-model cache of the vectors several indicator sets reuse
  (v L, L y^D, A^F x, the bilateral WWYZ flows, T, DEXFVAP, …), so computing all sets for a
  year forms each quantity once. One workspace per model, held in a weak dictionary.
* :func:`aggregate_parts` — the one aggregation rule of METHODS §0/§8: every aggregate ratio
  is Σ numerators / Σ denominators over the entity's country-sector rows (country, sector
  group, country group, world), RoW never inside a group, zero denominators give NaN.
* Sector groups (ADB KI convention, METHODS §1) for the WIOD-2013 35-sector classification.
* :func:`share_exceptions` — shares outside [−tol, 1+tol], reported (never clipped).
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from chainatlas.core.groups import ResolvedGroup, registry_with
from chainatlas.core.model import MRIOModel
from chainatlas.core.value_added import va_trade_matrix

SHARE_TOLERANCE = 1e-9
ALL = "TOTAL"  # the sector label of country/group totals
WORLD = "WORLD"
ROW = "ROW"

# ADB Key Indicators sector groups on the WIOD-2013 35 sectors (METHODS §1). c17–c18
# (utilities, construction) are in no manufacturing group; c1–c2 are primary.
WIOD35_SECTOR_GROUPS: dict[str, tuple[str, ...]] = {
    "primary": ("c1", "c2"),
    "low_tech_mfg": ("c3", "c4", "c5", "c6", "c7", "c10", "c16"),
    "medhigh_tech_mfg": ("c8", "c9", "c11", "c12", "c13", "c14", "c15"),
    "manufacturing": tuple(f"c{i}" for i in range(3, 17)),
    "services": tuple(f"c{i}" for i in range(19, 36)),
}


def sector_groups(model: MRIOModel, custom: Mapping[str, Sequence[str]] | None = None):
    """{group name: sector positions}. Defaults apply only to the WIOD-2013 c1..c35 codes."""
    if custom is not None:
        return {name: [model.sector_position(s) for s in codes] for name, codes in custom.items()}
    if set(model.sectors) != {f"c{i}" for i in range(1, 36)}:
        return {}
    return {
        name: [model.sectors.index(s) for s in codes]
        for name, codes in WIOD35_SECTOR_GROUPS.items()
    }


def safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator with NaN where the denominator is 0 (METHODS §1)."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def country_sum(model: MRIOModel, array: np.ndarray) -> np.ndarray:
    """Sum GN rows by country: (GN, …) -> (G, …)."""
    return array.reshape(model.G, model.N, *array.shape[1:]).sum(axis=1)


def column_country_sum(model: MRIOModel, array: np.ndarray) -> np.ndarray:
    """Sum GN columns by country: (…, GN) -> (…, G)."""
    return array.reshape(*array.shape[:-1], model.G, model.N).sum(axis=-1)


def apply_local_inverse(model: MRIOModel, vector: np.ndarray) -> np.ndarray:
    """L @ vector for the block-diagonal L (vector (GN,) or (GN, k))."""
    blocks = vector.reshape(model.G, model.N, -1)
    return np.matmul(model.local_inverse, blocks).reshape(vector.shape)


def apply_local_inverse_left(model: MRIOModel, row: np.ndarray) -> np.ndarray:
    """row @ L for a row vector (GN,)."""
    blocks = row.reshape(model.G, 1, model.N)
    return np.matmul(blocks, model.local_inverse).reshape(row.shape)


def apply_domestic(model: MRIOModel, vector: np.ndarray) -> np.ndarray:
    """A^D @ vector (block-diagonal part of A)."""
    blocks = vector.reshape(model.G, model.N, 1)
    return np.matmul(model.A_domestic, blocks).reshape(vector.shape)


def apply_domestic_left(model: MRIOModel, row: np.ndarray) -> np.ndarray:
    """row @ A^D."""
    blocks = row.reshape(model.G, 1, model.N)
    return np.matmul(blocks, model.A_domestic).reshape(row.shape)


class Workspace:
    """Cached intermediate results of one model shared by the indicator sets."""

    def __init__(self, model: MRIOModel):
        # a weak reference: the cache lives in a WeakKeyDictionary keyed by the model, and a
        # strong reference from the value would keep every model of a panel alive
        self._model = weakref.ref(model)

    @property
    def model(self) -> MRIOModel:
        model = self._model()
        if model is None:  # pragma: no cover - the workspace dies with its model
            raise RuntimeError("the model of this workspace was garbage-collected")
        return model

    # --- vectors of the WWYZ algebra (METHODS §5–§6) ----------------------------------------
    @cached_property
    def y_domestic(self) -> np.ndarray:
        """y^D: final goods of each country-sector absorbed at home."""
        m = self.model
        return m.Y[np.arange(m.GN), m.country_of_row]

    @cached_property
    def y_foreign(self) -> np.ndarray:
        return self.model.y - self.y_domestic

    @cached_property
    def x_traced(self) -> np.ndarray:
        """BYu: output traced to final demand. Equals x when x = Z1 + Y1 and every sector
        with inputs has output; on rounded tables inputs bought by zero-output sectors are
        dropped by A = Z x̂⁻¹, and using BYu (not x) keeps the WWYZ splits exact."""
        return self.model.B @ self.model.y

    @cached_property
    def vL(self) -> np.ndarray:
        return apply_local_inverse_left(self.model, self.model.v)

    @cached_property
    def L_yd(self) -> np.ndarray:
        return apply_local_inverse(self.model, self.y_domestic)

    @cached_property
    def L_yf(self) -> np.ndarray:
        return apply_local_inverse(self.model, self.y_foreign)

    def foreign_apply(self, vector: np.ndarray) -> np.ndarray:
        """A^F @ vector."""
        return self.model.A @ vector - apply_domestic(self.model, vector)

    def foreign_apply_left(self, row: np.ndarray) -> np.ndarray:
        """row @ A^F."""
        return row @ self.model.A - apply_domestic_left(self.model, row)

    @cached_property
    def AF_x(self) -> np.ndarray:
        """A^F BYu."""
        return self.foreign_apply(self.x_traced)

    @cached_property
    def vLAF(self) -> np.ndarray:
        return self.foreign_apply_left(self.vL)

    # --- country-level value-added matrices -------------------------------------------------
    @cached_property
    def T(self) -> np.ndarray:
        return va_trade_matrix(self.model)

    @cached_property
    def va_origin_multipliers(self) -> np.ndarray:
        """(G, GN): Σ_{i∈t} v_i B_ij."""
        return country_sum(self.model, self.model.v[:, None] * self.model.B)

    @cached_property
    def dexfvap(self) -> np.ndarray:
        """(G origin t, G exporter s): v_t B_ts e_s* (diagonal = domestic content)."""
        m = self.model
        content = self.va_origin_multipliers * m.total_exports[None, :]
        return column_country_sum(m, content)

    @cached_property
    def bilateral_production_flows(self) -> dict[str, np.ndarray]:
        """WWYZ bilateral form (§5): s's VA flowing into r by type, (GN exporter rows, G).

        traditional: v_s L_ss Y_sr; simple: v_s L_ss A_sr L_rr Y_rr;
        complex: v_s L_ss A_sr (x_r − L_rr Y_rr) with x = BYu. Own-country column = 0.
        """
        m = self.model
        A_by_partner = m.A.reshape(m.GN, m.G, m.N)
        simple_inner = np.einsum("irn,rn->ir", A_by_partner, self.L_yd.reshape(m.G, m.N))
        complex_inner = np.einsum(
            "irn,rn->ir", A_by_partner, (self.x_traced - self.L_yd).reshape(m.G, m.N)
        )
        own = (np.arange(m.GN), m.country_of_row)
        flows = {}
        for name, inner in (
            ("traditional", m.Y.copy()),
            ("simple", simple_inner),
            ("complex", complex_inner),
        ):
            inner[own] = 0.0
            flows[name] = self.vL[:, None] * inner
        return flows

    @cached_property
    def bilateral_production_country(self) -> dict[str, np.ndarray]:
        """The bilateral flows summed to (G, G) country pairs."""
        return {k: country_sum(self.model, v) for k, v in self.bilateral_production_flows.items()}


_WORKSPACES: weakref.WeakKeyDictionary[MRIOModel, Workspace] = weakref.WeakKeyDictionary()


def workspace(model: MRIOModel) -> Workspace:
    ws = _WORKSPACES.get(model)
    if ws is None:
        ws = Workspace(model)
        _WORKSPACES[model] = ws
    return ws


# --- groups -------------------------------------------------------------------------------
def resolve(
    model: MRIOModel, groups: Sequence[str | ResolvedGroup] | None, user_groups: Any = None
) -> list[ResolvedGroup]:
    """Resolve group names against the model (already resolved groups pass through). A group
    named twice (an alias, another spelling: NEA, nea, ASEAN9 = ASEAN-9) is kept once, so no
    aggregate row is written twice."""
    registry = registry_with(user_groups)
    resolved: dict[str, ResolvedGroup] = {}
    for g in groups or ():
        group = (
            g if isinstance(g, ResolvedGroup) else registry.resolve(g, model.countries, model.year)
        )
        resolved.setdefault(group.name, group)
    return list(resolved.values())


def group_country_mask(model: MRIOModel, group: ResolvedGroup) -> np.ndarray:
    """Boolean (G,) of the group's present members (RoW never)."""
    return np.array([c in group.present and c != ROW for c in model.countries])


def attach_metadata(
    frame: pd.DataFrame,
    model: MRIOModel,
    groups: Sequence[ResolvedGroup] = (),
    notes: Sequence[str] = (),
    exceptions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Record missing group members, notes and share exceptions in ``frame.attrs``."""
    if model.layout is not None:
        frame, split_note = split_economy_rows(frame, model)
        notes = [*notes, split_note]
    frame.attrs["missing_members"] = {g.name: list(g.missing) for g in groups}
    frame.attrs["group_members"] = {g.name: list(g.present) for g in groups}
    frame.attrs["source"] = model.describe()
    frame.attrs["notes"] = list(notes)
    if exceptions is not None and not exceptions.empty:
        frame.attrs["share_exceptions"] = exceptions.to_dict(orient="records")
    else:
        frame.attrs["share_exceptions"] = []
    return frame


def split_economy_rows(frame: pd.DataFrame, model: MRIOModel) -> tuple[pd.DataFrame, str]:
    """Sector-level rows of a table with split economies (core/layout.py), made readable.

    Country-sector rows of the padded view are the model's slots: the padding's dummy rows are
    dropped; a split economy's rows are labelled with the part's own code, as the OECD labels
    them (``CN1_D01T02``; ratios of parts cannot be summed into industries). Sector-level rows
    of aggregates (world, groups, sector groups) over slots would mix parts, so slot rows of
    non-economy entities are dropped; every country-level (TOTAL) row is exact.
    """
    layout = model.layout
    note = (
        "split economies: country totals cover all parts; sector rows of a split economy are "
        "labelled by part (e.g. CN1_" + layout.industries[0] + "); sector-level rows of "
        "groups and WORLD are not computed on split tables yet"
    )
    key = "country" if "country" in frame.columns else "exporter"
    if "sector" not in frame.columns or key not in frame.columns or frame.empty:
        return frame, note
    slots = model.sectors
    label: dict[tuple[str, str], str] = {}
    for e, (country, parts) in enumerate(zip(model.countries, layout.parts, strict=True)):
        for p in range(layout.P):
            for n, industry in enumerate(layout.industries):
                slot = slots[p * layout.N + n]
                if p >= len(parts):
                    continue  # padding
                label[(country, slot)] = industry if len(parts) == 1 else f"{parts[p]}_{industry}"
        _ = e
    slot_set = set(slots)
    countries = frame[key].astype(object).to_numpy()
    sectors = frame["sector"].astype(object).to_numpy()
    is_slot = np.array([s in slot_set for s in sectors], dtype=bool)
    new = [
        label.get((c, s)) if slot else s
        for c, s, slot in zip(countries, sectors, is_slot, strict=True)
    ]
    keep = np.array([v is not None for v in new], dtype=bool)
    out = frame.loc[keep].copy()
    out["sector"] = pd.Series(
        [v for v, k in zip(new, keep, strict=True) if k], index=out.index, dtype=object
    )
    return out.reset_index(drop=True), note


def metadata_json(frame: pd.DataFrame) -> str:
    return json.dumps(frame.attrs, default=str)


# --- aggregation --------------------------------------------------------------------------
@dataclass(frozen=True)
class Entity:
    level: str
    country: str
    sector: str


def _entity_weights(
    model: MRIOModel,
    groups: Sequence[ResolvedGroup],
    sector_group_map: Mapping[str, Sequence[int]],
    levels: Sequence[str],
) -> tuple[list[Entity], np.ndarray]:
    """Rows of a (n_entities, GN) 0/1 matrix selecting the country-sectors of each entity."""
    G, N = model.G, model.N
    entities: list[Entity] = []
    rows: list[np.ndarray] = []

    def add(level: str, country: str, sector: str, mask: np.ndarray) -> None:
        entities.append(Entity(level, country, sector))
        rows.append(mask.reshape(-1).astype(float))

    sector_masks = {}
    for name, positions in sector_group_map.items():
        mask = np.zeros(N, dtype=bool)
        mask[list(positions)] = True
        sector_masks[name] = mask
    if "country" in levels:
        for c, code in enumerate(model.countries):
            mask = np.zeros((G, N), dtype=bool)
            mask[c] = True
            add("country", code, ALL, mask)
    if "sector_group" in levels:
        for c, code in enumerate(model.countries):
            for name, smask in sector_masks.items():
                mask = np.zeros((G, N), dtype=bool)
                mask[c] = smask
                add("sector_group", code, name, mask)
    for group in groups if "group" in levels else ():
        cmask = group_country_mask(model, group)
        add("group", group.name, ALL, np.repeat(cmask[:, None], N, axis=1))
        for name, smask in sector_masks.items():
            add("group_sector_group", group.name, name, cmask[:, None] & smask[None, :])
    if "world" in levels:
        add("world", WORLD, ALL, np.ones((G, N), dtype=bool))
        for name, smask in sector_masks.items():
            add("world_sector_group", WORLD, name, np.repeat(smask[None, :], G, axis=0))
    weights = np.vstack(rows) if rows else np.zeros((0, G * N))
    return entities, weights


Derived = Mapping[str, Callable[[Mapping[str, np.ndarray]], np.ndarray]]


def aggregate_parts(
    model: MRIOModel,
    parts: Mapping[str, np.ndarray],
    derived: Derived,
    groups: Sequence[ResolvedGroup] = (),
    *,
    levels: Sequence[str] = ("country_sector", "country", "sector_group", "group", "world"),
    sector_group_map: Mapping[str, Sequence[int]] | None = None,
    keep_parts: bool = True,
    extra_columns: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Aggregate additive country-sector ``parts`` (GN,) and compute ``derived`` indicators.

    Each derived indicator is a function of the (aggregated) parts, e.g. a ratio of two
    parts; aggregates therefore follow Σ numerators / Σ denominators. Returns a tidy frame:
    year, level, country, sector, indicator, value (country holds the group name for group
    rows; sector holds the sector-group name or TOTAL).
    """
    sgm = sector_groups(model) if sector_group_map is None else sector_group_map
    names = list(parts)
    stacked = np.column_stack([np.asarray(parts[n], dtype=float) for n in names])  # (GN, P)
    blocks: list[pd.DataFrame] = []

    def emit(level_col, country_col, sector_col, values: np.ndarray) -> None:
        table = {n: values[:, k] for k, n in enumerate(names)}
        out = {}
        if keep_parts:
            out.update(table)
        with np.errstate(divide="ignore", invalid="ignore"):
            for name, fn in derived.items():
                out[name] = fn(table)
        n_rows = values.shape[0]
        for indicator, column in out.items():
            blocks.append(
                pd.DataFrame(
                    {
                        "level": level_col,
                        "country": country_col,
                        "sector": sector_col,
                        "indicator": indicator,
                        "value": np.broadcast_to(np.asarray(column, dtype=float), (n_rows,)),
                    }
                )
            )

    if "country_sector" in levels:
        emit(
            "country_sector",
            np.repeat(np.array(model.countries, dtype=object), model.N),
            np.tile(np.array(model.sectors, dtype=object), model.G),
            stacked,
        )
    entities, weights = _entity_weights(model, groups, sgm, levels)
    if entities:
        emit(
            np.array([e.level for e in entities], dtype=object),
            np.array([e.country for e in entities], dtype=object),
            np.array([e.sector for e in entities], dtype=object),
            weights @ stacked,
        )
    frame = pd.concat(blocks, ignore_index=True)
    frame.insert(0, "year", model.year)
    for key, value in (extra_columns or {}).items():
        frame.insert(len(frame.columns) - 2, key, value)
    return frame


def ratio(numerator: str, denominator: str) -> Callable[[Mapping[str, np.ndarray]], np.ndarray]:
    def fn(parts: Mapping[str, np.ndarray]) -> np.ndarray:
        return safe_divide(parts[numerator], parts[denominator])

    return fn


def ratio_of_sums(
    numerators: Sequence[str], denominator: str
) -> Callable[[Mapping[str, np.ndarray]], np.ndarray]:
    def fn(parts: Mapping[str, np.ndarray]) -> np.ndarray:
        return safe_divide(sum(parts[n] for n in numerators), parts[denominator])

    return fn


def share_exceptions(
    frame: pd.DataFrame,
    share_indicators: Sequence[str],
    tolerance: float = SHARE_TOLERANCE,
) -> pd.DataFrame:
    """Rows of share indicators outside [−tol, 1+tol] (reported, never clipped)."""
    if frame.empty:
        return frame.iloc[0:0]
    is_share = frame["indicator"].isin(list(share_indicators))
    values = frame["value"]
    outside = is_share & ((values < -tolerance) | (values > 1 + tolerance))
    return frame.loc[outside].reset_index(drop=True)


def tidy_matrix(
    model: MRIOModel,
    matrix: np.ndarray,
    indicator: str,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    row_name: str,
    col_name: str,
) -> pd.DataFrame:
    """A 2-D matrix as tidy rows (year, row_name, col_name, indicator, value)."""
    rows, cols = np.meshgrid(np.arange(len(row_labels)), np.arange(len(col_labels)), indexing="ij")
    return pd.DataFrame(
        {
            "year": model.year,
            row_name: np.asarray(row_labels, dtype=object)[rows.ravel()],
            col_name: np.asarray(col_labels, dtype=object)[cols.ravel()],
            "indicator": indicator,
            "value": np.asarray(matrix, dtype=float).ravel(),
        }
    )
