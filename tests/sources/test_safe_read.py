"""Bounded and finite readers (issue 14): sheet extents, Parquet footers, 1e308 cells and
meta.toml values that are not what they should be."""

from __future__ import annotations

import re
import time
import zipfile

import numpy as np
import pandas as pd
import pytest
from mrio_workbooks import FIRST_COL, FIRST_ROW, make_table, write_world_workbook

import chainatlas
from chainatlas.core.model import MRIOModel
from chainatlas.errors import ChainAtlasError, ValidationError
from chainatlas.sources import safe_read
from chainatlas.sources.wiod_excel import read_sheet


def _stray_cell_workbook(path, *, forge_dimension: bool = False):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"] = 1.0
    sheet["B2"] = 2.0
    sheet["XFD1048576"] = 3.0
    workbook.save(path)
    if forge_dimension:  # the <dimension> claims A1:B2, the cell far away stays
        with zipfile.ZipFile(path) as archive:
            parts = {i.filename: archive.read(i) for i in archive.infolist()}
        name = "xl/worksheets/sheet1.xml"
        parts[name] = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:B2"', parts[name])
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for member, data in parts.items():
                archive.writestr(member, data)
    return path


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
@pytest.mark.parametrize("forge", [False, True])
def test_five_kb_xlsx_with_a_cell_at_xfd1048576_is_refused_without_allocating(
    tmp_path, engine, forge
):
    path = _stray_cell_workbook(tmp_path / "t.xlsx", forge_dimension=forge)
    assert path.stat().st_size < 10_000
    started = time.perf_counter()
    with pytest.raises(ValidationError) as info:
        read_sheet(path, engine=engine)
    assert time.perf_counter() - started < 5
    message = str(info.value)
    assert "1,048,576 rows x 16,384 columns" in message and "XFD1048576" in message


def test_sheet_extent_of_a_normal_sheet_is_exact(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    for r in range(1, 41):
        for c in range(1, 31):
            workbook.active.cell(r, c, r * c)
    workbook.save(tmp_path / "ok.xlsx")
    with (
        zipfile.ZipFile(tmp_path / "ok.xlsx") as archive,
        archive.open("xl/worksheets/sheet1.xml") as xml,
    ):
        rows, cols, _ = safe_read.sheet_extent(xml)
    assert (rows, cols) == (40, 30)
    grid, _ = read_sheet(tmp_path / "ok.xlsx")
    assert grid.shape == (40, 30) and grid[39, 29] == 1200


def test_column_letters_round_trip():
    for number in (1, 26, 27, 52, 702, 703, 16384):
        assert safe_read.column_number(safe_read.column_letters(number)) == number
    assert safe_read.column_letters(16384) == "XFD"


def test_parquet_footer_declaring_too_many_cells_is_refused(tmp_path, monkeypatch):
    frame = pd.DataFrame({"label": ["a", "b"], "a": [1.0, 2.0], "b": [3.0, 4.0]})
    frame.to_parquet(tmp_path / "Z.parquet", index=False)
    monkeypatch.setenv("CHAINATLAS_MAX_CELLS", "4")
    with pytest.raises(ValidationError, match="2 rows x 3 columns"):
        safe_read.check_parquet(tmp_path / "Z.parquet")


def test_duplicate_base_names_in_an_archive_are_refused(tmp_path):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x/Z.csv", "1")
        archive.writestr("y/z.csv", "2")
    with pytest.raises(ValidationError, match=r"x/Z\.csv and y/z\.csv"):
        safe_read.list_members(path)


# ---------------------------------------------------------------------------- overflow
def _wide(directory, Z_value=None):
    from safety_helpers import write_wide

    write_wide(directory)
    if Z_value is not None:
        lines = (directory / "Z.csv").read_text().splitlines()
        fields = lines[2].split(",")
        fields[3] = Z_value
        lines[2] = ",".join(fields)
        (directory / "Z.csv").write_text("\n".join(lines) + "\n")
    return directory


@pytest.mark.parametrize("value", ["1e308", "-1e200", "1.7976931348623157e308"])
def test_generic_cell_of_1e308_is_refused_with_the_cell_named(tmp_path, value):
    directory = _wide(tmp_path / "t", value)
    with pytest.raises(ValidationError) as info:
        chainatlas.load("generic", directory)
    message = str(info.value)
    assert "Z.csv" in message and "line 3" in message and "overflow" in message


@pytest.mark.parametrize("style", ["wiod2013", "adb"])
def test_world_workbook_cell_of_1e308_is_refused(tmp_path, style):
    source, name, own, sectors, fd = {
        "wiod2013": ("wiod2013-excel", "wiot09_row_apr12.xlsx", ["AUS", "ROM", "RoW"],
                     ["c1", "c2"], ["c37", "c38", "c39", "c41", "c42"]),
        "adb": ("adb", "ADB-MRIO-2009_Mar2022.xlsx", ["PRC", "GER", "RoW"], ["c1", "c2"],
                ["F1", "F2", "F3", "F4", "F5"]),
    }[style]  # fmt: skip
    table = make_table(own, sectors, fd, seed=3)
    r, c = FIRST_ROW[style] + 1, FIRST_COL + 1

    def huge(rows):
        rows[r][c] = 1e308

    path = write_world_workbook(tmp_path / name, table, style, 2009, mutate=huge)
    with pytest.raises(ChainAtlasError) as info:
        chainatlas.load(source, path)
    assert f"!F{r + 1}" in str(info.value) and "overflow" in str(info.value)


def test_model_from_arrays_refuses_magnitudes_whose_sums_overflow():
    Z = np.array([[1e308, 1e308], [1.0, 1.0]])
    Y = np.ones((2, 1))
    with pytest.raises(ValidationError, match=r"row A\.s1 .*column A\.s1"):
        MRIOModel.from_arrays(Z, Y, countries=["A"], sectors=["s1", "s2"], fd_categories=["HH"])


def test_meta_toml_year_that_is_not_a_year_is_one_error(tmp_path):
    from safety_helpers import cli

    directory = _wide(tmp_path / "t")
    for bad in ("'twenty'", "{ a = 1 }", "[2020]", "20.5", "true"):
        (directory / "meta.toml").write_text(f"year = {bad}\n")
        with pytest.raises(ValidationError, match="year must be a whole number"):
            chainatlas.sources.available_years("generic", directory)
        code, _, err = cli(
            "decompose", "--source", "generic", "--path", directory, "--year", "2020",
            "--out", tmp_path / "o.csv",
        )  # fmt: skip
        assert code == 2 and "Traceback" not in err and "meta.toml" in err, (bad, err)
