"""Real-data Comtrade check: China's monthly exports of graphite and Ga/Ge (Comtrade-derived).

``comtrade_derived/china_critical_minerals/deep_dive_hs6_monthly.csv`` (MANIFEST §7) holds
China-reported monthly exports of three HS2017 lines (250410 natural graphite, 380110
artificial graphite, 811292 Ga/Ge/In/Nb unwrought) to its main partners. The test writes
these rows in the UN Comtrade bulk layout (monthly periods, partner names mapped to ISO3 with
the Atlas country list, a "World" total row per month and product that must be dropped) and
checks the store against sums taken directly from the source CSV: yearly and per-partner
totals, the BEC end-use composition against the UNSD HS2017->BEC table, single-exporter
centrality and HHI, and that a 2022 file declared H6 next to an H5 file is a mixed-vintage
error naming both files.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest
from trade_helpers import require_shared

from chainatlas.errors import ValidationError
from chainatlas.trade import TradeStore
from chainatlas.trade.indicators import end_use_composition, export_centrality, importer_hhi

MINERALS = "data/comtrade_derived/china_critical_minerals/deep_dive_hs6_monthly.csv"
COUNTRY_NAMES = "data/atlas_trade/country_codes.csv"
BEC_TABLE = "data/concordances/unsd_hs_bec/HS2017 to BEC Conversion and Correlation Tables.csv"
INTERMEDIATE_BEC = {"111", "121", "21", "22", "31", "322", "42", "53"}
HEADER = (
    "typeCode,freqCode,refPeriodId,refYear,refMonth,period,reporterCode,reporterISO,flowCode,"
    "partnerCode,partnerISO,partner2Code,classificationCode,cmdCode,customsCode,motCode,"
    "netWgt,primaryValue"
)


@pytest.fixture(scope="module")
def mineral_rows() -> list[dict]:
    """Source rows with partner ISO3 (names from the Atlas list; two abbreviations added)."""
    with open(require_shared(COUNTRY_NAMES), newline="") as handle:
        iso3 = {row["name"]: row["alpha3"] for row in csv.DictReader(handle)}
    iso3.update({"UAE": "ARE", "USA": "USA"})
    with open(require_shared(MINERALS), newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["iso3"] = iso3[row["partner_name"]]  # KeyError = a partner the test cannot map
    return rows


def _write_comtrade(path: Path, rows: list[dict], classification: str) -> Path:
    lines = [HEADER]
    world: dict[tuple[str, str], float] = defaultdict(float)
    for row in rows:
        year, month = row["period_dt"][:4], row["period_dt"][5:7]
        lines.append(
            f"C,M,{year}{month}01,{year},{int(month)},{year}{month},156,CHN,X,0,{row['iso3']},0,"
            f"{classification},{row['hs6']},C00,0,{row['qty']},{row['val']}"
        )
        world[(row["period_dt"], row["hs6"])] += float(row["val"])
    for (period, hs6), value in world.items():  # Comtrade's partner "World" totals
        year, month = period[:4], period[5:7]
        lines.append(
            f"C,M,{year}{month}01,{year},{int(month)},{year}{month},156,CHN,X,0,W00,0,"
            f"{classification},{hs6},C00,0,,{value}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def minerals_store(tmp_path_factory, mineral_rows, concordances_dir):
    folder = tmp_path_factory.mktemp("minerals")
    hs17_rows = [r for r in mineral_rows if r["period_dt"] < "2022"]  # HS2017 in force
    path = _write_comtrade(folder / "comtrade_CHN_X_H5_2017_2021.csv", hs17_rows, "H5")
    store = TradeStore(folder / "trade.duckdb")
    store.report = store.load("comtrade", path, concordances=concordances_dir, flow="export")
    store.source_rows = hs17_rows
    yield store
    store.close()


def test_yearly_and_partner_totals_equal_the_source(minerals_store):
    rows = minerals_store.source_rows
    assert minerals_store.report.vintage == "HS17"
    by_year: dict[int, float] = defaultdict(float)
    by_partner_2021: dict[str, float] = defaultdict(float)
    for row in rows:
        by_year[int(row["period_dt"][:4])] += float(row["val"])
        if row["period_dt"].startswith("2021"):
            by_partner_2021[row["iso3"]] += float(row["val"])
    got = minerals_store.sql("SELECT year, sum(value) AS v FROM flows GROUP BY 1 ORDER BY 1")
    assert got.year.tolist() == sorted(by_year)
    assert got.v.tolist() == pytest.approx([by_year[y] for y in sorted(by_year)], rel=1e-12)
    # No "World" row survived (it would double every year's total), every exporter is CHN.
    assert minerals_store.sql("SELECT DISTINCT exporter FROM flows").exporter.tolist() == ["CHN"]
    assert "W00" not in minerals_store.countries()
    partners = minerals_store.sql(
        "SELECT importer, sum(value) AS v FROM flows WHERE year = 2021 GROUP BY 1"
    )
    assert dict(zip(partners.importer, partners.v, strict=True)) == pytest.approx(
        by_partner_2021, rel=1e-12
    )


def test_end_use_composition_follows_the_unsd_bec_table(minerals_store):
    with open(require_shared(BEC_TABLE), newline="", encoding="utf-8-sig") as handle:
        bec = {row["HS 2017"]: row["BEC"] for row in csv.DictReader(handle)}
    lines = {row["hs6"] for row in minerals_store.source_rows}
    assert all(bec[code] in INTERMEDIATE_BEC for code in lines)  # 21, 22, 22
    composition = end_use_composition(minerals_store, "CHN", None, None)
    assert set(composition.end_use) == {"intermediate"}
    assert composition.share.tolist() == pytest.approx([1.0] * 5, abs=0)
    assert composition.year.tolist() == [2017, 2018, 2019, 2020, 2021]


def test_single_exporter_centrality_and_single_supplier_hhi(minerals_store):
    cent = export_centrality(minerals_store, [2021])
    assert (cent.n_exporters == 1).all() and (cent.freeman == 1.0).all()
    assert sorted(cent.hs6) == ["250410", "380110", "811292"]
    hhi = importer_hhi(minerals_store, "JPN", [2021])
    assert (hhi.n_suppliers == 1).all() and (hhi.hhi == 1.0).all()


def test_h5_and_h6_files_in_one_load_are_a_mixed_vintage_error(
    tmp_path, mineral_rows, concordances_dir
):
    early = [r for r in mineral_rows if r["period_dt"].startswith("2021")]
    late = [r for r in mineral_rows if r["period_dt"].startswith("2022")]
    _write_comtrade(tmp_path / "cn_2021.csv", early, "H5")
    _write_comtrade(tmp_path / "cn_2022.csv", late, "H6")
    with TradeStore(tmp_path / "t.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("comtrade", tmp_path, concordances=concordances_dir, flow="export")
    message = str(info.value)
    assert "mixed" in message and "cn_2021.csv: HS17" in message and "cn_2022.csv: HS22" in message


def test_negative_comtrade_value_names_line_and_column(tmp_path, mineral_rows, concordances_dir):
    """Regression: a negative primaryValue was stored (and lowered totals) silently."""
    path = _write_comtrade(tmp_path / "cn.csv", mineral_rows[:20], "H5")
    lines = path.read_text().splitlines()
    fields = lines[7].split(",")
    fields[-1] = "-" + fields[-1]
    lines[7] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    with TradeStore(tmp_path / "t.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("comtrade", path, concordances=concordances_dir, flow="export")
    assert "line 8, column 'primaryValue'" in str(info.value) and "negative" in str(info.value)
