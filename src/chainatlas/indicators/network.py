"""Value-added networks and hubs (METHODS §9; S4 Fig. 1 after WTO GVC Development Report
2019 ch. 1) — the link rule is reconstructed, its parameters are exposed.

For each production type k ∈ {traditional, simple, complex} the flow matrix F^k (G×G,
country s → r) is the WWYZ bilateral form (§5): traditional v_s L_ss Y_sr, simple
v_s L_ss A_sr L_rr Y_rr, complex v_s L_ss A_sr (x_r − L_rr Y_rr). RoW is no node.

* edge list: every s → r with its flow, the share of r's imports of that type it supplies,
  its rank among r's suppliers and r's rank among s's destinations;
* largest-supplier graph: for each importer r its ``top_k`` largest suppliers whose share
  is at least ``min_share`` (rank 1 = solid edge, 2 = dashed in the figure);
* hubs: a supply hub is the largest supplier of at least ``k_min`` economies (out-degree in
  the rank-1 graph); a demand hub is the largest destination of at least ``k_min`` exporters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chainatlas.core.model import MRIOModel
from chainatlas.errors import ChainAtlasError
from chainatlas.indicators._common import (
    ROW,
    attach_metadata,
    safe_divide,
    share_exceptions,
    workspace,
)

FLOW_TYPES = ("traditional", "simple", "complex")


@dataclass(frozen=True)
class HubParameters:
    k_min: int = 3
    top_k: int = 2
    min_share: float = 0.0
    types: tuple[str, ...] = FLOW_TYPES

    def validate(self) -> HubParameters:
        unknown = set(self.types) - set(FLOW_TYPES)
        if unknown:
            raise ChainAtlasError(
                f"unknown flow type(s) {sorted(unknown)}; choose from {', '.join(FLOW_TYPES)}"
            )
        if self.k_min < 1 or self.top_k < 1 or not 0 <= self.min_share <= 1:
            raise ChainAtlasError("need k_min >= 1, top_k >= 1 and 0 <= min_share <= 1")
        return self


def flow_matrices(
    model: MRIOModel, sectors: Sequence[str] | None = None
) -> tuple[list[str], dict[str, np.ndarray]]:
    """Node labels (RoW dropped) and the (n, n) flow matrix per type, zero diagonal.

    ``sectors``: a sector-level network — only the value added of these exporting sectors
    (e.g. ``["c14"]``, electrical and optical equipment = ICT in WIOD 2013) counts, i.e. the
    bilateral WWYZ rows of those country-sectors summed by exporting country (S4 item 72).
    """
    ws = workspace(model)
    if sectors:
        positions = [model.sector_position(s) for s in sectors]
        rows = ws.bilateral_production_flows
        flows = {
            k: v.reshape(model.G, model.N, model.G)[:, positions, :].sum(axis=1)
            for k, v in rows.items()
        }
    else:
        flows = ws.bilateral_production_country
    keep = np.array([c != ROW for c in model.countries])
    labels = [c for c in model.countries if c != ROW]
    return labels, {k: v[np.ix_(keep, keep)] for k, v in flows.items()}


def _ranks(matrix: np.ndarray, axis: int) -> np.ndarray:
    """Rank (1 = largest) along ``axis``, ignoring the diagonal (rank 0 there)."""
    work = matrix.copy()
    np.fill_diagonal(work, -np.inf)
    order = np.argsort(-work, axis=axis, kind="stable")
    ranks = np.empty_like(order)
    idx = np.arange(matrix.shape[axis])
    if axis == 0:
        ranks[order, np.arange(matrix.shape[1])[None, :]] = idx[:, None] + 1
    else:
        ranks[np.arange(matrix.shape[0])[:, None], order] = idx[None, :] + 1
    np.fill_diagonal(ranks, 0)
    return ranks


def va_network(
    model: MRIOModel,
    params: HubParameters | None = None,
    *,
    sectors: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Edge list and node table of the VA networks as one tidy frame.

    Columns: year, type, exporter, importer, indicator, value. Edge indicators: flow,
    importer_share, supplier_rank, destination_rank, in_largest_supplier_graph (1/0).
    Node rows have importer = TOTAL: node_size (VA exports of type k), supply_degree,
    demand_degree, supply_hub, demand_hub (1/0). ``sectors`` restricts the flows to the VA of
    those exporting sectors (a sector-level network; the frame then has a ``sectors`` column).
    """
    params = (params or HubParameters()).validate()
    labels, matrices = flow_matrices(model, sectors)
    n = len(labels)
    names = np.asarray(labels, dtype=object)
    src, dst = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    off = (src != dst).ravel()
    frames = []
    for kind in params.types:
        F = matrices[kind]
        imports = F.sum(axis=0)
        share = safe_divide(F, imports[None, :])
        supplier_rank = _ranks(F, axis=0)  # rank of s among r's suppliers
        destination_rank = _ranks(F, axis=1)  # rank of r among s's destinations
        in_graph = (
            (supplier_rank >= 1)
            & (supplier_rank <= params.top_k)
            & (share >= params.min_share)
            & (F > 0)
        )
        largest_supplier = (supplier_rank == 1) & (F > 0)
        largest_destination = (destination_rank == 1) & (F > 0)
        supply_degree = largest_supplier.sum(axis=1)
        demand_degree = largest_destination.sum(axis=0)
        edge_values = {
            "flow": F,
            "importer_share": share,
            "supplier_rank": supplier_rank,
            "destination_rank": destination_rank,
            "in_largest_supplier_graph": in_graph,
        }
        for indicator, values in edge_values.items():
            frames.append(
                pd.DataFrame(
                    {
                        "type": kind,
                        "exporter": names[src.ravel()[off]],
                        "importer": names[dst.ravel()[off]],
                        "indicator": indicator,
                        "value": np.asarray(values, dtype=float).ravel()[off],
                    }
                )
            )
        node_values = {
            "node_size": F.sum(axis=1),
            "supply_degree": supply_degree,
            "demand_degree": demand_degree,
            "supply_hub": supply_degree >= params.k_min,
            "demand_hub": demand_degree >= params.k_min,
        }
        for indicator, values in node_values.items():
            frames.append(
                pd.DataFrame(
                    {
                        "type": kind,
                        "exporter": names,
                        "importer": "TOTAL",
                        "indicator": indicator,
                        "value": np.asarray(values, dtype=float),
                    }
                )
            )
    frame = pd.concat(frames, ignore_index=True)
    frame.insert(0, "year", model.year)
    if sectors:  # whole-economy frames keep their columns
        frame.insert(1, "sectors", "+".join(sectors))
    notes = [
        f"parameters: k_min={params.k_min}, top_k={params.top_k}, "
        f"min_share={params.min_share}, types={','.join(params.types)}; RoW is no node",
        "link rule reconstructed (METHODS §9 [OPEN]): largest supplier per importer",
    ]
    # negative flows (negative inventories or VA) can push a share outside [0, 1]: reported
    exceptions = share_exceptions(frame, ("importer_share",))
    frame = attach_metadata(frame, model, (), notes, exceptions)
    frame.attrs["hub_parameters"] = params.__dict__ | {"types": list(params.types)}
    frame.attrs["sectors"] = list(sectors) if sectors else []
    return frame


def hub_list(network: pd.DataFrame) -> pd.DataFrame:
    """Hubs from a :func:`va_network` frame: year, type, economy, role, degree, node_size,
    sorted by degree (RoW never listed)."""
    nodes = network[network["importer"] == "TOTAL"].pivot_table(
        index=["year", "type", "exporter"], columns="indicator", values="value"
    )
    rows = []
    for role in ("supply", "demand"):
        hubs = nodes[nodes[f"{role}_hub"] > 0]
        rows.append(
            pd.DataFrame(
                {
                    "year": hubs.index.get_level_values("year"),
                    "type": hubs.index.get_level_values("type"),
                    "economy": hubs.index.get_level_values("exporter"),
                    "role": role,
                    "degree": hubs[f"{role}_degree"].astype(int).to_numpy(),
                    "node_size": hubs["node_size"].to_numpy(),
                }
            )
        )
    out = pd.concat(rows, ignore_index=True)
    return out.sort_values(
        ["year", "type", "role", "degree", "node_size"], ascending=[True, True, True, False, False]
    ).reset_index(drop=True)


def largest_supplier_edges(network: pd.DataFrame) -> pd.DataFrame:
    """Edges of the largest-supplier graph: year, type, exporter, importer, flow, rank."""
    edges = network[network["importer"] != "TOTAL"].pivot_table(
        index=["year", "type", "exporter", "importer"], columns="indicator", values="value"
    )
    chosen = edges[edges["in_largest_supplier_graph"] > 0]
    out = chosen[["flow", "importer_share", "supplier_rank"]].reset_index()
    out["style"] = np.where(out["supplier_rank"] == 1, "solid", "dashed")
    return out
