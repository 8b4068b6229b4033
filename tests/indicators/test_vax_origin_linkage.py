"""VA trade (§3), FVA / imported intermediates by origin (§7.1–§7.2), LINK_rs (§7.3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from indicator_helpers import WIOD_YEARS, rel_err

from chainatlas.core.value_added import (
    foreign_va_in_exports,
    gdp,
    intermediate_imports_by_source,
    va_trade_matrix,
)
from chainatlas.decompositions import decomposition
from chainatlas.indicators._common import workspace
from chainatlas.indicators.linkage import link_matrix, link_table
from chainatlas.indicators.origin import (
    _merge_map,
    bm_fva_by_origin,
    fva_by_origin,
    merged_dexfvap,
)
from chainatlas.indicators.vax import value_added_trade


@pytest.mark.parametrize("year", WIOD_YEARS)
def test_vax_and_link_identities_every_year(wiod_loader, year):
    model = wiod_loader(year)
    frame = value_added_trade(model, ["NEA"])
    country = frame[frame["level"] == "country"].pivot(
        index="exporter", columns="indicator", values="value"
    )
    country = country.reindex(model.countries)
    assert rel_err(country["vad"] + country["vax"], country["gdp"]) < 1e-9
    traced = (model.v * (model.B @ model.y)).reshape(model.G, model.N).sum(axis=1)
    assert rel_err(country["gdp"], traced) < 1e-9  # row sums of T = country sums of V̂BYu
    assert rel_err(country["gdp"], gdp(model)) < 1e-6  # = GDP up to WIOD rounding artefacts
    assert country["vax"].sum() == pytest.approx(country["vam"].sum(), rel=1e-9)
    assert abs(country["balvafd"].sum()) < 1e-9 * country["vax"].sum()
    T = va_trade_matrix(model)
    assert T.sum(axis=0) == pytest.approx(country["final_demand"].to_numpy(), rel=1e-12)
    assert T.sum() == pytest.approx(model.y.sum(), rel=1e-6)  # world GDP = world final demand
    # group rows are member sums
    group = frame[(frame["level"] == "group") & (frame["exporter"] == "NEA")]
    group = group.set_index("indicator")["value"]
    members = ["CHN", "JPN", "KOR", "RUS"]
    assert group["vax"] == pytest.approx(country.loc[members, "vax"].sum(), rel=1e-12)
    assert group["vax_ratio"] == pytest.approx(
        country.loc[members, "vax"].sum() / country.loc[members, "gross_exports"].sum()
    )
    # LINK: bounded, the LINK² identity, undefined diagonal
    link_frame = link_matrix(model)
    links = link_frame.pivot_table(
        index=["exporter", "importer"], columns="indicator", values="value"
    )
    # bounded in [0, 100] except where T_rs < 0 (negative inventories/VA): those are reported
    reported = {
        (e["exporter"], e["importer"])
        for e in link_frame.attrs["share_exceptions"]
        if e["indicator"] == "link"
    }
    outside = links.index[~links["link"].between(0, 100)]
    assert set(outside) == reported
    assert (np.sign(links["link"]) == np.sign(links["vaex_rs"])).all()
    lhs = links["link"] ** 2 * links["vaex_r"] * links["vaim_s"]
    assert rel_err(lhs, (100 * links["vaex_rs"]) ** 2) < 1e-9
    assert not (links.index.get_level_values(0) == links.index.get_level_values(1)).any()
    assert "ROW" not in set(links.index.get_level_values(0))


def test_link_matrix_matches_formula_and_marks_missing(wiod2011):
    table = link_table(wiod2011, ["CHN", "JPN", "KOR", "RUS", "MNG"])
    assert table.attrs["unavailable_economies"] == ["MNG"]
    assert table.loc["MNG"].isna().all() and table["MNG"].isna().all()
    assert np.isnan(table.loc["CHN", "CHN"])
    T = va_trade_matrix(wiod2011)
    foreign = T - np.diag(np.diag(T))
    j, c = wiod2011.countries.index("JPN"), wiod2011.countries.index("CHN")
    expected = 100 * T[j, c] / np.sqrt(foreign[j].sum() * foreign[:, c].sum())
    assert table.loc["JPN", "CHN"] == pytest.approx(expected, rel=1e-12)
    # S3 orientation (Table 3 text): JPN→CHN > KOR→CHN and CHN→JPN < JPN→CHN hold on WIOD too
    assert table.loc["JPN", "CHN"] > table.loc["KOR", "CHN"]
    assert table.loc["CHN", "JPN"] < table.loc["JPN", "CHN"]


def test_fva_by_origin_member_sum(wiod2011):
    frame = fva_by_origin(wiod2011, ["NEA", "ASEAN-9"])
    ms = frame[frame["convention"] == "member-sum"]
    shares = ms[(ms["indicator"] == "fva_share") & ms["origin"].isin(wiod2011.countries)]
    total = shares.groupby("exporter")["value"].sum()
    assert rel_err(total.to_numpy(), np.ones(len(total))) < 1e-9  # origins partition FVA
    dex = foreign_va_in_exports(wiod2011)
    exgr_fva = dex.sum(axis=0) - np.diag(dex)
    denominators = ms[(ms["origin"] == "ALL_FOREIGN") & (ms["indicator"] == "fva")]
    denominators = denominators.set_index("exporter")["value"]
    assert rel_err(denominators.reindex(wiod2011.countries).to_numpy(), exgr_fva) < 1e-12
    # group exporter = member sum (NEA as exporter: foreign = anyone but the member)
    get = ms.set_index(["exporter", "origin", "indicator"])["value"]
    members = ["CHN", "JPN", "KOR", "RUS"]
    num = sum(get[(m, "USA", "intermediate_imports")] for m in members)
    den = sum(get[(m, "ALL_FOREIGN", "intermediate_imports")] for m in members)
    assert get[("NEA", "USA", "intermediate_imports_share")] == pytest.approx(num / den)
    Z = intermediate_imports_by_source(wiod2011)
    i, k = wiod2011.countries.index("IND"), wiod2011.countries.index("CHN")
    share = Z[k, i] / (Z[:, i].sum() - Z[i, i])
    assert get[("IND", "CHN", "intermediate_imports_share")] == pytest.approx(share, rel=1e-12)
    assert frame.attrs["missing_members"]["ASEAN-9"][0] == "BRN"
    values = frame[frame["indicator"].str.endswith("_share")]["value"].dropna()
    assert len(frame.attrs["share_exceptions"]) == int(
        ((values < -1e-9) | (values > 1 + 1e-9)).sum()
    )


def test_bm_fva_by_origin_matches_bm_source(wiod2011):
    bm = bm_fva_by_origin(wiod2011)
    fva = decomposition(wiod2011, "bm-source").aggregate("FVA", "country")
    assert rel_err(bm.sum(axis=0) - np.diag(bm), fva) < 1e-9
    dex = workspace(wiod2011).dexfvap
    off = ~np.eye(wiod2011.G, dtype=bool)
    assert (bm[off] <= dex[off] + 1e-9 * dex.max()).all()  # FVA excludes FDC


def test_bloc_reaggregation_matches_model_aggregate(wiod_loader):
    """Merging members on the arrays = MRIOModel.aggregate. 2008: MRIOModel.aggregate rejects
    the years whose rounded copy keeps row totals of −1 (e.g. 2009–2011, LUX)."""
    wiod2011 = wiod_loader(2008)
    members = ["CHN", "JPN", "KOR"]
    to_merged, _position = _merge_map(wiod2011, members)
    ours = merged_dexfvap(wiod2011, to_merged)
    groups = {c: [c] for c in wiod2011.countries if c not in members}
    aggregated = wiod2011.aggregate(countries={"CJK": members, **groups})
    labels = [
        "CJK" if to_merged[:, k].sum() > 1 else wiod2011.countries[int(np.argmax(to_merged[:, k]))]
        for k in range(to_merged.shape[1])
    ]
    perm = [aggregated.countries.index(label) for label in labels]
    reference = workspace(aggregated).dexfvap
    assert rel_err(ours, reference[np.ix_(perm, perm)]) < 1e-9
    assert ours.shape == (wiod2011.G - 2, wiod2011.G - 2)
    frame = fva_by_origin(wiod2011, ["NEA"], conventions=["bloc"], bm_variant=False)
    shares = frame[(frame["indicator"] == "fva_share") & frame["origin"].isin(wiod2011.countries)]
    assert shares["value"].sum() == pytest.approx(1.0, rel=1e-9)
    assert shares.set_index("origin").loc[["CHN", "JPN", "KOR", "RUS"], "value"].eq(0).all()


def test_negative_link_shares_are_reported(wiod_loader):
    """WIOD 2001: T_MLT,EST < 0. LINK = 100·T_rs/√(VAX_r·VAM_s) keeps the sign (the
    geometric mean of two negative shares would give a positive LINK), and the negative
    export/import shares and LINK are all in share_exceptions (reported, not clipped)."""
    model = wiod_loader(2001)
    frame = link_matrix(model, ["MLT", "EST", "CHN"])
    T = workspace(model).T
    mlt, est = model.countries.index("MLT"), model.countries.index("EST")
    vax_mlt = T[mlt].sum() - T[mlt, mlt]
    vam_est = T[:, est].sum() - T[est, est]
    assert T[mlt, est] < 0
    expected = 100 * T[mlt, est] / np.sqrt(vax_mlt * vam_est)
    pair = frame[(frame["exporter"] == "MLT") & (frame["importer"] == "EST")]
    link = pair.loc[pair["indicator"] == "link", "value"].item()
    assert link < 0 and abs(link - expected) <= 1e-12 * abs(expected)
    reported = pd.DataFrame(frame.attrs["share_exceptions"])
    pair_reported = reported[(reported["exporter"] == "MLT") & (reported["importer"] == "EST")]
    assert set(pair_reported["indicator"]) == {"export_share", "import_share", "link"}
    shares = frame[frame["indicator"].isin(["export_share", "import_share"])]
    outside = shares[(shares["value"] < -1e-9) | (shares["value"] > 1 + 1e-9)]
    assert len(outside) == (reported["indicator"] != "link").sum()


def test_block_jacobi_leontief_solve_equals_the_direct_solve():
    """The bloc convention's solver: converged iteration = direct solve to rounding; when the
    iteration cannot converge (ρ(L A^F) ≥ 1) the direct solve is used."""
    from chainatlas.indicators.origin import _leontief_solve_block_jacobi

    rng = np.random.default_rng(7)
    G, N = 5, 4
    A = rng.uniform(0, 0.08, (G * N, G * N))
    rhs = rng.uniform(0, 1, (G * N, 2))
    direct = np.linalg.solve(np.eye(G * N) - A, rhs)
    assert rel_err(_leontief_solve_block_jacobi(A, rhs, G, N), direct) < 1e-14
    # foreign blocks so large that z ← L(rhs + A^F z) diverges, while I − A stays invertible
    B = np.zeros((G * N, G * N))
    B[:N, N : 2 * N] = 3.0 * np.eye(N)
    B[N : 2 * N, :N] = 0.5 * np.eye(N)
    B[:N, :N] = 0.1 * np.eye(N)
    direct = np.linalg.solve(np.eye(G * N) - B, rhs)
    assert rel_err(_leontief_solve_block_jacobi(B, rhs, G, N, max_iter=50), direct) < 1e-12
