"""Tariff cost-push through the Leontief price model (Miller & Blair 2009 §2.6).

With base prices all 1, pᵀ = pᵀA + vᵀ. An ad-valorem tariff τ_ij on the flow from country-sector
i to user j (an importer's sector) raises the cost of that input to p_i(1 + τ_ij):

    p_j = Σ_i p_i (1 + τ_ij) a_ij + v_j   ⇒   (I − Ãᵀ) Δp = c,  c_j = Σ_i τ_ij a_ij,

with Ã = A ⊙ (1 + T). c is the first-round (direct) cost increase; Δp − c is passed on through
supply chains. The local (block-diagonal) inverse splits that into propagation inside the
user's country and propagation through other countries. Final-goods price index of country r:
P_r = Σ_i p_i (1 + τ^F_ir) Y_ir / Σ_i Y_ir.

Limits: full pass-through of costs, fixed input coefficients (no switching of suppliers), no
demand response, value added per unit unchanged; tariffs are applied to flows at basic prices
as the table records them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chainatlas.core.model import MRIOModel
from chainatlas.scenarios.lowrank import ShockedLeontief
from chainatlas.scenarios.shocks import _local_solve

PRICE_NOTE = (
    "Leontief price model: full pass-through of tariff costs, fixed input coefficients (no "
    "switching of suppliers), no demand or exchange-rate response, unchanged value added per "
    "unit; tariffs applied to the table's basic-price flows. Cost indices are upper bounds of "
    "the cost-push, not forecasts of prices."
)


@dataclass
class PriceOutcome:
    cost_index: np.ndarray  # (GN,) p: 1 = base
    direct: np.ndarray  # (GN,) c: first-round cost increase
    local: np.ndarray  # (GN,) L₁ c: direct + propagation inside the country
    final_tariff: np.ndarray  # (GN, G*F) ad-valorem rate on each final-demand cell
    intermediate_tariff_cost: float  # Σ τ_ij z_ij at base quantities (tariff base × rate)
    final_tariff_cost: float
    notes: list[str] = field(default_factory=lambda: [PRICE_NOTE])


def tariff_matrices(model: MRIOModel, entries: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Effective rates on intermediate cells (GN, GN) and on final-demand cells (GN, G*F).

    Each entry adds rate × coverage to its flows (coverage = share of the flow the tariff line
    covers), so several lists on one flow add up to a trade-weighted effective rate.
    """
    N, F = model.N, model.F
    T_int = np.zeros((model.GN, model.GN))
    T_fin = np.zeros((model.GN, model.G * F))
    for entry in entries:
        effective = entry["rate"] * np.broadcast_to(entry["coverage"], entry["rows"].shape)
        rows = entry["rows"]
        users = (entry["importers"][:, None] * N + entry["user_sectors"][None, :]).reshape(-1)
        fd = (entry["importers"][:, None] * F + np.arange(F)[None, :]).reshape(-1)
        T_int[np.ix_(rows, users)] += effective[:, None]
        T_fin[np.ix_(rows, fd)] += effective[:, None]
    return T_int, T_fin


def tariff_prices(model: MRIOModel, entries: list[dict]) -> PriceOutcome:
    T_int, T_fin = tariff_matrices(model, entries)
    A_tariff = model.A * (1.0 + T_int)
    direct = (model.A * T_int).sum(axis=0)  # c_j = Σ_i τ_ij a_ij
    taxed_rows = np.flatnonzero(T_int.any(axis=1))
    dp = ShockedLeontief(model, A_tariff, rows=taxed_rows).solve_transposed(direct)
    local = _local_solve(np.ascontiguousarray(A_tariff.T), direct, model.G, model.N)
    return PriceOutcome(
        cost_index=1.0 + dp,
        direct=direct,
        local=local,
        final_tariff=T_fin,
        intermediate_tariff_cost=float((model.Z * T_int).sum()),
        final_tariff_cost=float((model.Y_full * T_fin).sum()),
    )


def final_goods_price_index(model: MRIOModel, outcome: PriceOutcome) -> dict[str, np.ndarray]:
    """Per country of final use (G,): all final goods, imported final goods; NaN if no base."""
    G, F = model.G, model.F
    priced = outcome.cost_index[:, None] * (1.0 + outcome.final_tariff) * model.Y_full
    value_new = priced.reshape(model.GN, G, F).sum(axis=2)  # (GN, G)
    value_base = model.Y
    own = model.country_of_row[:, None] == np.arange(G)[None, :]
    out = {}
    for name, mask in (
        ("final_goods_price_index", np.ones_like(own)),
        ("imported_final_goods_price_index", ~own),
    ):
        num = np.where(mask, value_new, 0.0).sum(axis=0)
        den = np.where(mask, value_base, 0.0).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[name] = np.where(den != 0, num / np.where(den != 0, den, 1.0), np.nan)
    return out
