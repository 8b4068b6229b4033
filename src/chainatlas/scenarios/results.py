"""Tidy result tables of a shock: changes by country-sector and country, ranks, splits.

Measures (all in the table's units, USD million for WIOD):

* ``gross_output`` x; ``gdp`` value added; ``exports`` gross exports e_s* (intermediate and
  final goods sold to other countries); ``vax`` value-added exports: VA of the country-sector
  absorbed by final demand abroad, Σ_{r≠s} (V̂BY)_{i,r} (Johnson & Noguera 2012; METHODS §3).

Split of each change (gross output, GDP): ``direct`` = the first-round impulse on the
country's own flows; ``indirect_domestic`` = its propagation inside the same country;
``indirect_foreign`` = what reaches the country through (and back from) other countries. For
exports only ``direct`` (the change in export flows at base output) and ``indirect`` exist.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.linalg

from chainatlas.core.model import MRIOModel
from chainatlas.scenarios.prices import PriceOutcome, final_goods_price_index
from chainatlas.scenarios.shocks import Outcome

MEASURES = ("gross_output", "gdp", "exports", "vax")
# Columns of the country_sector and country tables, after scenario/shock/kind/year.
QUANTITY_COLUMNS = (
    "country",
    "sector",
    "measure",
    "base",
    "new",
    "change",
    "pct_change",
    "direct",
    "indirect",
    "indirect_domestic",
    "indirect_foreign",
    "share_of_world_change",
    "rank_abs_change",
    "rank_pct_change",
    "value",
)


def foreign_mask_columns(model: MRIOModel) -> np.ndarray:
    """(GN, GN) bool: column country differs from row country."""
    own = model.country_of_row
    return own[:, None] != own[None, :]


def exports_from(model: MRIOModel, A: np.ndarray, x: np.ndarray, Y_full: np.ndarray) -> np.ndarray:
    """Gross exports of each country-sector from coefficients, output and final demand."""
    G, N, F = model.G, model.N, model.F
    Z_to_country = (A * x[None, :]).reshape(model.GN, G, N).sum(axis=2)
    Y_to_country = Y_full.reshape(model.GN, G, F).sum(axis=2)
    E = Z_to_country + Y_to_country
    E[np.arange(model.GN), model.country_of_row] = 0.0
    return E.sum(axis=1)


def vax_by_row(model: MRIOModel, v: np.ndarray, by: np.ndarray) -> np.ndarray:
    """Σ_{r≠s(i)} v_i (BY)_{i,r}: value added of i absorbed abroad, (GN,)."""
    vby = v[:, None] * by
    return vby.sum(axis=1) - vby[np.arange(model.GN), model.country_of_row]


def base_measures(model: MRIOModel) -> dict[str, np.ndarray]:
    """Base-table measures by country-sector (cached on the call site)."""
    by = model.leontief_solve(np.asarray(model.Y))
    return {
        "gross_output": np.asarray(model.x),
        "gdp": np.asarray(model.va),
        "exports": np.asarray(model.total_exports),
        "vax": vax_by_row(model, model.v, by),
    }


def outcome_measures(model: MRIOModel, outcome: Outcome) -> dict[str, np.ndarray]:
    """Counterfactual measures by country-sector."""
    G, F = model.G, model.F
    Y_new = outcome.Y_full_new.reshape(model.GN, G, F).sum(axis=2)
    if outcome.solver is not None:
        by = outcome.solver.solve(Y_new)
    else:
        lu = scipy.linalg.lu_factor(np.eye(model.GN) - outcome.A_new, check_finite=False)
        by = scipy.linalg.lu_solve(lu, Y_new, check_finite=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        v_new = np.where(outcome.x_new != 0, outcome.va_new / outcome.x_new, 0.0)
    return {
        "gross_output": outcome.x_new,
        "gdp": outcome.va_new,
        "exports": exports_from(model, outcome.A_new, outcome.x_new, outcome.Y_full_new),
        "vax": vax_by_row(model, v_new, by),
    }


def _export_direct(model: MRIOModel, outcome: Outcome) -> np.ndarray:
    if outcome.exports_direct is not None:
        return outcome.exports_direct
    if outcome.model_kind != "leontief":
        return np.full(model.GN, np.nan)
    return exports_from(model, outcome.A_new, model.x, outcome.Y_full_new) - model.total_exports


def _pct(change: np.ndarray, base: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(base != 0, 100.0 * change / np.where(base != 0, base, 1.0), np.nan)


def quantity_tables(
    model: MRIOModel,
    outcome: Outcome,
    base: dict[str, np.ndarray],
    labels: dict[str, object],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(country_sector, country) long tables for one quantity shock."""
    new = outcome_measures(model, outcome)
    nan = np.full(model.GN, np.nan)
    dva = outcome.va_new - model.va
    splits = {
        "gross_output": (
            outcome.impulse,
            outcome.local - outcome.impulse,
            outcome.dx - outcome.local,
        ),
        "gdp": (outcome.va_impulse, outcome.va_local - outcome.va_impulse, dva - outcome.va_local),
        "exports": (_export_direct(model, outcome), nan, nan),
        "vax": (nan, nan, nan),
    }
    # Exact changes (not new − base, which loses digits for tiny shocks) where we have them.
    exact_change = {"gross_output": outcome.dx, "gdp": dva}
    frames = []
    countries = np.repeat(model.countries, model.N)
    sectors = np.tile(model.sectors, model.G)
    for measure in MEASURES:
        change = exact_change.get(measure, new[measure] - base[measure])
        direct, domestic, foreign = splits[measure]
        frames.append(
            pd.DataFrame(
                {
                    "country": countries,
                    "sector": sectors,
                    "measure": measure,
                    "base": base[measure],
                    "new": base[measure] + change,
                    "change": change,
                    "direct": direct,
                    "indirect_domestic": domestic,
                    "indirect_foreign": foreign,
                }
            )
        )
    cs = pd.concat(frames, ignore_index=True)
    country = (
        cs.groupby(["measure", "country"], sort=False)[
            ["base", "new", "change", "direct", "indirect_domestic", "indirect_foreign"]
        ]
        .sum(min_count=1)
        .reset_index()
    )
    cs["pct_change"] = _pct(cs["change"].to_numpy(), cs["base"].to_numpy())
    cs["indirect"] = cs["change"] - cs["direct"]
    country["pct_change"] = _pct(country["change"].to_numpy(), country["base"].to_numpy())
    country["indirect"] = country["change"] - country["direct"]
    country = add_shares_and_ranks(country)
    # `value` repeats the headline number for tools that read one value column (web viewer)
    cs["value"] = cs["change"]
    country["value"] = country["change"]
    # The column order of docs/scenarios.md: keys, then base/new/change/pct, then the split.
    cs = cs[[c for c in QUANTITY_COLUMNS if c in cs.columns]]
    country = country[[c for c in QUANTITY_COLUMNS if c in country.columns]]
    return _label(cs, labels), _label(country, labels)


def add_shares_and_ranks(country: pd.DataFrame) -> pd.DataFrame:
    """Share of the world change and ranks by |change| and |%| (RoW never ranked)."""
    out = []
    for _, frame in country.groupby("measure", sort=False):
        frame = frame.copy()
        total = frame["change"].sum()
        frame["share_of_world_change"] = frame["change"] / total if total != 0 else np.nan
        ranked = frame["country"] != "ROW"
        frame["rank_abs_change"] = np.nan
        frame["rank_pct_change"] = np.nan
        frame.loc[ranked, "rank_abs_change"] = (
            frame.loc[ranked, "change"].abs().rank(ascending=False, method="min")
        )
        frame.loc[ranked, "rank_pct_change"] = (
            frame.loc[ranked, "pct_change"].abs().rank(ascending=False, method="min")
        )
        out.append(frame)
    return pd.concat(out, ignore_index=True)


def group_table(country: pd.DataFrame, groups: list[tuple[str, list[str], str]]) -> pd.DataFrame:
    """Member sums per group (METHODS §8 rule 3: Σ numerators / Σ denominators)."""
    rows = []
    value_cols = [
        "base",
        "new",
        "change",
        "direct",
        "indirect",
        "indirect_domestic",
        "indirect_foreign",
    ]
    keys = [c for c in ("scenario", "shock", "kind", "year") if c in country.columns]
    for name, members, note in groups:
        subset = country[country["country"].isin(members)]
        summed = (
            subset.groupby([*keys, "measure"], sort=False)[value_cols]
            .sum(min_count=1)
            .reset_index()
        )
        summed.insert(len(keys), "group", name)
        summed["members"] = ",".join(members)
        summed["membership_note"] = note
        rows.append(summed)
    if not rows:
        return pd.DataFrame()
    table = pd.concat(rows, ignore_index=True)
    table["pct_change"] = _pct(table["change"].to_numpy(), table["base"].to_numpy())
    table["value"] = table["change"]
    ordered = [*keys, "group", "measure", "base", "new", "change", "pct_change"]
    ordered += [*value_cols[3:], "members", "membership_note", "value"]
    return table[ordered]


def price_tables(
    model: MRIOModel, outcome: PriceOutcome, labels: dict[str, object]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(prices_country_sector, prices_country) for one tariff shock."""
    p = outcome.cost_index
    cs = pd.DataFrame(
        {
            "country": np.repeat(model.countries, model.N),
            "sector": np.tile(model.sectors, model.G),
            "cost_index": p,
            "cost_change_pct": 100.0 * (p - 1.0),
            "direct": outcome.direct,
            "indirect_domestic": outcome.local - outcome.direct,
            "indirect_foreign": p - 1.0 - outcome.local,
            "gross_output": model.x,
        }
    )
    cs["value"] = cs["cost_change_pct"]
    x_by_country = model.x.reshape(model.G, model.N)
    with np.errstate(divide="ignore", invalid="ignore"):
        output_index = (p.reshape(model.G, model.N) * x_by_country).sum(axis=1) / x_by_country.sum(
            axis=1
        )
    final = final_goods_price_index(model, outcome)
    # Tariff base × rate on each importer's purchases at base quantities.
    fd_importer = np.repeat(np.arange(model.G), model.F)
    final_cost = np.bincount(
        fd_importer, weights=(model.Y_full * outcome.final_tariff).sum(axis=0), minlength=model.G
    )
    country = pd.DataFrame(
        {
            "country": model.countries,
            "output_cost_index": output_index,
            "final_goods_price_index": final["final_goods_price_index"],
            "imported_final_goods_price_index": final["imported_final_goods_price_index"],
            "tariff_on_final_goods": final_cost,
        }
    )
    country["output_cost_change_pct"] = 100.0 * (country["output_cost_index"] - 1.0)
    country["value"] = country["output_cost_change_pct"]
    country["rank_output_cost"] = np.nan
    ranked = country["country"] != "ROW"
    country.loc[ranked, "rank_output_cost"] = (
        (country.loc[ranked, "output_cost_index"] - 1.0).abs().rank(ascending=False, method="min")
    )
    return _label(cs, labels), _label(country, labels)


def _label(frame: pd.DataFrame, labels: dict[str, object]) -> pd.DataFrame:
    for i, (name, value) in enumerate(labels.items()):
        frame.insert(i, name, value)
    return frame
