"""Many small supply-cut scenarios on one table without refactorising (I − A).

A supply cut scales rows K (the supplier's selected sectors) of A on the users' columns, so
A₁ = A + P_K D with D a k×GN matrix (k = |K|). By Sherman–Morrison–Woodbury,

    (I − A − P_K D)⁻¹ = B + B_K (I_k − D B_K)⁻¹ D B,      B_K = B[:, K],

so each scenario needs only products with the k columns B_K of the base inverse and one k×k
solve: Δx = B_K [Δy_K + S⁻¹ D (x + B_K Δy_K)], S = I_k − D B_K. Value-added exports use the same
identity on BY. The base B and BY are formed once per table (one LU, reused).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from chainatlas.core.model import MRIOModel
from chainatlas.errors import ChainAtlasError
from chainatlas.scenarios.spec import ScenarioError, parse_scenario, resolve_shocks


class SupplyCutBatch:
    """Country-level effects of many Leontief supply cuts on one base table."""

    def __init__(self, model: MRIOModel):
        self.model = model
        G, N = model.G, model.N
        self.B = model.B  # one LU of (I − A), cached on the model
        self.Y = np.asarray(model.Y)
        self.BY = self.B @ self.Y  # (GN, G)
        own = model.country_of_row
        self.foreign_cols = own[:, None] != own[None, :]  # (GN, GN)
        # W[s, c] = Σ_{i∈s} A_ic for s ≠ country(c): exports of s per unit of output of c.
        # Country-level export changes need only W Δx (G×GN), not a GN×GN product.
        self.export_weights = np.where(
            np.arange(G)[:, None] != own[None, :], model.A.reshape(G, N, model.GN).sum(axis=1), 0.0
        )
        self.foreign_dest = own[:, None] != np.arange(G)[None, :]  # (GN, G)
        self.fd_country = np.repeat(np.arange(G), model.F)  # (G*F,)
        vby = model.v[:, None] * self.BY
        self.base = {
            "gross_output": _by_country(model.x, G, N),
            "gdp": _by_country(model.va, G, N),
            "exports": _by_country(model.total_exports, G, N),
            "vax": _by_country(np.where(self.foreign_dest, vby, 0.0).sum(axis=1), G, N),
        }

    def effect(self, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """Changes by country (G,) for one resolved supply cut (see spec._resolve_supply_cut)."""
        if params.get("propagation", "leontief") != "leontief":
            raise ChainAtlasError("the batch API runs Leontief supply cuts only")
        model = self.model
        G, N, GN = model.G, model.N, model.GN
        K = np.asarray(params["supplier_rows"], dtype=np.intp)
        cols = np.asarray(params["user_columns"], dtype=np.intp)
        fd_cols = np.asarray(params["user_fd_columns"], dtype=np.intp)
        delta = params["factor"] - 1.0
        flows = params.get("flows", "both")
        k = K.size
        D = np.zeros((k, GN))
        if flows in ("intermediate", "both") and k and cols.size:
            D[:, cols] = delta * model.A[np.ix_(K, cols)]
        dY_K = np.zeros((k, G))  # change in final demand of rows K by destination country
        if flows in ("final", "both") and k and fd_cols.size:
            dY_cells = delta * model.Y_full[np.ix_(K, fd_cols)]
            np.add.at(dY_K.T, self.fd_country[fd_cols], dY_cells.T)
        B_K = self.B[:, K]
        S = np.eye(k) - D @ B_K
        dy_K = dY_K.sum(axis=1)
        x_mid = model.x + B_K @ dy_K
        BY_mid = self.BY + B_K @ dY_K
        rhs = D @ np.column_stack([x_mid, BY_mid])  # (k, 1 + G)
        solved = np.linalg.solve(S, rhs) if k else rhs
        dx = B_K @ (dy_K + solved[:, 0])
        dBY = B_K @ (dY_K + solved[:, 1:])
        x_new = model.x + dx
        # ΔE = A_F Δx + (ΔA)_F x₁ + ΔY_F, summed by exporting country
        dE = self.export_weights @ dx
        if k:
            dE_K = (D * self.foreign_cols[K]) @ x_new
            dE_K += np.where(self.foreign_dest[K], dY_K, 0.0).sum(axis=1)
            np.add.at(dE, model.country_of_row[K], dE_K)
        dvax = model.v * np.where(self.foreign_dest, dBY, 0.0).sum(axis=1)
        return {
            "gross_output": _by_country(dx, G, N),
            "gdp": _by_country(model.v * dx, G, N),
            "exports": dE,
            "vax": _by_country(dvax, G, N),
        }

    def run(self, cuts: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
        """Run supply cuts written like ``[[shocks]]`` entries of kind supply_cut.

        Each mapping takes the supply_cut keys (suppliers, supplier_sectors, users,
        user_sectors, change, flows) and an optional id. All are validated first; problems
        are reported together. Returns a long table: scenario, country, measure, base, change,
        pct_change.
        """
        resolved = resolve_cuts(self.model, cuts)
        G = self.model.G
        measures = list(self.base)
        changes = np.empty((len(resolved), len(measures), G))
        for n, (_, params) in enumerate(resolved):
            effect = self.effect(params)
            for m_index, measure in enumerate(measures):
                changes[n, m_index] = effect[measure]
        base = np.broadcast_to(np.stack([self.base[m] for m in measures]), changes.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = np.where(base != 0, 100 * changes / np.where(base != 0, base, 1), np.nan)
        n_rows = changes.size
        return pd.DataFrame(
            {
                "scenario": np.repeat([shock_id for shock_id, _ in resolved], len(measures) * G),
                "country": np.tile(self.model.countries, n_rows // G),
                "measure": np.tile(np.repeat(measures, G), len(resolved)),
                "base": base.reshape(-1),
                "change": changes.reshape(-1),
                "pct_change": pct.reshape(-1),
            }
        )


def resolve_cuts(model: MRIOModel, cuts: Sequence[Mapping[str, Any]]) -> list[tuple[str, dict]]:
    """Validate supply-cut dicts against ``model``; returns (id, resolved params) pairs."""
    shocks = []
    for i, cut in enumerate(cuts, 1):
        entry = dict(cut)
        entry.setdefault("kind", "supply_cut")
        entry.setdefault("id", f"cut{i}")
        if entry["kind"] != "supply_cut":
            raise ScenarioError([f"shocks[{i}].kind: the batch API takes supply_cut only"])
        shocks.append(entry)
    spec = parse_scenario(
        {"table": {"source": model.source, "year": model.year or 0}, "shocks": shocks},
        origin="batch",
    )
    return [(r.spec.id, dict(r.params)) for r in resolve_shocks(spec, model)]


def run_supply_cuts(model: MRIOModel, cuts: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Convenience: :class:`SupplyCutBatch` (model).run(cuts)."""
    return SupplyCutBatch(model).run(cuts)


def _by_country(values: np.ndarray, G: int, N: int) -> np.ndarray:
    return values.reshape(G, N).sum(axis=1)
