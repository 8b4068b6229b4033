"""Country-level indicators on a table with split economies (CN1/CN2, MX1/MX2 kept).

On exvatools' ICIO-type test table: the indicator sets run, report CHN and MEX (never CN1 or
padding rows), and their country totals satisfy their identities and a hand computation on
the file's own part-level rows (pandas + numpy, no chainatlas algebra).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from indicator_helpers import require_shared

import chainatlas
from chainatlas.indicators import compute_indicator_sets

ICIOTEST = "data/format_samples/exvatools_iciotest/iciotest_data.csv"
ECONOMY = {"MX1": "MEX", "MX2": "MEX", "CN1": "CHN", "CN2": "CHN"}


@pytest.fixture(scope="module")
def split_model():
    return chainatlas.load("oecd-icio", require_shared(ICIOTEST), 2020)


@pytest.fixture(scope="module")
def sets(split_model):
    return compute_indicator_sets(split_model, ["participation", "length", "vax", "fva-origin"])


def _hand_va_trade(model) -> pd.DataFrame:
    """T_sr from the CSV's part-level rows: V̂ B Y summed by economy (CHN = CN1 + CN2)."""
    raw = pd.read_csv(require_shared(ICIOTEST), index_col=0)
    rows = [r for r in raw.index if not (r.startswith("CHN_") or r.startswith("MEX_"))]
    Z = raw.loc[rows, rows].to_numpy(float)
    fd = [c for c in raw.columns if c not in raw.index]
    Y = raw.loc[rows, fd].to_numpy(float)
    x = Z.sum(axis=1) + Y.sum(axis=1)
    A = Z / x
    v = 1 - A.sum(axis=0)
    B = np.linalg.inv(np.eye(len(rows)) - A)
    dest = [c.split("_")[0] for c in fd]
    Y_by = pd.DataFrame(Y, columns=dest).T.groupby(level=0).sum().T
    vby = pd.DataFrame(v[:, None] * (B @ Y_by.to_numpy()), columns=Y_by.columns)
    vby.index = [ECONOMY.get(r.split("_")[0], r.split("_")[0]) for r in rows]
    return vby.groupby(level=0).sum()


def test_indicators_report_economies_not_parts(sets, split_model):
    for name, frame in sets.items():
        key = "country" if "country" in frame else "exporter"
        assert not set(frame[key]) & {"CN1", "CN2", "MX1", "MX2"}, name
        assert {"CHN", "MEX"} <= set(frame[key]), name
        if "sector" in frame:
            sectors = set(frame["sector"])
            assert not any("~" in s for s in sectors), name  # no padded slot labels
            chn = frame[(frame[key] == "CHN") & (frame["sector"] != "TOTAL")]
            assert set(chn["sector"]) <= {f"{p}_{i}" for p in ("CN1", "CN2")
                                          for i in split_model.industries}, name  # fmt: skip
            esp = frame[(frame[key] == "ESP") & (frame["sector"] != "TOTAL")]
            assert set(esp["sector"]) <= set(split_model.industries), name
            assert any("split economies" in n for n in frame.attrs["notes"]), name


def test_va_trade_matches_hand_computation_on_parts(sets, split_model):
    T_hand = _hand_va_trade(split_model)
    vax = sets["vax"]
    bilateral = vax[(vax["level"] == "bilateral") & (vax["indicator"] == "va_trade")]
    T = bilateral.pivot(index="exporter", columns="importer", values="value")
    T = T.loc[T_hand.index, T_hand.columns]
    np.testing.assert_allclose(T.to_numpy(), T_hand.to_numpy(), rtol=1e-12)
    # METHODS §2.4: rows sum to GDP, columns to final demand
    country = vax[vax["level"] == "country"].pivot(
        index="exporter", columns="indicator", values="value"
    )
    np.testing.assert_allclose(T.sum(axis=1), country.loc[T.index, "gdp"], rtol=1e-12)
    np.testing.assert_allclose(T.sum(axis=0), country.loc[T.columns, "final_demand"], rtol=1e-12)


def _country(frame: pd.DataFrame, method: str | None = None) -> pd.DataFrame:
    rows = frame[frame["level"] == "country"]
    if method is not None:
        rows = rows[rows["method"] == method]
    return rows.pivot(index="country", columns="indicator", values="value")


def test_participation_and_length_identities_on_split_economies(sets, split_model):
    gdp = _hand_va_trade(split_model).sum(axis=1)
    part = _country(sets["participation"], "wwyz2017-production")
    np.testing.assert_allclose(part.loc[gdp.index, "va"], gdp, rtol=1e-12)
    for base in ("va", "y"):
        pieces = [f"{base}_{k}" for k in ("domestic", "traditional", "gvc_simple", "gvc_complex")]
        np.testing.assert_allclose(part[pieces].sum(axis=1), part[base], rtol=1e-10)
    length = _country(sets["length"])
    np.testing.assert_allclose(length["plv"], length["xv_f_total"] / length["va"], rtol=1e-10)
    assert (length.loc[["CHN", "MEX"], "plv"] >= 1).all()
    # the economy's output is the sum of its parts' output
    x = split_model.x.reshape(split_model.G, -1).sum(axis=1)
    np.testing.assert_allclose(length.loc[list(split_model.countries), "x"], x, rtol=1e-12)
