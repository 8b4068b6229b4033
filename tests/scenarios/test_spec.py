"""Scenario-file validation: every problem reported once, with file and TOML key path."""

from __future__ import annotations

import pytest

from chainatlas.scenarios import ScenarioError, check_scenario, load_scenario, parse_scenario
from chainatlas.scenarios.spec import resolve_shocks


def problems_of(raw, model=None) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        if model is None:
            parse_scenario(raw, origin="file.toml")
        else:
            check_scenario(raw, model=model)
    return info.value.problems


def test_structural_problems_are_all_collected_with_key_paths():
    raw = {
        "table": {"source": "wiod2013", "year": 2011},
        "outputs": {"tables": ["country", "nonsense"], "top": 0, "groups": ["NEA"]},
        "shocks": [
            {"kind": "relocation", "country": "CHN", "sectors": ["c4"], "share": 1.5,
             "destinations": ["IDN"]},
            {"kind": "supply_cut", "suppliers": "JPN", "flows": "both", "propagation": "ghosh"},
            {"kind": "teleport"},
            {"kind": "demand", "change": -0.1, "amount": 5.0},
            {"kind": "demand", "change": -1.5, "colour": "red"},
            {"kind": "tariff", "rates": [{"exporters": "CHN", "importers": "USA", "rate": -0.1,
                                          "coverage": 2.0}]},
            {"kind": "relocation", "country": "CHN", "sectors": ["c4"], "share": 0.2,
             "destinations": ["IDN", "IND"], "weights": [0.5, 0.6]},
        ],
    }  # fmt: skip
    problems = problems_of(raw)
    text = "\n".join(problems)
    expected = [
        "outputs.tables[2]: unknown output table 'nonsense'",
        "outputs.top: expected a positive integer",
        "outputs.groups: groups are listed but outputs.tables leaves out",
        "shocks[1].share: is a share and must lie in [0, 1], got 1.5",
        'shocks[2].flows: propagation = "ghosh" needs flows = "intermediate"',
        "shocks[3].kind: must be one of demand",
        "shocks[4]: give exactly one of change",
        "shocks[5].change: a relative change cannot be below -1",
        "shocks[5].colour: unknown key for a demand shock",
        "shocks[6].rates[1].rate: an ad-valorem tariff cannot be negative",
        "shocks[6].rates[1].coverage: is a share and must lie in [0, 1], got 2",
        "shocks[7].weights: shares must sum to 1",
    ]
    for fragment in expected:
        assert fragment in text, fragment
    assert len(problems) == len(expected)


def test_error_message_names_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[table]\nsource = "wiod2013"\nyear = 2011\n[[shocks]]\nkind = "x"\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(path) in str(info.value) and "shocks[1].kind" in str(info.value)


def test_toml_syntax_error_names_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[table\nsource = 1\n")
    with pytest.raises(ScenarioError.__mro__[1]) as info:  # ValidationError
        load_scenario(path)
    assert str(path) in str(info.value) and "not valid TOML" in str(info.value)


def test_missing_table_and_shocks():
    problems = problems_of({})
    assert any(p.startswith("table:") for p in problems)
    assert any(p.startswith("shocks:") for p in problems)


def test_labels_checked_against_the_table(small):
    raw = {
        "table": {"source": "test", "year": 2011},
        "shocks": [
            {"kind": "supply_cut", "suppliers": ["CHN", "XYZ"], "supplier_sectors": ["s9"]},
            {"kind": "demand", "countries": "USA", "categories": ["hh", "gov"], "change": 0.1},
            {"kind": "relocation", "country": "CHN", "sectors": ["s1"], "share": 0.2,
             "destinations": ["VNM", "USA"]},
            {"kind": "supply", "countries": "DEU", "sectors": "s2", "change": 0.2},
            {"kind": "bogus"},
        ],
    }  # fmt: skip
    problems = problems_of(raw, model=small)
    text = "\n".join(problems)
    assert "shocks[1].suppliers[2]: unknown country or group 'XYZ'" in text
    assert "shocks[1].supplier_sectors: unknown sector 's9'" in text
    assert "shocks[2].categories[2]: unknown final-demand category 'gov'" in text
    assert "shocks[3].destinations[1]: unknown country or group 'VNM'" in text
    assert "shocks[5].kind" in text  # structural and label problems in one report
    assert len(problems) == 5


def test_relocation_skip_missing_destination_is_noted(small):
    raw = {
        "table": {"source": "test", "year": 2011},
        "shocks": [{"kind": "relocation", "country": "CHN", "sectors": ["s1"], "share": 0.2,
                    "destinations": ["VNM", "USA"], "on_missing": "skip"}],
    }  # fmt: skip
    (shock,) = resolve_shocks(parse_scenario(raw), small)
    assert list(shock.params["destinations"]) == [small.country_position("USA")]
    assert any("VNM is not in test 2011" in note for note in shock.notes)


def test_tariff_coverage_over_one_on_a_flow_is_rejected(small):
    rate = {"exporters": "CHN", "importers": "USA", "rate": 0.25}
    raw = {
        "table": {"source": "test", "year": 2011},
        "shocks": [{"kind": "tariff", "rates": [
            {**rate, "coverage": {"s1": 0.7}},
            {**rate, "coverage": {"s1": 0.4, "s2": 0.1}},
        ]}],
    }  # fmt: skip
    (problem,) = problems_of(raw, model=small)
    assert "coverage shares of one flow add to more than 1 (1.1 for CHN.s1 -> USA" in problem


def test_tariff_sectors_and_coverage_table_are_exclusive():
    raw = {
        "table": {"source": "test", "year": 2011},
        "shocks": [{"kind": "tariff", "rates": [
            {"exporters": "CHN", "importers": "USA", "rate": 0.1, "sectors": ["s1"],
             "coverage": {"s1": 0.5}},
        ]}],
    }  # fmt: skip
    (problem,) = problems_of(raw)
    assert problem.startswith("shocks[1].rates[1].sectors: give either sectors or")


def test_groups_expand_to_present_members(wiod2011):
    raw = {
        "table": {"source": "wiod2013", "year": 2011},
        "shocks": [{"kind": "supply_cut", "suppliers": "CHN", "users": ["EU27"], "change": -0.1}],
    }
    (shock,) = resolve_shocks(parse_scenario(raw), wiod2011)
    users = {wiod2011.countries[c // wiod2011.N] for c in shock.params["user_columns"]}
    assert "DEU" in users and "FRA" in users and "GBR" not in users and "CHN" not in users
    assert len(users) == 26  # EU27 without HRV, which WIOD 2013 lacks
    assert any("missing HRV" in note for note in shock.notes)


def test_foreign_keyword_and_data_dependent_checks(small):
    raw = {
        "table": {"source": "test", "year": 2011},
        "shocks": [
            {"kind": "demand", "countries": "CHN", "destinations": "FOREIGN", "change": -0.1},
            {"kind": "tariff", "rates": [{"exporters": "CHN", "importers": "FOREIGN",
                                          "rate": 0.1}]},
            {"kind": "supply_cut", "suppliers": "USA", "propagation": "ghosh", "change": -0.5},
        ],
    }  # fmt: skip
    demand, tariff, cut = resolve_shocks(parse_scenario(raw), small)
    F = small.F
    destinations = {c // F for c in demand.params["fd_columns"]}
    assert destinations == {1, 2, 3}  # every country but CHN
    assert set(tariff.params["entries"][0]["importers"]) == {1, 2, 3}
    assert cut.params["flows"] == "intermediate"  # Ghosh's default


def test_demand_amount_on_empty_cells_is_a_validation_problem(small):
    import dataclasses

    import numpy as np

    Y = np.array(small.Y_full)
    Y[0, :] = 0.0
    Y.setflags(write=False)
    empty = dataclasses.replace(small, Y_full=Y)
    raw = {
        "table": {"source": "test", "year": 2011},
        "shocks": [{"kind": "demand", "countries": "CHN", "sectors": "s1", "amount": 5.0}],
    }
    (problem,) = problems_of(raw, model=empty)
    assert problem.startswith("shocks[1].amount: the selected final-demand cells are all 0")


def test_supply_cut_by_every_country_to_foreign_users_is_rejected(small):
    """suppliers = ALL with the default users = FOREIGN cuts nothing; it used to pass the
    check and report zero change everywhere."""
    raw = {
        "table": {"source": "test", "year": 2011},
        "shocks": [{"kind": "supply_cut", "suppliers": "ALL", "change": -0.1}],
    }
    problems = problems_of(raw, small)
    assert len(problems) == 1
    assert problems[0].startswith("shocks[1].users: FOREIGN leaves no user country")
    # Naming the users (or using FOREIGN with a proper subset of suppliers) is fine.
    raw["shocks"][0]["users"] = ["CHN"]
    check_scenario(raw, model=small)
    raw["shocks"][0].update(suppliers=["CHN", "USA"], users="FOREIGN")
    (cut,) = resolve_shocks(parse_scenario(raw), small)
    N = small.N
    assert {c // N for c in cut.params["user_columns"]} == {2, 3}  # DEU, ROW


def test_unknown_group_lists_the_known_groups(small):
    raw = {
        "table": {"source": "test", "year": 2011},
        "shocks": [{"kind": "demand", "countries": "EU-27x", "change": -0.1}],
    }
    (problem,) = problems_of(raw, small)
    assert problem.startswith("shocks[1].countries: unknown country or group 'EU-27x'")
    assert "has CHN, USA, DEU, ROW; groups: NEA, " in problem and "EU27" in problem
