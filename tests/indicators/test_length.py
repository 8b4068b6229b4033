"""WWYZ production length, Xv split and GVC position (METHODS §6.1–§6.2)."""

from __future__ import annotations

import numpy as np
import pytest
from indicator_helpers import WIOD_YEARS, rel_err

from chainatlas.indicators.length import (
    BACKWARD_PIECES,
    FORWARD_PIECES,
    length_parts,
    production_length,
    shortening_panel,
)
from chainatlas.indicators.participation import production_parts


@pytest.mark.parametrize("year", WIOD_YEARS)
def test_length_identities_every_year(wiod_loader, year):
    model = wiod_loader(year)
    p = length_parts(model)
    x_traced = model.B @ model.y  # BYu; = x except for rounding artefacts of the WIOD copy
    assert rel_err(x_traced, model.x) < 1e-6
    # PLv = Bx/x and PLy = u'B (METHODS §6.1 equivalences), with x = BYu
    has_va = (model.va != 0) & (model.x != 0)
    plv = p["xv_f_total"][has_va] / p["va"][has_va]
    assert rel_err(plv, (model.B @ x_traced)[has_va] / x_traced[has_va]) < 1e-9
    ply_expected = np.ones(model.GN) @ model.B
    has_y = model.y != 0
    assert rel_err(p["xv_b_total"][has_y] / model.y[has_y], ply_expected[has_y]) < 1e-9
    # world average length: Σ va·PLv = (vB)·BYu and Σ y·PLy = u'BY u = Σ BYu, both ≈ Σ x
    assert p["xv_f_total"].sum() == pytest.approx((model.v @ model.B) @ x_traced, rel=1e-9)
    assert p["xv_b_total"].sum() == pytest.approx(x_traced.sum(), rel=1e-9)
    assert p["xv_f_total"].sum() == pytest.approx(model.x.sum(), rel=1e-6)
    assert p["xv_b_total"].sum() == pytest.approx(model.x.sum(), rel=1e-6)
    # five-way split of Xv exact, by rows and by columns
    assert rel_err(sum(p[k] for k in FORWARD_PIECES), p["xv_f_total"]) < 1e-9
    assert rel_err(sum(p[k] for k in BACKWARD_PIECES), p["xv_b_total"]) < 1e-9
    # V_GVC read by rows equals WWYZ participation numerators; world forward = backward
    parts = production_parts(model)
    assert rel_err(p["v_gvc_f"], parts["va_gvc_simple"] + parts["va_gvc_complex"]) < 1e-9
    assert rel_err(p["y_gvc_b"], parts["y_gvc_simple"] + parts["y_gvc_complex"]) < 1e-9
    assert p["v_gvc_f"].sum() == pytest.approx(p["y_gvc_b"].sum(), rel=1e-9)


def test_lengths_at_least_one_and_components_add_up(wiod2011):
    frame = production_length(wiod2011, ["NEA"])
    wide = frame.pivot_table(index=["level", "country", "sector"], columns="indicator",
                             values="value")  # fmt: skip
    positive = wide[(wide["va"] > 0) & (wide["y"] > 0)]
    assert (positive["plv"] >= 1 - 1e-9).all() and (positive["ply"] >= 1 - 1e-9).all()
    fine = positive.dropna(subset=["plv_gvc", "ply_gvc"])
    assert rel_err(fine["plvd_gvc"] + fine["cbv_gvc"] + fine["plvf_gvc"], fine["plv_gvc"]) < 1e-9
    assert rel_err(fine["plyd_gvc"] + fine["cby_gvc"] + fine["plyf_gvc"], fine["ply_gvc"]) < 1e-9
    assert rel_err(fine["gvc_position"], fine["plv_gvc"] / fine["ply_gvc"]) < 1e-12
    world = wide.loc[("world", "WORLD", "TOTAL")]
    assert world["plv"] == pytest.approx(wiod2011.x.sum() / wiod2011.va.sum(), rel=1e-9)
    assert frame.attrs["missing_members"] == {"NEA": ["MNG"]}


def test_shortening_panel_flags_falls(wiod_loader):
    frames = [production_length(wiod_loader(y), levels=("country",)) for y in (2008, 2009)]
    import pandas as pd

    panel = shortening_panel(pd.concat(frames, ignore_index=True))
    chn = panel[(panel["country"] == "CHN")].set_index("year")
    change = chn.loc[2009, "plv_gvc"] - chn.loc[2008, "plv_gvc"]
    assert chn.loc[2009, "d_plv_gvc"] == pytest.approx(change)
    assert bool(chn.loc[2009, "shortened_f"]) == bool(
        change < 0 or chn.loc[2009, "d_pl_gvc_international_f"] < 0
    )
    assert np.isnan(chn.loc[2008, "d_plv_gvc"]) and np.isnan(chn.loc[2008, "shortened_f"])
