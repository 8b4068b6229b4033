"""The ``map_years`` hooks the execution adapters use: whatever computes the years, the
panel's cross-year rules (indicators) and the assembly and summary (scenarios) are the
packages' own, applied once."""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainatlas.core.model import MRIOModel


def small_model(seed: int = 7) -> MRIOModel:
    """4 countries x 3 sectors x 2 final-demand categories, strictly positive flows."""
    rng = np.random.default_rng(seed)
    countries, sectors, categories = ["CHN", "USA", "DEU", "ROW"], ["s1", "s2", "s3"], ["hh", "inv"]
    gn = len(countries) * len(sectors)
    Z = rng.uniform(1.0, 10.0, (gn, gn))
    Y_full = rng.uniform(5.0, 30.0, (gn, len(countries) * len(categories)))
    return MRIOModel.from_arrays(
        Z, Y_full, countries=countries, sectors=sectors, fd_categories=categories,
        year=2011, source="test",
    )  # fmt: skip


def test_indicator_panel_with_a_mapper_equals_the_in_process_loop(wiod_loader):
    from chainatlas.indicators.sets import indicator_panel, indicator_year

    sets, groups, years = ["length", "participation"], ["NEA", "ASEAN-9"], [2010, 2011]
    expected = indicator_panel(years, wiod_loader, sets, groups)
    seen: list[int] = []

    def elsewhere(year_record, years_asked):
        # what a backend does: the records from indicator_year on each table, not the closure
        assert list(years_asked) == years
        return [indicator_year(wiod_loader(y), sets, groups, {}) for y in years_asked]

    got = indicator_panel(years, wiod_loader, sets, groups, on_year=seen.append,
                          map_years=elsewhere)  # fmt: skip
    assert seen == years
    # the cross-year set and the groups frame come from indicator_panel, not the mapper
    assert list(got) == list(expected) == ["length", "participation", "shortening", "groups"]
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(got[name], frame)
        assert got[name].attrs == frame.attrs
    assert set(got["shortening"]["year"]) == set(years)
    assert got["groups"].attrs == {}
    by_year = got["length"].attrs["missing_members_by_year"]
    assert list(by_year) == ["2010", "2011"]
    status = got["groups"]
    for year in years:
        rows = status[(status["year"] == year) & (status["status"] == "missing")]
        for group in groups:
            assert by_year[str(year)][group] == list(rows[rows["group"] == group]["member"])


def test_run_scenario_with_a_mapper_assembles_as_without():
    from chainatlas.scenarios import run_scenario, run_scenario_year

    small = small_model()
    raw = {
        "table": {"source": "test", "year": 2011},
        "shocks": [
            {"kind": "demand", "countries": "CHN", "change": -0.1},
        ],
    }
    expected = run_scenario(raw, model=small)
    calls = []

    def elsewhere(spec, years):
        calls.append((spec.name, list(years)))
        return [run_scenario_year(spec, small) for _ in years]

    got = run_scenario(raw, model=small, map_years=elsewhere)
    assert calls == [(expected.spec.name, [2011])]
    assert list(got.tables) == list(expected.tables)
    assert got.tables
    for name, frame in expected.tables.items():
        pd.testing.assert_frame_equal(got.tables[name], frame)
    assert got.summary_markdown == expected.summary_markdown
