"""Batch supply cuts (Sherman–Morrison–Woodbury) equal full re-solves of the shocked table."""

from __future__ import annotations

import numpy as np
import pytest
from scenario_helpers import scenario

from chainatlas.scenarios import (
    ScenarioError,
    SupplyCutBatch,
    parse_scenario,
    run_scenario_year,
)

CUTS = [
    {"id": "chn_int_2pct", "suppliers": "CHN", "change": -0.02, "flows": "intermediate"},
    {"id": "jk_c14_to_chn", "suppliers": ["JPN", "KOR"], "supplier_sectors": ["c14"],
     "users": "CHN", "change": -1.0},
    {"id": "usa_final_to_eu", "suppliers": "USA", "supplier_sectors": ["c15", "c9"],
     "users": ["DEU", "FRA"], "flows": "final", "change": -0.5},
    {"id": "deu_incl_domestic", "suppliers": "DEU", "supplier_sectors": ["c13"],
     "users": ["DEU", "POL"], "user_sectors": ["c15"], "change": 0.3},
]  # fmt: skip


def test_batch_equals_full_solve(wiod2011):
    m = wiod2011
    batch = SupplyCutBatch(m).run(CUTS)
    for cut in CUTS:
        shock = {k: v for k, v in cut.items() if k != "id"}
        shock.update(kind="supply_cut", id=cut["id"])
        full = run_scenario_year(parse_scenario(scenario(shock)), m)["country"]
        ours = batch[batch["scenario"] == cut["id"]]
        for measure in ("gross_output", "gdp", "exports", "vax"):
            a = ours[ours["measure"] == measure].set_index("country")["change"]
            b = full[full["measure"] == measure].set_index("country")["change"]
            scale = max(b.abs().max(), 1.0)
            assert np.abs(a - b.loc[a.index]).max() <= 1e-8 * scale, (cut["id"], measure)
            base_a = ours[ours["measure"] == measure].set_index("country")["base"]
            base_b = full[full["measure"] == measure].set_index("country")["base"]
            assert np.abs(base_a - base_b.loc[base_a.index]).max() <= 1e-8 * base_b.abs().max()


def test_batch_zero_cut_is_zero(wiod2011):
    out = SupplyCutBatch(wiod2011).run([{"suppliers": "CHN", "change": 0.0}])
    assert out["change"].abs().max() <= 1e-9 * out["base"].abs().max()


def test_batch_validates_all_cuts_first(wiod2011):
    with pytest.raises(ScenarioError) as info:
        SupplyCutBatch(wiod2011).run(
            [{"suppliers": "CHN", "change": -0.1}, {"suppliers": "XXX", "change": -2}]
        )
    text = str(info.value)
    assert "shocks[2].change" in text
