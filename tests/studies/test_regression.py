"""The panel-regression helper against an explicit statsmodels call and the LSDV closed form."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from chainatlas.errors import ChainAtlasError, ValidationError
from chainatlas.studies.regression import panel_regression, read_panel_csv


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    entities, years = 12, 6
    rows = []
    effect = rng.normal(size=entities)
    shock = rng.normal(size=years)
    for i in range(entities):
        tech = float(i % 2)
        for t in range(years):
            pos = rng.normal()
            control = rng.normal()
            y = 0.3 * pos + 0.8 * pos * tech - 0.5 * control + effect[i] + shock[t]
            rows.append((f"s{i}", 2000 + t, pos, tech, control, y + 0.1 * rng.normal()))
    return pd.DataFrame(rows, columns=["sector", "year", "pos", "tech", "control", "fd"])


def test_matches_explicit_statsmodels_and_closed_form(panel):
    fit = panel_regression(panel, "fd", ["pos"], entity="sector", time="year",
                           controls=["control"], interactions=[("pos", "tech")])  # fmt: skip
    # the same model written out: dummies built by hand, OLS, CR1 clustered covariance
    X = pd.DataFrame({"pos": panel["pos"], "pos_tech": panel["pos"] * panel["tech"],
                      "control": panel["control"]})  # fmt: skip
    X = pd.concat(
        [X, pd.get_dummies(panel["sector"], drop_first=True, dtype=float),
         pd.get_dummies(panel["year"], drop_first=True, dtype=float).add_prefix("y")], axis=1
    )  # fmt: skip
    X = sm.add_constant(X)
    groups = pd.factorize(panel["sector"])[0]
    ref = sm.OLS(panel["fd"], X).fit(cov_type="cluster", cov_kwds={"groups": groups})
    assert fit.coef("pos") == pytest.approx(ref.params["pos"], rel=1e-10)
    assert fit.coef("pos:tech") == pytest.approx(ref.params["pos_tech"], rel=1e-10)
    se = fit.coefficients.set_index("term")["se"]
    assert se["pos"] == pytest.approx(ref.bse["pos"], rel=1e-10)
    assert se["pos:tech"] == pytest.approx(ref.bse["pos_tech"], rel=1e-10)
    # closed form: least squares on the same design
    beta, *_ = np.linalg.lstsq(X.to_numpy(), panel["fd"].to_numpy(), rcond=None)
    assert fit.coef("control") == pytest.approx(beta[list(X.columns).index("control")], rel=1e-9)
    # beta1 + beta2 with the clustered covariance
    est, sd, _p = fit.linear_combination(["pos", "pos:tech"])
    cov = ref.cov_params()
    assert est == pytest.approx(ref.params["pos"] + ref.params["pos_tech"], rel=1e-10)
    assert sd == pytest.approx(
        np.sqrt(cov.loc["pos", "pos"] + cov.loc["pos_tech", "pos_tech"]
                + 2 * cov.loc["pos", "pos_tech"]), rel=1e-10)  # fmt: skip
    assert fit.nobs == len(panel) and fit.n_clusters == 12
    assert abs(fit.coef("pos") - 0.3) < 0.1 and abs(est - 1.1) < 0.1


def test_missing_values_are_dropped_and_bad_names_refused(panel):
    holey = panel.copy()
    holey.loc[3, "control"] = np.nan
    fit = panel_regression(holey, "fd", ["pos"], entity="sector", time="year",
                           controls=["control"])  # fmt: skip
    assert fit.nobs == len(panel) - 1
    with pytest.raises(ChainAtlasError, match="no column 'nope'"):
        panel_regression(panel, "fd", ["nope"], entity="sector")
    with pytest.raises(ValidationError, match="too few"):
        panel_regression(panel.head(3), "fd", ["pos"], entity="sector", time="year")


def test_read_panel_csv_errors(tmp_path):
    good = tmp_path / "c.csv"
    good.write_text("sector,year,kl\nc3,2010,1.5\nc4,2010,2\n")
    frame = read_panel_csv(good, ("sector", "year"), "controls")
    assert frame["kl"].tolist() == [1.5, 2.0] and frame["year"].tolist() == [2010, 2010]
    bad = tmp_path / "b.csv"
    bad.write_text("sector,year,kl\nc3,2010,abc\n")
    with pytest.raises(ValidationError, match="line 2"):
        read_panel_csv(bad, ("sector", "year"), "controls")
    dup = tmp_path / "d.csv"
    dup.write_text("sector,year,kl\nc3,2010,1\nc3,2010,2\n")
    with pytest.raises(ValidationError, match="duplicate key"):
        read_panel_csv(dup, ("sector", "year"), "controls")
