"""CLI: chainatlas trade load / info / convert, vulnerability, interdependence."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
from typer.testing import CliRunner

from chainatlas.interfaces.cli.main import app

runner = CliRunner()


def run_cli(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "chainatlas.interfaces.cli.main", *args],
        capture_output=True,
        text=True,
    )


def test_load_then_vulnerability(tmp_path, baci_file, lithium_file, concordances_dir):
    db = tmp_path / "trade.duckdb"
    result = runner.invoke(
        app,
        [
            "trade",
            "load",
            "--source",
            "baci",
            "--path",
            str(baci_file.parent),
            "--db",
            str(db),
            "--concordances",
            str(concordances_dir),
            "--map-country",
            "380=ITA",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "loaded 71,192 flows" in result.output
    result = runner.invoke(
        app,
        [
            "trade",
            "load",
            "--source",
            "atlas",
            "--path",
            str(lithium_file),
            "--db",
            str(db),
            "--concordances",
            str(concordances_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["trade", "info", "--db", str(db)])
    assert result.exit_code == 0 and "2021" in result.output and "2015" in result.output

    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "vulnerability",
            "--db",
            str(db),
            "--importer",
            "USA",
            "--years",
            "2021",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    products = pd.read_parquet(out / "products.parquet")
    classes = pd.read_csv(out / "classes.csv")
    chapters = pd.read_csv(out / "hs2_ranking.csv", dtype={"hs2": str})
    assert classes["n_products"].sum() == len(products)
    assert set(chapters["hs2"]) == set(products["hs2"])
    params = json.loads((out / "parameters.json").read_text())
    assert params["importer"] == "USA" and params["centrality"] == "freeman"
    assert (out / "top3_counts.csv").exists() and (out / "thresholds.csv").exists()

    result = runner.invoke(
        app,
        [
            "vulnerability",
            "--db",
            str(db),
            "--importer",
            "CHN",
            "--years",
            "2017-2018",
            "--out",
            str(tmp_path / "li"),
            "--universe",
            "all",
            "--format",
            "csv",
            "--centrality",
            "pagerank",
        ],
    )
    assert result.exit_code == 0, result.output
    li = pd.read_csv(tmp_path / "li" / "products.csv", dtype={"hs6": str})
    assert li["year"].tolist() == [2017, 2018] and set(li["hs6"]) == {"283691"}


def test_load_errors_exit_2_and_keep_existing_outputs(
    tmp_path, baci_file, concordances_dir, capsys
):
    # In-process (chainatlas.interfaces.cli.main.run): same exit code and stderr, no
    # interpreter start-up per call.
    import pytest

    from chainatlas.interfaces.cli.main import run

    def run_cli(args: list[str]):
        with pytest.raises(SystemExit) as exit_info:
            run(args)
        return subprocess.CompletedProcess(args, exit_info.value.code, "", capsys.readouterr().err)

    db = tmp_path / "trade.duckdb"
    result = run_cli(
        [
            "trade",
            "load",
            "--path",
            str(baci_file.parent),
            "--db",
            str(db),
            "--concordances",
            str(concordances_dir),
        ]
    )
    assert result.returncode == 2
    assert "unknown code" in result.stderr and "380" in result.stderr
    assert "Traceback" not in result.stderr
    bad = tmp_path / "BACI_HS17_Y2020_V202301.csv"
    bad.write_text("t,i,j,k,v\n2020,1,2,010121,1.0\n")
    result = run_cli(
        [
            "trade",
            "load",
            "--path",
            str(bad),
            "--db",
            str(db),
            "--concordances",
            str(concordances_dir),
            "--country-codes",
            str(baci_file.parent / "country_codes_V202201.csv"),
        ]
    )
    assert result.returncode == 2 and "missing ['q']" in result.stderr
    assert "line 1" in result.stderr


def test_vulnerability_unknown_year_leaves_out_dir_alone(tmp_path, make_store):
    store = make_store([(2020, 1, 2, "10129", 10, "NA")], {1: "AAA", 2: "USA"})
    store.close()  # DuckDB allows one writer process: release the file for the CLI
    out = tmp_path / "out"
    out.mkdir()
    (out / "classes.csv").write_text("keep me\n")
    result = run_cli(
        [
            "vulnerability",
            "--db",
            str(store.path),
            "--importer",
            "USA",
            "--years",
            "2019",
            "--out",
            str(out),
        ]
    )
    assert result.returncode == 2 and "unknown year(s) 2019" in result.stderr
    assert (out / "classes.csv").read_text() == "keep me\n"


def test_interdependence_command(tmp_path):
    frame = pd.DataFrame(
        {
            "year": [2016, 2017],
            "trade_ab": [1.0, 2.0],
            "gdp_a": [10.0, 10.0],
            "gdp_b": [20.0, 20.0],
            "fdi_b_in_a": [1.0, 2.0],
            "fdi_in_a": [10.0, 10.0],
            "tariff_a_on_b": [5.0, 3.0],
            "tariff_b_on_a": [4.0, 2.0],
            "iit_1": [0.2, 0.4],
            "iit_2": [0.5, 0.3],
        }
    )
    path = tmp_path / "series.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    result = runner.invoke(app, ["interdependence", "--input", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "interdependence.csv")
    # 2016: every dimension at its minimum except liberalisation (tariffs fell) and IIT2
    assert table["D"].tolist() == [0.2 * 0.0 + 0.1 * 0.5, 0.4 + 0.3 + 0.2 + 0.1 * 0.5]
    result = run_cli(
        ["interdependence", "--input", str(path), "--out", str(out), "--weights", "0.5,0.5,0.5,0.5"]
    )
    assert result.returncode == 2 and "sum to 1" in result.stderr


def test_trade_subcommands_on_lithium(tmp_path, lithium_file, concordances_dir):
    db = tmp_path / "trade.duckdb"
    assert (
        runner.invoke(
            app,
            [
                "trade",
                "load",
                "--source",
                "atlas",
                "--path",
                str(lithium_file),
                "--db",
                str(db),
                "--concordances",
                str(concordances_dir),
            ],
        ).exit_code
        == 0
    )
    result = runner.invoke(
        app,
        [
            "trade",
            "eu-screen",
            "--db",
            str(db),
            "--year",
            "2018",
            "--out",
            str(tmp_path / "eu.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    eu = pd.read_csv(tmp_path / "eu.csv", dtype={"hs6": str})
    assert eu["importer"].tolist() == ["EU27"] and eu["hs6"].tolist() == ["283691"]

    distances = tmp_path / "distances.csv"
    distances.write_text("country_a,country_b,distance\nCHN,CHL,1\nCHN,ARG,2\nCHN,AUS,3\n")
    result = runner.invoke(
        app,
        [
            "trade",
            "supply-risk",
            "--db",
            str(db),
            "--importer",
            "CHN",
            "--distances",
            str(distances),
            "--years",
            "2018",
            "--universe",
            "all",
            "--out",
            str(tmp_path / "risk.csv"),
        ],
    )
    assert result.exit_code != 0
    assert "no political distance for" in str(result.exception)
    result = runner.invoke(
        app,
        [
            "trade",
            "supply-risk",
            "--db",
            str(db),
            "--importer",
            "CHN",
            "--distances",
            str(distances),
            "--years",
            "2018",
            "--universe",
            "all",
            "--missing-distance",
            "3",
            "--out",
            str(tmp_path / "risk.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    risk = pd.read_csv(tmp_path / "risk.csv")
    assert (risk["r_pol"] >= risk["r_econ"]).all()

    result = runner.invoke(
        app,
        [
            "trade",
            "topk",
            "--db",
            str(db),
            "--years",
            "2015-2018",
            "--k",
            "1",
            "--universe",
            "all",
            "--out",
            str(tmp_path / "top.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    top = pd.read_csv(tmp_path / "top.csv")
    assert top["n_first"].sum() == 1  # one product, one leader over the window

    result = runner.invoke(
        app,
        [
            "trade",
            "end-use",
            "--db",
            str(db),
            "--exporter",
            "CHL",
            "--importer",
            "CHN",
            "--out",
            str(tmp_path / "eu_use.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    use = pd.read_csv(tmp_path / "eu_use.csv")
    assert set(use["end_use"]) == {"intermediate"} and (use["share"] == 1.0).all()


def test_load_refuses_overlapping_copy_and_damaged_zip_with_exit_2(
    tmp_path, baci_file, concordances_dir, capsys
):
    """Regressions: a renamed copy of a loaded BACI file doubled the year's value (exit 0, a
    note only); a damaged zip member ended in a zipfile traceback (exit 1)."""
    import shutil
    import zipfile

    import pytest

    from chainatlas.interfaces.cli.main import run

    def run_in_process(args: list[str]) -> tuple[int, str]:
        with pytest.raises(SystemExit) as exit_info:
            run(args)
        return exit_info.value.code, capsys.readouterr().err

    db = tmp_path / "trade.duckdb"
    codes = baci_file.parent / "country_codes_V202201.csv"
    copy = tmp_path / "BACI_HS92_Y2021_V202301_copy.csv"
    shutil.copy(baci_file, copy)
    common = ["--db", str(db), "--concordances", str(concordances_dir), "--map-country", "380=ITA"]
    common += ["--country-codes", str(codes)]
    result = runner.invoke(app, ["trade", "load", "--path", str(baci_file), *common])
    assert result.exit_code == 0, result.output
    code, stderr = run_in_process(["trade", "load", "--path", str(copy), *common])
    assert code == 2 and "Traceback" not in stderr
    assert "71,192 flow(s) of HS92 2021" in stderr and "--replace" in stderr
    result = runner.invoke(app, ["trade", "info", "--db", str(db)])
    assert "71192" in result.output and "142384" not in result.output
    result = runner.invoke(app, ["trade", "load", "--path", str(copy), *common, "--replace"])
    assert result.exit_code == 0 and "replaced baci-BACI_HS92_Y2021" in result.output

    archive = tmp_path / "BACI_HS92_V202301.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(baci_file, baci_file.name)
    raw = bytearray(archive.read_bytes())
    for offset in range(5_000, 5_100):
        raw[offset] ^= 0xFF
    archive.write_bytes(bytes(raw))
    code, stderr = run_in_process(["trade", "load", "--path", str(archive), *common])
    assert code == 2 and "Traceback" not in stderr
    assert f"{archive}!{baci_file.name}" in " ".join(stderr.split())


def test_supply_risk_refuses_conflicting_distances_and_out_of_range_fill(
    tmp_path, make_store, capsys
):
    import pytest

    from chainatlas.interfaces.cli.main import run

    store = make_store(
        [(2020, 1, 3, "10129", 10, "NA"), (2020, 2, 3, "10129", 30, "NA")],
        {1: "AAA", 2: "BBB", 3: "CCC"},
    )
    store.close()
    table = tmp_path / "d.csv"
    table.write_text("country_a,country_b,distance\nCCC,AAA,0\nCCC,BBB,2\nBBB,CCC,1\nCCC,AAA,3\n")
    out = tmp_path / "risk.csv"
    args = ["trade", "supply-risk", "--db", str(store.path), "--importer", "CCC"]
    args += ["--distances", str(table), "--out", str(out)]
    with pytest.raises(SystemExit) as exit_info:
        run(args)
    assert exit_info.value.code == 2 and not out.exists()
    assert (
        "pair CCC-AAA is listed with different distances on lines 2, 5" in capsys.readouterr().err
    )
    table.write_text("country_a,country_b,distance\nCCC,AAA,0\nAAA,BBB,2\n")
    with pytest.raises(SystemExit) as exit_info:
        run([*args, "--missing-distance", "7"])
    assert exit_info.value.code == 2 and "outside the table's range" in capsys.readouterr().err
    result = runner.invoke(app, [*args, "--missing-distance", "2"])
    assert result.exit_code == 0, result.output
    risk = pd.read_csv(out)
    # m = (0.25, 0.75), q = (0.25, 0.75) (the only importer), pi = (0, 1): R_pol = 0.0625 + 2*0.5625
    assert risk["r_econ"].tolist() == [pytest.approx(0.625, abs=1e-15)]
    assert risk["r_pol"].tolist() == [pytest.approx(0.0625 + 2 * 0.5625, abs=1e-15)]


def test_interdependence_zero_trade_group_names_file_line_and_columns(tmp_path, capsys):
    import pytest

    from chainatlas.interfaces.cli.main import run

    path = tmp_path / "series.csv"
    path.write_text(
        "year,trade_ab,gdp_a,gdp_b,fdi_b_in_a,fdi_in_a,tariff_a_on_b,tariff_b_on_a,x_1,m_1,x_2,m_2\n"
        "2016,5,10,20,1,10,8,3,1,2,3,4\n2017,6,11,21,2,10,7,3,0,0,3,4\n"
    )
    with pytest.raises(SystemExit) as exit_info:
        run(["interdependence", "--input", str(path), "--out", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"{path}: line 3, columns 'x_1', 'm_1'" in err
    assert not (tmp_path / "out").exists()


def test_repeated_atlas_row_and_double_conversion_exit_2(
    tmp_path, lithium_file, concordances_dir, capsys
):
    """CLI side of two regressions: a repeated Atlas row and an HS92 -> HS17 conversion into
    a year already holding those flows were both added silently (exit 0)."""
    import pytest

    from chainatlas.interfaces.cli.main import run

    def exit_code(args: list[str]) -> tuple[int, str]:
        with pytest.raises(SystemExit) as exit_info:
            run(args)
        return exit_info.value.code, " ".join(capsys.readouterr().err.split())

    lines = lithium_file.read_text().splitlines()
    repeated = tmp_path / "atlas_repeat.csv"
    repeated.write_text("\n".join([*lines[:30], lines[1] if ",0," not in lines[1] else lines[2]]))
    db = tmp_path / "t.duckdb"
    common = ["--db", str(db), "--concordances", str(concordances_dir)]
    code, err = exit_code(["trade", "load", "--source", "atlas", "--path", str(repeated), *common])
    assert code == 2 and "appears 2 times" in err and "line 31" in err
    assert (
        runner.invoke(
            app, ["trade", "load", "--source", "atlas", "--path", str(lithium_file), *common]
        ).exit_code
        == 0
    )
    # The same network loaded as HS17 (283691 is unchanged in HS2017): converting the HS92
    # copy into HS17 must be refused, not added.
    assert (
        runner.invoke(
            app,
            [
                *("trade", "load", "--source", "atlas", "--path", str(lithium_file)),
                *("--vintage", "HS17", *common),
            ],
        ).exit_code
        == 0
    )
    code, err = exit_code(["trade", "convert", "--from", "HS92", "--to", "HS17", *common])
    assert code == 2 and "would double-count" in err
    info = runner.invoke(app, ["trade", "info", "--db", str(db)]).output
    assert "converted" not in info and info.count("HS17") == 4  # one file per year, no copy


def test_out_that_is_a_file_is_refused_with_exit_2(tmp_path, make_store, capsys):
    """Regression: --out naming an existing file ended in a FileExistsError traceback."""
    import pytest

    from chainatlas.interfaces.cli.main import run

    store = make_store([(2020, 1, 2, "10129", 10, "NA")], {1: "AAA", 2: "USA"})
    store.close()
    target = tmp_path / "results"
    target.write_text("my notes\n")
    series = tmp_path / "series.csv"
    series.write_text("year\n2020\n")
    for args in (
        ["vulnerability", "--db", str(store.path), "--importer", "USA", "--out", str(target)],
        ["interdependence", "--input", str(series), "--out", str(target)],
    ):
        with pytest.raises(SystemExit) as exit_info:
            run(args)
        assert exit_info.value.code == 2
        assert "--out must be a directory" in capsys.readouterr().err
    assert target.read_text() == "my notes\n"
