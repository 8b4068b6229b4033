"""Shocks and scenarios on MRIO tables (METHODS §14).

Scenario files (TOML) name a base table, a list of shocks and the outputs wanted; see
docs/scenarios.md. Python use::

    from chainatlas.scenarios import run_scenario
    result = run_scenario("examples/scenarios/china_intermediates_minus2.toml", path="...")
    result.tables["country"]; print(result.summary_markdown)

Shock kinds: demand (Leontief), supply (Ghosh), extraction (total/backward/forward), supply_cut,
relocation, tariff (Leontief price model; rates by sector or as HS-code lists weighted by a
trade store, :mod:`.hs_tariffs`), supply_constrained (non-substitutable inputs, fixed
point; :mod:`.constrained`) and dynamic (boario's ARIO, weekly; :mod:`.dynamic`). Many supply
cuts on one table: :class:`SupplyCutBatch` (Sherman–Morrison–Woodbury on the base inverse) and
:class:`ConstrainedBatch`.
"""

from __future__ import annotations

from chainatlas.scenarios.batch import SupplyCutBatch, run_supply_cuts
from chainatlas.scenarios.constrained import ConstrainedBatch
from chainatlas.scenarios.hs_tariffs import TradeSpec
from chainatlas.scenarios.runner import (
    ScenarioResult,
    ScenarioYearMapper,
    check_scenario,
    run_scenario,
    run_scenario_year,
)
from chainatlas.scenarios.spec import (
    OUTPUT_TABLES,
    SHOCK_KINDS,
    ScenarioError,
    ScenarioSpec,
    load_scenario,
    parse_scenario,
    resolve_shocks,
)

__all__ = [
    "OUTPUT_TABLES",
    "SHOCK_KINDS",
    "ConstrainedBatch",
    "ScenarioError",
    "ScenarioResult",
    "ScenarioSpec",
    "ScenarioYearMapper",
    "SupplyCutBatch",
    "TradeSpec",
    "check_scenario",
    "load_scenario",
    "parse_scenario",
    "resolve_shocks",
    "run_scenario",
    "run_scenario_year",
    "run_supply_cuts",
]
