"""WWYZ production-based participation (METHODS §5) and trade-based rates (§4.4–§4.5)."""

from __future__ import annotations

import numpy as np
import pytest
from indicator_helpers import WIOD_YEARS, rel_err

from chainatlas.core.value_added import foreign_va_in_exports
from chainatlas.decompositions import decomposition
from chainatlas.indicators._common import workspace
from chainatlas.indicators.participation import (
    PRODUCTION_SHARES,
    adb_trade_participation,
    bilateral_production_flows,
    production_participation,
    production_parts,
    trade_participation,
)

FORWARD = ("va_domestic", "va_traditional", "va_gvc_simple", "va_gvc_complex")
BACKWARD = ("y_domestic", "y_traditional", "y_gvc_simple", "y_gvc_complex")


@pytest.mark.parametrize("year", WIOD_YEARS)
def test_wwyz_identities_every_year(wiod_loader, year):
    model = wiod_loader(year)
    parts = production_parts(model)
    # row split by VA origin and column split by final producer are exact
    traced_va = model.v * (model.B @ model.y)  # row sums of V̂BŶ
    assert rel_err(parts["va"], traced_va) < 1e-12
    assert rel_err(sum(parts[k] for k in FORWARD), traced_va) < 1e-9
    assert rel_err(traced_va, model.va) < 1e-6  # rounding artefacts of the integer WIOD copy
    assert rel_err(sum(parts[k] for k in BACKWARD), model.y) < 1e-9
    # the same matrix read by rows and by columns: world totals agree
    for fwd, bwd in zip(FORWARD, BACKWARD, strict=True):
        assert parts[fwd].sum() == pytest.approx(parts[bwd].sum(), rel=1e-9)
    # bilateral form: Σ_r (RT + simple + complex) = v_s L_ss e_s* (BM DVA)
    flows = workspace(model).bilateral_production_flows
    total = sum(f.sum(axis=1) for f in flows.values())
    ws = workspace(model)
    # exactly v_s L_ss (Y_s* + A^F BYu); = BM DVA v_s L_ss e_s* up to the inputs of zero-output
    # sectors that A = Z x̂⁻¹ drops (rounding artefacts of the WIOD copy)
    exports_traced = ws.y_foreign + ws.AF_x
    assert rel_err(total, ws.vL * exports_traced) < 1e-9
    assert rel_err(total, ws.vL * model.total_exports) < 1e-6
    # rows of the bilateral form are exporting sectors, not VA-origin sectors: only country
    # totals of simple / complex flows equal the forward GVC numerators
    G, N = model.G, model.N
    for kind in ("simple", "complex"):
        by_country = flows[kind].sum(axis=1).reshape(G, N).sum(axis=1)
        assert rel_err(by_country, parts[f"va_gvc_{kind}"].reshape(G, N).sum(axis=1)) < 1e-9


def test_shares_in_unit_interval_or_reported(wiod2011):
    frame = production_participation(wiod2011, ["NEA", "ASEAN-9"])
    shares = frame[frame["indicator"].isin(PRODUCTION_SHARES)].dropna(subset=["value"])
    outside = shares[(shares["value"] < -1e-9) | (shares["value"] > 1 + 1e-9)]
    reported = frame.attrs["share_exceptions"]
    assert len(reported) == len(outside)  # every exception reported, none clipped
    # exceptions only where inputs are negative (negative inventories / value added)
    parts = production_parts(wiod2011)
    keys = set(zip(wiod2011.row_index.get_level_values(0), wiod2011.row_index.get_level_values(1),
                   strict=True))  # fmt: skip
    assert keys  # sanity
    for row in reported:
        if row["level"] != "country_sector":
            continue
        i = wiod2011.country_position(row["country"]) * wiod2011.N + wiod2011.sector_position(
            row["sector"]
        )
        negative_inputs = (
            parts["va"][i] < 0
            or parts["y"][i] < 0
            or min(parts[k][i] for k in FORWARD + BACKWARD) < 0
        )
        assert negative_inputs, row


def test_group_and_sector_group_aggregation_is_sum_of_parts(wiod2011):
    frame = production_participation(wiod2011, ["NEA"])
    get = frame.set_index(["level", "country", "sector", "indicator"])["value"]
    members = ["CHN", "JPN", "KOR", "RUS"]
    num = sum(get[("country", c, "TOTAL", "va_gvc_simple")] for c in members) + sum(
        get[("country", c, "TOTAL", "va_gvc_complex")] for c in members
    )
    den = sum(get[("country", c, "TOTAL", "va")] for c in members)
    assert get[("group", "NEA", "TOTAL", "gvc_forward")] == pytest.approx(num / den, rel=1e-12)
    # sector group of a country from its country-sector rows
    sectors = ["c8", "c9", "c11", "c12", "c13", "c14", "c15"]
    num = sum(get[("country_sector", "CHN", s, "y_gvc_simple")] for s in sectors) + sum(
        get[("country_sector", "CHN", s, "y_gvc_complex")] for s in sectors
    )
    den = sum(get[("country_sector", "CHN", s, "y")] for s in sectors)
    assert get[("sector_group", "CHN", "medhigh_tech_mfg", "gvc_backward")] == pytest.approx(
        num / den, rel=1e-12
    )
    assert frame.attrs["missing_members"] == {"NEA": ["MNG"]}
    assert "ROW" not in frame.attrs["group_members"]["NEA"]


def test_bilateral_frame_excludes_own_country(wiod2011):
    flows = bilateral_production_flows(wiod2011)
    assert not (flows["exporter"] == flows["importer"]).any()
    assert set(flows["indicator"]) == {"va_traditional", "va_simple", "va_complex"}


def test_koopman_parts_match_foreign_content(wiod2011):
    frame = trade_participation(wiod2011, variants=["default", "no_fdc"])
    country = frame[(frame["level"] == "country") & (frame["method"] == "koopman2010-default")]
    fv = country[country["indicator"] == "fv"].set_index("country")["value"]
    dex = foreign_va_in_exports(wiod2011)
    exgr_fva = dex.sum(axis=0) - np.diag(dex)  # Σ_{t≠s} v_t B_ts e_s*
    assert rel_err(fv.reindex(wiod2011.countries).to_numpy(), exgr_fva) < 1e-9
    participation = country[country["indicator"] == "trade_participation"]["value"]
    assert participation.between(0, 1).all()
    position = country[country["indicator"] == "trade_position"].set_index("country")["value"]
    iv = country[country["indicator"] == "iv"].set_index("country")["value"]
    e = country[country["indicator"] == "exports"].set_index("country")["value"]
    expected = np.log1p(iv / e) - np.log1p(fv / e)
    assert rel_err(position.to_numpy(), expected.reindex(position.index).to_numpy()) < 1e-12


def test_adb_production_rate_equals_wwyz_forward(wiod2011):
    """§4.4: Σ (DAVAX2 + REX + REF) over an exporter's sectors = WWYZ forward GVC VA."""
    terms = decomposition(wiod2011, "bm-adb").terms
    intermediate = sum(terms[k] for k in ("DAVAX2", "REX1", "REX2", "REX3", "REF1", "REF2"))
    by_country = intermediate.sum(axis=1).reshape(wiod2011.G, wiod2011.N).sum(axis=1)
    parts = production_parts(wiod2011)
    gvc = (parts["va_gvc_simple"] + parts["va_gvc_complex"]).reshape(wiod2011.G, wiod2011.N)
    assert rel_err(by_country, gvc.sum(axis=1)) < 1e-9
    frame = adb_trade_participation(wiod2011)
    country = frame[(frame["level"] == "country")].pivot(
        index="country", columns="indicator", values="value"
    )
    assert (
        rel_err(country["adb_participation"], country["adb_forward"] + country["adb_backward"])
        < 1e-12
    )
