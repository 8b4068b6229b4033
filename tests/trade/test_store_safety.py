"""Hostile trade files (issue 14): overflowing and non-finite values, over-long HS codes, zip
members that inflate too far, are damaged or share a base name, and what a failed or
interrupted `trade load` leaves behind."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from trade_helpers import write_baci, write_country_codes

from chainatlas.errors import ChainAtlasError, ValidationError
from chainatlas.trade import TradeStore

ROOT = Path(__file__).resolve().parents[2]
COMTRADE_HEADER = (
    "typeCode,freqCode,refPeriodId,refYear,refMonth,period,reporterCode,"
    "reporterISO,flowCode,partnerCode,partnerISO,partner2Code,classificationCode,"
    "cmdCode,customsCode,motCode,netWgt,primaryValue"
)
COMTRADE_OK = "C,A,20200101,2020,52,2020,156,CHN,M,842,USA,0,H5,010121,C00,0,10,1000"
ATLAS_HEADER = "location_code,partner_code,year,hs_product_code,export_value"


def _baci_dir(tmp_path: Path, rows: list[tuple]) -> Path:
    folder = tmp_path / "baci"
    folder.mkdir()
    write_baci(folder / "BACI_HS17_Y2020_V202301.csv", rows)
    write_country_codes(folder / "country_codes_V202301.csv", {1: "AAA", 2: "BBB"})
    return folder


def test_baci_value_that_overflows_when_scaled_is_refused(tmp_path, concordances_dir):
    folder = _baci_dir(
        tmp_path, [(2020, 1, 2, "010121", 5.0, 1.0), (2020, 2, 1, "010121", 1e306, "NA")]
    )
    with TradeStore(tmp_path / "t.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("baci", folder, concordances=concordances_dir)
    assert "line 3, column 'v'" in str(info.value) and "infinite or beyond" in str(info.value)


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "NaN", "1e308"])
def test_comtrade_non_finite_value_is_refused(tmp_path, concordances_dir, value):
    path = tmp_path / "comtrade.csv"
    bad = COMTRADE_OK.replace("842,USA", "392,JPN").rsplit(",", 1)[0] + f",{value}"
    path.write_text("\n".join([COMTRADE_HEADER, COMTRADE_OK, bad]) + "\n")
    with TradeStore(tmp_path / "t.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("comtrade", path, concordances=concordances_dir)
    assert "line 3, column 'primaryValue'" in str(info.value)


@pytest.mark.parametrize("value", ["inf", "nan", "1e300"])
def test_atlas_non_finite_value_is_refused(tmp_path, concordances_dir, value):
    path = tmp_path / "atlas_x.csv"
    path.write_text(f"{ATLAS_HEADER}\nCHN,USA,2018,283691,10\nUSA,CHN,2018,283691,{value}\n")
    with TradeStore(tmp_path / "t.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("atlas", path, concordances=concordances_dir)
    assert "line 3, column 'export_value'" in str(info.value)


def test_seven_digit_hs_codes_are_refused(tmp_path, concordances_dir):
    atlas = tmp_path / "atlas_x.csv"
    atlas.write_text(f"{ATLAS_HEADER}\nCHN,USA,2018,283691,10\nUSA,CHN,2018,2836910,5\n")
    with TradeStore(tmp_path / "a.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("atlas", atlas, concordances=concordances_dir)
    assert "longer than six digits" in str(info.value) and "line 3" in str(info.value)
    comtrade = tmp_path / "comtrade.csv"
    bad = COMTRADE_OK.replace(",010121,", ",0101210,")
    comtrade.write_text("\n".join([COMTRADE_HEADER, COMTRADE_OK, bad]) + "\n")
    with TradeStore(tmp_path / "c.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("comtrade", comtrade, concordances=concordances_dir)
    assert "longer than six digits" in str(info.value) and "line 3" in str(info.value)
    folder = _baci_dir(tmp_path, [(2020, 1, 2, "0101210", 5.0, 1.0)])
    with TradeStore(tmp_path / "b.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("baci", folder, concordances=concordances_dir)
    assert "line 2" in str(info.value)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _codes() -> bytes:
    buffer = io.BytesIO()
    lines = [
        "country_code,country_name_abbreviation,country_name_full,iso_2digit_alpha,iso_3digit_alpha",
        "1,AAA,AAA,AA,AAA",
        "2,BBB,BBB,BB,BBB",
    ]
    buffer.write(("\n".join(lines) + "\n").encode())
    return buffer.getvalue()


def test_zip_member_that_inflates_hundreds_fold_is_refused(tmp_path, concordances_dir):
    """A 400 MB member in a ~400 KB archive (a zip bomb) is refused from its header alone."""
    bomb = tmp_path / "BACI_HS17_V202301.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("country_codes_V202301.csv", _codes())
        with archive.open("BACI_HS17_Y2020_V202301.csv", "w", force_zip64=True) as member:
            member.write(b"t,i,j,k,v,q\n")
            zeros = b"0" * (1 << 22)
            for _ in range(100):
                member.write(zeros)
    assert bomb.stat().st_size < 2_000_000
    started = time.perf_counter()
    with TradeStore(tmp_path / "t.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("baci", bomb, concordances=concordances_dir)
    assert time.perf_counter() - started < 5
    assert "inflates" in str(info.value) and "BACI_HS17_Y2020_V202301.csv" in str(info.value)


def test_damaged_zip_member_is_one_error(tmp_path, concordances_dir):
    rows = "t,i,j,k,v,q\n" + "".join(f"2020,1,2,{10121 + i:06d},5.0,1.0\n" for i in range(2000))
    archive = _zip(
        tmp_path / "BACI_HS17_V202301.zip",
        {"country_codes_V202301.csv": _codes(), "BACI_HS17_Y2020_V202301.csv": rows.encode()},
    )
    data = bytearray(archive.read_bytes())
    start = data.find(b"BACI_HS17_Y2020_V202301.csv") + 200
    data[start : start + 64] = b"\xff" * 64  # damage the deflate stream of the trade member
    archive.write_bytes(bytes(data))
    with TradeStore(tmp_path / "t.duckdb") as store, pytest.raises(ChainAtlasError) as info:
        store.load("baci", archive, concordances=concordances_dir)
    assert "BACI_HS17_Y2020_V202301.csv" in str(info.value)
    assert "damaged" in str(info.value) or "cannot" in str(info.value)


def test_two_members_with_the_same_base_name_are_refused(tmp_path, concordances_dir):
    rows = b"t,i,j,k,v,q\n2020,1,2,010121,5.0,1.0\n"
    archive = _zip(
        tmp_path / "BACI_HS17_V202301.zip",
        {
            "country_codes_V202301.csv": _codes(),
            "a/BACI_HS17_Y2020_V202301.csv": rows,
            "b/BACI_HS17_Y2020_V202301.csv": rows.replace(b"5.0", b"7.0"),
        },
    )
    with TradeStore(tmp_path / "t.duckdb") as store, pytest.raises(ValidationError) as info:
        store.load("baci", archive, concordances=concordances_dir)
    assert "a/BACI_HS17_Y2020_V202301.csv" in str(info.value)
    assert "b/BACI_HS17_Y2020_V202301.csv" in str(info.value)


def _cli(*args: str) -> tuple[int, str]:
    from safety_helpers import cli

    code, _, err = cli(*args)
    return code, err


def test_failed_first_load_leaves_no_database_and_unknown_encoding_is_one_line(
    tmp_path, concordances_dir
):
    folder = _baci_dir(tmp_path, [(2020, 1, 2, "010121", "abc", 1.0)])
    db = tmp_path / "new" / "t.duckdb"
    code, err = _cli(
        "trade", "load", "--path", str(folder), "--db", str(db),
        "--concordances", str(concordances_dir),
    )  # fmt: skip
    assert code == 2 and "Traceback" not in err
    assert not db.exists() and not (tmp_path / "new" / "t_flows").exists()
    code, err = _cli(
        "trade", "load", "--path", str(folder), "--db", str(db),
        "--concordances", str(concordances_dir), "--country-encoding", "klingon",
    )  # fmt: skip
    assert code == 2 and "--country-encoding" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and not db.exists()


def test_sigint_during_trade_load_exits_130_without_traceback(tmp_path, concordances_dir):
    rows = "t,i,j,k,v,q\n" + "".join(
        f"2020,{1 + i % 2},{2 - i % 2},{10121 + i:06d},5.0,1.0\n" for i in range(300_000)
    )
    folder = tmp_path / "baci"
    folder.mkdir()
    (folder / "BACI_HS17_Y2020_V202301.csv").write_text(rows)
    write_country_codes(folder / "country_codes_V202301.csv", {1: "AAA", 2: "BBB"})
    db = tmp_path / "t.duckdb"
    process = subprocess.Popen(
        [sys.executable, "-c", "from chainatlas.interfaces.cli.main import run; run()",
         "trade", "load", "--path", str(folder), "--db", str(db),
         "--concordances", str(concordances_dir), "--keep-unknown"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )  # fmt: skip
    # wait until the store exists (the load has started), then interrupt it
    deadline = time.monotonic() + 60
    while not db.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    if process.returncode == 0:
        pytest.skip("the load finished before the signal arrived")
    assert process.returncode == 130, err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 2, err
    assert not db.exists()  # the interrupted first load left no empty database


# ---------------------------------------------------------------------------- coverage
@pytest.fixture
def two_exporters(make_store):
    """AAA and ANS (Atlas' 'areas not specified') export; BBB only imports."""
    rows = [
        (2020, 1, 2, "010121", 50.0, 1.0),
        (2020, 3, 2, "010121", 80.0, 1.0),
        (2020, 1, 2, "010129", 5.0, 1.0),
        (2020, 3, 1, "010129", 9.0, 1.0),
    ]
    return make_store(rows, {1: "AAA", 2: "BBB", 3: "ANS"})


def test_pseudo_countries_are_never_ranked(two_exporters):
    from chainatlas.trade.coverage import is_pseudo_country
    from chainatlas.trade.indicators import topk_counts

    counts = topk_counts(two_exporters, [2020], k=1, universe="all")
    assert counts["exporter"].tolist() == ["AAA"]  # ANS exports more of 010121, not ranked
    assert counts.set_index("exporter").loc["AAA", "n_first"] == 2
    assert all(map(is_pseudo_country, ["ANS", "X837", "_X", "E19", "ROW", "?380"]))
    assert not any(map(is_pseudo_country, ["CHN", "AAA", "X490", "S19", "TWN"]))


def test_world_level_screens_on_a_two_exporter_store_warn_loudly(two_exporters, tmp_path):
    from chainatlas.trade.indicators import strategic_dependency_screen

    frame = strategic_dependency_screen(two_exporters, "BBB", 2020)
    assert "1 exporter(s), 2 importer(s)" in frame.attrs["coverage"]  # ANS is not counted
    assert "from unspecified areas" in frame.attrs["coverage"]
    assert "WARNING" in frame.attrs["coverage_warning"]
    assert "ANS" not in set(frame["top_supplier"].dropna())
    two_exporters.close()  # the CLI opens the database itself
    code, err = _cli(
        "trade", "eu-screen", "--db", str(two_exporters.path), "--importer", "BBB",
        "--year", "2020", "--out", str(tmp_path / "eu.csv"),
    )  # fmt: skip
    assert code == 0 and "WARNING" in err and "exporter(s)" in err


def test_hhi_threshold_out_of_range_is_one_line(two_exporters, tmp_path):
    two_exporters.close()
    for value in ("-1", "1.5", "nan"):
        code, err = _cli(
            "trade", "eu-screen", "--db", str(two_exporters.path), "--importer", "BBB",
            "--year", "2020", "--hhi-threshold", value, "--out", str(tmp_path / "eu.csv"),
        )  # fmt: skip
        assert code == 2 and "--hhi-threshold" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "eu.csv").exists()


def test_end_use_for_an_absent_exporter_says_why(two_exporters, tmp_path):
    two_exporters.close()
    code, err = _cli(
        "trade", "end-use", "--db", str(two_exporters.path), "--exporter", "BBB",
        "--importer", "AAA", "--out", str(tmp_path / "e.csv"),
    )  # fmt: skip
    assert code == 2 and "BBB has no flows as exporter" in err, err
    assert not (tmp_path / "e.csv").exists()
