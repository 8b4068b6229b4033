"""WIOD 2013 / WIOD 2016 / ADB Excel loaders on small tables written in the publishers' layout."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from mrio_workbooks import FIRST_COL, FIRST_ROW, make_table, write_world_workbook

import chainatlas
from chainatlas.errors import ChainAtlasError, DataNotFoundError, UnknownSourceError

WIOD13_FD = ["c37", "c38", "c39", "c41", "c42"]
WIOD16_FD = ["CONS_h", "CONS_np", "CONS_g", "GFCF", "INVEN"]
ADB_FD = ["F1", "F2", "F3", "F4", "F5"]

CASES = {
    # style: (source, file name, own country codes, ISO3, sectors, FD, inventory)
    "wiod2013": (
        "wiod2013-excel",
        "wiot09_row_apr12.xlsx",
        ["AUS", "ROM", "RoW"],
        ("AUS", "ROU", "ROW"),
        ["c1", "c2", "c3"],
        WIOD13_FD,
        "c42",
    ),
    "wiod2016": (
        "wiod2016",
        "WIOT2009_Nov16_ROW.xlsx",
        ["CHN", "USA", "ROW"],
        ("CHN", "USA", "ROW"),
        ["A01", "C10-C12", "U"],
        WIOD16_FD,
        "INVEN",
    ),
    "adb": (
        "adb",
        "ADB-MRIO-2009_Mar2022.xlsx",
        ["PRC", "GER", "RoW"],
        ("CHN", "DEU", "ROW"),
        ["c1", "c2"],
        ADB_FD,
        "F5",
    ),
}


def _write(tmp_path, style, mutate=None, name=None):
    source, file_name, own, _, sectors, fd, _ = CASES[style]
    table = make_table(own, sectors, fd, seed=len(style))
    path = write_world_workbook(tmp_path / (name or file_name), table, style, 2009, mutate=mutate)
    return source, path, table


def _cell(rows, r, c, value):
    rows[r][c] = value


@pytest.mark.parametrize("style", list(CASES))
def test_values_land_in_the_right_cells(tmp_path, style):
    source, _path, table = _write(tmp_path, style)
    _, _, own, iso, sectors, fd, inventory = CASES[style]
    model = chainatlas.load(source, tmp_path, 2009)
    assert model.countries == iso
    assert model.source_countries == tuple(own)
    assert model.sectors == tuple(sectors)
    assert model.sector_names == tuple(table.sector_names)
    assert model.fd_categories == tuple(fd)
    assert model.inventory_category == inventory
    assert model.year == 2009 and model.source == source
    np.testing.assert_array_equal(model.Z, table.Z)
    np.testing.assert_array_equal(model.Y_full, table.Y)
    np.testing.assert_allclose(model.x, table.x, rtol=1e-15)
    # Inventories are the last category of each country: negative in this table, kept.
    assert np.all(model.inventories < 0)
    np.testing.assert_allclose(model.inventories, table.Y[:, len(fd) - 1 :: len(fd)].sum(axis=1))
    # The published VA rows (six components) sum to x - colsums(Z): no gap is reported.
    np.testing.assert_allclose(model.published_va, table.va_parts.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(model.va, model.published_va, rtol=1e-9)
    assert not any("differs from the published VA" in n for n in model.validation.notes)
    assert chainatlas.sources.available_years(source, tmp_path) == [2009]


def test_spot_cells_wiod2013(tmp_path):
    """Cell E7 is Z[AUS.c1, AUS.c1]; the first FD column after GN columns is AUS c37."""
    import openpyxl

    _, path, table = _write(tmp_path, "wiod2013")
    sheet = openpyxl.load_workbook(path).active
    model = chainatlas.load("wiod2013-excel", path)
    assert model.Z[0, 0] == sheet["E7"].value
    GN = table.G * table.N
    assert model.Z[GN - 1, 1] == sheet.cell(row=7 + GN - 1, column=6).value
    assert model.Y_full[2, 0] == sheet.cell(row=9, column=5 + GN).value
    assert sheet.cell(row=6, column=5 + GN).value == "c37"
    # ROM (the 2013 release's code for Romania) is ISO3 ROU; RoW is ROW.
    assert model.country_position("ROM") == model.country_position("ROU") == 1


def test_va_gap_is_reported(tmp_path):
    style = "adb"

    def bump_va(rows):
        GN = 3 * 2
        va_row = FIRST_ROW[style] + GN + 5  # "value added at basic prices" row
        rows[va_row][FIRST_COL + 2] += 50.0  # column GER.c1 (N = 2)

    _, _, _ = _write(tmp_path, style, mutate=bump_va)
    model = chainatlas.load("adb", tmp_path, 2009)
    gap_notes = [n for n in model.validation.notes if "published VA" in n]
    assert gap_notes and "DEU.c1" in gap_notes[0]
    assert model.published_va[2] - model.va[2] == pytest.approx(50.0)


def test_title_year_must_match_file_name(tmp_path):
    def wrong_title(rows):
        rows[0][0] = "World Input-Output Table 2010"

    _write(tmp_path, "wiod2013", mutate=wrong_title)
    with pytest.raises(ChainAtlasError, match=r"title says 2010.*2009"):
        chainatlas.load("wiod2013-excel", tmp_path, 2009)


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("style", list(CASES))
def test_non_numeric_cell_is_named(tmp_path, style):
    r, c = FIRST_ROW[style] + 2, FIRST_COL + 1
    source, path, _ = _write(tmp_path, style, mutate=lambda rows: _cell(rows, r, c, "n/a"))
    with pytest.raises(ChainAtlasError) as err:
        chainatlas.load(source, path)
    message = str(err.value)
    assert path.name in message and f"!F{r + 1}" in message and "'n/a'" in message


@pytest.mark.parametrize("style", list(CASES))
def test_empty_cell_is_named(tmp_path, style):
    r, c = FIRST_ROW[style], FIRST_COL
    source, path, _ = _write(tmp_path, style, mutate=lambda rows: _cell(rows, r, c, None))
    # ADB reads empty cells as 0 by default (its workbooks hold blanks and ' ' for zero)
    strict = {"blank_as_zero": False} if style == "adb" else {}
    with pytest.raises(ChainAtlasError, match=rf"!E{r + 1}.*empty"):
        chainatlas.sources.load(source, path, None, **strict)
    # blank_as_zero reads it as 0 instead.
    model = chainatlas.sources.load(source, path, None, blank_as_zero=True)
    assert model.Z[0, 0] == 0.0


@pytest.mark.parametrize("style", list(CASES))
def test_missing_row_label_is_named(tmp_path, style):
    r = FIRST_ROW[style] + 1
    country_col = FIRST_COL - 2
    source, path, _ = _write(tmp_path, style, mutate=lambda rows: _cell(rows, r, country_col, None))
    with pytest.raises(ChainAtlasError, match=rf"!C{r + 1}: row label None/"):
        chainatlas.load(source, path)


def test_missing_column_label_is_named(tmp_path):
    style = "wiod2016"
    number_row = FIRST_ROW[style] - 1

    def drop(rows):
        rows[number_row - 1][FIRST_COL + 4] = None  # country of column 5

    _, path, _ = _write(tmp_path, style, mutate=drop)
    with pytest.raises(ChainAtlasError, match=r"2009!I5: missing column label"):
        chainatlas.load("wiod2016", path)


def test_wrong_shape_is_reported(tmp_path):
    """A country block with a sector missing (a column deleted) is a shape error."""
    style = "adb"

    def delete_column(rows):
        for row in rows:
            del row[FIRST_COL + 3]  # GER.c2 column

    _, path, _ = _write(tmp_path, style, mutate=delete_column)
    with pytest.raises(ChainAtlasError, match="columns for 3 countries x 2 sectors"):
        chainatlas.load("adb", path)


def test_truncated_table_is_reported(tmp_path):
    style = "wiod2013"

    def cut(rows):
        del rows[FIRST_ROW[style] + 4 :]

    _, path, _ = _write(tmp_path, style, mutate=cut)
    with pytest.raises(ChainAtlasError, match="truncated table"):
        chainatlas.load("wiod2013-excel", path)


def test_negative_output_is_named(tmp_path):
    style = "wiod2016"
    GN = 9

    def negative(rows):
        rows[FIRST_ROW[style] + 2][FIRST_COL + GN + 15] = -5.0  # total-output column

    _, path, _ = _write(tmp_path, style, mutate=negative)
    with pytest.raises(ChainAtlasError, match=r"!AC9: negative total output -5 for CHN/U"):
        chainatlas.load("wiod2016", path)


@pytest.mark.parametrize("style", list(CASES))
def test_truncated_and_corrupt_files(tmp_path, style):
    source, path, _ = _write(tmp_path, style)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ChainAtlasError, match="cannot read workbook") as err:
        chainatlas.load(source, path)
    assert path.name in str(err.value)
    path.write_bytes(b"not a workbook at all")
    with pytest.raises(ChainAtlasError, match="cannot read workbook"):
        chainatlas.load(source, path)


def test_corrupt_xlsb_is_reported(tmp_path):
    path = tmp_path / "WIOT2014_Nov16_ROW.xlsb"
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ChainAtlasError, match=r"WIOT2014_Nov16_ROW\.xlsb.*cannot read workbook"):
        chainatlas.load("wiod2016", tmp_path, 2014)


def test_not_a_world_table(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["just", "some", "cells"])
    path = tmp_path / "ADB-MRIO-2020.xlsx"
    workbook.save(path)
    with pytest.raises(ChainAtlasError, match="no header row with sector numbers c1, c2"):
        chainatlas.load("adb", path)


def test_unknown_year_and_source(tmp_path):
    _write(tmp_path, "wiod2013")
    with pytest.raises(DataNotFoundError, match="unknown year 2010; available: 2009"):
        chainatlas.load("wiod2013-excel", tmp_path, 2010)
    with pytest.raises(ChainAtlasError, match="a year is needed"):
        chainatlas.load("wiod2013-excel", tmp_path)
    with pytest.raises(UnknownSourceError, match="unknown source 'wiod2099'"):
        chainatlas.load("wiod2099", tmp_path, 2009)
    with pytest.raises(DataNotFoundError, match="no WIOT"):
        chainatlas.load("wiod2016", tmp_path, 2009)


def test_adb_versions_of_one_year(tmp_path):
    _, path, _ = _write(tmp_path, "adb")
    shutil.copy(path, tmp_path / "ADB-MRIO72-2009_Dec2022.xlsx")
    with pytest.raises(ChainAtlasError, match="several workbooks for 2009"):
        chainatlas.load("adb", tmp_path, 2009)
    model = chainatlas.sources.load("adb", tmp_path, 2009, economies=72)
    assert model.countries == ("CHN", "DEU", "ROW")


def test_cli_loads_excel_table(tmp_path):
    """The command line reaches the Excel loaders by source name."""
    from typer.testing import CliRunner

    from chainatlas.interfaces.cli.main import app

    _write(tmp_path, "adb")
    out = tmp_path / "va.csv"
    result = CliRunner().invoke(
        app,
        [
            "decompose",
            "--source",
            "adb",
            "--path",
            str(tmp_path),
            "--year",
            "2009",
            "--method",
            "tiva",
            "--level",
            "country",
            "--out",
            str(out),
        ],
    )
    if result.exit_code != 0 and "unknown method" in (result.output or ""):
        pytest.skip("tiva decomposition not available")
    assert result.exit_code == 0, result.output
    assert out.exists()


def test_total_column_coded_differently_is_still_output(tmp_path):
    """After the FD columns, a column without a country (or labelled total/output) is x."""
    style = "wiod2013"
    GN, last = 9, FIRST_COL + 9 + 15

    def recode(rows):
        rows[FIRST_ROW[style] - 1][last] = "c44"
        rows[FIRST_ROW[style] - 2][last] = None
        rows[FIRST_ROW[style] + 1][last] += 7.0  # published x differs from the row total

    _, path, table = _write(tmp_path, style, mutate=recode)
    model = chainatlas.sources.load("wiod2013-excel", path, None, rebalance=False)
    assert model.x[1] == pytest.approx(table.x[1] + 7.0)
    assert any("not balanced" in n and "AUS.c2" in n for n in model.validation.notes)
    assert GN == table.G * table.N


def test_xlsb_reader_places_cells_by_row_and_column(tmp_path, monkeypatch):
    """The .xlsb path (pyxlsb) builds the same grid: cells placed by their (r, c), sparse rows
    and skipped empty rows included. pyxlsb cannot write workbooks, so a stand-in module
    yields the cells of a WIOD 2016 sheet the way pyxlsb's Worksheet.rows(sparse=True) does."""
    import sys
    import types
    from collections import namedtuple

    from mrio_workbooks import _world_rows

    _, _, own, iso, sectors, fd, _ = CASES["wiod2016"]
    table = make_table(own, sectors, fd, seed=4)
    rows = _world_rows(table, "wiod2016", 2014)
    Cell = namedtuple("Cell", ["r", "c", "v"])

    class Sheet:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def rows(self, sparse=False):
            for r, row in enumerate(rows):
                cells = [Cell(r, c, v) for c, v in enumerate(row) if v is not None]
                if cells:  # sparse: empty rows are not yielded at all
                    yield cells

    class Book(Sheet):
        sheets = ("Notes", "2014")

        def get_sheet(self, name):
            assert name == "2014"
            return Sheet()

    stub = types.ModuleType("pyxlsb")
    stub.open_workbook = lambda name: Book()
    monkeypatch.setitem(sys.modules, "pyxlsb", stub)
    path = tmp_path / "WIOT2014_Nov16_ROW.xlsb"
    path.write_bytes(b"stand-in")
    model = chainatlas.sources.load("wiod2016", tmp_path, 2014, engine="pyxlsb")
    assert model.countries == iso and model.year == 2014
    np.testing.assert_array_equal(model.Z, table.Z)
    np.testing.assert_array_equal(model.Y_full, table.Y)


@pytest.mark.parametrize("style", list(CASES))
def test_engines_agree(tmp_path, style):
    """calamine (default) and openpyxl read the same workbook to the same model; both name
    bad cells and reject truncated files the same way."""
    source, path, table = _write(tmp_path, style)
    fast = chainatlas.sources.load(source, path, None, engine="calamine")
    slow = chainatlas.sources.load(source, path, None, engine="openpyxl")
    for model in (fast, slow):
        np.testing.assert_array_equal(model.Z, table.Z)
        np.testing.assert_array_equal(model.Y_full, table.Y)
        assert model.sector_names == tuple(table.sector_names)
    np.testing.assert_array_equal(fast.published_va, slow.published_va)
    r, c = FIRST_ROW[style] + 1, FIRST_COL + 2
    _write(tmp_path, style, mutate=lambda rows: _cell(rows, r, c, None))
    strict = {"blank_as_zero": False} if style == "adb" else {}  # ADB: blanks are 0
    for engine in ("calamine", "openpyxl"):
        with pytest.raises(ChainAtlasError, match=rf"!G{r + 1}: .*cell is empty"):
            chainatlas.sources.load(source, path, None, engine=engine, **strict)
    data = path.read_bytes()
    path.write_bytes(data[:-200])
    for engine in ("calamine", "openpyxl"):
        with pytest.raises(ChainAtlasError, match="cannot read workbook"):
            chainatlas.sources.load(source, path, None, engine=engine)


def test_code_case_does_not_matter(tmp_path):
    """Header and row codes written as C1 / f1 read as c1 / F1 (ADB files vary in case)."""
    style = "adb"

    def upper(rows):
        for row in rows:
            for k, v in enumerate(row):
                if isinstance(v, str) and v in ("c1", "c2", "F1", "r60", "r69"):
                    row[k] = v.upper() if v.startswith("c") else v.lower()

    _, path, table = _write(tmp_path, style, mutate=upper)
    model = chainatlas.load("adb", path)
    assert model.sectors == ("c1", "c2") and model.fd_categories[0] == "F1"
    np.testing.assert_array_equal(model.Z, table.Z)
    np.testing.assert_allclose(model.published_va, table.va_parts.sum(axis=0), rtol=1e-12)


@pytest.mark.slow
def test_real_wiod_2011_in_the_published_excel_layout(tmp_path, wiod2011):
    """The real WIOD 2013-release 2011 table (41 x 35, from the R package copy) written in
    the publisher's Excel layout loads to the same model as the R loader gives."""
    from mrio_workbooks import Table

    m = wiod2011
    published_x = m.validation.balance_gap["x"].to_numpy()  # output as published (rounded)
    va = m.x - m.Z.sum(axis=0)
    table = Table(
        list(m.source_countries),
        list(m.sectors),
        list(m.sector_names),
        list(m.fd_categories),
        np.asarray(m.Z),
        np.asarray(m.Y_full),
        np.vstack([np.zeros((5, m.GN)), va]),
        published_x=published_x,
    )
    path = write_world_workbook(
        tmp_path / "wiot11_row_sep12.xlsx", table, "wiod2013", 2011, plain=True
    )
    model = chainatlas.load("wiod2013-excel", tmp_path, 2011)
    assert model.countries == m.countries and model.source_countries[-1] == "RoW"
    assert "ROM" in model.source_countries and "ROU" in model.countries
    np.testing.assert_array_equal(model.Z, m.Z)
    np.testing.assert_array_equal(model.Y_full, m.Y_full)
    np.testing.assert_array_equal(model.x, m.x)  # same rebalancing of the rounded table
    np.testing.assert_array_equal(model.va, m.va)
    assert path.stat().st_size > 1_000_000
