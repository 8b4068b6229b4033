"""Bilateral interdependence (METHODS §12): Grubel–Lloyd and the composite index D.

Input: one row per year for a country pair (A, B) — S4 uses A = China, B = USA. Columns
(CSV header, case-sensitive):

=================  =========================================================================
year               integer, unique
trade_ab           goods trade between A and B, exports + imports (any currency unit)
gdp_a, gdp_b       GDP of A and of B (same unit as trade_ab), > 0
fdi_b_in_a         FDI from B into A
fdi_in_a           total FDI inflow into A (> 0)
tariff_a_on_b      A's (trade-weighted applied) tariff on B's high-tech goods, percent
tariff_b_on_a      B's tariff on A's high-tech goods, percent
technology         either ``iit_1`` and ``iit_2`` (Grubel–Lloyd indices in [0, 1]) or
                   ``x_1, m_1, x_2, m_2`` (A's exports to / imports from B in product groups 1
                   and 2, default HS84 machinery and HS85 electrical equipment)
optional           ``fdi_a_in_b`` and ``fdi_in_b``: a second investment sub-indicator
=================  =========================================================================

Raw indicators: TC = trade_ab/gdp_a, TA = trade_ab/gdp_b, I = fdi_b_in_a/fdi_in_a, Cc, Ca
(tariffs), IIT1, IIT2. Each is min–max normalised over the sample years (a constant series is
set to 0.5 and noted); tariffs enter as 1 − norm. Dimension = mean of its sub-indicators;
D = w1·Trade + w2·Investment + w3·Liberalisation + w4·Technology, default 0.4/0.3/0.2/0.1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from chainatlas.errors import ChainAtlasError, ValidationError

if TYPE_CHECKING:
    from chainatlas.trade.store import TradeStore

DEFAULT_WEIGHTS = (0.4, 0.3, 0.2, 0.1)
DIMENSIONS = ("trade", "investment", "liberalisation", "technology")
REQUIRED = (
    "year",
    "trade_ab",
    "gdp_a",
    "gdp_b",
    "fdi_b_in_a",
    "fdi_in_a",
    "tariff_a_on_b",
    "tariff_b_on_a",
)
TECH_IIT = ("iit_1", "iit_2")
TECH_FLOWS = ("x_1", "m_1", "x_2", "m_2")
OPTIONAL_INVESTMENT = ("fdi_a_in_b", "fdi_in_b")


def grubel_lloyd(exports, imports) -> np.ndarray:
    """GL_k = 1 − |X_k − M_k| / (X_k + M_k) per product group (NaN where X + M = 0)."""
    x = np.asarray(exports, dtype=float)
    m = np.asarray(imports, dtype=float)
    if (x < 0).any() or (m < 0).any():
        raise ChainAtlasError("Grubel–Lloyd needs non-negative exports and imports")
    total = x + m
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 1.0 - np.abs(x - m) / total, np.nan)


def grubel_lloyd_aggregate(exports, imports) -> float:
    """Trade-weighted aggregate 1 − Σ|X − M| / Σ(X + M) (no imbalance adjustment)."""
    x = np.asarray(exports, dtype=float)
    m = np.asarray(imports, dtype=float)
    total = float((x + m).sum())
    if total <= 0:
        raise ChainAtlasError("no trade in the product groups: Grubel–Lloyd undefined")
    return 1.0 - float(np.abs(x - m).sum()) / total


def grubel_lloyd_from_store(
    store: TradeStore,
    country_a: str,
    country_b: str,
    years: Sequence[int] | int | None = None,
    *,
    vintage: str | None = None,
    level: int = 2,
) -> pd.DataFrame:
    """GL of A–B trade by HS chapter (``level`` 2), heading (4) or line (6), per year."""
    if level not in (2, 4, 6):
        raise ChainAtlasError("level must be 2, 4 or 6 (HS digits)")
    from chainatlas.trade.indicators import _base, _country

    a, b = _country(country_a, "country"), _country(country_b, "country")
    base, _vintage, _chosen = _base(store, vintage, years, "all")
    frame = store.sql(
        f"""
        SELECT year, left(hs6, {level}) AS product_group,
               sum(value) FILTER (WHERE exporter = ? AND importer = ?) AS exports,
               sum(value) FILTER (WHERE exporter = ? AND importer = ?) AS imports
        FROM {base} b0 WHERE (exporter = ? AND importer = ?) OR (exporter = ? AND importer = ?)
        GROUP BY ALL ORDER BY year, product_group""",
        [a, b, b, a, a, b, b, a],
    )
    frame[["exports", "imports"]] = frame[["exports", "imports"]].fillna(0.0)
    frame["gl"] = grubel_lloyd(frame["exports"], frame["imports"])
    return frame


@dataclass
class InterdependenceResult:
    table: pd.DataFrame  # per year: raw, normalised, dimensions, D
    weights: dict[str, float]
    notes: list[str] = field(default_factory=list)


def _check_weights(weights: Sequence[float]) -> dict[str, float]:
    values = [float(w) for w in weights]
    if len(values) != 4:
        raise ChainAtlasError(
            f"need 4 weights (trade, investment, liberalisation, technology), got {len(values)}"
        )
    if any(not np.isfinite(w) or w < 0 for w in values):
        raise ChainAtlasError(f"weights must be finite and >= 0: {values}")
    if abs(sum(values) - 1.0) > 1e-9:
        raise ChainAtlasError(f"weights must sum to 1 (got {sum(values):.12g}): {values}")
    return dict(zip(DIMENSIONS, values, strict=True))


def validate_series(frame: pd.DataFrame, where: str | None = None) -> pd.DataFrame:
    """Check the interdependence input table; errors name the line and column."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    has_iit = all(c in frame.columns for c in TECH_IIT)
    has_flows = all(c in frame.columns for c in TECH_FLOWS)
    if not has_iit and not has_flows:
        missing.append("iit_1, iit_2 (or x_1, m_1, x_2, m_2)")
    if missing:
        raise ValidationError(
            f"missing column(s): {', '.join(missing)}", path=where, location="line 1"
        )
    if len(frame) < 2:
        raise ValidationError("need at least two years to normalise", path=where)
    numeric_cols = (
        list(REQUIRED)
        + (list(TECH_IIT) if has_iit else list(TECH_FLOWS))
        + [c for c in OPTIONAL_INVESTMENT if c in frame.columns]
    )
    out = pd.DataFrame(index=frame.index)
    for column in numeric_cols:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() | ~np.isfinite(values)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValidationError(
                f"value {frame[column].iloc[row]!r} is not a number",
                path=where,
                location=f"line {row + 2}, column {column!r}",
            )
        negative = values < 0
        if negative.any():
            row = int(np.flatnonzero(negative.to_numpy())[0])
            raise ValidationError(
                f"negative value {values.iloc[row]}",
                path=where,
                location=f"line {row + 2}, column {column!r}",
            )
        out[column] = values.astype(float)
    for column in ("gdp_a", "gdp_b", "fdi_in_a") + (("fdi_in_b",) if "fdi_in_b" in out else ()):
        zero = out[column] <= 0
        if zero.any():
            row = int(np.flatnonzero(zero.to_numpy())[0])
            raise ValidationError(
                "must be > 0 (a denominator)",
                path=where,
                location=f"line {row + 2}, column {column!r}",
            )
    if (out["year"] != out["year"].round()).any():
        raise ValidationError("years must be integers", path=where, location="column 'year'")
    dup = out["year"].duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise ValidationError(
            f"year {int(out['year'].iloc[row])} appears twice",
            path=where,
            location=f"line {row + 2}, column 'year'",
        )
    if has_iit:
        for column in TECH_IIT:
            above = out[column] > 1
            if above.any():
                row = int(np.flatnonzero(above.to_numpy())[0])
                raise ValidationError(
                    "a Grubel–Lloyd index must lie in [0, 1]",
                    path=where,
                    location=f"line {row + 2}, column {column!r}",
                )
    if has_flows and not has_iit:
        for x_col, m_col in (("x_1", "m_1"), ("x_2", "m_2")):
            empty = (out[x_col] + out[m_col]) <= 0
            if empty.any():
                row = int(np.flatnonzero(empty.to_numpy())[0])
                raise ValidationError(
                    f"{x_col} + {m_col} = 0: Grubel–Lloyd undefined for that product group",
                    path=where,
                    location=f"line {row + 2}, columns {x_col!r}, {m_col!r}",
                )
    out["year"] = out["year"].astype(int)
    return out.sort_values("year").reset_index(drop=True)


def read_series(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise ChainAtlasError("no such file", path=str(path))
    try:
        frame = pd.read_csv(path, dtype=str)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValidationError(f"cannot read CSV ({exc})", path=str(path)) from None
    frame.columns = [c.strip() for c in frame.columns]
    return validate_series(frame, str(path))


def _minmax(series: pd.Series, name: str, notes: list[str]) -> pd.Series:
    low, high = series.min(), series.max()
    if high - low <= 0:
        notes.append(f"{name} is constant over the sample; normalised to 0.5")
        return pd.Series(0.5, index=series.index)
    return (series - low) / (high - low)


def composite_interdependence(
    series: pd.DataFrame, weights: Sequence[float] = DEFAULT_WEIGHTS
) -> InterdependenceResult:
    """The composite index D and its parts, one row per year (see module docstring)."""
    w = _check_weights(weights)
    data = validate_series(series)
    notes: list[str] = []
    table = pd.DataFrame({"year": data["year"]})
    table["tc"] = data["trade_ab"] / data["gdp_a"]
    table["ta"] = data["trade_ab"] / data["gdp_b"]
    table["i"] = data["fdi_b_in_a"] / data["fdi_in_a"]
    investment = ["i"]
    if all(c in data.columns for c in OPTIONAL_INVESTMENT):
        table["i2"] = data["fdi_a_in_b"] / data["fdi_in_b"]
        investment.append("i2")
    for column in investment:
        # An FDI share above 1 (partner FDI > total inflow) is inconsistent input: reported,
        # not clipped (min-max normalisation still maps the series to [0, 1]).
        above = table.loc[table[column] > 1, "year"].tolist()
        if above:
            notes.append(
                f"FDI share {column} exceeds 1 in year(s) {', '.join(map(str, above))}: "
                "the partner's FDI is larger than the total inflow; check the input"
            )
    table["cc"] = data["tariff_a_on_b"]
    table["ca"] = data["tariff_b_on_a"]
    if all(c in data.columns for c in TECH_IIT):
        table["iit1"] = data["iit_1"]
        table["iit2"] = data["iit_2"]
    else:
        table["iit1"] = grubel_lloyd(data["x_1"], data["m_1"])
        table["iit2"] = grubel_lloyd(data["x_2"], data["m_2"])
        if table[["iit1", "iit2"]].isna().any().any():
            row = int(np.flatnonzero(table[["iit1", "iit2"]].isna().any(axis=1))[0])
            raise ValidationError(
                "x + m = 0 in a product group: Grubel–Lloyd undefined",
                location=f"year {int(table['year'].iloc[row])}",
            )
    for column in ["tc", "ta", *investment, "cc", "ca", "iit1", "iit2"]:
        table[f"n_{column}"] = _minmax(table[column], column, notes)
    table["trade"] = (table["n_tc"] + table["n_ta"]) / 2
    table["investment"] = table[[f"n_{c}" for c in investment]].mean(axis=1)
    table["liberalisation"] = ((1 - table["n_cc"]) + (1 - table["n_ca"])) / 2
    table["technology"] = (table["n_iit1"] + table["n_iit2"]) / 2
    table["D"] = sum(w[d] * table[d] for d in DIMENSIONS)
    return InterdependenceResult(table=table, weights=w, notes=notes)


__all__ = [
    "DEFAULT_WEIGHTS",
    "DIMENSIONS",
    "InterdependenceResult",
    "composite_interdependence",
    "grubel_lloyd",
    "grubel_lloyd_aggregate",
    "grubel_lloyd_from_store",
    "read_series",
    "validate_series",
]
