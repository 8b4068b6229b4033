"""Generic format: wide CSV/Parquet directories, long files, export/reload, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mrio_workbooks import make_table

import chainatlas
from chainatlas.errors import ChainAtlasError
from chainatlas.sources.generic import write_generic

COUNTRIES = ["CHN", "JPN", "ROW"]
SECTORS = ["agr", "mfg"]
FD = ["HH", "GOV", "INV"]


def _table():
    return make_table(COUNTRIES, SECTORS, FD, seed=11)


def _write_wide(directory, table, fmt="csv", *, extras=True):
    directory.mkdir(parents=True, exist_ok=True)
    labels = [f"{c}.{s}" for c in table.countries for s in table.sectors]
    fd_labels = [f"{c}.{f}" for c in table.countries for f in table.fd]
    frames = {
        "Z": pd.DataFrame(table.Z, columns=labels),
        "Y": pd.DataFrame(table.Y, columns=fd_labels),
    }
    if extras:
        frames["x"] = pd.DataFrame({"x": table.x})
        frames["va"] = pd.DataFrame({"va": table.va_parts.sum(axis=0)})
    for name, frame in frames.items():
        frame.insert(0, "label", labels)
        if fmt == "csv":
            frame.to_csv(directory / f"{name}.csv", index=False, float_format="%.17g")
        else:
            frame.to_parquet(directory / f"{name}.parquet", index=False)
    (directory / "meta.toml").write_text(
        'year = 2020\nunits = "USD million"\ninventory_category = "INV"\n'
        '[sector_names]\nagr = "Agriculture"\nmfg = "Manufacturing"\n'
    )
    return directory


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_wide_directory(tmp_path, fmt):
    table = _table()
    _write_wide(tmp_path / "t", table, fmt)
    model = chainatlas.load("generic", tmp_path / "t")
    assert model.countries == tuple(COUNTRIES)
    assert model.sectors == tuple(SECTORS)
    assert model.sector_names == ("Agriculture", "Manufacturing")
    assert model.fd_categories == tuple(FD)
    assert model.inventory_category == "INV" and model.year == 2020
    np.testing.assert_array_equal(model.Z, table.Z)
    np.testing.assert_array_equal(model.Y_full, table.Y)
    np.testing.assert_allclose(model.x, table.x, rtol=1e-15)
    np.testing.assert_allclose(model.published_va, model.va, rtol=1e-9)
    assert chainatlas.sources.available_years("generic", tmp_path / "t") == [2020]


def test_year_directories_and_fd_column_order(tmp_path):
    """Y columns may come in any order; one directory per year."""
    table = _table()
    _write_wide(tmp_path / "2020", table)
    y = pd.read_csv(tmp_path / "2020" / "Y.csv")
    y = y[["label", *reversed(list(y.columns[1:]))]]
    y.to_csv(tmp_path / "2020" / "Y.csv", index=False, float_format="%.17g")
    assert chainatlas.sources.available_years("generic", tmp_path) == [2020]
    model = chainatlas.load("generic", tmp_path, 2020)
    # Categories are taken in order of first appearance (here reversed); values follow.
    assert model.fd_categories == ("INV", "GOV", "HH")
    np.testing.assert_array_equal(model.Y_full, table.Y.reshape(6, 3, 3)[:, :, ::-1].reshape(6, 9))
    with pytest.raises(ChainAtlasError, match="unknown year 2019"):
        chainatlas.load("generic", tmp_path, 2019)


def test_long_format(tmp_path):
    table = _table()
    G, N, F = 3, 2, 3
    records = []
    for i in range(G * N):
        rc, rs = COUNTRIES[i // N], SECTORS[i % N]
        for j in range(G * N):
            if table.Z[i, j] > 10:  # zeros may be left out: drop some entries
                records.append(("Z", rc, rs, COUNTRIES[j // N], SECTORS[j % N], table.Z[i, j]))
        for j in range(G * F):
            records.append(("Y", rc, rs, COUNTRIES[j // F], FD[j % F], table.Y[i, j]))
    kept_Z = np.where(table.Z > 10, table.Z, 0.0)
    x = kept_Z.sum(axis=1) + table.Y.sum(axis=1)
    for j in range(G * N):
        records.append(("X", None, None, COUNTRIES[j // N], SECTORS[j % N], x[j]))
    frame = pd.DataFrame(
        records, columns=["block", "row_country", "row_sector", "col_country", "col_code", "value"]
    )
    frame["year"] = 2021
    frame.to_parquet(tmp_path / "long.parquet", index=False)
    model = chainatlas.load("generic", tmp_path / "long.parquet")
    assert model.year == 2021 and model.fd_categories == tuple(FD)
    np.testing.assert_array_equal(model.Z, kept_Z)
    np.testing.assert_array_equal(model.Y_full, table.Y)
    np.testing.assert_allclose(model.x, x)
    # Without a block column, Z vs Y is told apart by col_code being a sector.
    frame[frame.block.isin(["Z", "Y"])].drop(columns="block").to_csv(
        tmp_path / "plain.csv", index=False
    )
    plain = chainatlas.load("generic", tmp_path / "plain.csv")
    np.testing.assert_array_equal(plain.Z, kept_Z)
    # Duplicates and unknown labels are named by line.
    dup = pd.concat([frame.iloc[[0]], frame])
    dup.to_csv(tmp_path / "dup.csv", index=False)
    with pytest.raises(ChainAtlasError, match=r"dup\.csv: line \d+: duplicate entry"):
        chainatlas.load("generic", tmp_path / "dup.csv")
    bad = frame.astype({"value": object})
    bad.loc[3, "value"] = "abc"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ChainAtlasError, match=r"bad\.csv: line 5 .*column value: cell is 'abc'"):
        chainatlas.load("generic", tmp_path / "bad.csv")


@pytest.mark.parametrize(
    ("damage", "pattern"),
    [
        (
            lambda d: _edit(d / "Z.csv", 3, 3, "oops"),
            r"Z\.csv: line 3 \(row CHN\.mfg\), column JPN\.agr: cell is 'oops'",
        ),
        (
            lambda d: _edit(d / "Z.csv", 2, 1, ""),
            r"Z\.csv: line 2 \(row CHN\.agr\), column CHN\.agr: cell is empty",
        ),
        (lambda d: _edit(d / "Z.csv", 3, 0, ""), r"Z\.csv: line 3: missing row label"),
        (
            lambda d: _edit(d / "Z.csv", 3, 0, "JPNagr"),
            r"Z\.csv: line 3: label 'JPNagr' is not COUNTRY\.CODE",
        ),
        (lambda d: _drop_col(d / "Z.csv", 4), r"Z must be square"),
        (lambda d: _drop_col(d / "Y.csv", 9), r"missing final-demand column ROW\.INV"),
        (
            lambda d: _edit(d / "x.csv", 3, 1, "-4"),
            r"x\.csv: line 3 \(row CHN\.mfg\): negative gross output -4",
        ),
        (lambda d: (d / "Z.csv").write_text((d / "Z.csv").read_text()[:150]), r"Z\.csv"),
        (lambda d: (d / "meta.toml").write_text("year = = 2"), r"meta\.toml: cannot read"),
        (
            lambda d: _edit(d / "Z.csv", 3, 3, "inf"),
            r"Z\.csv: line 3 \(row CHN\.mfg\), column JPN\.agr: cell is inf, not a number",
        ),
        (
            lambda d: (d / "meta.toml").write_text('inventory_categry = "INV"\n'),
            r"meta\.toml: unknown key\(s\) inventory_categry; known keys: year",
        ),
        (
            lambda d: (d / "meta.toml").write_text('country_codes = "iso"\n'),
            r"meta\.toml: country_codes: country_codes must be adb, wiod or icio, not 'iso'",
        ),
        (
            lambda d: _edit(d / "Z.csv", 3, 3, "1,2"),
            r"Z\.csv: cannot read CSV \(Error tokenizing data\. C error: Expected \d+ "
            r"fields in line 3, saw \d+\)$",
        ),
    ],
)
def test_bad_input_is_named(tmp_path, damage, pattern):
    directory = _write_wide(tmp_path / "t", _table())
    damage(directory)
    with pytest.raises(ChainAtlasError, match=pattern):
        chainatlas.load("generic", directory)


def test_cli_names_the_bad_cell_in_one_line(tmp_path):
    """What a user meets: one line, file + line + row + column, exit code 2."""
    import subprocess
    import sys

    directory = _write_wide(tmp_path / "t", _table())
    _edit(directory / "Z.csv", 3, 3, "-inf")
    code = "from chainatlas.interfaces.cli.main import run; run()"
    proc = subprocess.run(
        [
            *(sys.executable, "-c", code, "decompose", "--source", "generic"),
            *("--path", str(directory), "--year", "2020", "--out", str(tmp_path / "o.csv")),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert "Z.csv: line 3 (row CHN.mfg), column JPN.agr: cell is -inf, not a number" in lines[0]
    assert not (tmp_path / "o.csv").exists()


def test_corrupt_parquet(tmp_path):
    directory = _write_wide(tmp_path / "t", _table(), "parquet")
    data = (directory / "Z.parquet").read_bytes()
    (directory / "Z.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(ChainAtlasError, match=r"Z\.parquet: cannot read file"):
        chainatlas.load("generic", directory)


def _edit(file, line, col, value):
    lines = file.read_text().splitlines()
    cells = lines[line - 1].split(",")
    cells[col] = value
    lines[line - 1] = ",".join(cells)
    file.write_text("\n".join(lines) + "\n")


def _drop_col(file, col):
    lines = [
        ",".join(c for k, c in enumerate(line.split(",")) if k != col)
        for line in file.read_text().splitlines()
    ]
    file.write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------- real data
def test_export_reload_wiod_2011_round_trip(tmp_path, wiod2011):
    """A real table exported with write_generic reloads to the identical model."""
    write_generic(wiod2011, tmp_path / "w", fmt="parquet")
    again = chainatlas.load("generic", tmp_path / "w")
    assert again.countries == wiod2011.countries and again.sectors == wiod2011.sectors
    assert again.year == 2011 and again.inventory_category == "c42"
    np.testing.assert_array_equal(again.Z, wiod2011.Z)
    np.testing.assert_array_equal(again.Y_full, wiod2011.Y_full)
    np.testing.assert_array_equal(again.x, wiod2011.x)
    np.testing.assert_array_equal(again.va, wiod2011.va)


def test_adb_aggregated_table_through_generic_path(wiod_dir):
    """The ADB MRIO 2023 4x3 aggregate (third-party) in shared data, read via the generic
    long format: output X = ΣZ + ΣY as the workbook's Consistency_Check says, and its
    Value_Added column equals x - colsums(Z)."""
    # wiod_dir is shared/data/wiod2013 (the fixture skips or fails when shared data is absent)
    file = wiod_dir.parent / (
        "adb_mrio_derived/ballavbabu_adbmrio/ADB_MRIO_2023_Aggregated_4x3_with_CO2.xlsx"
    )
    assert file.exists(), file
    z = pd.read_excel(
        file, sheet_name="Intermediate_Demand_Z", header=1, index_col=1, engine="calamine"
    ).iloc[:, 1:]
    y = pd.read_excel(
        file, sheet_name="Final_Demand_Y", header=1, index_col=1, engine="calamine"
    ).iloc[:, 1:]
    va = pd.read_excel(file, sheet_name="VA_and_CO2", header=1, index_col=0, engine="calamine")
    records = []
    for row in z.index:
        rc, rs = row.split("_", 1)
        for col in z.columns:
            cc, cs = col.split("_", 1)
            records.append(("Z", rc, rs, cc, cs, z.loc[row, col]))
        for dest in y.columns:
            records.append(("Y", rc, rs, dest, "FD", y.loc[row, dest]))
        records.append(("X", None, None, rc, rs, va.loc[row, "Output_X"]))
        records.append(("VA", None, None, rc, rs, va.loc[row, "Value_Added"]))
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        long_file = Path(tmp) / "adb_agg.csv"
        pd.DataFrame(
            records,
            columns=["block", "row_country", "row_sector", "col_country", "col_code", "value"],
        ).to_csv(long_file, index=False, float_format="%.17g")
        model = chainatlas.load("generic", long_file)
    assert model.countries == ("PRC", "IND", "JPN", "ROW")
    assert model.sectors == ("Primary", "Manufacturing", "Services")
    gap = model.validation.balance_gap
    assert gap["rel_gap"].abs().max() < 1e-12
    np.testing.assert_allclose(model.va, model.published_va, rtol=1e-9)
    assert not any("published VA" in n for n in model.validation.notes)


def test_long_csv_keeps_numeric_looking_codes_as_text(tmp_path):
    """Sector codes like 01 and 10 stay text (not 1.0 / 10.0), also next to blank VA rows."""
    lines = [
        "block,row_country,row_sector,col_country,col_code,value",
        "Z,AAA,01,AAA,01,1.5",
        "Z,AAA,01,AAA,10,2",
        "Z,AAA,10,AAA,01,3",
        "Y,AAA,01,AAA,5,10",
        "Y,AAA,10,AAA,5,20",
        "VA,,,AAA,01,11.5",
        "VA,,,AAA,10,18",
    ]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    model = chainatlas.load("generic", tmp_path / "t.csv")
    assert model.sectors == ("01", "10") and model.fd_categories == ("5",)
    np.testing.assert_array_equal(model.Z, [[1.5, 2.0], [3.0, 0.0]])
    np.testing.assert_array_equal(model.x, [13.5, 23.0])
    np.testing.assert_array_equal(model.published_va, [11.5, 18.0])
    np.testing.assert_array_equal(model.va, [9.0, 21.0])  # x - column sums of Z
    assert any("published VA" in n and "AAA.01" in n for n in model.validation.notes)


def _cli(*args):
    from typer.testing import CliRunner

    from chainatlas.interfaces.cli.main import app

    return CliRunner().invoke(app, list(args))


def test_year_of_a_table_comes_from_meta_toml_also_for_a_long_file(tmp_path):
    """long.csv + meta.toml (year = 2020) in a directory: `--year 2020` works (the CLI used
    to see no year at all: 'unknown year(s) 2020; available: ')."""
    lines = [
        "row_country,row_sector,col_country,col_code,value",
        "AAA,a,AAA,a,1",
        "AAA,a,BBB,a,2",
        "BBB,a,AAA,a,3",
        "AAA,a,AAA,hh,10",
        "AAA,a,BBB,hh,5",
        "BBB,a,BBB,hh,20",
        "BBB,a,AAA,hh,4",
    ]
    (tmp_path / "long.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "meta.toml").write_text("year = 2020\n")
    assert chainatlas.sources.available_years("generic", tmp_path) == [2020]
    out = tmp_path / "wwz.csv"
    result = _cli(
        *("decompose", "--source", "generic", "--path", str(tmp_path), "--year", "2020"),
        *("--method", "wwz", "--level", "country", "--out", str(out)),
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    # AAA exports 2 (intermediate) + 5 (final) to BBB; the 16 terms add up to that.
    assert frame[frame["exporter"] == "AAA"]["value"].sum() == pytest.approx(7.0, rel=1e-12)


def test_table_without_any_year_says_how_to_give_one(tmp_path):
    directory = _write_wide(tmp_path / "t", _table())
    (directory / "meta.toml").write_text('units = "USD million"\n')
    assert chainatlas.load("generic", directory).year is None  # the API still loads it
    result = _cli(
        *("decompose", "--source", "generic", "--path", str(directory), "--year", "2020"),
        *("--out", str(tmp_path / "o.csv")),
    )
    # CliRunner bypasses main.run(), which turns a ChainAtlasError into one line + exit 2
    assert isinstance(result.exception, ChainAtlasError)
    message = str(result.exception)
    assert "the table has no year: add year = YYYY to meta.toml" in message
    assert not (tmp_path / "o.csv").exists()


def test_two_formats_of_one_table_are_refused_not_mixed(tmp_path):
    """Z.csv next to Z.parquet: loading either silently could mix two tables."""
    directory = _write_wide(tmp_path / "t", _table())
    pd.read_csv(directory / "Z.csv").to_parquet(directory / "Z.parquet", index=False)
    with pytest.raises(ChainAtlasError, match=r"t: Z\.csv and Z\.parquet both hold table Z"):
        chainatlas.load("generic", directory)


def test_export_never_leaves_a_directory_that_mixes_two_tables(tmp_path, wiod2011):
    target = tmp_path / "w"
    write_generic(wiod2011, target, fmt="csv")
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    # Same format again: overwritten in place (atomically), reloads to the same model.
    write_generic(wiod2011, target, fmt="csv")
    np.testing.assert_array_equal(chainatlas.load("generic", target, 2011).Z, wiod2011.Z)
    # The other format would leave Z.csv next to Z.parquet: refused, nothing touched.
    with pytest.raises(ChainAtlasError, match=r"already holds Z\.csv, Y\.csv, x\.csv"):
        write_generic(wiod2011, target, fmt="parquet")
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
