"""§10 indicators: hand-derivable values on small tables and properties on the real extracts."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from chainatlas.errors import ChainAtlasError, ValidationError
from chainatlas.trade import (
    end_use_composition,
    export_centrality,
    exporter_shares,
    importer_hhi,
    political_risk,
    strategic_dependency_screen,
    topk_counts,
    vulnerability_screen,
)

CODES = {1: "AAA", 2: "BBB", 3: "CCC", 4: "DDD"}
# HS17 lines (UNSD BEC Rev.4): 010129 -> 111, 010611 -> 111, 010612 -> 111 (intermediate),
# 010121 -> 41 (capital), 020120 -> 122 (consumption). Values in thousands of USD.
ROWS = [
    # single exporter: AAA to BBB and CCC
    (2020, 1, 2, "10129", 10, "NA"),
    (2020, 1, 3, "10129", 30, "NA"),
    # equal shares: AAA, BBB, CCC each 5 to DDD
    (2020, 1, 4, "10611", 5, "NA"),
    (2020, 2, 4, "10611", 5, "NA"),
    (2020, 3, 4, "10611", 5, "NA"),
    # shares 0.6 / 0.3 / 0.1 to DDD
    (2020, 1, 4, "10612", 6, "NA"),
    (2020, 2, 4, "10612", 3, "NA"),
    (2020, 3, 4, "10612", 1, "NA"),
    # capital and consumption goods from AAA
    (2020, 1, 2, "10121", 20, "NA"),
    (2020, 1, 3, "20120", 9, "NA"),
    # 2021: AAA first again in 010129, loses first place in 010612
    (2021, 1, 2, "10129", 7, "NA"),
    (2021, 2, 3, "10129", 3, "NA"),
    (2021, 1, 4, "10612", 1, "NA"),
    (2021, 2, 4, "10612", 8, "NA"),
]


@pytest.fixture
def small(make_store):
    return make_store(ROWS, CODES)


def test_exporter_shares_and_ranks_by_hand(small):
    shares = exporter_shares(small, [2020])
    c = shares[shares["hs6"] == "010612"].set_index("exporter")
    assert c["share"].to_dict() == pytest.approx({"AAA": 0.6, "BBB": 0.3, "CCC": 0.1}, abs=1e-15)
    assert c["rank"].to_dict() == {"AAA": 1, "BBB": 2, "CCC": 3}
    assert (c["n_exporters"] == 3).all()
    sums = shares.groupby(["year", "hs6"])["share"].sum()
    np.testing.assert_allclose(sums, 1.0, rtol=0, atol=1e-12)
    # equal shares tie: every exporter ranks first
    assert set(shares[shares["hs6"] == "010611"]["rank"]) == {1}


def test_centrality_single_exporter_one_equal_shares_zero(small):
    cent = export_centrality(small, [2020]).set_index("hs6")
    assert cent.loc["010129", "freeman"] == 1.0  # one exporter
    assert cent.loc["010611", "freeman"] == pytest.approx(0.0, abs=1e-15)  # equal shares
    assert cent.loc["010612", "freeman"] == pytest.approx((3 * 0.6 - 1) / 2, abs=1e-15)
    assert cent.loc["010612", "hhi"] == pytest.approx(0.36 + 0.09 + 0.01, abs=1e-15)
    assert cent.loc["010611", "hhi"] == pytest.approx(1 / 3, abs=1e-15)
    hits = export_centrality(small, [2020], variant="hits").set_index("hs6")
    assert hits.loc["010129", "centrality"] == pytest.approx(1.0, abs=1e-12)
    assert hits.loc["010611", "centrality"] == pytest.approx(1 / 3, abs=1e-9)
    with pytest.raises(ChainAtlasError, match="unknown centrality variant"):
        export_centrality(small, [2020], variant="eigen")


def test_importer_hhi_by_hand(small):
    hhi = importer_hhi(small, "DDD", [2020]).set_index("hs6")
    assert hhi.loc["010611", "hhi"] == pytest.approx(1 / 3, abs=1e-15)
    assert hhi.loc["010612", "hhi"] == pytest.approx(0.46, abs=1e-15)
    assert hhi.loc["010612", "top_supplier"] == "AAA"
    assert hhi.loc["010612", "import_value"] == pytest.approx(10_000.0)


def test_topk_counts_and_first_every_year(small):
    counts = topk_counts(small, [2020, 2021], k=1, universe="all").set_index("exporter")
    # pooled 2020+2021: 010129 AAA 47 vs BBB 3; 010612 AAA 7 vs BBB 11; 010611 tie (all first)
    assert counts.loc["AAA", "n_first"] == 4  # 010129, 010611 (tie), 010121, 020120
    assert counts.loc["BBB", "n_first"] == 2  # 010612, 010611 (tie)
    # first in every year of the window: 010129 for AAA (010611 is traded in 2020 only)
    assert counts.loc["AAA", "n_first_every_year"] == 1
    assert counts.loc["BBB", "n_first_every_year"] == 0
    assert (counts["n_products"] == 5).all()


def test_end_use_composition_by_hand(small):
    comp = end_use_composition(small, "AAA", None, [2020]).set_index("end_use")
    assert comp["value"].to_dict() == pytest.approx(
        {"intermediate": (40 + 5 + 6) * 1000.0, "capital": 20_000.0, "consumption": 9000.0}
    )
    assert comp["share"].sum() == pytest.approx(1.0, abs=1e-15)


def test_political_risk_by_hand(small):
    distances = pd.DataFrame(
        {
            "country_a": ["DDD", "DDD", "DDD", "AAA"],
            "country_b": ["AAA", "BBB", "CCC", "BBB"],
            "distance": [0.0, 1.0, 2.0, 4.0],
        }
    )
    risk = political_risk(small, "DDD", distances, [2020], universe="all")
    # w = (0.6, 0.4); sum_s m q = 1/3 and 0.46; pi = 0, 0.25, 0.5
    assert risk["r_econ"] == pytest.approx(0.6 / 3 + 0.4 * 0.46, abs=1e-14)
    assert risk["r_pol"] == pytest.approx(0.6 * 3.75 / 9 + 0.4 * 0.4875, abs=1e-14)
    zero = political_risk(small, "DDD", distances, [2020], universe="all", lam=0.0)
    assert zero["r_pol"] == pytest.approx(zero["r_econ"], abs=1e-15)
    with pytest.raises(ValidationError, match="no political distance for 1 supplier"):
        political_risk(small, "DDD", distances.iloc[:2], [2020], universe="all")
    filled = political_risk(
        small, "DDD", distances.iloc[[0, 1, 3]], [2020], universe="all", missing_distance=2.0
    )
    assert filled["r_pol"] == pytest.approx(risk["r_pol"], abs=1e-14)
    assert filled["missing"]["supplier"].tolist() == ["CCC"]
    bad = distances.assign(distance=["0", "x", "2", "4"])
    with pytest.raises(ValidationError, match="line 3, column 'distance'"):
        political_risk(small, "DDD", bad, [2020], universe="all")


def test_strategic_dependency_single_country_and_group(small):
    single = strategic_dependency_screen(small, "DDD", 2020, universe="all").set_index("hs6")
    assert (single["extra_share"] == 1.0).all()  # no intra-group trade for one country
    assert single.loc["010612", "hhi_extra"] == pytest.approx(0.46)
    # DDD exports nothing: import/export ratio infinite -> C3 holds
    assert single.loc["010612", "c3_net_importer"]
    assert single.loc["010612", "dependent"]  # 0.46 > 0.4
    assert not single.loc["010611", "dependent"]  # 1/3 < 0.4
    group = strategic_dependency_screen(small, ["BBB", "DDD"], 2020, universe="all")
    row = group.set_index("hs6").loc["010612"]
    # extra suppliers of {BBB, DDD}: AAA 6, CCC 1; intra BBB->DDD 3; extra exports none
    assert row["extra_imports"] == pytest.approx(7000.0)
    assert row["intra_imports"] == pytest.approx(3000.0)
    assert row["hhi_extra"] == pytest.approx((6 / 7) ** 2 + (1 / 7) ** 2)
    assert row["extra_share"] == pytest.approx(0.7)


def test_vulnerability_classes_by_hand(small):
    result = vulnerability_screen(small, "DDD", [2020], universe="all")
    products = result.products.set_index("hs6")
    # centrality over the five traded products: 1 (010129), 0, 0.4, 1, 1 -> q75 = 1
    assert result.thresholds["centrality_threshold"].iloc[0] == pytest.approx(1.0)
    # DDD imports 010611 (HHI 1/3) and 010612 (0.46): q75 = 1/3 + 0.75 (0.46 - 1/3)
    assert result.thresholds["hhi_threshold"].iloc[0] == pytest.approx(
        1 / 3 + 0.75 * (0.46 - 1 / 3)
    )
    assert products["vclass"].to_dict() == {"010611": 4, "010612": 3}
    assert result.classes["n_products"].tolist() == [0, 0, 1, 1]


# --- real data ------------------------------------------------------------------------------


def test_importer_hhi_matches_csv_on_baci_extract(baci_store, baci_rows):
    """CHN's imports from AFG and ZAF, recomputed from the raw rows with the csv module."""
    by_product: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in baci_rows:
        if r["j"] == "156":
            by_product[r["k"].zfill(6)][r["i"]] += float(r["v"])
    expected = {}
    for k, suppliers in by_product.items():
        total = sum(suppliers.values())
        expected[k] = sum((v / total) ** 2 for v in suppliers.values())
    got = importer_hhi(baci_store, "CHN", [2021]).set_index("hs6")["hhi"]
    assert set(got.index) == set(expected)
    np.testing.assert_allclose(
        got.sort_index().to_numpy(), [expected[k] for k in sorted(expected)], rtol=1e-12
    )
    n = importer_hhi(baci_store, "CHN", [2021])
    assert ((n["hhi"] >= 1 / n["n_suppliers"] - 1e-12) & (n["hhi"] <= 1 + 1e-12)).all()


def test_shares_and_topk_consistent_on_baci_extract(baci_store):
    shares = exporter_shares(baci_store, [2021], pooled=True, universe="intermediate")
    np.testing.assert_allclose(shares.groupby("hs6")["share"].sum(), 1.0, atol=1e-12)
    assert shares["share"].between(0, 1).all()
    counts = topk_counts(baci_store, [2021], k=1).set_index("exporter")
    from_shares = shares[shares["rank"] <= 1].groupby("exporter").size()
    assert counts["n_topk"].to_dict() == from_shares.to_dict()
    # single year window: first every year = first
    assert (counts["n_first_every_year"] == counts["n_first"]).all()
    assert counts["n_exported"].to_dict() == shares.groupby("exporter").size().to_dict()


def test_four_classes_partition_imports_on_baci_extract(baci_store):
    result = vulnerability_screen(baci_store, "USA", [2021])
    products = result.products
    imported = importer_hhi(baci_store, "USA", [2021], universe="intermediate")
    assert len(products) == len(imported) == result.classes["n_products"].sum()
    assert set(products["vclass"]) <= {1, 2, 3, 4}
    assert result.classes["share_value"].sum() == pytest.approx(1.0, abs=1e-12)
    threshold = np.quantile(imported["hhi"], 0.75)
    assert result.thresholds["hhi_threshold"].iloc[0] == pytest.approx(threshold, rel=1e-12)
    assert products["high_hhi"].sum() == (imported["hhi"] >= threshold).sum()
    assert products["vi"].between(0, 1).all()
    chapters = result.chapters
    assert chapters["cvi"].sum() == pytest.approx(
        (products["import_weight"] * products["vi"]).sum(), rel=1e-12
    )
    assert chapters.sort_values("rank")["cvi"].is_monotonic_decreasing
    # only intermediate lines enter the screen
    universe = baci_store.sql("SELECT hs6 FROM product_universe WHERE vintage = 'HS92'")
    assert set(products["hs6"]) <= set(universe["hs6"])


# Atlas' "areas not specified": part of world trade, never an exporter or a network node.
ATLAS_UNSPECIFIED = "ANS"


def test_lithium_centrality_matches_csv(lithium_store, lithium_rows):
    exports: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in lithium_rows:
        if float(r["export_value"]) > 0:
            exports[int(r["year"])][r["location_code"]] += float(r["export_value"])
    cent = export_centrality(lithium_store).set_index("year")
    assert any(ATLAS_UNSPECIFIED in e for e in exports.values())  # the case is exercised
    for year, by_exporter in exports.items():
        world = sum(by_exporter.values())
        unspecified = by_exporter.pop(ATLAS_UNSPECIFIED, 0.0)
        assert cent.loc[year, "world_value"] == pytest.approx(world, rel=1e-12)
        assert cent.loc[year, "unspecified_value"] == pytest.approx(unspecified, abs=1e-6)
        values = np.array(list(by_exporter.values()))
        shares = values / values.sum()
        n = len(shares)
        assert cent.loc[year, "n_exporters"] == n
        assert cent.loc[year, "freeman"] == pytest.approx(
            (n * shares.max() - 1) / (n - 1), rel=1e-12
        )
        assert cent.loc[year, "hhi"] == pytest.approx((shares**2).sum(), rel=1e-12)
        assert 1 / n <= cent.loc[year, "hhi"] <= 1


def _dense_network(rows, year):
    edges = defaultdict(float)
    for r in rows:
        if (
            int(r["year"]) == year
            and float(r["export_value"]) > 0
            and (r["location_code"] != r["partner_code"])
            and ATLAS_UNSPECIFIED not in (r["location_code"], r["partner_code"])
        ):
            edges[(r["location_code"], r["partner_code"])] += float(r["export_value"])
    nodes = sorted({a for a, _ in edges} | {b for _, b in edges})
    index = {c: i for i, c in enumerate(nodes)}
    W = np.zeros((len(nodes), len(nodes)))
    for (a, b), v in edges.items():
        W[index[a], index[b]] = v
    exporters = sorted({a for a, _ in edges})
    return W, index, exporters


def test_lithium_hits_and_pagerank_match_dense_linear_algebra(lithium_store, lithium_rows):
    W, index, exporters = _dense_network(lithium_rows, 2017)
    # HITS hubs: principal eigenvector of W W^T, scaled to sum 1.
    _values, vectors = np.linalg.eigh(W @ W.T)
    hub = np.abs(vectors[:, -1])
    hub /= hub.sum()
    expected_hub = max(hub[index[c]] for c in exporters)
    # PageRank of the reversed network: solve (I - d P) r = (1 - d)/n + dangling, by iteration
    # on the dense Google matrix.
    n = len(W)
    R = W.T  # importer -> exporter
    out = R.sum(axis=1)
    G = np.where(out[:, None] > 0, R / np.where(out[:, None] > 0, out[:, None], 1), 1.0 / n)
    google = 0.85 * G + 0.15 / n
    evals, evecs = np.linalg.eig(google.T)
    pr = np.real(evecs[:, np.argmax(np.real(evals))])
    pr /= pr.sum()
    expected_pr = max(pr[index[c]] for c in exporters)
    hits = export_centrality(lithium_store, [2017], variant="hits")
    pagerank = export_centrality(lithium_store, [2017], variant="pagerank")
    assert hits["centrality"].iloc[0] == pytest.approx(expected_hub, rel=1e-8)
    assert pagerank["centrality"].iloc[0] == pytest.approx(expected_pr, rel=1e-8)


EU27 = [
    "AUT",
    "BEL",
    "BGR",
    "HRV",
    "CYP",
    "CZE",
    "DNK",
    "EST",
    "FIN",
    "FRA",
    "DEU",
    "GRC",
    "HUN",
    "IRL",
    "ITA",
    "LVA",
    "LTU",
    "LUX",
    "MLT",
    "NLD",
    "POL",
    "PRT",
    "ROU",
    "SVK",
    "SVN",
    "ESP",
    "SWE",
]


def test_eu_screen_on_lithium_matches_csv(lithium_store, lithium_rows):
    extra = defaultdict(float)
    intra = 0.0
    extra_exports = 0.0
    for r in lithium_rows:
        v = float(r["export_value"])
        if int(r["year"]) != 2018 or v <= 0:
            continue
        src_in, dst_in = r["location_code"] in EU27, r["partner_code"] in EU27
        if dst_in and not src_in:
            extra[r["location_code"]] += v  # ANS is an extra-group origin of imports
        elif dst_in and src_in and r["location_code"] != r["partner_code"]:
            intra += v
        elif src_in and not dst_in:
            extra_exports += v
    total = sum(extra.values())
    countries = {c: v for c, v in extra.items() if c != ATLAS_UNSPECIFIED}
    hhi = sum((v / sum(countries.values())) ** 2 for v in countries.values())
    screen = strategic_dependency_screen(lithium_store, EU27, 2018).iloc[0]
    assert screen["extra_imports"] == pytest.approx(total, rel=1e-12)
    assert screen["intra_imports"] == pytest.approx(intra, rel=1e-12)
    assert screen["extra_exports"] == pytest.approx(extra_exports, rel=1e-12)
    assert screen["hhi_extra"] == pytest.approx(hhi, rel=1e-12)
    assert screen["dependent"] == (
        hhi > 0.4 and total / (total + intra) > 0.5 and total / extra_exports > 1
    )
    # the group can also be named (chainatlas.core.groups)
    named = strategic_dependency_screen(lithium_store, "EU27", 2018).iloc[0]
    assert named["extra_imports"] == pytest.approx(total, rel=1e-12)


def test_unknown_year_and_importer(lithium_store):
    with pytest.raises(ChainAtlasError, match="no HS92 flows for year"):
        importer_hhi(lithium_store, "CHN", [2019])
    with pytest.raises(ChainAtlasError, match="has no flows"):
        importer_hhi(lithium_store, "XYZ", [2018])


def test_hits_dense_fallback_agrees_with_power_iteration():
    from chainatlas.trade.network import max_hub_scores

    rng = np.random.default_rng(7)
    rows = []
    for product in range(6):
        for _ in range(40):
            a, b = rng.choice(12, size=2, replace=False)
            rows.append((product, f"C{a:02d}", f"C{b:02d}", float(rng.pareto(1.2) + 0.01)))
    # product 6: two disconnected pairs with equal weight -> hubs 1/2, 1/2
    rows += [(6, "C00", "C01", 1.0), (6, "C02", "C03", 1.0)]
    edges = pd.DataFrame(rows, columns=["hs6", "exporter", "importer", "value"])
    edges = edges.groupby(["hs6", "exporter", "importer"], as_index=False)["value"].sum()
    iterated = max_hub_scores(edges, ["hs6"], max_iter=5000, tol=1e-14)
    dense = max_hub_scores(edges, ["hs6"], max_iter=1)  # every block takes the SVD path
    np.testing.assert_allclose(dense["hub_max"], iterated["hub_max"], rtol=1e-9)
    assert dense["hub_max"].iloc[-1] == pytest.approx(0.5)


def test_distance_table_conflicts_blanks_and_out_of_range_fill(small, tmp_path):
    """Regressions: a pair listed twice with different distances kept the first silently; a
    missing_distance outside the table's range was clipped (below) or gave pi > 1 (above)."""
    from chainatlas.trade.indicators import read_distance_table

    table = tmp_path / "d.csv"
    table.write_text(
        "country_a,country_b,distance\nDDD,AAA,0\nDDD,BBB,1\nDDD,CCC,2\nDDD,BBB,3\nAAA,BBB,4\n"
    )
    with pytest.raises(ValidationError) as info:
        read_distance_table(table)
    assert "DDD-BBB" in str(info.value) and "lines 3, 5" in str(info.value)
    assert "d.csv" in str(info.value)
    table.write_text("country_a,country_b,distance\nDDD,AAA,0\nDDD,,1\n")
    with pytest.raises(ValidationError, match="line 3, column 'country_b'"):
        read_distance_table(table)
    table.write_text("country_a,country_b,distance\nDDD,AAA,0\nDDD,BBB,1\nDDD,BBB,1\nAAA,BBB,4\n")
    distances = read_distance_table(table)  # an exact repeat is harmless
    for fill in (-1.0, 5.0):
        with pytest.raises(ValidationError, match="outside the table's range"):
            political_risk(small, "DDD", distances, [2020], universe="all", missing_distance=fill)
    at_max = political_risk(small, "DDD", distances, [2020], universe="all", missing_distance=4.0)
    assert at_max["missing"]["supplier"].tolist() == ["CCC"]
    assert at_max["r_pol"] <= 2 * at_max["r_econ"] + 1e-15  # pi <= 1, lambda = 1
