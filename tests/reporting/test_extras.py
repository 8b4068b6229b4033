"""Product-screen and scenario charts: their data are the trade and scenario results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from chainatlas.interfaces.cli.main import app
from chainatlas.reporting import extras, names
from chainatlas.reporting.build import load_context
from conftest import require_shared

ROOT = Path(__file__).resolve().parents[2]
CHINA_MINUS_2 = ROOT / "examples" / "scenarios" / "china_intermediates_minus2.toml"
TARIFFS = ROOT / "examples" / "scenarios" / "us_tariff_lists_china.toml"


@pytest.fixture(scope="module")
def ctx(wiod_dir):
    context, _ = load_context("wiod2013", wiod_dir, [2011], "CHN", cache_dir=None)
    return context


@pytest.fixture(scope="module")
def trade_db(tmp_path_factory) -> Path:
    """The shared BACI extract (HS92, 2021) loaded into a trade database."""
    baci = require_shared("data/baci/BACI_HS92_Y2021_V202301_exporters_AFG_ZAF.csv")
    concordances = require_shared("data/concordances")
    from chainatlas.trade import TradeStore

    db = tmp_path_factory.mktemp("trade") / "trade.duckdb"
    store = TradeStore(db)
    store.load("baci", baci.parent, concordances=concordances, country_overrides={380: "ITA"})
    store.close()
    return db


def test_product_screen_charts_are_the_vulnerability_screen(ctx, trade_db):
    from chainatlas.trade import open_store
    from chainatlas.trade.indicators import vulnerability_screen

    store = open_store(trade_db)
    expected = vulnerability_screen(store, "CHN")
    store.close()
    quadrant, ranking = extras.trade_charts(ctx, trade_db)
    products = expected.products.set_index("hs6")
    shown = quadrant.data.set_index("hs6")
    assert set(shown.index) == set(products.index)
    for column in ("centrality", "hhi", "import_value"):
        np.testing.assert_allclose(shown[column], products.loc[shown.index, column], rtol=1e-12)
    assert (shown["vclass"] == products.loc[shown.index, "vclass"]).all()
    # one trace per class, each point where the screen puts it
    for lang in names.LANGUAGES:
        traces = quadrant.figures[lang].data
        assert sum(len(t.x) for t in traces) == len(shown)
    chapters = expected.chapters.sort_values("rank").head(extras.TOP_CHAPTERS)
    assert ranking.data["hs2"].tolist() == chapters["hs2"].tolist()
    np.testing.assert_allclose(ranking.data["cvi"], chapters["cvi"], rtol=1e-12)
    assert ranking.data["cvi"].is_monotonic_decreasing
    assert "HS92" in quadrant.notes["en"] and "2021" in quadrant.notes["zh"]


def test_scenario_bars_are_the_scenario_tables(ctx, wiod_dir):
    from chainatlas.scenarios import run_scenario

    if not CHINA_MINUS_2.exists():
        pytest.skip("scenario example not in this checkout")
    expected = run_scenario(CHINA_MINUS_2, path=wiod_dir).tables["country"]
    charts = extras.scenario_charts(ctx, CHINA_MINUS_2, data_path=wiod_dir)
    assert len(charts) == expected["shock"].nunique()
    for chart in charts:
        shock = chart.data["shock"].iloc[0]
        rows = expected[expected["shock"] == shock].set_index(["measure", "country"])
        shown = chart.data.set_index(["measure", "country"])
        np.testing.assert_allclose(shown["change"], rows.loc[shown.index, "change"], rtol=1e-12)
        # the economies shown are those with the largest |change in exports|
        exports = rows.xs("exports")["change"].abs().sort_values(ascending=False)
        assert set(exports.index[: extras.TOP_ECONOMIES]) <= set(chart.data["country"])
        bars = chart.figures["en"].data[0]
        assert len(bars.x) == chart.data["country"].nunique()


def test_tariff_scenario_gives_price_bars(ctx, wiod_dir):
    from chainatlas.scenarios import run_scenario

    if not TARIFFS.exists():
        pytest.skip("scenario example not in this checkout")
    prices = run_scenario(TARIFFS, path=wiod_dir).tables["prices_country"]
    (chart,) = extras.scenario_charts(ctx, TARIFFS, data_path=wiod_dir)[:1]
    shown = chart.data.set_index("country")
    rows = prices[prices["shock"] == chart.data["shock"].iloc[0]].set_index("country")
    np.testing.assert_allclose(
        shown["cost_change_pct"], 100 * (rows.loc[shown.index, "output_cost_index"] - 1)
    )
    assert (shown["output_cost_index"] >= 1 - 1e-12).all()
    assert "CHN" in shown.index  # the focus is always shown


def test_report_cli_with_trade_and_scenario(wiod_dir, trade_db, tmp_path):
    if not CHINA_MINUS_2.exists():
        pytest.skip("scenario example not in this checkout")
    out = tmp_path / "full.html"
    result = CliRunner().invoke(
        app,
        [
            "report", "--source", "wiod2013", "--path", str(wiod_dir), "--years", "2011",
            "--focus", "CHN", "--trade-db", str(trade_db), "--scenario", str(CHINA_MINUS_2),
            "--out", str(out), "--cache-dir", str(tmp_path / "cache"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    for key in ("product_screen", "hs2_ranking", "scenario_1"):
        assert f'data-chart="{key}"' in html
    assert 'id="section-trade"' in html and 'id="section-scenario"' in html
    assert out.stat().st_size < 15 * 1024 * 1024
