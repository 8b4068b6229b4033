"""Supply-constrained model: a fixed point checked by hand, reduction to the Leontief supply cut
at full substitutability, options, validation and the batch API."""

from __future__ import annotations

import numpy as np
import pytest
from scenario_helpers import scenario

from chainatlas.core.model import MRIOModel
from chainatlas.scenarios import ScenarioError, parse_scenario, run_scenario, run_scenario_year
from chainatlas.scenarios.constrained import ConstrainedBatch

# 2 countries (H, F) x 2 sectors (a, b), output 100 everywhere. Input coefficients:
# H.a -> H.b 0.2, H.a -> F.a 0.1, F.a -> F.b 0.3 (nothing else), so final demand is
# H.a 70, H.b 100, F.a 70, F.b 100, each bought at home.
Z_HAND = np.array(
    [
        [0.0, 20.0, 10.0, 0.0],
        [0.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 30.0],
        [0.0, 0.0, 0.0, 0.0],
    ]
)
Y_HAND = np.array([[70.0, 0.0], [100.0, 0.0], [0.0, 70.0], [0.0, 100.0]])
CUT = {"suppliers": "H", "supplier_sectors": "a", "users": "F", "flows": "intermediate",
       "change": -0.5}  # fmt: skip


@pytest.fixture(scope="module")
def hand() -> MRIOModel:
    return MRIOModel.from_arrays(
        Z_HAND, Y_HAND, countries=["H", "F"], sectors=["a", "b"], fd_categories=["fd"],
        year=2011, source="test",
    )  # fmt: skip


def _run(model, **options):
    shock = {"id": "s", "kind": "supply_constrained", **CUT, **options}
    spec = parse_scenario({"table": {"source": "test", "year": 2011}, "shocks": [shock]})
    return run_scenario_year(spec, model)


def _gross(tables, column="change"):
    cs = tables["country_sector"]
    return cs[cs["measure"] == "gross_output"][column].to_numpy()


def test_hand_fixed_point_pure_leontief(hand):
    """By hand (σ = 0, proportional). Plan p (demand model, H.a -> F.a coefficient halved):
    p = (0.2·100 + 0.05·100 + 70, 100, 0.3·100 + 70, 100) = (95, 100, 100, 100).
    F.a gets 0.5 of its H.a order: θ_Fa = 0.5; F.b gets θ_Fa = 0.5 of its F.a order: θ_Fb = 0.5.
    Output = deliveries: H.a 20 + 0.5·10 + 70 = 95; H.b 100; F.a 0.5·(30 + 70) = 50;
    F.b 0.5·100 = 50. Check with the production function: F.a has 5 of H.a at 0.1 per unit
    -> 50; F.b has 15 of F.a at 0.3 per unit -> 50."""
    tables = _run(hand)
    np.testing.assert_allclose(_gross(tables, "new"), [95, 100, 50, 50], rtol=1e-12)
    binding = tables["binding_inputs"].set_index(["country", "sector"])
    assert set(binding.index) == {("F", "a"), ("F", "b")}
    assert binding.loc[("F", "a"), "binding_input_country"] == "H"
    assert binding.loc[("F", "a"), "binding_input_sector"] == "a"
    assert binding.loc[("F", "b"), "binding_input_sector"] == "a"
    assert binding.loc[("F", "b"), "binding_input_country"] == "F"
    np.testing.assert_allclose(binding["theta"], 0.5)
    # split: first round = the cut on H.a's sales (-5) and F.a's own shortage (-50); F.b's
    # loss comes from a domestic supplier: indirect domestic; nothing travels back abroad
    np.testing.assert_allclose(_gross(tables, "direct"), [-5, 0, -50, 0], atol=1e-12)
    np.testing.assert_allclose(_gross(tables, "indirect_domestic"), [0, 0, 0, -50], atol=1e-12)
    np.testing.assert_allclose(_gross(tables, "indirect_foreign"), 0, atol=1e-12)
    # value added at base VA ratios: H.a buys nothing (1), F.a buys 10 (0.9), F.b 30 (0.7)
    gdp = tables["country_sector"]
    gdp = gdp[gdp["measure"] == "gdp"]["change"].to_numpy()
    np.testing.assert_allclose(gdp, [-5 * 1.0, 0, -50 * 0.9, -50 * 0.7], rtol=1e-12)
    notes = " ".join(tables["notes"]["note"])
    assert "converged after 2 iteration(s)" in notes or "converged after 3 iteration(s)" in notes


def test_hand_partial_substitution(hand):
    """σ = 0.5: half of each shortfall is replaced. F.a: g(0.5) = 0.75 -> output
    0.75·(30 + 70) = 75 (5 of H.a + 2.5 replaced = 7.5 at 0.1 per unit); F.b: gets 22.5 of 30,
    g(0.75) = 0.875 -> 87.5."""
    tables = _run(hand, substitution=0.5)
    np.testing.assert_allclose(_gross(tables, "new"), [95, 100, 75, 87.5], rtol=1e-12)


def test_hand_final_demand_last(hand):
    """final_last: F.a can make 0.5·(30 + 70) = 50 and serves F.b's order (30) first, final
    demand gets 20; F.b is then not constrained and makes 100."""
    tables = _run(hand, rationing="final_last")
    np.testing.assert_allclose(_gross(tables, "new"), [95, 100, 50, 100], rtol=1e-12)
    tables = _run(hand, rationing="final_first")
    # final_first: F.a's 50 go to final demand (70 ordered) first, F.b gets nothing -> 0
    np.testing.assert_allclose(_gross(tables, "new"), [95, 100, 50, 0], atol=1e-12)


def test_full_substitution_is_the_leontief_supply_cut(wiod2011):
    cut = {"suppliers": "CHN", "users": "FOREIGN", "flows": "intermediate", "change": -0.02}
    other = {"suppliers": ["JPN", "KOR"], "supplier_sectors": "c14", "users": "CHN",
             "change": -1.0}  # fmt: skip
    shocks = []
    for name, selection in (("chn", cut), ("jk", other)):
        shocks.append({"id": f"{name}_leontief", "kind": "supply_cut", **selection})
        shocks.append(
            {"id": f"{name}_s1", "kind": "supply_constrained", "substitution": 1.0, **selection}
        )
    tables = run_scenario_year(parse_scenario(scenario(*shocks)), wiod2011)
    for table in ("country_sector", "country"):
        frame = tables[table]
        for name in ("chn", "jk"):
            a = frame[frame["shock"] == f"{name}_leontief"].reset_index(drop=True)
            b = frame[frame["shock"] == f"{name}_s1"].reset_index(drop=True)
            for column in ("new", "change", "direct", "indirect_domestic", "indirect_foreign"):
                scale = max(float(a[column].abs().max()), 1.0)
                gap = np.nanmax(np.abs(a[column].to_numpy() - b[column].to_numpy()))
                assert gap <= 1e-9 * scale, (table, name, column, gap)


def test_constrained_losses_exceed_leontief_and_fall_with_substitution(wiod2011):
    cut = {"suppliers": "CHN", "users": "FOREIGN", "flows": "intermediate", "change": -0.02}
    shocks = [{"id": "leontief", "kind": "supply_cut", **cut}] + [
        {"id": f"s{s}", "kind": "supply_constrained", "substitution": s, **cut}
        for s in (0.0, 0.5, 0.9)
    ]
    country = run_scenario_year(parse_scenario(scenario(*shocks)), wiod2011)["country"]
    exports = country[country["measure"] == "exports"]
    abroad = {
        sid: exports[(exports["shock"] == sid) & ~exports["country"].isin(["CHN", "ROW"])][
            "change"
        ].sum()
        for sid in ("leontief", "s0.0", "s0.5", "s0.9")
    }
    assert abroad["s0.0"] < abroad["s0.5"] < abroad["s0.9"] < abroad["leontief"] < 0
    # no producer can lose more than the cut share with σ = 0 and one 2% cut
    cs = run_scenario_year(parse_scenario(scenario(shocks[1])), wiod2011)["binding_inputs"]
    assert cs["theta"].min() >= 0.98 - 1e-12


def test_validation_lists_every_problem():
    bad = {"kind": "supply_constrained", "suppliers": "CHN", "change": 0.1,
           "substitution": 1.5, "rationing": "random", "tolerance": 0, "max_iterations": 0,
           "propagation": "ghosh"}  # fmt: skip
    with pytest.raises(ScenarioError) as err:
        parse_scenario(scenario(bad))
    text = str(err.value)
    for key in ("change", "substitution", "rationing", "tolerance", "max_iterations",
                "propagation"):  # fmt: skip
        assert f"shocks[1].{key}" in text, key


def test_run_writes_binding_inputs(hand, tmp_path):
    shock = {"id": "s", "kind": "supply_constrained", **CUT}
    result = run_scenario({"table": {"source": "test", "year": 2011}, "shocks": [shock]},
                          model=hand)  # fmt: skip
    written = {p.name for p in result.write(tmp_path, fmt="csv")}
    assert {"binding_inputs.csv", "country.csv", "summary.md"} <= written


def test_batch_equals_single_runs(wiod2011):
    cuts = [
        {"id": "chn2", "suppliers": "CHN", "flows": "intermediate", "change": -0.02},
        {"id": "jpn_c14", "suppliers": "JPN", "supplier_sectors": "c14", "users": "CHN",
         "change": -0.5, "substitution": 0.3},
        {"id": "deu_final_last", "suppliers": "DEU", "supplier_sectors": ["c13", "c15"],
         "users": "FOREIGN", "change": -0.2, "rationing": "final_last"},
    ]  # fmt: skip
    batch = ConstrainedBatch(wiod2011).run(cuts)
    for cut in cuts:
        shock = {k: v for k, v in cut.items() if k != "id"}
        shock.update(kind="supply_constrained", id=cut["id"])
        full = run_scenario_year(parse_scenario(scenario(shock)), wiod2011)["country"]
        ours = batch[batch["scenario"] == cut["id"]]
        for measure in ("gross_output", "gdp", "exports"):
            a = ours[ours["measure"] == measure].set_index("country")["change"]
            b = full[full["measure"] == measure].set_index("country")["change"]
            scale = max(b.abs().max(), 1.0)
            assert np.abs(a - b.loc[a.index]).max() <= 1e-8 * scale, (cut["id"], measure)
