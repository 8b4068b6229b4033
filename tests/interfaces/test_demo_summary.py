"""The numbers `make demo` prints, checked against independent quantities, not its own output.

The summary splits WWZ country totals; here they are compared with gross exports taken
straight from Z and Y, and with Borin–Mancini terms (a different method, itself checked
against exvatools and decompr 7 in tests/decompositions).
"""

from __future__ import annotations

import numpy as np
import pytest

import chainatlas
from chainatlas.interfaces.cli.demo import summarise, summary_markdown


@pytest.fixture(scope="module")
def summary_2011(wiod2011):
    return summarise(chainatlas.decompose(wiod2011, "wwz", "country")).iloc[0]


def test_exports_equal_the_tables_exports(summary_2011, wiod2011):
    china = wiod2011.country_slice("CHN")
    assert summary_2011["CHN_exports_usd_mn"] == pytest.approx(
        wiod2011.total_exports[china].sum(), rel=1e-9
    )
    assert summary_2011["world_exports_usd_mn"] == pytest.approx(
        wiod2011.total_exports.sum(), rel=1e-9
    )


def test_domestic_and_foreign_shares_agree_with_borin_mancini(summary_2011, wiod2011):
    bm = chainatlas.decompose(wiod2011, "bm-source", "country", wide=True).set_index("exporter")
    wwz = chainatlas.decompose(wiod2011, "wwz", "country", wide=True).set_index("exporter")
    exports = wiod2011.total_exports[wiod2011.country_slice("CHN")].sum()
    # WWZ terms 1–8 are the domestic value added that BM records at first exit
    assert summary_2011["CHN_dva_share"] == pytest.approx(bm.loc["CHN", "DVA"] / exports, rel=1e-9)
    assert summary_2011["world_dva_usd_mn"] == pytest.approx(bm["DVA"].sum(), rel=1e-9)
    # FVA (11–14) plus foreign double counting (MDC, ODC) is BM's foreign content
    foreign_content = summary_2011["CHN_fva_share"] * exports + wwz.loc["CHN", ["MDC", "ODC"]].sum()
    assert foreign_content == pytest.approx(bm.loc["CHN", "FC"], rel=1e-9)
    # the three parts cover world exports up to the rounding artefacts the model notes
    parts = summary_2011[["world_dva_usd_mn", "world_fva_usd_mn", "world_pdc_usd_mn"]].sum()
    assert np.isclose(parts, summary_2011["world_exports_usd_mn"], rtol=1e-9)


def test_markdown_lists_every_year(wiod_loader):
    frames = [chainatlas.decompose(wiod_loader(y), "wwz", "country") for y in (2010, 2011)]
    import pandas as pd

    summary = summarise(pd.concat(frames))
    text = summary_markdown(summary, "CHN")
    for row in summary.itertuples(index=False):
        assert f"| {row.year} |" in text
        assert f"{row.CHN_dva_share:.1%}" in text  # the checked share, as printed
