"""Trade store: loading BACI / Comtrade / Atlas files, totals, and bad-input errors."""

from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import pytest
from trade_helpers import write_baci, write_country_codes

from chainatlas.errors import ChainAtlasError, ValidationError
from chainatlas.trade import TradeStore, UnknownCodesError


def test_baci_extract_loads_every_row_with_its_value(baci_store, baci_rows):
    report = baci_store.report
    assert report.vintage == "HS92" and report.years == [2021]
    assert report.rows == len(baci_rows) == 71_192
    expected_value = sum(float(r["v"]) for r in baci_rows) * 1000  # thousands of USD -> USD
    got = baci_store.sql("SELECT count(*) AS n, sum(value) AS v FROM flows").iloc[0]
    assert got["n"] == len(baci_rows)
    assert got["v"] == pytest.approx(expected_value, rel=1e-12)
    # Quantities: "NA" (2,306 rows per MANIFEST) become NULL, others are numbers.
    n_na = sum(r["q"].strip() == "NA" for r in baci_rows)
    assert n_na == 2306
    assert baci_store.sql("SELECT count(*) AS n FROM flows WHERE quantity IS NULL").n[0] == n_na


def test_baci_codes_are_mapped_and_padded(baci_store, baci_rows):
    exporters = baci_store.sql("SELECT DISTINCT exporter FROM flows ORDER BY 1").exporter.tolist()
    assert exporters == ["AFG", "ZAF"]
    lengths = baci_store.sql("SELECT DISTINCT length(hs6) AS n FROM flows").n.tolist()
    assert lengths == [6]
    # A 5-digit k in the raw file (chapter 01-09) gets its leading zero back.
    raw = next(r for r in baci_rows if len(r["k"]) == 5)
    hit = baci_store.sql(f"SELECT count(*) AS n FROM flows WHERE hs6 = '0{raw['k']}'").n[0]
    assert hit > 0
    # Italy (380 in the 2023 release, 381 in the V202201 code file) mapped by override.
    italy_rows = sum(r["j"] == "380" for r in baci_rows)
    assert baci_store.sql("SELECT count(*) AS n FROM flows WHERE importer = 'ITA'").n[0] == (
        italy_rows
    )


def test_products_table_carries_end_use_and_concordance_version(baci_store):
    products = baci_store.sql("SELECT * FROM products WHERE vintage = 'HS92'")
    assert len(products) > 5000
    assert products["concordance_version"].str.startswith("unsd-").all()
    assert set(products["end_use"]) <= {
        "intermediate",
        "consumption",
        "capital",
        "mixed",
        "nes",
        "unclassified",
    }
    universe = baci_store.sql("SELECT count(*) AS n FROM product_universe").n[0]
    assert universe == (products["end_use"] == "intermediate").sum()


def test_unknown_country_code_is_an_error_with_a_table(
    tmp_path, baci_file, baci_rows, concordances_dir
):
    store = TradeStore(tmp_path / "t.duckdb")
    with pytest.raises(UnknownCodesError) as info:
        store.load("baci", baci_file.parent, concordances=concordances_dir)
    table = info.value.table
    assert table[["kind", "code"]].values.tolist() == [["importer", "380"]]
    assert table["rows"].iloc[0] == sum(r["j"] == "380" for r in baci_rows)
    assert baci_file.name in str(info.value)
    assert store.sql("SELECT count(*) AS n FROM loads").n[0] == 0  # nothing half-loaded
    # Kept on request: listed in the report and the unknown_codes table, never dropped.
    report = store.load("baci", baci_file.parent, concordances=concordances_dir, on_unknown="keep")
    assert report.rows == len(baci_rows)
    assert report.unknown_codes["code"].tolist() == ["380"]
    assert (
        store.sql("SELECT count(*) AS n FROM flows WHERE importer = '?380'").n[0]
        == (table["rows"].iloc[0])
    )
    assert store.sql("SELECT code FROM unknown_codes").code.tolist() == ["380"]
    store.close()


def test_reloading_a_file_replaces_it(tmp_path, concordances_dir):
    folder = tmp_path / "src"
    folder.mkdir()
    write_baci(folder / "BACI_HS17_Y2020_V202301.csv", [(2020, 1, 2, "10121", 5.0, "NA")])
    write_country_codes(folder / "country_codes_V202301.csv", {1: "AAA", 2: "BBB"})
    with TradeStore(tmp_path / "t.duckdb") as store:
        store.load("baci", folder, concordances=concordances_dir)
        store.load("baci", folder, concordances=concordances_dir)
        assert store.sql("SELECT count(*) AS n, sum(value) AS v FROM flows").values.tolist() == [
            [1, 5000.0]
        ]


def test_zip_archive_loads_like_the_csv(tmp_path, baci_file, baci_rows, concordances_dir):
    archive = tmp_path / "BACI_HS92_V202301.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(baci_file, baci_file.name)
        zf.write(baci_file.parent / "country_codes_V202201.csv", "country_codes_V202201.csv")
    with TradeStore(tmp_path / "z.duckdb") as store:
        report = store.load(
            "baci", archive, concordances=concordances_dir, country_overrides={380: "ITA"}
        )
        assert report.rows == len(baci_rows)
        total = store.sql("SELECT sum(value) AS v FROM flows").v[0]
    assert total == pytest.approx(sum(float(r["v"]) for r in baci_rows) * 1000, rel=1e-12)


# --- bad input ------------------------------------------------------------------------------


def _folder_with(tmp_path: Path, rows, header="t,i,j,k,v,q", name="BACI_HS17_Y2020_V202301"):
    folder = tmp_path / "src"
    folder.mkdir(exist_ok=True)
    write_baci(folder / f"{name}.csv", rows, header=header)
    write_country_codes(folder / "country_codes_V202301.csv", {1: "AAA", 2: "BBB"})
    return folder


def test_wrong_columns_name_file_line_and_column(tmp_path, concordances_dir):
    folder = _folder_with(tmp_path, [(2020, 1, 2, "010121", 1.0, 1.0)], header="t,i,j,k,value,q")
    with TradeStore(tmp_path / "t.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("baci", folder, concordances=concordances_dir)
    message = str(info.value)
    assert "BACI_HS17_Y2020_V202301.csv" in message and "line 1" in message
    assert "missing ['v']" in message and "unexpected ['value']" in message


@pytest.mark.parametrize(
    ("bad_row", "column"),
    [
        ((2020, 1, 2, "010121", "12x.5", 1.0), "v"),
        ((2020, 1, "B", "010121", 3.0, 1.0), "j"),
        ((2020, 1, 2, "01A121", 3.0, 1.0), "k"),
        ((2020, 1, 2, "010121", 3.0, "lots"), "q"),
    ],
)
def test_non_numeric_value_names_line_and_column(tmp_path, concordances_dir, bad_row, column):
    rows = [(2020, 1, 2, "010121", 1.0, 1.0), (2020, 2, 1, "010129", 2.0, "NA"), bad_row]
    folder = _folder_with(tmp_path, rows)
    with TradeStore(tmp_path / "t.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("baci", folder, concordances=concordances_dir)
    message = str(info.value)
    assert "BACI_HS17_Y2020_V202301.csv" in message
    assert "line 4" in message and f"column '{column}'" in message


def test_year_in_file_name_must_match_column_t(tmp_path, concordances_dir):
    rows = [
        (2020, 1, 2, "010121", 1.0, 1.0),
        (2020, 2, 1, "010121", 1.0, 1.0),
        (2019, 1, 2, "010129", 1.0, 1.0),
    ]
    folder = _folder_with(tmp_path, rows)
    with TradeStore(tmp_path / "t.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("baci", folder, concordances=concordances_dir)
    assert "line 4, column 't'" in str(info.value) and "says Y2020" in str(info.value)


def test_duplicate_flow_rows_are_refused(tmp_path, concordances_dir):
    rows = [
        (2020, 1, 2, "010121", 1.0, 1.0),
        (2020, 2, 1, "010121", 1.0, 1.0),
        (2020, 1, 2, "10121", 3.0, 1.0),
    ]
    folder = _folder_with(tmp_path, rows)
    with TradeStore(tmp_path / "t.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("baci", folder, concordances=concordances_dir)
    assert "appears 2 times" in str(info.value) and "line 4" in str(info.value)


def test_unknown_hs_code_is_listed(tmp_path, concordances_dir):
    folder = _folder_with(
        tmp_path, [(2020, 1, 2, "010121", 1.0, 1.0), (2020, 1, 2, "990000", 4.0, 1.0)]
    )
    with TradeStore(tmp_path / "t.duckdb") as store, pytest.raises(UnknownCodesError) as info:
        store.load("baci", folder, concordances=concordances_dir)
    assert info.value.table[["kind", "code", "rows", "value"]].values.tolist() == [
        ["hs6", "990000", 1, 4000.0]
    ]


def test_mixed_vintages_in_one_load_are_refused(tmp_path, concordances_dir):
    folder = _folder_with(tmp_path, [(2020, 1, 2, "010121", 1.0, 1.0)])
    write_baci(folder / "BACI_HS12_Y2020_V202301.csv", [(2020, 1, 2, "010121", 1.0, 1.0)])
    with TradeStore(tmp_path / "t.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("baci", folder, concordances=concordances_dir)
    message = str(info.value)
    assert "mixed HS vintages" in message
    assert "BACI_HS12_Y2020_V202301.csv: HS12" in message
    assert "BACI_HS17_Y2020_V202301.csv: HS17" in message


def test_store_with_two_vintages_needs_a_choice(tmp_path, concordances_dir):
    folder = _folder_with(tmp_path, [(2020, 1, 2, "010121", 1.0, 1.0)])
    other = tmp_path / "other"
    other.mkdir()
    write_baci(other / "BACI_HS12_Y2020_V202301.csv", [(2020, 1, 2, "010121", 1.0, 1.0)])
    shutil.copy(folder / "country_codes_V202301.csv", other)
    with TradeStore(tmp_path / "t.duckdb") as store:
        store.load("baci", folder, concordances=concordances_dir)
        store.load("baci", other, concordances=concordances_dir)
        with pytest.raises(ChainAtlasError, match="several HS vintages"):
            store.resolve_vintage(None)
        assert store.resolve_vintage("HS12") == "HS12"


def test_country_file_in_utf8_declared_latin1_is_refused(tmp_path, baci_file):
    from chainatlas.trade.store import read_country_codes

    utf8 = tmp_path / "country_codes_V202201.csv"
    utf8.write_text(
        (baci_file.parent / "country_codes_V202201.csv").read_bytes().decode("latin-1"),
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as info:
        read_country_codes(utf8)
    assert "UTF-8 encoded but declared latin-1" in str(info.value)
    assert "line " in str(info.value)
    # The real file is Latin-1: read as declared it gives the right names ...
    codes = read_country_codes(baci_file.parent / "country_codes_V202201.csv")
    assert "Côte d'Ivoire" in codes["name"].tolist()
    # ... and declared UTF-8 it is refused, naming the line of the first bad byte.
    with pytest.raises(ValidationError) as info:
        read_country_codes(baci_file.parent / "country_codes_V202201.csv", encoding="utf-8")
    lines = (baci_file.parent / "country_codes_V202201.csv").read_bytes().split(b"\n")
    first_bad = next(i for i, line in enumerate(lines, start=1) if any(b > 127 for b in line))
    assert f"line {first_bad}" in str(info.value)


# --- other sources --------------------------------------------------------------------------


COMTRADE_HEADER = (
    "typeCode,freqCode,refPeriodId,refYear,refMonth,period,reporterCode,"
    "reporterISO,flowCode,partnerCode,partnerISO,partner2Code,classificationCode,"
    "cmdCode,customsCode,motCode,netWgt,primaryValue"
)


def _comtrade(path: Path, rows: list[str]) -> Path:
    path.write_text(COMTRADE_HEADER + "\n" + "\n".join(rows) + "\n")
    return path


def test_comtrade_bulk_keeps_importer_reported_hs6_rows(tmp_path, concordances_dir):
    rows = [
        "C,A,20200101,2020,52,2020,156,CHN,M,842,USA,0,H5,010121,C00,0,10,1000",
        "C,A,20200101,2020,52,2020,156,CHN,M,392,JPN,0,H5,010121,C00,0,10,3000",
        "C,A,20200101,2020,52,2020,156,CHN,M,0,W00,0,H5,010121,C00,0,10,4000",  # world total
        "C,A,20200101,2020,52,2020,156,CHN,M,842,USA,0,H5,0101,C00,0,10,1000",  # HS4 total
        "C,A,20200101,2020,52,2020,156,CHN,X,842,USA,0,H5,010121,C00,0,10,777",  # export row
    ]
    path = _comtrade(tmp_path / "comtrade.csv", rows)
    with TradeStore(tmp_path / "t.duckdb") as store:
        report = store.load("comtrade", path, concordances=concordances_dir)
        flows = store.sql("SELECT exporter, importer, hs6, value FROM flows ORDER BY exporter")
    assert report.vintage == "HS17"
    assert flows.values.tolist() == [
        ["JPN", "CHN", "010121", 3000.0],
        ["USA", "CHN", "010121", 1000.0],
    ]
    assert any("other flows skipped" in n for n in report.notes)
    assert any("non-HS6" in n for n in report.notes)


def test_comtrade_mixed_classifications_refused(tmp_path, concordances_dir):
    rows = [
        "C,A,20200101,2020,52,2020,156,CHN,M,842,USA,0,H5,010121,C00,0,10,1000",
        "C,A,20200101,2020,52,2020,156,CHN,M,842,USA,0,H4,010121,C00,0,10,1000",
    ]
    path = _comtrade(tmp_path / "comtrade.csv", rows)
    with TradeStore(tmp_path / "t.duckdb") as store, pytest.raises(ValidationError, match="mixed"):
        store.load("comtrade", path, concordances=concordances_dir)


def test_comtrade_non_numeric_value_names_line(tmp_path, concordances_dir):
    rows = [
        "C,A,20200101,2020,52,2020,156,CHN,M,842,USA,0,H5,010121,C00,0,10,1000",
        "C,A,20200101,2020,52,2020,156,CHN,M,392,JPN,0,H5,010121,C00,0,10,12abc",
    ]
    path = _comtrade(tmp_path / "comtrade.csv", rows)
    with TradeStore(tmp_path / "t.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("comtrade", path, concordances=concordances_dir)
    assert "line 3" in str(info.value) and "primaryValue" in str(info.value)


def test_atlas_lithium_network_totals(lithium_store, lithium_rows):
    expected: dict[int, float] = {}
    for r in lithium_rows:
        if float(r["export_value"]) > 0:
            expected[int(r["year"])] = expected.get(int(r["year"]), 0.0) + float(r["export_value"])
    got = lithium_store.sql("SELECT year, sum(value) AS v FROM flows GROUP BY year ORDER BY year")
    assert got["year"].tolist() == sorted(expected)
    for year, value in zip(got["year"], got["v"], strict=True):
        assert value == pytest.approx(expected[year], rel=1e-12)
    assert lithium_store.sql("SELECT DISTINCT hs6 FROM flows").hs6.tolist() == ["283691"]


def test_missing_path_and_unknown_source(tmp_path, concordances_dir):
    with TradeStore(tmp_path / "t.duckdb") as store:
        with pytest.raises(ChainAtlasError, match="no such file"):
            store.load("baci", tmp_path / "nope", concordances=concordances_dir)
        with pytest.raises(ChainAtlasError, match="unknown trade source"):
            store.load("wto", tmp_path, concordances=concordances_dir)


def test_csv_module_agrees_on_header(baci_file):
    with open(baci_file, newline="") as handle:
        assert next(csv.reader(handle)) == ["t", "i", "j", "k", "v", "q"]


def test_zip_members_are_named_in_errors_and_years_filter(tmp_path, concordances_dir):
    src = tmp_path / "src"
    src.mkdir()
    write_baci(src / "BACI_HS17_Y2019_V202301.csv", [(2019, 1, 2, "010121", 1.0, "NA")])
    write_baci(src / "BACI_HS17_Y2020_V202301.csv", [(2020, 1, 2, "010121", "x", "NA")])
    write_country_codes(src / "country_codes_V202301.csv", {1: "AAA", 2: "BBB"})
    archive = tmp_path / "BACI_HS17_V202301.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for file in sorted(src.iterdir()):
            zf.write(file, file.name)
    with TradeStore(tmp_path / "t.duckdb") as store:
        with pytest.raises(ValidationError) as info:
            store.load("baci", archive, concordances=concordances_dir)
        message = str(info.value)
        assert f"{archive}!BACI_HS17_Y2020_V202301.csv" in message
        assert "line 2, column 'v'" in message
        report = store.load("baci", archive, concordances=concordances_dir, years=[2019])
        assert report.years == [2019] and report.rows == 1
        with pytest.raises(ChainAtlasError, match=r"no BACI file for year\(s\) 2018"):
            store.load("baci", archive, concordances=concordances_dir, years=[2018])
    # temporary copies are gone
    assert not list(tmp_path.glob(".trade_unzip_*"))


def test_comtrade_legacy_headers_and_export_flow(tmp_path, concordances_dir):
    header = (
        "Classification,Year,Period,Trade Flow Code,Reporter ISO,Partner ISO,"
        "2nd Partner Code,Commodity Code,Netweight (kg),Trade Value (US$)"
    )
    rows = [
        "H4,2015,2015,2,DEU,FRA,0,010121,5,700",
        "H4,2015,2015,2,DEU,WLD,0,010121,5,900",
        "H4,2015,2015,1,DEU,FRA,0,010121,5,300",
    ]
    path = tmp_path / "legacy.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    with TradeStore(tmp_path / "t.duckdb") as store:
        report = store.load("comtrade", path, concordances=concordances_dir, flow="export")
        flows = store.sql("SELECT exporter, importer, value, quantity FROM flows")
    assert report.vintage == "HS12"
    assert flows.values.tolist() == [["DEU", "FRA", 700.0, 5.0]]


# --- re-loads, damaged archives and truncated files (acceptance review) ------------------------


def test_same_flows_under_another_file_name_are_refused_not_double_counted(
    tmp_path, concordances_dir
):
    """Regression: a renamed copy of a loaded file used to be added (value doubled, a note)."""
    rows = [(2020, 1, 2, "10121", 5.0, "NA"), (2020, 2, 1, "10121", 7.0, "1.5")]
    first = tmp_path / "a"
    second = tmp_path / "b"
    for folder, name in (
        (first, "BACI_HS17_Y2020_V202301"),
        (second, "BACI_HS17_Y2020_V202301_copy"),
    ):
        folder.mkdir()
        write_baci(folder / f"{name}.csv", rows)
        write_country_codes(folder / "country_codes_V202301.csv", {1: "AAA", 2: "BBB"})
    with TradeStore(tmp_path / "t.duckdb") as store:
        store.load("baci", first, concordances=concordances_dir)
        with pytest.raises(ValidationError) as info:
            store.load("baci", second, concordances=concordances_dir)
        message = str(info.value)
        assert "2 flow(s) of HS17 2020" in message and "double-count" in message
        assert "BACI_HS17_Y2020_V202301_copy.csv" in message
        # Refused load leaves the store as it was: 12 (thousand USD) once, one file.
        assert store.sql("SELECT sum(value) AS v FROM flows").v[0] == 12_000.0
        assert store.sql("SELECT count(*) AS n FROM loads").n[0] == 1
        report = store.load("baci", second, concordances=concordances_dir, on_overlap="replace")
        assert any("replaced baci-BACI_HS17_Y2020_V202301.parquet" in n for n in report.notes)
        assert store.sql("SELECT sum(value) AS v FROM flows").v[0] == 12_000.0
        assert store.sql("SELECT file FROM loads").file.str.endswith("_copy.csv").all()
        with pytest.raises(ChainAtlasError, match="on_overlap"):
            store.load("baci", second, concordances=concordances_dir, on_overlap="add")


def test_disjoint_files_of_one_year_add_up(tmp_path, baci_file, baci_rows, concordances_dir):
    """The real extract split by exporter (AFG, ZAF) into two files loads to the same totals."""
    header = "t,i,j,k,v,q"
    lines = baci_file.read_text().splitlines()[1:]
    for code, name in (("4", "afg"), ("710", "zaf")):
        part = [line for line in lines if line.split(",")[1] == code]
        (tmp_path / f"BACI_HS92_Y2021_V202301_{name}.csv").write_text(
            "\n".join([header, *part]) + "\n"
        )
    shutil.copy(baci_file.parent / "country_codes_V202201.csv", tmp_path)
    with TradeStore(tmp_path / "t.duckdb") as store:
        for name in ("afg", "zaf"):
            report = store.load(
                "baci",
                tmp_path / f"BACI_HS92_Y2021_V202301_{name}.csv",
                concordances=concordances_dir,
                country_overrides={380: "ITA"},
            )
        assert any("checked: no flow is in two files" in n for n in report.notes)
        got = store.sql("SELECT count(*) AS n, sum(value) AS v FROM flows").iloc[0]
    assert got["n"] == len(baci_rows)
    assert got["v"] == pytest.approx(sum(float(r["v"]) for r in baci_rows) * 1000, rel=1e-12)


def _damaged_zip(tmp_path: Path) -> Path:
    folder = _folder_with(
        tmp_path, [(2020, 1, 2, f"{100000 + n}", 1.0 + n, "NA") for n in range(3000)]
    )
    archive = tmp_path / "BACI_HS17_V202301.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(folder.iterdir()):
            zf.write(file, file.name)
    raw = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo("BACI_HS17_Y2020_V202301.csv")
    start = info.header_offset + 30 + len(info.filename) + 200  # inside the compressed data
    for offset in range(start, start + 64):
        raw[offset] ^= 0xFF
    archive.write_bytes(bytes(raw))
    return archive


def test_damaged_zip_member_is_a_validation_error_naming_the_member(tmp_path, concordances_dir):
    """Regression: a bad CRC / broken deflate stream escaped as a zipfile traceback."""
    archive = _damaged_zip(tmp_path)
    with TradeStore(tmp_path / "t.duckdb") as store:
        with pytest.raises(ValidationError) as info:
            store.load("baci", archive, concordances=concordances_dir)
        assert f"{archive}!BACI_HS17_Y2020_V202301.csv" in str(info.value)
        assert "damaged zip member" in str(info.value)
        assert store.vintages() == []
    assert not list(tmp_path.glob(".trade_unzip_*"))
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(archive.read_bytes()[:-100])  # central directory cut off
    with TradeStore(tmp_path / "t.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("baci", truncated, concordances=concordances_dir)
    assert "not a valid zip archive" in str(info.value) and "truncated.zip" in str(info.value)


def test_truncated_csv_names_the_line_and_the_reason(tmp_path, concordances_dir):
    """Regression: the message repeated DuckDB's header twice and named no reason."""
    folder = _folder_with(tmp_path, [(2020, 1, 2, "10121", 5.0, '"  1.0"')] * 1)
    file = folder / "BACI_HS17_Y2020_V202301.csv"
    file.write_text(file.read_text() + '2020,2,1,010121,7.0,"   2\n')  # cut inside a quote
    with TradeStore(tmp_path / "t.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("baci", folder, concordances=concordances_dir)
    message = str(info.value)
    assert "line 3" in message and "unterminated quote" in message
    assert message.count("Invalid Input Error") == 0


def test_row_with_extra_field_names_its_line(tmp_path, concordances_dir):
    folder = _folder_with(
        tmp_path, [(2020, 1, 2, "10121", 5.0, "NA"), (2020, 2, 1, "10121", 7.0, "NA", 9)]
    )
    with TradeStore(tmp_path / "t.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("baci", folder, concordances=concordances_dir)
    assert "line 3" in str(info.value) and "7 fields where the header has 6" in str(info.value)


def test_negative_atlas_export_value_is_an_error_at_api_and_cli(
    tmp_path, lithium_file, concordances_dir, capsys
):
    """Regression: Atlas rows with export_value < 0 were dropped silently (filter '> 0')."""
    from chainatlas.interfaces.cli.main import run

    lines = lithium_file.read_text().splitlines()
    header = lines[0].split(",")
    column = header.index("export_value")
    target = next(
        i for i, line in enumerate(lines[1:], start=1) if float(line.split(",")[column]) > 0
    )
    fields = lines[target].split(",")
    fields[column] = "-" + fields[column]
    lines[target] = ",".join(fields)
    bad = tmp_path / "atlas_bad.csv"
    bad.write_text("\n".join(lines[:50]) + "\n")
    with TradeStore(tmp_path / "t.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("atlas", bad, concordances=concordances_dir)
    assert f"line {target + 1}, column 'export_value'" in str(info.value)
    with pytest.raises(SystemExit) as exit_info:
        run(
            [
                "trade",
                "load",
                "--source",
                "atlas",
                "--path",
                str(bad),
                "--db",
                str(tmp_path / "c.duckdb"),
                "--concordances",
                str(concordances_dir),
            ]
        )
    assert exit_info.value.code == 2
    assert "negative trade value" in capsys.readouterr().err


def test_trade_files_in_another_encoding_name_file_and_line(tmp_path, concordances_dir, capsys):
    """Regressions: a UTF-16 BACI file ended in a csv.Error traceback, a Latin-1 Comtrade file
    in a DuckDB traceback (both exit 1)."""
    from chainatlas.interfaces.cli.main import run

    folder = _folder_with(tmp_path, [(2020, 1, 2, "10121", 5.0, "NA")])
    file = folder / "BACI_HS17_Y2020_V202301.csv"
    file.write_bytes(file.read_text().encode("utf-16"))
    with TradeStore(tmp_path / "t.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("baci", folder, concordances=concordances_dir)
    assert "UTF-16" in str(info.value) and f"{file}: line 1" in str(info.value)

    header = COMTRADE_HEADER.replace("reporterISO,", "reporterISO,reporterDesc,")
    rows = [
        "C,A,20200101,2020,52,2020,384,CIV,Cote,M,842,USA,0,H5,010121,C00,0,10,1000",
        "C,A,20200101,2020,52,2020,384,CIV,Côte d'Ivoire,M,392,JPN,0,H5,010121,C00,0,10,900",
    ]
    latin1 = tmp_path / "comtrade_latin1.csv"
    latin1.write_bytes(("\n".join([header, *rows]) + "\n").encode("latin-1"))
    with TradeStore(tmp_path / "c.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("comtrade", latin1, concordances=concordances_dir)
    assert f"{latin1}: line 3" in str(info.value) and "not valid UTF-8" in str(info.value)
    with pytest.raises(SystemExit) as exit_info:
        run(
            [
                "trade",
                "load",
                "--source",
                "comtrade",
                "--path",
                str(latin1),
                "--db",
                str(tmp_path / "cli.duckdb"),
                "--concordances",
                str(concordances_dir),
            ]
        )
    assert exit_info.value.code == 2 and "not valid UTF-8" in capsys.readouterr().err
    latin1.write_bytes(("\n".join([header, *rows]) + "\n").encode("utf-8"))
    with TradeStore(tmp_path / "c.duckdb") as store:
        assert store.load("comtrade", latin1, concordances=concordances_dir).rows == 2


def test_years_filter_applies_to_atlas_and_comtrade(
    tmp_path, lithium_file, lithium_rows, concordances_dir, capsys
):
    """Regression: --years was silently ignored for Atlas and Comtrade loads (all years kept)."""
    from chainatlas.interfaces.cli.main import run

    db = tmp_path / "t.duckdb"
    args = ["trade", "load", "--source", "atlas", "--path", str(lithium_file), "--db", str(db)]
    args += ["--concordances", str(concordances_dir), "--years", "2016-2017"]
    run(args)
    assert "years 2016, 2017" in capsys.readouterr().out
    with TradeStore(db) as store:
        got = store.sql("SELECT year, sum(value) AS v FROM flows GROUP BY 1 ORDER BY 1")
    expected = {
        y: sum(float(r["export_value"]) for r in lithium_rows if r["year"] == str(y))
        for y in (2016, 2017)
    }
    assert got.year.tolist() == [2016, 2017]
    assert got.v.tolist() == pytest.approx([expected[2016], expected[2017]], rel=1e-12)
    rows = [
        "C,A,20190101,2019,52,2019,156,CHN,M,842,USA,0,H5,010121,C00,0,10,1000",
        "C,A,20200101,2020,52,2020,156,CHN,M,842,USA,0,H5,010121,C00,0,10,3000",
    ]
    path = _comtrade(tmp_path / "comtrade.csv", rows)
    with TradeStore(tmp_path / "c.duckdb") as store:
        report = store.load("comtrade", path, concordances=concordances_dir, years=[2020])
        assert report.years == [2020] and report.value == 3000.0
        with pytest.raises(ChainAtlasError, match="no rows for year"):
            store.load("comtrade", path, concordances=concordances_dir, years=[2018])


def test_repeated_atlas_row_is_refused_with_its_line(tmp_path, lithium_file, concordances_dir):
    """Regression: a repeated Atlas row was loaded twice (value doubled, no word)."""
    lines = lithium_file.read_text().splitlines()
    header = lines[0].split(",")
    column = header.index("export_value")
    first = next(
        i for i, line in enumerate(lines[1:], start=1) if float(line.split(",")[column]) > 0
    )
    bad = tmp_path / "atlas_repeat.csv"
    bad.write_text("\n".join([*lines[:40], lines[first]]) + "\n")
    with TradeStore(tmp_path / "t.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("atlas", bad, concordances=concordances_dir)
    assert "line 41" in str(info.value) and "appears 2 times" in str(info.value)


def test_header_only_baci_file_is_an_error(tmp_path, concordances_dir):
    """Regression: a BACI file with only its header 'loaded 0 flows' with exit 0."""
    folder = _folder_with(tmp_path, [])
    with TradeStore(tmp_path / "t.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("baci", folder, concordances=concordances_dir)
    assert "no data rows" in str(info.value) and "line 2" in str(info.value)
