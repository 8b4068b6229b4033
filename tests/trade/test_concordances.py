"""UNSD HS conversion and HS->BEC tables: reading, classification, vintage conversion."""

from __future__ import annotations

import csv
from collections import defaultdict

import numpy as np
import pytest

from chainatlas.errors import ChainAtlasError, ValidationError
from chainatlas.trade import TradeStore, end_use_of_bec, load_concordances, normalise_vintage
from chainatlas.trade.concordances import read_bec_table

MANIFEST_END_USE = {
    "intermediate": ["111", "121", "21", "22", "31", "322", "42", "53"],
    "capital": ["41", "521"],
    "consumption": ["112", "122", "522", "61", "62", "63"],
    "mixed": ["321", "51"],
}


def test_bec_end_use_classes_follow_manifest():
    for end_use, codes in MANIFEST_END_USE.items():
        assert {end_use_of_bec(c) for c in codes} == {end_use}
    assert end_use_of_bec("7") == "nes"


@pytest.mark.parametrize(
    ("name", "vintage"),
    [("HS92", "HS92"), ("hs2017", "HS17"), ("H5", "HS17"), ("HS 2012", "HS12"), ("1996", "HS96")],
)
def test_vintage_names(name, vintage):
    assert normalise_vintage(name) == vintage


def test_unknown_vintage():
    with pytest.raises(ChainAtlasError, match="unknown HS vintage"):
        normalise_vintage("HS2000")


def test_hs17_classification_matches_the_csv(concordances_dir):
    """Single-class HS17 lines read independently with csv; split lines by majority."""
    path = concordances_dir / "unsd_hs_bec" / "HS2017 to BEC Conversion and Correlation Tables.csv"
    becs = defaultdict(list)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            becs[row["HS 2017"]].append(row["BEC"])
    classes = load_concordances(concordances_dir).classify("HS17").set_index("hs6")
    # Lines whose BEC codes all share one end use: that end use, whatever the codes.
    uniform = {k: {end_use_of_bec(b) for b in v} for k, v in becs.items()}
    uniform = {k: next(iter(u)) for k, u in uniform.items() if len(u) == 1}
    assert len(uniform) > 5300
    for code, end_use in uniform.items():
        assert classes.loc[code, "end_use"] == end_use, code
        assert not classes.loc[code, "split_line"]
    # 010130 (asses) is listed as 111 and 41: a tie between intermediate and capital -> mixed
    assert becs["010130"] == ["111", "41"]
    assert classes.loc["010130", "end_use"] == "mixed" and classes.loc["010130", "split_line"]
    split = [k for k in becs if k not in uniform]
    assert classes.loc[split, "split_line"].all()


def test_any_intermediate_policy_for_split_lines(concordances_dir):
    classes = load_concordances(concordances_dir).classify("HS17", split="any_intermediate")
    assert classes.set_index("hs6").loc["010130", "end_use"] == "intermediate"


def test_hs92_lines_borrow_bec_through_conversion(concordances_dir):
    classes = load_concordances(concordances_dir).classify("HS92")
    assert len(classes) > 5000
    assert (classes["end_use"] != "unclassified").mean() > 0.99
    assert classes["bec_source"].str.startswith("via").all()


def test_conversion_hs17_to_hs92_is_many_to_one_and_keeps_totals(concordances_dir):
    conc = load_concordances(concordances_dir)
    down = conc.conversion_weights("HS17", "HS92")
    assert (down["weight"] == 1.0).all()
    assert down["from_code"].is_unique
    up = conc.conversion_weights("HS92", "HS17")
    np.testing.assert_allclose(up.groupby("from_code")["weight"].sum(), 1.0, rtol=1e-12)
    # a two-step path through HS17: HS12 -> HS17 -> HS92
    steps = conc.path_between("HS12", "HS92")
    assert [(t.from_vintage, t.to_vintage, fwd) for t, fwd in steps] == [
        ("HS17", "HS12", False),
        ("HS17", "HS92", True),
    ]
    chained = conc.conversion_weights("HS12", "HS92")
    np.testing.assert_allclose(chained.groupby("from_code")["weight"].sum(), 1.0, rtol=1e-12)


def test_store_conversion_keeps_trade_totals(tmp_path, baci_file, concordances_dir):
    with TradeStore(tmp_path / "t.duckdb") as store:
        store.load(
            "baci", baci_file.parent, concordances=concordances_dir, country_overrides={380: "ITA"}
        )
        report = store.convert_vintage("HS92", "HS17", concordances_dir)
        assert report.vintage == "HS17"
        totals = store.sql("""SELECT vintage, exporter, importer, sum(value) AS v FROM flows
                              GROUP BY ALL ORDER BY exporter, importer, vintage""")
        wide = totals.pivot_table(index=["exporter", "importer"], columns="vintage", values="v")
        np.testing.assert_allclose(wide["HS17"], wide["HS92"], rtol=1e-12)
        hs17_codes = set(load_concordances(concordances_dir).codes("HS17"))
        converted = store.sql("SELECT DISTINCT hs6 FROM flows WHERE vintage = 'HS17'")
        assert set(converted["hs6"]) <= hs17_codes


def test_bad_bec_file_names_line_and_column(tmp_path):
    path = tmp_path / "HS2017 to BEC bad.csv"
    path.write_text("HS 2017,BEC,Relationship\n010121,41,n:1\n01012X,111,n:1\n")
    with pytest.raises(ValidationError) as info:
        read_bec_table(path)
    assert "line 3" in str(info.value) and "HS 2017" in str(info.value)


def test_missing_concordance_directory(tmp_path):
    with pytest.raises(ChainAtlasError, match="no HS concordance directory"):
        load_concordances(tmp_path)


def test_conversion_into_a_year_holding_loaded_flows_is_refused(tmp_path, concordances_dir):
    """Regression: converting HS92 -> HS17 into a year that already held HS17 flows of the
    same pairs and lines (loaded from a file) added a second copy silently."""
    from trade_helpers import write_baci, write_country_codes

    from chainatlas.errors import ValidationError

    weights = load_concordances(concordances_dir).conversion_weights("HS92", "HS17")
    one_to_one = weights.groupby("from_code").filter(lambda g: len(g) == 1).iloc[0]
    codes = {1: "AAA", 2: "BBB"}
    for vintage, code in (("HS92", one_to_one["from_code"]), ("HS17", one_to_one["to_code"])):
        folder = tmp_path / vintage
        folder.mkdir()
        write_baci(folder / f"BACI_{vintage}_Y2020_V202301.csv", [(2020, 1, 2, code, 5.0, "NA")])
        write_country_codes(folder / "country_codes_V202301.csv", codes)
    with TradeStore(tmp_path / "t.duckdb") as store:
        store.load("baci", tmp_path / "HS92", concordances=concordances_dir)
        store.load("baci", tmp_path / "HS17", concordances=concordances_dir)
        with pytest.raises(ValidationError, match="HS17 2020 already holds 1 of the converted"):
            store.convert_vintage("HS92", "HS17", concordances_dir)
        assert store.sql("SELECT sum(value) AS v FROM flows WHERE vintage = 'HS17'").v[0] == 5000
    with TradeStore(tmp_path / "u.duckdb") as store:  # the other order: convert, then load
        store.load("baci", tmp_path / "HS92", concordances=concordances_dir)
        store.convert_vintage("HS92", "HS17", concordances_dir)
        store.convert_vintage("HS92", "HS17", concordances_dir)  # re-running replaces itself
        assert store.sql("SELECT sum(value) AS v FROM flows WHERE vintage = 'HS17'").v[0] == 5000
        with pytest.raises(ValidationError, match="double-count"):
            store.load("baci", tmp_path / "HS17", concordances=concordances_dir)
