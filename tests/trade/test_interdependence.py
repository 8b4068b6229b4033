"""§12 Grubel–Lloyd and the composite interdependence index."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chainatlas.errors import ChainAtlasError, ValidationError
from chainatlas.trade import (
    composite_interdependence,
    grubel_lloyd,
    grubel_lloyd_aggregate,
    grubel_lloyd_from_store,
    read_series,
)


def test_grubel_lloyd_bounds_and_cases():
    gl = grubel_lloyd([5, 10, 0, 3], [5, 0, 7, 1])
    np.testing.assert_allclose(gl, [1.0, 0.0, 0.0, 0.5])
    assert np.isnan(grubel_lloyd([0], [0])[0])
    # aggregate: 1 - (0 + 10 + 7 + 2) / (10 + 10 + 7 + 4)
    assert grubel_lloyd_aggregate([5, 10, 0, 3], [5, 0, 7, 1]) == pytest.approx(1 - 19 / 31)
    with pytest.raises(ChainAtlasError):
        grubel_lloyd([-1], [1])


def series(**overrides) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "year": [2016, 2017, 2018],
            "trade_ab": [500.0, 600.0, 650.0],
            "gdp_a": [10_000.0, 10_000.0, 13_000.0],
            "gdp_b": [20_000.0, 20_000.0, 20_000.0],
            "fdi_b_in_a": [10.0, 20.0, 15.0],
            "fdi_in_a": [100.0, 100.0, 100.0],
            "tariff_a_on_b": [5.0, 4.0, 10.0],
            "tariff_b_on_a": [2.0, 2.0, 8.0],
            "x_1": [10.0, 10.0, 10.0],
            "m_1": [30.0, 20.0, 10.0],
            "x_2": [10.0, 10.0, 10.0],
            "m_2": [10.0, 40.0, 30.0],
        }
    )
    for key, value in overrides.items():
        frame[key] = value
    return frame


def test_composite_index_by_hand():
    result = composite_interdependence(series())
    t = result.table.set_index("year")
    # TC = 0.05, 0.06, 0.05 -> 0, 1, 0; TA = 0.025, 0.03, 0.0325 -> 0, 2/3, 1
    np.testing.assert_allclose(t["trade"], [0.0, (1 + 2 / 3) / 2, 0.5])
    # I = 0.1, 0.2, 0.15 -> 0, 1, 0.5
    np.testing.assert_allclose(t["investment"], [0.0, 1.0, 0.5])
    # tariffs: Cc 5,4,10 -> 1/6, 0, 1; Ca 2,2,8 -> 0, 0, 1; enter as 1 - norm
    np.testing.assert_allclose(t["liberalisation"], [(5 / 6 + 1) / 2, 1.0, 0.0])
    # GL1 = 0.5, 2/3, 1 -> 0, 1/3, 1; GL2 = 1, 0.4, 0.5 -> 1, 0, 1/6
    np.testing.assert_allclose(t["iit1"], [0.5, 2 / 3, 1.0])
    np.testing.assert_allclose(t["technology"], [0.5, 1 / 6, (1 + 1 / 6) / 2])
    expected = (
        0.4 * t["trade"]
        + 0.3 * t["investment"]
        + 0.2 * t["liberalisation"]
        + (0.1 * t["technology"])
    )
    np.testing.assert_allclose(t["D"], expected, rtol=1e-15)
    assert t["D"].between(0, 1).all()
    assert sum(result.weights.values()) == pytest.approx(1.0)
    assert result.notes == []  # no raw indicator is constant here


def test_constant_series_noted():
    result = composite_interdependence(series(fdi_b_in_a=[10.0, 10.0, 10.0]))
    assert result.table["n_i"].tolist() == [0.5, 0.5, 0.5]
    assert any(n.startswith("i is constant") for n in result.notes)


def test_weights_must_sum_to_one():
    with pytest.raises(ChainAtlasError, match="sum to 1"):
        composite_interdependence(series(), [0.4, 0.3, 0.2, 0.2])
    with pytest.raises(ChainAtlasError, match="need 4 weights"):
        composite_interdependence(series(), [0.5, 0.5])
    custom = composite_interdependence(series(), [1, 0, 0, 0]).table
    np.testing.assert_allclose(custom["D"], custom["trade"])


def test_iit_columns_accepted_directly():
    frame = series().drop(columns=["x_1", "m_1", "x_2", "m_2"])
    frame["iit_1"] = [0.1, 0.2, 0.3]
    frame["iit_2"] = [0.3, 0.3, 0.6]
    table = composite_interdependence(frame).table
    np.testing.assert_allclose(table["technology"], [0.0, 0.25, 1.0])


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda f: f.drop(columns=["gdp_b"]), "missing column(s): gdp_b"),
        (lambda f: f.assign(trade_ab=["500", "six hundred", "650"]), "line 3, column 'trade_ab'"),
        (lambda f: f.assign(year=[2016, 2017, 2017]), "year 2017 appears twice"),
        (lambda f: f.assign(gdp_a=[1.0, 0.0, 1.0]), "line 3, column 'gdp_a'"),
        (lambda f: f.assign(m_2=[1.0, -2.0, 1.0]), "negative value"),
        (lambda f: f.drop(columns=["x_1"]), "iit_1, iit_2 (or x_1, m_1, x_2, m_2)"),
        # regression: x + m = 0 was reported as "year 2017" without file, line or columns
        (
            lambda f: f.assign(x_2=[10.0, 0.0, 10.0], m_2=[10.0, 0.0, 30.0]),
            "line 3, columns 'x_2', 'm_2'",
        ),
    ],
)
def test_bad_series_file(tmp_path, edit, message):
    path = tmp_path / "series.csv"
    edit(series()).to_csv(path, index=False)
    with pytest.raises(ValidationError) as info:
        read_series(path)
    assert message in str(info.value) and "series.csv" in str(info.value)


def test_grubel_lloyd_from_store_by_chapter(baci_store, baci_rows):
    """ZAF-AFG two-way trade in the extract (both are exporters in it)."""
    gl = grubel_lloyd_from_store(baci_store, "ZAF", "AFG", [2021])
    x = sum(float(r["v"]) for r in baci_rows if r["i"] == "710" and r["j"] == "4") * 1000
    m = sum(float(r["v"]) for r in baci_rows if r["i"] == "4" and r["j"] == "710") * 1000
    assert gl["exports"].sum() == pytest.approx(x, rel=1e-12)
    assert gl["imports"].sum() == pytest.approx(m, rel=1e-12)
    assert gl["gl"].between(0, 1).all()


def test_fdi_share_above_one_is_reported_not_clipped():
    """Regression: FDI from B larger than A's total inflow passed without a word."""
    result = composite_interdependence(series(fdi_b_in_a=[10.0, 120.0, 15.0]))
    assert result.table["i"].tolist() == pytest.approx([0.1, 1.2, 0.15])
    assert any("exceeds 1 in year(s) 2017" in note for note in result.notes)
