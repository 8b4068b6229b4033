"""TiVA / Leontief decomposition on WIOD 2011: METHODS §2–§4.1 identities and exvatools 0.9.0
``oecd`` outputs (terms and tiva indicators)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from reference_tables import REF_REL, REL, read_reference

import chainatlas
from chainatlas.core import value_added
from chainatlas.decompositions.tiva import (
    TIVA_TERMS,
    domestic_multipliers,
    origin_multipliers,
    tiva,
    tiva_indicators,
)


def close(a, b, rel: float = REL) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return bool(np.abs(a - b).max() <= rel * max(np.abs(b).max(), 1.0))


@pytest.fixture(scope="module")
def result(wiod2011):
    return tiva(wiod2011)


@pytest.fixture(scope="module")
def indicators(wiod2011):
    return tiva_indicators(wiod2011)


# ---------------------------------------------------------------------- §2 core identities
def test_core_identities(wiod2011):
    m = wiod2011
    # 1. u'V̂B = u' (every column with positive output; 2011 has no trading zero-output rows)
    traced = origin_multipliers(m).sum(axis=0).reshape(-1)
    assert close(traced[m.x != 0], np.ones(int((m.x != 0).sum())))
    # 2. B Y u = x
    assert close(m.B @ m.Y.sum(axis=1), m.x)
    # 3./4. V̂BY row sums = va, column sums = final demand; T rows = GDP, columns = FD
    vby = value_added.va_by_destination(m)
    assert close(vby.sum(axis=1), m.va)
    assert close(vby.sum(axis=0), m.Y.sum(axis=0))
    T = value_added.va_trade_matrix(m)
    assert close(T.sum(axis=1), value_added.gdp(m))
    assert close(T.sum(axis=0), m.Y.sum(axis=0))
    assert close(T.sum(), m.Y.sum())


# ---------------------------------------------------------------------- §4.1 content terms
def test_terms_shape_and_identities(result, wiod2011):
    assert tuple(result.terms) == TIVA_TERMS
    t = result.terms
    E = wiod2011.exports
    for values in t.values():
        assert values.shape == (wiod2011.GN, wiod2011.G)
    assert close(t["EXGR_DVA"] + t["EXGR_FVA"], E)  # element-wise, every sector and partner
    assert close(t["EXGR_DDC"] + t["EXGR_IDC"] + t["EXGR_RIM"], t["EXGR_DVA"])
    v_B, _ = domestic_multipliers(wiod2011)
    assert close(t["EXGR_DVA"], v_B.reshape(-1)[:, None] * E)
    # bilateral values add up to TiVA's definition on total exports e_s*
    dexfvap = value_added.foreign_va_in_exports(wiod2011)  # (origin, exporter)
    fva_total = dexfvap.sum(axis=0) - np.diag(dexfvap)
    assert close(result.aggregate("EXGR_FVA", "country"), fva_total)
    assert close(result.aggregate("EXGR_DVA", "country"), np.diag(dexfvap))


@pytest.mark.parametrize(
    ("level", "keys"),
    [
        ("country", ["exporter"]),
        ("sector", ["exporter", "sector"]),
        ("bilateral", ["exporter", "importer"]),
    ],
)
def test_terms_match_exvatools_oecd(result, reference_dir, level, keys):
    reference = read_reference(reference_dir / f"exva_oecd_terms_{level}_wiod2011.csv")
    if "importer" in reference:
        reference = reference[reference["exporter"] != reference["importer"]]
    ours = result.to_frame(level, wide=True)
    joined = reference.merge(ours, on=keys, suffixes=("_ref", ""), validate="one_to_one")
    assert len(joined) == len(ours) == len(reference)
    for name in ("EXGR_DDC", "EXGR_IDC", "EXGR_RIM", "EXGR_FVA"):
        assert close(joined[name], joined[f"{name}_ref"], REF_REL), name
    assert close(joined["EXGR_DVA"] + joined["EXGR_FVA"], joined["EXGR"])


# ---------------------------------------------------------------------- country indicators
def totals(indicators: pd.DataFrame) -> pd.DataFrame:
    return indicators[indicators["partner"].isna()].pivot(
        index="exporter", columns="term", values="value"
    )


def test_indicator_table_layout(indicators, wiod2011):
    G = wiod2011.G
    assert list(indicators.columns) == ["year", "exporter", "partner", "term", "value"]
    counts = indicators["term"].value_counts()
    assert counts["DEXFVAP"] == counts["FEXDVAP"] == G * (G - 1)
    assert counts["FD_VA"] == G * G
    assert counts["VAX"] == G
    assert (indicators["year"] == 2011).all()


def test_indicator_identities(indicators, wiod2011):
    tot = totals(indicators)
    T = value_added.va_trade_matrix(wiod2011)
    order = list(wiod2011.countries)
    tot = tot.loc[order]
    assert close(tot["VAX"], T.sum(axis=1) - np.diag(T))
    assert close(tot["VAD"] + tot["VAX"], tot["GDP"])  # VAD + VAX = GDP
    assert close(tot["VAX"].sum(), tot["VAM"].sum())
    assert abs(tot["BALVAFD"].sum()) < REL * tot["VAX"].sum()  # world VA trade balances
    assert close(tot["EXGR_DVA"] + tot["EXGR_FVA"], tot["EXGR"])
    assert close(tot["VAX_ratio"], tot["VAX"] / tot["EXGR"])
    # world foreign VA in exports = world domestic VA in other countries' exports
    assert close(tot["EXGR_FVA"].sum(), tot["EXGR_DVAFX"].sum())
    pairs = indicators[indicators["partner"].notna()]
    by_origin = pairs[pairs["term"] == "DEXFVAP"].groupby("exporter")["value"].sum()
    assert close(by_origin.loc[order], tot["EXGR_FVA"])
    by_user = pairs[pairs["term"] == "FEXDVAP"].groupby("exporter")["value"].sum()
    assert close(by_user.loc[order], tot["EXGR_DVAFX"])
    fd_va = pairs[pairs["term"] == "FD_VA"]
    assert close(fd_va.groupby("exporter")["value"].sum().loc[order], tot["GDP"])
    china_us = fd_va[(fd_va.exporter == "CHN") & (fd_va.partner == "USA")]["value"].item()
    assert close(china_us, T[order.index("CHN"), order.index("USA")])


def test_indicators_match_exvatools_oecd_tiva(indicators, reference_dir):
    reference = read_reference(reference_dir / "exva_oecd_tiva_country_wiod2011.csv")
    reference = reference.set_index("exporter")
    tot = totals(indicators)
    # ours -> exvatools "oecd" tiva column (country level)
    names = {
        "EXGR": "EXGR",
        "EXGR_DVA": "EXGR_DVA",
        "EXGR_FVA": "EXGR_FVA",
        "VAX": "FFD_DVA",
        "VAM": "DFD_FVA",
        "VAD": "DXD_DVA",
        "BALVAFD": "BALVAFD",
        "EXGR_DVAFX": "FEXDVAP",
        "GDP": "VA",
        "REF": "REF",
    }
    assert set(tot.index) == set(reference.index)
    for ours, theirs in names.items():
        assert close(tot[ours], reference.loc[tot.index, theirs], REF_REL), ours
    # exvatools reports DEXFVAP and FD_VA summed over partners at country level
    pairs = indicators[indicators["partner"].notna()]
    dexfvap = pairs[pairs["term"] == "DEXFVAP"].groupby("exporter")["value"].sum()
    assert close(dexfvap, reference.loc[dexfvap.index, "DEXFVAP"], REF_REL)
    fd_va = pairs[pairs["term"] == "FD_VA"].groupby("exporter")["value"].sum()
    assert close(fd_va, reference.loc[fd_va.index, "FD_VA"], REF_REL)


def test_api_levels(wiod2011):
    table = chainatlas.decompose(wiod2011, "tiva", level="sector")
    assert list(table.columns) == ["year", "exporter", "sector", "term", "value"]
    assert list(table["term"].unique()) == list(TIVA_TERMS)
    assert len(table) == 5 * wiod2011.GN
    full = chainatlas.decompose(wiod2011, "tiva", level="full")
    assert list(full.columns) == ["year", "exporter", "importer", "sector", "term", "value"]
