"""Dynamic recovery through boario's ARIO model: the event, the weekly tables and the chart."""

from __future__ import annotations

import numpy as np
import pytest
from scenario_helpers import scenario

from chainatlas.scenarios import ScenarioError, parse_scenario, run_scenario

pytest.importorskip("boario", reason="boario is in the dev extra; CI installs it")

EVENT = {"kind": "dynamic", "countries": "CHN", "sectors": ["s1"], "capacity_loss": 0.3,
         "weeks": 16}  # fmt: skip


def _small_spec(*shocks):
    return {"table": {"source": "test", "year": 2011}, "shocks": list(shocks)}


@pytest.fixture(scope="module")
def runs(small):
    return run_scenario(
        _small_spec(
            {"id": "recover", **EVENT, "event": "recovery", "recovery_weeks": 8},
            {"id": "rebuild", **EVENT, "event": "rebuild", "rebuilding_sectors": {"s2": 1.0}},
        ),
        model=small,
    )


def test_capacity_loss_and_recovery(runs, small):
    cs = runs.tables["dynamic_country_sector"]
    hit = cs[(cs["shock"] == "recover") & (cs["country"] == "CHN") & (cs["sector"] == "s1")]
    capacity = hit[hit["measure"] == "production_capacity"].set_index("week")["value"]
    weekly_base = small.x[0] / 52  # CHN.s1 is row 0; every flow of the table is positive
    assert capacity.loc[1] == pytest.approx(weekly_base, rel=1e-9)
    # 30% of the capital destroyed: capacity 70% of the weekly base right after the event
    assert capacity.loc[2] == pytest.approx(0.7 * weekly_base, rel=1e-9)
    # linear recovery over 8 weeks: the capital is back before the run ends; capacity may
    # exceed the base by the overproduction factor (at most 1.25)
    assert weekly_base * (1 - 1e-9) <= capacity.loc[16] <= 1.25 * weekly_base
    assert capacity.loc[6] > capacity.loc[3]
    country = runs.tables["dynamic_country"]
    production = country[(country["shock"] == "recover") & (country["measure"] == "production")]
    assert production["change"].sum() < 0
    unmet = country[(country["shock"] == "recover") & (country["measure"] == "final_demand_unmet")]
    assert (unmet["value"] >= -1e-9).all() and unmet["value"].sum() > 0
    # the country table adds up the country-sector table
    week3 = cs[(cs["shock"] == "recover") & (cs["week"] == 3) & (cs["measure"] == "production")]
    ours = production[production["week"] == 3].set_index("country")["value"]
    np.testing.assert_allclose(
        ours, week3.groupby("country", sort=False)["value"].sum(), rtol=1e-12
    )


def test_rebuild_event_and_chart(runs, tmp_path):
    rebuild = runs.tables["dynamic_country"]
    assert set(rebuild["shock"]) == {"recover", "rebuild"}
    assert set(runs.charts) == {"dynamic_recover_2011.html", "dynamic_rebuild_2011.html"}
    written = {p.name for p in runs.write(tmp_path, fmt="csv")}
    assert {"dynamic_country.csv", "dynamic_country_sector.csv", "dynamic_rebuild_2011.html"} <= (
        written
    )
    html = (tmp_path / "dynamic_rebuild_2011.html").read_text(encoding="utf-8")
    assert "plotly" in html and "Production, % change" in html
    assert "Weekly ARIO run over 16 weeks" in runs.summary_markdown


def test_dynamic_validation(small):
    bad = [
        {"kind": "dynamic", "countries": "CHN", "capacity_loss": 1.5, "event": "rebuild"},
        {"kind": "dynamic", "capacity_loss": 0.1, "event": "recovery",
         "rebuilding_sectors": {"s1": 1.0}, "weeks": 1},
    ]  # fmt: skip
    with pytest.raises(ScenarioError) as err:
        parse_scenario(_small_spec(*bad))
    text = str(err.value)
    for key in ("shocks[1].capacity_loss", "shocks[1].rebuilding_sectors", "shocks[2].countries",
                "shocks[2].rebuilding_sectors", "shocks[2].weeks"):  # fmt: skip
        assert key in text, key
    with pytest.raises(ScenarioError) as err:
        run_scenario(
            _small_spec({**EVENT, "event": "rebuild", "rebuilding_sectors": {"c18": 1.0}}),
            model=small,
        )
    assert "shocks[1].rebuilding_sectors.c18" in str(err.value)


def test_wiod_runs_all_1435_sectors(wiod2011):
    spec = scenario(
        {"id": "chn_c14", "kind": "dynamic", "countries": "CHN", "sectors": "c14",
         "capacity_loss": 0.2, "weeks": 6, "event": "recovery", "recovery_weeks": 4},
    )  # fmt: skip
    result = run_scenario(spec, model=wiod2011)
    cs = result.tables["dynamic_country_sector"]
    assert cs["country"].nunique() == 41 and len(cs) == 3 * 6 * 1435
    notes = " ".join(result.tables["notes"]["note"])
    assert "negative final-demand cell(s)" in notes  # the adapter says what it changed
