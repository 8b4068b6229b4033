"""Tariff lists given as HS codes: coverage from a small trade store, checked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hs_helpers import build_store, hand_coverage, shared

from chainatlas.core.model import MRIOModel
from chainatlas.scenarios import ScenarioError, run_scenario
from chainatlas.scenarios.hs_tariffs import read_hs_file


@pytest.fixture(scope="module")
def setting(tmp_path_factory):
    from chainatlas.trade.bridge import isic_sector_map

    concordances, wiod = shared("data/concordances"), shared("data/wiod2013")
    db = build_store(tmp_path_factory.mktemp("hs"), concordances)
    mapping = isic_sector_map("wiod2013", concordance_dir=concordances, wiod_dir=wiod)
    sector_of = mapping.set_index("hs6")["sector"].to_dict()
    rng = np.random.default_rng(3)
    countries, sectors = ["CHN", "USA", "DEU", "ROW"], [f"c{i}" for i in range(1, 36)]
    GN = len(countries) * len(sectors)
    model = MRIOModel.from_arrays(
        rng.uniform(1.0, 10.0, (GN, GN)), rng.uniform(5.0, 30.0, (GN, 2 * len(countries))),
        countries=countries, sectors=sectors, fd_categories=["hh", "inv"], year=2011,
        source="wiod2013",
    )  # fmt: skip
    trade = {"store": str(db), "concordances": str(concordances), "wiod_dir": str(wiod)}
    return model, trade, sector_of


def _spec(trade: dict, *rates: dict) -> dict:
    return {"table": {"source": "wiod2013", "year": 2011}, "trade": trade,
            "shocks": [{"id": "hs", "kind": "tariff", "rates": list(rates)}]}  # fmt: skip


def test_coverage_and_cost_push_by_hand(setting):
    model, trade, sector_of = setting
    codes = ["8471", "870323", "10"]  # an HS4 heading, an HS6 line, an HS2 chapter
    rate = {"label": "list A", "exporters": ["CHN"], "importers": ["USA", "DEU"],
            "rate": 0.25, "hs_codes": codes}  # fmt: skip
    result = run_scenario(_spec(trade, rate), model=model)
    cov = result.tables["tariff_coverage"]
    for column, importer in ((1, "USA"), (2, "DEU")):
        expected = hand_coverage(codes, sector_of, column)
        ours = cov[cov["importer"] == importer].set_index("sector")["coverage"]
        assert set(ours.index) == set(expected)
        for sector, share in expected.items():
            assert ours[sector] == pytest.approx(share, rel=1e-12), (importer, sector)
    usa = cov[cov["importer"] == "USA"].set_index("sector")
    c15 = sector_of["870323"]
    assert usa.loc[c15, "total"] == pytest.approx(1000 * (1000 + 500), rel=1e-12)  # USD
    assert usa.loc[c15, "effective_rate"] == pytest.approx(0.25 * usa.loc[c15, "coverage"])
    # direct cost push on USA users: c_j = Σ_i τ_ij a_ij over CHN's covered sectors
    cs = result.tables["prices_country_sector"].set_index(["country", "sector"])["direct"]
    N = model.N
    for importer, column in (("USA", 1), ("DEU", 2)):
        m = model.countries.index(importer)
        shares = hand_coverage(codes, sector_of, column)
        expected = sum(0.25 * share * model.A[int(s[1:]) - 1, m * N : (m + 1) * N]
                       for s, share in shares.items())  # fmt: skip
        np.testing.assert_allclose(cs.loc[importer].to_numpy(), expected, rtol=1e-12)
    assert (cs.loc["ROW"] == 0).all() and (cs.loc["CHN"] == 0).all()
    notes = " ".join(result.tables["notes"]["note"])
    assert "list A: 3 HS code(s)" in notes and "HS17 2011" in notes


def test_missing_pair_is_an_error_naming_it(setting):
    model, trade, _ = setting
    rate = {"exporters": ["CHN"], "importers": ["USA", "ROW"], "rate": 0.1, "hs_codes": ["84"]}
    with pytest.raises(ScenarioError) as err:
        run_scenario(_spec(trade, rate), model=model)
    lines = [p for p in err.value.problems if "CHN to ROW" in p]
    assert len(lines) == 1 and "\n" not in lines[0]
    assert "shocks[1].rates[1].hs_codes" in lines[0] and "no HS17 2011 flows" in lines[0]
    # skip: a one-line note, the pair untaxed, the other pair taxed
    result = run_scenario(_spec(trade, {**rate, "missing_trade": "skip"}), model=model)
    notes = list(result.tables["notes"]["note"])
    assert sum("CHN to ROW" in n for n in notes) == 1
    cs = result.tables["prices_country_sector"].set_index(["country", "sector"])["direct"]
    assert (cs.loc["ROW"] == 0).all() and (cs.loc["USA"] > 0).any()


def test_overlapping_lists_and_validation(setting, tmp_path):
    model, trade, _ = setting
    a = {"exporters": ["CHN"], "importers": ["USA"], "rate": 0.25, "hs_codes": ["8471"]}
    with pytest.raises(ScenarioError, match="add to more than 1"):
        run_scenario(_spec(trade, a, {**a, "hs_codes": ["847130"]}), model=model)
    bad = {"exporters": ["CHN"], "importers": ["USA"], "rate": 0.1, "hs_codes": [8471, "847"],
           "coverage": 0.5}  # fmt: skip
    with pytest.raises(ScenarioError) as err:
        run_scenario(_spec(trade, bad), model=model)
    text = str(err.value)
    for key in ("rates[1].hs_codes[1]: write HS codes as strings", "rates[1].hs_codes[2]",
                "rates[1].coverage: give either hs_codes"):  # fmt: skip
        assert key in text, key
    no_store = {**trade, "store": str(tmp_path / "nowhere.duckdb")}
    with pytest.raises(ScenarioError, match="trade store not found"):
        run_scenario(_spec(no_store, a), model=model)


def test_hs_list_files(tmp_path):
    plain = tmp_path / "list.txt"
    plain.write_text("# a published list\n8471.30.01\n0904  pepper\n\n85\n")
    assert read_hs_file(plain) == ["8471.30.01", "0904", "85"]
    table = tmp_path / "list.csv"
    table.write_text("HTS,description\n8471.30.01,laptops\n0904,pepper\n")
    assert read_hs_file(table) == ["8471.30.01", "0904"]
    broken = tmp_path / "broken.txt"
    broken.write_text("8471\n847\n")
    with pytest.raises(Exception, match="code 2 of the list"):
        read_hs_file(broken)
