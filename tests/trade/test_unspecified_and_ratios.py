"""Issue 14 leftovers: pseudo-countries never count as exporters, importers or network nodes,
and no indicator invents inf/NaN on degenerate stores (zero exports, one exporter).

Expected values are derived by hand from the rows below (values in thousands of USD), or by
comparing a store with unspecified areas to the same store without them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chainatlas.trade import (
    export_centrality,
    exporter_shares,
    importer_hhi,
    strategic_dependency_screen,
    topk_counts,
    vulnerability_screen,
)

# 1-4 countries; 250 is Atlas-style "ANS" (areas not specified); 837 has no ISO3 in the code
# list, so the BACI reader names it X837 (bunkers) — both are unspecified areas.
CODES = {1: "AAA", 2: "BBB", 3: "CCC", 4: "DDD", 250: "ANS", 837: "N/A"}
COUNTRY_ROWS = [
    # 010611: AAA, BBB, CCC each 5 to DDD
    (2020, 1, 4, "10611", 5, "NA"),
    (2020, 2, 4, "10611", 5, "NA"),
    (2020, 3, 4, "10611", 5, "NA"),
    # 010612: AAA 6, BBB 3, CCC 1 to DDD; DDD 2 to AAA
    (2020, 1, 4, "10612", 6, "NA"),
    (2020, 2, 4, "10612", 3, "NA"),
    (2020, 3, 4, "10612", 1, "NA"),
    (2020, 4, 1, "10612", 2, "NA"),
    # 010121: one exporter (AAA) to BBB
    (2020, 1, 2, "10121", 8, "NA"),
]
UNSPECIFIED_ROWS = [
    (2020, 250, 4, "10611", 5, "NA"),  # ANS supplies DDD
    (2020, 250, 4, "10612", 10, "NA"),  # ANS is the largest "supplier" of 010612
    (2020, 1, 837, "10612", 4, "NA"),  # AAA exports to bunkers: AAA's exports, not an edge
    (2020, 250, 2, "10129", 5, "NA"),  # 010129 is exported by ANS alone
]


@pytest.fixture
def stores(make_store):
    """(store with unspecified areas, the same store without their rows)."""
    return make_store(COUNTRY_ROWS + UNSPECIFIED_ROWS, CODES), make_store(COUNTRY_ROWS, CODES)


def _numeric_finite(frame: pd.DataFrame, allowed_missing: tuple[str, ...] = ()) -> None:
    for column in frame.select_dtypes("number").columns:
        values = frame[column].to_numpy(dtype=float)
        if column in allowed_missing:
            values = values[~np.isnan(values)]
        assert np.isfinite(values).all(), column


def test_centrality_counts_countries_only_and_keeps_world_value(stores):
    with_pseudo, _ = stores
    cent = export_centrality(with_pseudo, [2020], universe="all").set_index("hs6")
    # 010612 exporters: AAA 6 + 4 (to bunkers), BBB 3, CCC 1, DDD 2; ANS's 10 is not a share
    row = cent.loc["010612"]
    assert row["n_exporters"] == 4
    assert row["world_value"] == pytest.approx((10 + 3 + 1 + 2 + 10) * 1000.0)
    assert row["unspecified_value"] == pytest.approx(10_000.0)
    assert row["sigma_max"] == pytest.approx(10 / 16, abs=1e-15)
    assert row["hhi"] == pytest.approx((100 + 9 + 1 + 4) / 256, abs=1e-15)
    assert row["freeman"] == pytest.approx((4 * 10 / 16 - 1) / 3, abs=1e-15)
    assert cent.loc["010611", "hhi"] == pytest.approx(1 / 3, abs=1e-15)  # ANS's 5 left out
    assert cent.loc["010121", "freeman"] == 1.0  # one exporter: defined, no 0/0
    # a product exported only by ANS has no exporter: left out, and said so
    assert "010129" not in cent.index
    assert "1 row(s) with no exporter" in cent.attrs["unspecified"]
    _numeric_finite(cent.reset_index())


@pytest.mark.parametrize("variant", ["hits", "pagerank"])
def test_network_measures_ignore_unspecified_nodes(stores, variant):
    """Unspecified areas are no nodes: the scores equal those of the store without them."""
    with_pseudo, without = stores
    got = export_centrality(with_pseudo, [2020], variant=variant, universe="all")
    expected = export_centrality(without, [2020], variant=variant, universe="all")
    got = got.set_index("hs6")["centrality"]
    expected = expected.set_index("hs6")["centrality"]
    assert set(got.index) == set(expected.index)
    np.testing.assert_allclose(got[expected.index], expected, rtol=1e-9, atol=1e-12)
    if variant == "hits":
        assert got["010121"] == pytest.approx(1.0, abs=1e-9)  # the one exporter's hub share


def test_importer_hhi_and_shares_over_country_suppliers(stores):
    with_pseudo, without = stores
    got = importer_hhi(with_pseudo, "DDD", [2020], universe="all").set_index("hs6")
    base = importer_hhi(without, "DDD", [2020], universe="all").set_index("hs6")
    for column in ("n_suppliers", "hhi", "top_share"):
        np.testing.assert_allclose(got[column], base[column], rtol=1e-12)
    assert got.loc["010612", "top_supplier"] == "AAA"  # not ANS, which sent more
    assert got.loc["010612", "import_value"] == pytest.approx((6 + 3 + 1 + 10) * 1000.0)
    assert got.loc["010612", "unspecified_value"] == pytest.approx(10_000.0)
    shares = exporter_shares(with_pseudo, [2020], universe="all")
    assert not set(shares["exporter"]) & {"ANS", "X837"}
    np.testing.assert_allclose(shares.groupby("hs6")["share"].sum(), 1.0, atol=1e-12)
    counts = topk_counts(with_pseudo, [2020], k=1, universe="all")
    assert not set(counts["exporter"]) & {"ANS", "X837"}


def test_eu_screen_zero_exports_is_missing_and_flagged_not_inf(stores):
    with_pseudo, _ = stores
    screen = strategic_dependency_screen(with_pseudo, "DDD", 2020, universe="all")
    screen = screen.set_index("hs6")
    # 010611: DDD exports none -> no ratio, flagged, and C3 (net importer) holds
    row = screen.loc["010611"]
    assert row["no_extra_exports"] and np.isnan(row["import_export_ratio"])
    assert row["c3_net_importer"]
    # 010612: imports 6 + 3 + 1 + 10 (ANS counts as an extra-group origin), exports 2
    row = screen.loc["010612"]
    assert not row["no_extra_exports"]
    assert row["import_export_ratio"] == pytest.approx(20 / 2)
    assert row["hhi_extra"] == pytest.approx(0.36 + 0.09 + 0.01)  # over countries
    assert row["n_extra_suppliers"] == 3
    assert row["top_share"] == pytest.approx(0.6)
    assert row["unspecified_value"] == pytest.approx(10_000.0)
    assert row["dependent"]
    assert not screen.loc["010611", "dependent"]  # HHI 1/3 < 0.4
    _numeric_finite(screen.reset_index(), allowed_missing=("import_export_ratio",))
    assert (screen["import_export_ratio"].isna() == screen["no_extra_exports"]).all()
    # an infinite threshold: no ratio exceeds it, not even "no exports"
    never = strategic_dependency_screen(
        with_pseudo, "DDD", 2020, universe="all", import_export_threshold=float("inf")
    )
    assert not never["c3_net_importer"].any()


def test_c3_at_the_threshold_and_a_group_exporting_nothing(make_store):
    """Ratio exactly at the threshold is not 'above' it; a group with no extra exports."""
    rows = [
        (2020, 1, 2, "10611", 4, "NA"),  # AAA -> BBB 4
        (2020, 2, 1, "10611", 2, "NA"),  # BBB -> AAA 2: ratio for BBB = 2
        (2020, 3, 2, "10612", 1, "NA"),
    ]
    store = make_store(rows, {1: "AAA", 2: "BBB", 3: "CCC"})
    at = strategic_dependency_screen(
        store, "BBB", 2020, universe="all", import_export_threshold=2.0
    ).set_index("hs6")
    assert at.loc["010611", "import_export_ratio"] == pytest.approx(2.0)
    assert not at.loc["010611", "c3_net_importer"]
    assert at.loc["010612", "no_extra_exports"] and at.loc["010612", "c3_net_importer"]
    group = strategic_dependency_screen(store, ["AAA", "BBB"], 2020, universe="all")
    assert group["no_extra_exports"].all() and group["c3_net_importer"].all()


def test_eu_screen_cli_writes_no_inf(stores, tmp_path):
    from safety_helpers import cli

    with_pseudo, _ = stores
    with_pseudo.close()  # the CLI opens the database itself
    out = tmp_path / "eu.csv"
    code, _, err = cli(
        "trade", "eu-screen", "--db", str(with_pseudo.path), "--importer", "DDD",
        "--year", "2020", "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    text = out.read_text()
    assert "inf" not in text.lower()
    frame = pd.read_csv(out, dtype={"hs6": str}).set_index("hs6")
    assert frame.loc["010611", "no_extra_exports"]
    assert pd.isna(frame.loc["010611", "import_export_ratio"])  # an empty cell
    assert frame.loc["010612", "import_export_ratio"] == pytest.approx(10.0)


def test_vulnerability_on_a_store_with_unspecified_areas(stores, tmp_path):
    from safety_helpers import cli

    with_pseudo, _ = stores
    result = vulnerability_screen(with_pseudo, "DDD", [2020], universe="all")
    assert not set(result.products["top_supplier"]) & {"ANS", "X837"}
    _numeric_finite(result.products)
    notes = result.parameters["unspecified_areas"]
    assert "1 row(s) with no exporter" in notes["centrality"]  # 010129, ANS alone
    assert "not counted as suppliers" in notes["import_concentration"]
    with_pseudo.close()
    code, _, err = cli(
        "vulnerability", "--db", str(with_pseudo.path), "--importer", "DDD", "--year", "2020",
        "--universe", "all", "--format", "csv", "--out", str(tmp_path / "v"),
    )  # fmt: skip
    assert code == 0, err
    parameters = (tmp_path / "v" / "parameters.json").read_text()
    assert "no exporter but unspecified areas" in parameters
    counts = pd.read_csv(tmp_path / "v" / "top3_counts.csv")
    assert not set(counts["exporter"]) & {"ANS", "X837"}
    products = pd.read_csv(tmp_path / "v" / "products.csv")
    assert "inf" not in (tmp_path / "v" / "products.csv").read_text().lower()
    assert products["hhi"].notna().all()


DEGENERATE = {
    "one flow": ([(2020, 1, 2, "10611", 5, "NA")], {1: "AAA", 2: "BBB"}),
    "a product only from ANS": (
        [(2020, 250, 2, "10611", 5, "NA"), (2020, 1, 2, "10612", 3, "NA")],
        {1: "AAA", 2: "BBB", 250: "ANS"},
    ),
    "one exporter, two products, BBB exports back": (
        [
            (2020, 1, 2, "10611", 5, "NA"),
            (2020, 1, 2, "10612", 3, "NA"),
            (2020, 2, 1, "10612", 3, "NA"),
        ],
        {1: "AAA", 2: "BBB"},
    ),
}


@pytest.mark.parametrize("case", sorted(DEGENERATE))
def test_degenerate_stores_give_finite_results(make_store, case):
    from chainatlas.trade import political_risk
    from chainatlas.trade.indicators import CENTRALITY_VARIANTS

    store = make_store(*DEGENERATE[case])
    for variant in CENTRALITY_VARIANTS:
        cent = export_centrality(store, [2020], variant=variant, universe="all")
        assert len(cent) and cent["centrality"].between(0, 1).all()
        _numeric_finite(cent)
    _numeric_finite(exporter_shares(store, [2020], universe="all"))
    _numeric_finite(importer_hhi(store, "BBB", [2020], universe="all"))
    _numeric_finite(topk_counts(store, [2020], k=1, universe="all", high_centrality_quantile=0.5))
    screen = strategic_dependency_screen(store, "BBB", 2020, universe="all")
    _numeric_finite(screen, allowed_missing=("import_export_ratio",))
    if "ANS" in case:  # BBB's 010611 comes from ANS alone: no supplier HHI, left out
        assert screen["hs6"].tolist() == ["010612"]
        assert "1 row(s) with no supplier" in screen.attrs["unspecified"]
    assert 0.0 <= screen.attrs["dependent_value_share"] <= 1.0
    result = vulnerability_screen(store, "BBB", [2020], universe="all")
    for frame in (result.products, result.classes, result.chapters, result.thresholds):
        _numeric_finite(frame)
    distances = pd.DataFrame({"country_a": ["BBB"], "country_b": ["AAA"], "distance": [1.0]})
    risk = political_risk(store, "BBB", distances, [2020], universe="all")
    assert np.isfinite([risk["r_econ"], risk["r_pol"], risk["relative_increase"]]).all()
    assert risk["relative_increase"] == 0.0  # one distance: min-max span 0, pi = 0


def test_importer_supplied_only_by_unspecified_areas(make_store, tmp_path):
    from safety_helpers import assert_one_line_error, cli

    from chainatlas.errors import ChainAtlasError
    from chainatlas.trade import political_risk

    store = make_store(
        [(2020, 250, 2, "10611", 5, "NA"), (2020, 1, 3, "10612", 3, "NA")],
        {1: "AAA", 2: "BBB", 3: "CCC", 250: "ANS"},
    )
    assert importer_hhi(store, "BBB", [2020], universe="all").empty
    distances = pd.DataFrame({"country_a": ["BBB"], "country_b": ["AAA"], "distance": [1.0]})
    with pytest.raises(ChainAtlasError, match="no imports from a country"):
        political_risk(store, "BBB", distances, [2020], universe="all")
    store.close()
    table = tmp_path / "d.csv"
    distances.to_csv(table, index=False)
    result = cli(
        "trade", "supply-risk", "--db", str(store.path), "--importer", "BBB",
        "--distances", str(table), "--universe", "all", "--out", str(tmp_path / "r.csv"),
    )  # fmt: skip
    assert_one_line_error(result, "no imports from a country")
    assert not (tmp_path / "r.csv").exists()


def test_an_unspecified_area_is_not_screened_as_an_importer(stores, tmp_path):
    from safety_helpers import assert_one_line_error, cli

    from chainatlas.errors import ChainAtlasError
    from chainatlas.trade import grubel_lloyd_from_store

    with_pseudo, _ = stores
    calls = [
        lambda: importer_hhi(with_pseudo, "ans", [2020], universe="all"),
        lambda: vulnerability_screen(with_pseudo, "X837", [2020], universe="all"),
        lambda: strategic_dependency_screen(with_pseudo, ["DDD", "ANS"], 2020, universe="all"),
        lambda: grubel_lloyd_from_store(with_pseudo, "AAA", "ANS", [2020]),
    ]
    for call in calls:
        with pytest.raises(ChainAtlasError, match="unspecified area"):
            call()
    with_pseudo.close()
    result = cli(
        "vulnerability", "--db", str(with_pseudo.path), "--importer", "ANS", "--year", "2020",
        "--universe", "all", "--out", str(tmp_path / "v"),
    )  # fmt: skip
    assert_one_line_error(result, "ANS", "unspecified area")
    assert not (tmp_path / "v").exists()
