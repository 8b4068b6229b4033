"""Shock models on the real WIOD 2011 table (METHODS §14), checked against independent algebra.

Independent checks use dense NumPy solves of the textbook formulas (Miller & Blair 2009
ch. 2, 12), never numbers produced by the scenario engine itself.
"""

from __future__ import annotations

import numpy as np
import pytest
from scenario_helpers import scenario

from chainatlas.scenarios import parse_scenario, resolve_shocks, run_scenario_year
from chainatlas.scenarios.prices import tariff_prices
from chainatlas.scenarios.shocks import QUANTITY_SHOCKS, counterfactual_model

REL = 1e-9


def resolved(model, shock: dict):
    spec = parse_scenario(scenario(shock, year=model.year))
    (one,) = resolve_shocks(spec, model)
    return dict(one.params)


def apply(model, shock: dict):
    return QUANTITY_SHOCKS[shock["kind"]](model, resolved(model, shock))


def rel_err(a, b) -> float:
    scale = max(np.abs(b).max(), 1.0)
    return float(np.abs(np.asarray(a) - np.asarray(b)).max() / scale)


ZERO_SHOCKS = [
    {"kind": "demand", "countries": "CHN", "change": 0.0},
    {"kind": "supply", "countries": ["JPN", "KOR"], "sectors": ["c14"], "change": 0.0},
    {"kind": "supply_cut", "suppliers": "CHN", "change": 0.0},
    {"kind": "supply_cut", "suppliers": "CHN", "change": 0.0, "flows": "intermediate",
     "propagation": "ghosh"},
    {"kind": "relocation", "country": "CHN", "sectors": ["c4", "c14"], "share": 0.0,
     "destinations": ["IDN", "IND", "MEX"]},
    {"kind": "extraction", "countries": [], "mode": "total"},
    {"kind": "extraction", "countries": [], "mode": "backward"},
    {"kind": "extraction", "countries": [], "mode": "forward"},
]  # fmt: skip


@pytest.mark.parametrize("shock", ZERO_SHOCKS, ids=lambda s: f"{s['kind']}-{s.get('mode', '')}")
def test_zero_shock_gives_zero_change(wiod2011, shock):
    spec = parse_scenario(scenario(shock))
    tables = run_scenario_year(spec, wiod2011)
    for name in ("country", "country_sector"):
        frame = tables[name]
        scale = frame["base"].abs().max()
        assert frame["change"].abs().max() <= REL * scale, (name, frame["change"].abs().max())
        split = frame[["direct", "indirect_domestic", "indirect_foreign"]].abs().max().max()
        assert not split > REL * scale


def test_demand_shock_is_B_times_delta_y(wiod2011):
    m = wiod2011
    shock = {"kind": "demand", "countries": "USA", "sectors": ["c15"],
             "destinations": ["USA", "CAN"], "categories": ["c37"], "change": -0.1}  # fmt: skip
    outcome = apply(m, shock)
    dy = np.zeros(m.GN)
    row = m.country_slice("USA").start + m.sector_position("c15")
    for dest in ("USA", "CAN"):
        dy[row] += -0.1 * m.Y_full[row, m.country_position(dest) * m.F + 0]
    assert rel_err(outcome.dx, m.B @ dy) <= REL
    assert rel_err(outcome.va_new - m.va, m.v * (m.B @ dy)) <= REL
    # the three-way split adds up exactly
    parts = outcome.impulse + (outcome.local - outcome.impulse) + (outcome.dx - outcome.local)
    assert rel_err(parts, outcome.dx) <= 1e-12


def test_demand_amount_distributed_over_base_cells(wiod2011):
    m = wiod2011
    outcome = apply(m, {"kind": "demand", "countries": "CHN", "destinations": "USA",
                        "amount": -1000.0})  # fmt: skip
    assert outcome.Y_full_new.sum() - m.Y_full.sum() == pytest.approx(-1000.0, rel=1e-9)
    assert (outcome.Y_full_new.sum(axis=1) - m.y).sum() == pytest.approx(-1000.0, rel=1e-9)


def test_supply_shock_is_ghosh_allocation(wiod2011):
    m = wiod2011
    outcome = apply(m, {"kind": "supply", "countries": "CHN", "sectors": ["c2"], "change": -0.1})
    dva = np.zeros(m.GN)
    row = m.country_slice("CHN").start + m.sector_position("c2")
    dva[row] = -0.1 * m.va[row]
    G = m.Z * m.inverse_output[:, None]
    expected = np.linalg.solve((np.eye(m.GN) - G).T, dva)  # Δx' = Δva'(I − Ĝ)⁻¹
    assert rel_err(outcome.dx, expected) <= REL
    new = counterfactual_model(m, outcome)  # balanced: x = Z1 + Y1 and va = x − Z'1
    assert new.validation.max_relative_gap <= 1e-9
    assert rel_err(new.va, m.va + dva) <= 1e-9
    assert any("Oosterhaven" in n for n in outcome.notes)


@pytest.mark.parametrize("mode", ["total", "backward", "forward"])
def test_extraction_matches_miller_blair(wiod2011, mode):
    m = wiod2011
    outcome = apply(m, {"kind": "extraction", "countries": ["CHN"], "sectors": ["c14"],
                        "mode": mode})  # fmt: skip
    K = [m.country_slice("CHN").start + m.sector_position("c14")]
    outside = np.setdiff1d(np.arange(m.GN), K)
    eye = np.eye(m.GN)
    if mode == "forward":
        G = m.Z * m.inverse_output[:, None]
        G[np.ix_(K, outside)] = 0.0
        x_bar = np.linalg.solve((eye - G).T, m.va)
    else:
        A = np.array(m.A)
        y = np.array(m.y)
        if mode == "total":
            A[K, :] = 0.0
            A[:, K] = 0.0
            y[K] = 0.0
        else:
            A[np.ix_(outside, K)] = 0.0
        x_bar = np.linalg.solve(eye - A, y)
    assert rel_err(outcome.x_new, x_bar) <= REL
    loss = m.x.sum() - x_bar.sum()
    assert loss > 0  # extracting China's electronics lowers world output in every variant
    if mode == "total":
        assert outcome.x_new[K[0]] == pytest.approx(0.0, abs=1e-6)


def test_supply_cut_and_its_inverse_compose_back(wiod2011):
    m = wiod2011
    cut = {"kind": "supply_cut", "suppliers": "CHN", "change": -0.02}
    first = apply(m, cut)
    shocked = counterfactual_model(m, first)
    back = QUANTITY_SHOCKS["supply_cut"](shocked, {**resolved(m, cut), "factor": 1.0 / 0.98})
    assert rel_err(back.x_new, m.x) <= REL
    assert rel_err(back.Y_full_new, m.Y_full) <= REL
    assert rel_err(back.A_new, m.A) <= REL


def test_demand_shock_and_its_inverse_compose_back(wiod2011):
    m = wiod2011
    up = {"kind": "demand", "countries": "DEU", "sectors": ["c15"], "change": 0.25}
    first = apply(m, up)
    shocked = counterfactual_model(m, first)
    down = {**up, "change": 1.0 / 1.25 - 1.0}
    back = QUANTITY_SHOCKS["demand"](shocked, resolved(shocked, down))
    assert rel_err(back.x_new, m.x) <= REL


def test_ghosh_supply_shock_and_its_inverse_compose_back(wiod2011):
    m = wiod2011
    up = {"kind": "supply", "countries": "KOR", "change": 0.1}
    shocked = counterfactual_model(m, apply(m, up))
    back = QUANTITY_SHOCKS["supply"](shocked, resolved(shocked, {**up, "change": 1 / 1.1 - 1}))
    assert rel_err(back.x_new, m.x) <= REL
    assert rel_err(back.va_new, m.va) <= REL


def test_supply_cut_matches_dense_solve_and_direct_effect(wiod2011):
    m = wiod2011
    outcome = apply(m, {"kind": "supply_cut", "suppliers": "CHN", "change": -0.02,
                        "flows": "intermediate"})  # fmt: skip
    chn = m.country_slice("CHN")
    A = np.array(m.A)
    foreign_cols = np.ones(m.GN, bool)
    foreign_cols[chn] = False
    A[chn, foreign_cols] *= 0.98
    x_new = np.linalg.solve(np.eye(m.GN) - A, m.y)
    assert rel_err(outcome.x_new, x_new) <= REL
    # first round on China = 2% of its intermediate exports, exactly
    direct = outcome.impulse[chn].sum()
    assert direct == pytest.approx(-0.02 * m.Z[chn][:, foreign_cols].sum(), rel=1e-12)


def test_relocation_keeps_table_balanced_and_conserves_final_demand(wiod2011):
    m = wiod2011
    shock = {"kind": "relocation", "country": "CHN", "sectors": ["c4", "c14"], "share": 0.2,
             "destinations": ["IDN", "IND", "MEX"]}  # fmt: skip
    outcome = apply(m, shock)
    assert outcome.Y_full_new.sum() == pytest.approx(m.Y_full.sum(), rel=1e-12)
    # world final demand by destination country and category is unchanged
    assert rel_err(outcome.Y_full_new.sum(axis=0), m.Y_full.sum(axis=0)) <= 1e-12
    Z_new = outcome.A_new * outcome.x_new[None, :]
    rows = Z_new.sum(axis=1) + outcome.Y_full_new.sum(axis=1)
    assert rel_err(rows, outcome.x_new) <= REL  # x = Z1 + y
    cols = Z_new.sum(axis=0) + outcome.va_new
    assert rel_err(cols, outcome.x_new) <= REL  # x' = u'Z + va
    assert outcome.va_new.sum() == pytest.approx(m.Y_full.sum(), rel=1e-9)  # GDP = FD
    # China's c4/c14 exports fall by ~20% directly; destinations gain the same amount
    chn_rows = [m.country_slice("CHN").start + m.sector_position(s) for s in ("c4", "c14")]
    moved = 0.2 * m.total_exports[chn_rows].sum()
    assert outcome.impulse[chn_rows].sum() == pytest.approx(-moved, rel=1e-9)
    gained = sum(
        outcome.impulse[m.country_slice(c).start + m.sector_position(s)]
        for c in ("IDN", "IND", "MEX") for s in ("c4", "c14")
    )  # fmt: skip
    assert gained == pytest.approx(moved, rel=1e-9)


def test_tariff_zero_rates_give_unit_cost_indices(wiod2011):
    params = resolved(wiod2011, {"kind": "tariff", "rates": [
        {"exporters": "CHN", "importers": "USA", "rate": 0.0}]})  # fmt: skip
    outcome = tariff_prices(wiod2011, params["entries"])
    assert np.abs(outcome.cost_index - 1.0).max() <= 1e-12


def test_tariff_costs_rise_monotonically_with_rates(wiod2011):
    m = wiod2011
    previous = np.ones(m.GN)
    usa = m.country_slice("USA")
    buys_inputs = np.flatnonzero(m.A[:, usa].sum(axis=0) > 0) + usa.start  # not USA.c35
    assert len(buys_inputs) >= m.N - 1
    for rate in (0.05, 0.1, 0.25, 0.5):
        params = resolved(m, {"kind": "tariff", "rates": [
            {"exporters": "CHN", "importers": "USA", "rate": rate}]})  # fmt: skip
        outcome = tariff_prices(m, params["entries"])
        assert np.all(outcome.cost_index >= previous - 1e-12)
        assert np.all(outcome.cost_index[buys_inputs] > previous[buys_inputs])
        previous = outcome.cost_index
        # independent: pᵀ = pᵀÃ + vᵀ with Ã = A(1 + τ) on CHN -> USA cells
        At = np.array(m.A)
        At[m.country_slice("CHN"), usa] *= 1 + rate
        p = np.linalg.solve((np.eye(m.GN) - At).T, m.v)
        # (zero-output sectors have v = 0 and no base price of 1; compare where x > 0)
        producing = m.x > 0
        assert rel_err(outcome.cost_index[producing], p[producing]) <= REL


def test_results_tables_identities(wiod2011):
    """VAX and GDP in the result tables obey METHODS §2–3 on the counterfactual table."""
    m = wiod2011
    shock = {"kind": "relocation", "country": "CHN", "sectors": ["c14"], "share": 0.5,
             "destinations": ["MEX"]}  # fmt: skip
    tables = run_scenario_year(parse_scenario(scenario(shock)), m)
    country = tables["country"].pivot(index="country", columns="measure", values="new")
    outcome = apply(m, shock)
    Y_new = outcome.Y_full_new.reshape(m.GN, m.G, m.F).sum(axis=2)
    T = m.v[:, None] * np.linalg.solve(np.eye(m.GN) - outcome.A_new, Y_new)
    T = T.reshape(m.G, m.N, m.G).sum(axis=1)
    vax = T.sum(axis=1) - np.diag(T)
    assert rel_err(country.loc[list(m.countries), "vax"].to_numpy(), vax) <= REL
    gdp = country.loc[list(m.countries), "gdp"].to_numpy()
    assert rel_err(gdp, T.sum(axis=1)) <= REL  # GDP_s = Σ_r T_sr
    # split columns add up to the change for output and GDP
    frame = tables["country"]
    qty = frame[frame["measure"].isin(["gross_output", "gdp"])]
    total = qty["direct"] + qty["indirect_domestic"] + qty["indirect_foreign"]
    assert np.abs(total - qty["change"]).max() <= 1e-6 * qty["base"].abs().max()
    ranks = frame[frame["measure"] == "exports"]
    assert ranks.loc[ranks["country"] == "ROW", "rank_abs_change"].isna().all()
    assert ranks["rank_abs_change"].min() == 1


def test_shock_beyond_the_linear_model_is_flagged(small):
    # Scaling every input coefficient of the small table 6-fold makes column sums of A exceed
    # 1: the Leontief system has no non-negative solution, and the result must say so.
    assert small.A.sum(axis=0).min() * 6 > 1
    raw = {"table": {"source": "test", "year": 2011},
           "shocks": [{"kind": "supply_cut", "suppliers": "ALL", "users": "ALL", "change": 5.0,
                       "flows": "intermediate"}]}  # fmt: skip
    (shock,) = resolve_shocks(parse_scenario(raw), small)
    outcome = QUANTITY_SHOCKS["supply_cut"](small, dict(shock.params))
    assert (outcome.x_new < 0).any()
    assert any(n.startswith("WARNING") and "negative output" in n for n in outcome.notes)
    calm = QUANTITY_SHOCKS["supply_cut"](small, {**shock.params, "factor": 0.5})
    assert not any(n.startswith("WARNING") for n in calm.notes)
