"""Decompositions aggregated to country groups and WWZ/BM term groups, checked against sums
over the present members computed here from the raw term arrays with numpy."""

from __future__ import annotations

import numpy as np
import pytest

import chainatlas
from chainatlas.core.groups import resolve_group
from chainatlas.decompositions import decompose, decomposition
from chainatlas.decompositions.grouping import TERM_GROUPS
from chainatlas.util.labels import add_names


def test_group_sums_equal_the_sum_over_present_members(wiod2011):
    frame = chainatlas.decompose(
        wiod2011, "wwz", level="bilateral", groups=["NEA", "ASEAN-9"], term_groups=True
    )
    raw = decomposition(wiod2011, "wwz")
    codes = list(wiod2011.countries)
    nea = [c for c in ("CHN", "JPN", "KOR", "RUS", "MNG") if c in codes]
    asean = [
        c for c in ("BRN", "KHM", "IDN", "LAO", "MYS", "PHL", "SGP", "THA", "VNM") if c in codes
    ]
    assert "MNG" not in nea and nea == ["CHN", "JPN", "KOR", "RUS"]
    ex_nea = [codes.index(c) for c in nea]
    ex_asean = [codes.index(c) for c in asean]
    usa = codes.index("USA")

    def bilateral(term: str) -> np.ndarray:  # (G, G) exporter × importer, by hand
        G, N = wiod2011.G, wiod2011.N
        return raw.terms[term].reshape(G, N, G).sum(axis=1)

    dva = sum(bilateral(t) for t in ("DVA_FIN", "DVA_INT", "DVA_INTrexI1", "DVA_INTrexF",
                                      "DVA_INTrexI2"))  # fmt: skip
    got = frame.set_index(["exporter", "importer", "term"])["value"]
    assert got[("NEA", "USA", "DVA")] == pytest.approx(dva[ex_nea, usa].sum(), rel=1e-12)
    # importers grouped too: NEA -> ASEAN-9 sums members on both sides
    assert got[("NEA", "ASEAN-9", "DVA")] == pytest.approx(
        dva[np.ix_(ex_nea, ex_asean)].sum(), rel=1e-12
    )
    # the four term groups add up to gross exports of the group
    exports = wiod2011.exports.reshape(wiod2011.G, wiod2011.N, wiod2011.G).sum(axis=1)
    total = sum(got[("NEA", "USA", g)] for g in TERM_GROUPS["wwz"])
    assert total == pytest.approx(exports[ex_nea, usa].sum(), rel=1e-9)
    notes = " ".join(frame.attrs["notes"])
    assert "MNG" in notes and "NEA" in notes
    assert frame.attrs["groups"]["NEA"] == nea
    assert frame.attrs["units"] == wiod2011.units and frame.attrs["year"] == 2011
    assert "2013 release" in frame.attrs["release"]
    assert set(frame["exporter"]) == {"NEA", "ASEAN-9"}


def test_resolved_group_present_members_aggregate_the_model(wiod2011):
    group = resolve_group("NEA", wiod2011.countries, 2011)
    assert "MNG" in group.missing
    merged = wiod2011.aggregate({"NEA": list(group.present)})
    assert "NEA" in merged.countries
    from chainatlas.decompositions.grouping import aggregate_model

    grouped, notes = aggregate_model(wiod2011, ["NEA"])
    assert "NEA" in grouped.countries and "MNG" in " ".join(notes)
    nea = grouped.country_position("NEA")
    members = [wiod2011.country_position(c) for c in group.present]
    exports = wiod2011.exports.reshape(wiod2011.G, wiod2011.N, wiod2011.G).sum(axis=(1, 2))
    grouped_exports = grouped.exports.reshape(grouped.G, grouped.N, grouped.G).sum(axis=(1, 2))
    # gross exports of the merged economy = members' exports minus trade among them
    G, N = wiod2011.G, wiod2011.N
    among = wiod2011.exports.reshape(G, N, G)[members][:, :, members].sum()
    assert grouped_exports[nea] == pytest.approx(exports[members].sum() - among, rel=1e-9)


def test_one_decompose_returns_frames_with_meaning(wiod2011):
    a = chainatlas.decompose(wiod2011, "bm-source", level="country", term_groups=True)
    b = decompose(wiod2011, "bm-source", level="country", term_groups=True)
    assert type(a) is type(b) and a.equals(b)
    assert list(a["term"].unique()) == list(TERM_GROUPS["bm-source"])
    plain = decompose(wiod2011, "bm-source", level="country", wide=True).set_index("exporter")
    grouped = a.pivot(index="exporter", columns="term", values="value").loc[plain.index]
    np.testing.assert_allclose(grouped["PDC"], plain["DDC"] + plain["FDC"], rtol=1e-12)
    np.testing.assert_allclose(grouped["DVA"], plain["VAX"], rtol=1e-12)
    assert a.attrs["method"] == "bm-source" and a.attrs["table"] == "wiod2013"
    named = add_names(decompose(wiod2011, "wwz", level="sector"), "zh")
    row = named[(named["exporter"] == "CHN") & (named["sector"] == "c14")].iloc[0]
    assert row["exporter_name"] == "中国" and row["sector_name"]
    text = repr(wiod2011)
    assert text.startswith("MRIOModel(wiod2013 2011: ") and len(text) < 120


def test_tiva_dva_is_wwz_dva_plus_returned_and_domestic_double_counting(wiod2011):
    """The report's Methods section says TiVA DVA = WWZ DVA + RDV + domestic DDC."""
    wwz = decompose(wiod2011, "wwz", level="country", wide=True).set_index("exporter")
    tiva = decompose(wiod2011, "tiva", level="country", wide=True).set_index("exporter")
    groups = TERM_GROUPS["wwz"]
    domestic = wwz[[*groups["DVA"], *groups["RDV"], "DDC_FIN", "DDC_INT"]].sum(axis=1)
    np.testing.assert_allclose(domestic, tiva.loc[domestic.index, "EXGR_DVA"], rtol=1e-9)
    share_wwz = wwz[list(groups["DVA"])].sum(axis=1) / wwz.sum(axis=1)
    share_tiva = tiva["EXGR_DVA"] / (tiva["EXGR_DVA"] + tiva["EXGR_FVA"])
    assert share_wwz["CHN"] < share_tiva["CHN"]
