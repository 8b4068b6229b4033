"""RCA: Balassa by hand, KWW new RCA against decompr's KWW terms, ADB-derived rca62."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chainatlas.indicators import compute_indicator_sets
from chainatlas.indicators.rca import balassa, forward_dva_in_exports, rca
from conftest import require_shared


def test_balassa_by_hand():
    exports = np.array([[10.0, 30.0], [50.0, 10.0], [0.0, 0.0]])
    # country 0: shares 0.25, 0.75; world shares 60/100, 40/100
    expected = np.array([[0.25 / 0.6, 0.75 / 0.4], [(50 / 60) / 0.6, (10 / 60) / 0.4]])
    got = balassa(exports)
    np.testing.assert_allclose(got[:2], expected, rtol=1e-15)
    assert np.isnan(got[2]).all()  # a country without exports has no RCA (0/0), not 0


def _raw_2011(wiod_dir):
    import rdata

    raw = rdata.read_rda(str(wiod_dir / "wiot_2011.RData"))["wiot_2011"]
    Z = np.asarray(raw["inter"], dtype=float)
    F = np.asarray(raw["final"], dtype=float)
    return Z, F


def test_gross_rca_from_raw_table(wiod_dir, wiod2011):
    Z, F = _raw_2011(wiod_dir)
    G, N = 41, 35
    country = np.repeat(np.arange(G), N)
    user_country_z = np.repeat(np.arange(G), N)
    user_country_f = np.repeat(np.arange(G), 5)
    exports = (Z * (country[:, None] != user_country_z[None, :])).sum(axis=1) + (
        F * (country[:, None] != user_country_f[None, :])
    ).sum(axis=1)
    E = exports.reshape(G, N)
    expected = (E / E.sum(axis=1, keepdims=True)) / (E.sum(axis=0) / E.sum())[None, :]
    frame = rca(wiod2011)
    got = frame[frame["indicator"] == "rca"]["value"].to_numpy().reshape(G, N)
    ok = np.isfinite(expected)
    np.testing.assert_allclose(got[ok], expected[ok], rtol=1e-10)
    chn = wiod2011.countries.index("CHN")
    assert expected[chn, 13] > 1  # China's electrical and optical equipment (c14)


def test_new_rca_dva_matches_decompr_kww_terms(wiod2011, reference_dir):
    kww = pd.read_csv(reference_dir / "decompr_kww_country_wiod2011.csv")
    kww["Country"] = kww["Country"].replace({"RoW": "ROW", "ROM": "ROU"})
    terms = ["DVA_FIN", "DVA_INT", "DVA_INTrex", "RDV_FIN", "RDV_INT"]
    expected = kww.set_index("Country")[terms].sum(axis=1)
    dva = forward_dva_in_exports(wiod2011).reshape(wiod2011.G, wiod2011.N).sum(axis=1)
    got = pd.Series(dva, index=list(wiod2011.countries))
    common = [c for c in expected.index if c in got.index]
    assert len(common) == 41
    np.testing.assert_allclose(got[common], expected[common], rtol=1e-6)


def test_rca_set_via_indicator_sets(wiod2011):
    out = compute_indicator_sets(wiod2011, ["rca"])
    frame = out["rca"]
    assert set(frame["indicator"]) == {"exports", "dva_forward", "rca", "rca_va"}
    assert len(frame) == 4 * wiod2011.GN


def test_balassa_reproduces_adb_rca62():
    folder = require_shared("data/adb_mrio_derived/ksreyes_mrio_processing")
    table = pd.read_parquet(folder / "rca62.parquet")
    year = table[(table["t"] == 2010) & (table["agg"] == 35)]
    if year.empty:
        pytest.skip("no 35-sector rows for 2010")
    for value, column in (("exports_si", "rca"), ("vaxos_si", "rca_vaxos")):
        wide = year.pivot_table(index="s", columns="i", values=value, aggfunc="first")
        expected = year.pivot_table(index="s", columns="i", values=column, aggfunc="first")
        got = pd.DataFrame(balassa(wide.to_numpy()), index=wide.index, columns=wide.columns)
        ok = np.isfinite(expected.to_numpy()) & np.isfinite(got.to_numpy())
        assert ok.sum() > 1500
        np.testing.assert_allclose(got.to_numpy()[ok], expected.to_numpy()[ok], rtol=1e-6)


def test_cli_indicators_rca_and_sector_hubs(wiod_dir, tmp_path):
    from typer.testing import CliRunner

    from chainatlas.interfaces.cli.main import app

    out = tmp_path / "ind"
    result = CliRunner().invoke(
        app,
        ["indicators", "--source", "wiod2013", "--path", str(wiod_dir), "--years", "2011",
         "--set", "rca,hubs", "--hub-sectors", "c14", "--groups", "NEA", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out / "rca.parquet")
    chn = frame[(frame["country"] == "CHN") & (frame["sector"] == "c14")]
    assert set(chn["indicator"]) == {"exports", "dva_forward", "rca", "rca_va"}
    hubs = pd.read_parquet(out / "hubs.parquet")
    assert (hubs["sectors"] == "c14").all()
