"""A small panel-regression helper over indicator panels (statsmodels OLS with dummy fixed
effects and cluster-robust standard errors) for the studies' econometric claims
(S0 item 13: foreign dependence vs GVC position; S4 item 80: participation vs innovation).

Fixed effects enter as dummies (``C(entity)``, ``C(time)``): with the few hundred
observations of a sector or country panel this is the least-dimensional exact LSDV
estimator, and statsmodels supplies the clustered covariance (CR1 small-sample correction,
``cov_type="cluster"``). Nothing here is a hand-written estimator.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from chainatlas.errors import ChainAtlasError, ValidationError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class PanelRegression:
    formula: str
    coefficients: pd.DataFrame  # term, coef, se, t, p, ci_low, ci_high
    nobs: int
    n_clusters: int
    r2: float
    result: object  # the statsmodels RegressionResults

    def coef(self, term: str) -> float:
        return float(self.coefficients.set_index("term").loc[term, "coef"])

    def linear_combination(self, terms: Sequence[str]) -> tuple[float, float, float]:
        """(estimate, se, p) of the sum of ``terms`` (e.g. β1 + β2) with the clustered
        covariance."""
        names = list(self.result.params.index)
        weights = np.array([1.0 if n in terms else 0.0 for n in names])
        test = self.result.t_test(weights)
        return (
            float(np.squeeze(test.effect)),
            float(np.squeeze(test.sd)),
            float(np.squeeze(test.pvalue)),
        )


def _check_names(names: Sequence[str], frame: pd.DataFrame, where: str) -> None:
    for name in names:
        if not _NAME.match(name):
            raise ChainAtlasError(
                f"{where}: column name {name!r} must be a plain identifier (letters, digits, _)"
            )
        if name not in frame.columns:
            raise ChainAtlasError(
                f"{where}: no column {name!r} (have {', '.join(map(str, frame.columns))})"
            )


def panel_regression(
    frame: pd.DataFrame,
    dependent: str,
    regressors: Sequence[str],
    *,
    entity: str,
    time: str | None = None,
    controls: Sequence[str] = (),
    interactions: Sequence[tuple[str, str]] = (),
    entity_effects: bool = True,
    time_effects: bool = True,
    cluster: str | None = None,
) -> PanelRegression:
    """OLS of ``dependent`` on ``regressors`` + ``a:b`` interactions + ``controls`` with
    entity and time fixed effects; standard errors clustered by ``cluster`` (default: the
    entity). Rows with a missing value in any used column are dropped (counted in nobs)."""
    import statsmodels.formula.api as smf

    used = [dependent, *regressors, *controls, entity]
    used += [name for pair in interactions for name in pair]
    if time is not None:
        used.append(time)
    cluster = cluster or entity
    used.append(cluster)
    used = list(dict.fromkeys(used))
    _check_names(used, frame, "panel regression")
    data = frame[used].dropna().copy()
    terms = list(regressors) + [f"{a}:{b}" for a, b in interactions] + list(controls)
    if entity_effects:
        terms.append(f"C({entity})")
    if time_effects and time is not None:
        terms.append(f"C({time})")
    formula = f"{dependent} ~ " + " + ".join(terms)
    if len(data) <= len(terms) + 1:
        raise ValidationError(
            f"panel regression: {len(data)} complete observations are too few for {formula}"
        )
    groups = pd.factorize(data[cluster])[0]
    model = smf.ols(formula, data=data)
    result = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
    ci = result.conf_int()
    coefficients = pd.DataFrame(
        {
            "term": result.params.index,
            "coef": result.params.to_numpy(),
            "se": result.bse.to_numpy(),
            "t": result.tvalues.to_numpy(),
            "p": result.pvalues.to_numpy(),
            "ci_low": ci[0].to_numpy(),
            "ci_high": ci[1].to_numpy(),
        }
    )
    return PanelRegression(
        formula=formula,
        coefficients=coefficients,
        nobs=int(result.nobs),
        n_clusters=len(np.unique(groups)),
        r2=float(result.rsquared),
        result=result,
    )


def read_panel_csv(path: str | Path, keys: Sequence[str], what: str) -> pd.DataFrame:
    """A user CSV with key columns ``keys`` and numeric value columns; one clear error per
    problem (missing key column, non-numeric value, duplicate key)."""
    path = Path(path)
    if not path.is_file():
        raise ChainAtlasError(f"{what} file not found", path=str(path))
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise ValidationError(
            f"{what}: missing column(s) {', '.join(missing)} (need {', '.join(keys)})",
            path=str(path),
        )
    out = frame[list(keys)].copy()
    for key in keys:
        out[key] = out[key].str.strip()
    if "year" in keys:
        bad = ~out["year"].str.fullmatch(r"\d{4}")
        if bad.any():
            line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise ValidationError(f"{what}: year is not a 4-digit year", path=str(path),
                                  location=f"line {line}")  # fmt: skip
        out["year"] = out["year"].astype(int)
    for column in [c for c in frame.columns if c not in keys]:
        values = pd.to_numeric(frame[column].str.strip(), errors="coerce")
        bad = values.isna() & (frame[column].str.strip() != "")
        if bad.any():
            line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise ValidationError(
                f"{what}: non-numeric value in column {column!r}",
                path=str(path),
                location=f"line {line}",
            )
        out[column] = values
    duplicated = out.duplicated(list(keys))
    if duplicated.any():
        line = int(np.flatnonzero(duplicated.to_numpy())[0]) + 2
        raise ValidationError(f"{what}: duplicate key", path=str(path), location=f"line {line}")
    return out
