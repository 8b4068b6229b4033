"""The 2% China intermediate-export shock on WIOD 2011 vs UNCTAD (METHODS §14, R6).

We do not tune to UNCTAD's figure; the test checks the comparison is computed and reported,
and the qualitative finding UNCTAD publishes (EU, then US, then Japan most affected among the
economies it names) against our Leontief run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chainatlas.scenarios import run_scenario

FILE = Path(__file__).resolve().parents[2] / "examples/scenarios/china_intermediates_minus2.toml"


def test_china_2pct_comparison_is_reported(wiod2011):
    result = run_scenario(FILE, model=wiod2011)
    refs = result.tables["references"]
    leontief = refs[refs["shock"] == "chn_intermediates_minus2_leontief"].set_index("reference")
    others = leontief.loc["UNCTAD (2020): exports of other economies"]
    assert others["published"] == -46000.0
    assert others["n_countries"] == 39  # 40 WIOD economies without China; RoW excluded
    assert others["ours"] < 0 and np.isfinite(others["ratio"])
    assert "published -46,000" in result.summary_markdown
    assert "(exports, 1 economy; " in result.summary_markdown  # USA, JPN lines

    # Our figure equals the sum of the country table's export changes over those economies.
    country = result.tables["country"]
    exports = country[
        (country["shock"] == "chn_intermediates_minus2_leontief")
        & (country["measure"] == "exports")
    ].set_index("country")["change"]
    assert others["ours"] == pytest.approx(exports.drop(["CHN", "ROW"]).sum(), rel=1e-12)

    # UNCTAD's ranking of the named economies: EU > USA > JPN in lost exports.
    eu = leontief.loc["UNCTAD (2020): EU", "ours"]
    usa = leontief.loc["UNCTAD (2020): USA", "ours"]
    jpn = leontief.loc["UNCTAD (2020): JPN", "ours"]
    assert eu < usa < jpn < 0
    # ...and the three are the three largest losers outside China when the EU counts as one.
    outside = exports.drop(["CHN", "ROW"])
    eu_members = leontief.loc["UNCTAD (2020): EU", "countries"].split(",")
    non_eu = outside.drop(eu_members).sort_values()
    assert list(non_eu.index[:2]) == ["USA", "JPN"] and eu < non_eu.iloc[0]
