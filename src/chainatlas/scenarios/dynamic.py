"""Dynamic recovery after a capacity loss, through boario's ARIO model (Hallegatte 2008, 2014;
Guan et al. 2020; boario: Juhel 2023, https://spjuhel.github.io/BoARIO).

ARIO runs an MRIO table forward in time steps: an event destroys a share of some industries'
productive capital, so their production capacity falls; producers hold input inventories
(``inventory_weeks`` of use), can over-produce up to ``overproduction_max`` × capacity (reached
with characteristic time ``overproduction_weeks``), ration their buyers when short, and the
destroyed capital is either rebuilt — a rebuilding demand on ``rebuilding_sectors`` met over
``rebuild_weeks`` — or recovers exogenously over ``recovery_weeks``. We do not re-implement
any of this: the shock is handed to boario (optional extra ``chainatlas[dynamic]``).

The table is passed as a pymrio IOSystem (:func:`to_pymrio_system`, built on the general
:meth:`MRIOModel.to_pymrio` of ``chainatlas.sources.pymrio_io``). ARIO needs
non-negative flows and output: negative final-demand cells (inventory draw-downs) are set to 0
and rows with zero or negative output are emptied; output is then recomputed as the row totals
of the adapted table. Both adaptations are counted in the run's notes. One time step is one
week: the annual table is divided by 52 (``iotable_year_to_temporal_unit_factor``).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from chainatlas.core.model import MRIOModel
from chainatlas.errors import ChainAtlasError

WEEKS_PER_YEAR = 52
DYNAMIC_NOTE = (
    "dynamic ARIO model (boario): production capacity lost with the destroyed capital, input "
    "inventories, overproduction and rebuilding (or exogenous recovery) over weekly steps; the "
    "weekly base is the annual table / 52; final demand unmet is the final demand not "
    "delivered in the week"
)


@dataclass
class DynamicRun:
    """Weekly series of one ARIO run (weeks × GN arrays) and the adapter's notes."""

    production: np.ndarray
    capacity: np.ndarray
    final_demand_unmet: np.ndarray
    base_production: np.ndarray  # weekly base output of the adapted table
    seconds: float
    notes: list[str] = field(default_factory=list)


def _require_boario():
    try:
        import boario  # noqa: F401
        import pymrio  # noqa: F401
    except ImportError as exc:  # the optional extra is missing
        raise ChainAtlasError(
            f"dynamic scenarios need boario and pymrio ({exc.name} is not installed): "
            "pip install 'chainatlas[dynamic]'"
        ) from None


def to_pymrio_system(model: MRIOModel) -> tuple[Any, list[str]]:
    """A pymrio IOSystem of ``model`` adapted for ARIO (see module doc); returns (system, notes).

    Built on :meth:`MRIOModel.to_pymrio` (``region``/``sector`` index levels, as boario
    expects); ARIO's own needs are added here: negative final demand set to 0, idle rows
    emptied, output recomputed as row totals, A from the adapted flows, no extensions.
    """
    import pymrio

    system = model.to_pymrio()
    for name in list(system.get_extensions()):  # ARIO reads none; keeps the copy small
        system.remove_extension(name)
    Z = system.Z.to_numpy(dtype=float, copy=True)
    Y = system.Y.to_numpy(dtype=float, copy=True)
    x = system.x["indout"].to_numpy(dtype=float, copy=True)
    notes = []
    negative_y = Y < 0
    if negative_y.any():
        notes.append(
            f"ARIO adapter: {int(negative_y.sum())} negative final-demand cell(s) (inventory "
            f"draw-downs, together {Y[negative_y].sum():,.0f} {model.units}) set to 0"
        )
        Y[negative_y] = 0.0
    idle = x <= 0
    if idle.any():
        notes.append(
            f"ARIO adapter: {int(idle.sum())} country-sector(s) with zero or negative output "
            "emptied (no sales, no purchases)"
        )
        Z[idle, :] = 0.0
        Z[:, idle] = 0.0
        Y[idle, :] = 0.0
    x_adapted = Z.sum(axis=1) + Y.sum(axis=1)
    gap = float(np.abs(x_adapted - np.where(idle, 0.0, x)).sum())
    if gap:
        notes.append(
            f"ARIO adapter: output recomputed as row totals; Σ|Δx| = {gap:,.0f} "
            f"({100 * gap / max(float(np.abs(x).sum()), 1.0):.3f}% of world output)"
        )
    rows = system.Z.index
    system.Z = pd.DataFrame(Z, index=rows, columns=system.Z.columns)
    system.Y = pd.DataFrame(Y, index=system.Y.index, columns=system.Y.columns)
    system.x = pd.DataFrame({"indout": x_adapted}, index=rows)
    system.A = pymrio.calc_A(system.Z, system.x)
    return system, notes


def run_dynamic(model: MRIOModel, p: Mapping[str, Any]) -> DynamicRun:
    """Run one capacity-loss event through boario for ``p['weeks']`` weekly steps."""
    import time

    _require_boario()
    from boario import event as boario_event
    from boario.extended_models import ARIOPsiModel
    from boario.simulation import Simulation

    start = time.perf_counter()
    system, notes = to_pymrio_system(model)
    logging.getLogger("boario").setLevel(logging.ERROR)
    monetary = 10**6  # boario's unit scale; events use the same, so it cancels
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ario = ARIOPsiModel(
            system,
            order_type="alt",
            alpha_base=1.0,
            alpha_max=float(p["overproduction_max"]),
            alpha_tau=int(p["overproduction_weeks"]),
            rebuild_tau=int(p["rebuild_weeks"]),
            main_inv_dur=int(p["inventory_weeks"]),
            monetary_factor=monetary,
            temporal_units_by_step=1,
            iotable_year_to_temporal_unit_factor=WEEKS_PER_YEAR,
            productive_capital_to_VA_dict={s: float(p["capital_to_va"]) for s in model.sectors},
        )
        industries = pd.MultiIndex.from_tuples(list(ario.industries), names=["region", "sector"])
        capital = pd.Series(ario.productive_capital, index=industries)
        rows = np.asarray(p["rows"], dtype=np.intp)
        hit = pd.MultiIndex.from_arrays(
            [
                [model.countries[i // model.N] for i in rows],
                [model.sectors[i % model.N] for i in rows],
            ],
            names=["region", "sector"],
        )
        impact = capital.reindex(hit).fillna(0.0) * float(p["capacity_loss"])
        impact = impact[impact > 0]
        if impact.empty:
            raise ChainAtlasError(
                "the dynamic event hits no productive capital (the selected country-sectors "
                "have no value added)"
            )
        if p["event"] == "rebuild":
            ev = boario_event.from_series(
                impact,
                event_type="rebuild",
                occurrence=1,
                duration=1,
                rebuild_tau=int(p["rebuild_weeks"]),
                rebuilding_sectors=dict(p["rebuilding_sectors"]),
                event_monetary_factor=monetary,
            )
        else:
            ev = boario_event.from_series(
                impact,
                event_type="recovery",
                occurrence=1,
                duration=1,
                recovery_tau=int(p["recovery_weeks"]),
                event_monetary_factor=monetary,
            )
        sim = Simulation(ario, n_temporal_units_to_sim=int(p["weeks"]))
        sim.add_event(ev)
        try:
            sim.loop()
        except Exception as exc:  # boario raises RuntimeError/ValueError/AssertionError
            cause = exc.__cause__ or exc
            raise ChainAtlasError(f"boario's ARIO run failed: {cause}") from None
    order = pd.MultiIndex.from_arrays(
        [np.repeat(model.countries, model.N), np.tile(model.sectors, model.G)],
        names=["region", "sector"],
    )

    def frame(table: pd.DataFrame) -> np.ndarray:
        table = table.copy()
        table.columns = pd.MultiIndex.from_tuples(list(table.columns), names=["region", "sector"])
        return table.reindex(columns=order).to_numpy(dtype=float)

    production = frame(sim.production_realised)
    capacity = frame(sim.production_capacity)
    unmet = frame(sim.final_demand_unmet)
    base = system.x["indout"].reindex(order).to_numpy(dtype=float) / WEEKS_PER_YEAR
    notes = [DYNAMIC_NOTE, *notes]
    notes.append(
        f"event: {p['event']}, {100 * float(p['capacity_loss']):g}% of the productive capital "
        f"of {len(impact)} country-sector(s) destroyed in week 1 ("
        f"{float(impact.sum()):,.0f} {model.units}; capital = {float(p['capital_to_va']):g} × "
        f"annual VA); inventories {p['inventory_weeks']} weeks, overproduction up to "
        f"{float(p['overproduction_max']):g}× over {p['overproduction_weeks']} weeks; "
        f"{p['weeks']} weekly steps"
    )
    return DynamicRun(
        production=production,
        capacity=capacity,
        final_demand_unmet=unmet,
        base_production=base,
        seconds=time.perf_counter() - start,
        notes=notes,
    )


def dynamic_tables(
    model: MRIOModel, run: DynamicRun, labels: dict[str, object]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(dynamic_country_sector, dynamic_country): long weekly series.

    Measures: ``production`` (realised), ``production_capacity``, ``final_demand_unmet``;
    ``base`` is the weekly base (output / 52; 0 for unmet demand), ``change`` = value − base.
    """
    weeks, GN = run.production.shape
    countries = np.repeat(model.countries, model.N)
    sectors = np.tile(model.sectors, model.G)
    base = np.broadcast_to(run.base_production, (weeks, GN))
    measures = {
        "production": (run.production, base),
        "production_capacity": (run.capacity, base),
        "final_demand_unmet": (run.final_demand_unmet, np.zeros((weeks, GN))),
    }
    frames = []
    for measure, (values, reference) in measures.items():
        frames.append(
            pd.DataFrame(
                {
                    "week": np.repeat(np.arange(1, weeks + 1), GN),
                    "country": np.tile(countries, weeks),
                    "sector": np.tile(sectors, weeks),
                    "measure": measure,
                    "base": reference.reshape(-1),
                    "value": values.reshape(-1),
                }
            )
        )
    cs = pd.concat(frames, ignore_index=True)
    cs["change"] = cs["value"] - cs["base"]
    country = (
        cs.groupby(["week", "country", "measure"], sort=False)[["base", "value", "change"]]
        .sum()
        .reset_index()
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        country["pct_change"] = np.where(
            country["base"] != 0, 100 * country["change"] / country["base"], np.nan
        )
    for frame in (cs, country):
        for i, (name, value) in enumerate(labels.items()):
            frame.insert(i, name, value)
    return cs, country


def weekly_totals(country: pd.DataFrame, measure: str = "production") -> pd.DataFrame:
    """Σ over the run of ``change`` by country for one measure (the run's cumulative loss)."""
    subset = country[country["measure"] == measure]
    return subset.groupby("country", sort=False)["change"].sum().reset_index()
