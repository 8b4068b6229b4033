"""ADB MRIO as published today (62/72/75 economies, 2024–2025 releases), on workbooks written
in the layout ADB mrio-processing and exvatools read: three title rows, a blank row, three
header rows (descriptions, economy codes, c1…c35/F1…F5), data from row 8 in column E, row
labels in B–D, r60 / r61–r66 / r69 below the intermediate rows, a note row after r69, and
cells holding a single space for zero."""

from __future__ import annotations

import numpy as np
import pytest
from mrio_workbooks import FIRST_COL, FIRST_ROW, make_table, write_world_workbook

import chainatlas
from chainatlas.errors import ChainAtlasError

FD = ["F1", "F2", "F3", "F4", "F5"]


def _workbook(path, economies, seed=3, spaces=True):
    table = make_table(economies, ["c1", "c2", "c3"], FD, seed=seed)

    def publish(rows):
        r0 = FIRST_ROW["adb"]
        if spaces:  # ADB writes ' ' where a flow is zero
            rows[r0][FIRST_COL + 1] = " "
            rows[r0 + 1][FIRST_COL + 9 + 4] = " "  # Y[1, 4]
        rows.append([None, "Source: ADB Multiregional Input-Output Database", None, None])

    if spaces:
        table.Z[0, 1] = 0.0
        table.Y[1, 4] = 0.0
        table.published_x = table.Z.sum(axis=1) + table.Y.sum(axis=1)
    return write_world_workbook(path, table, "adb", 2024, mutate=publish), table


def test_newest_names_and_layout(tmp_path):
    """ADB-MRIO-2024_August 2025-62.xlsx: version given as a suffix; ' ' cells are 0; the
    note row after r69 is ignored; numbers land in place."""
    _, table = _workbook(tmp_path / "ADB-MRIO-2024_August 2025-62.xlsx", ["PRC", "TAJ", "RoW"])
    model = chainatlas.load("adb", tmp_path, 2024)
    assert model.countries == ("CHN", "TJK", "ROW")
    assert model.source_countries == ("PRC", "TAJ", "RoW")
    np.testing.assert_array_equal(model.Z, table.Z)
    np.testing.assert_array_equal(model.Y_full, table.Y)
    # identities (METHODS §2): x = Z1 + Y1, va = x - 1'Z equals the published VA rows
    np.testing.assert_allclose(model.x, model.Z.sum(1) + model.Y_full.sum(1), rtol=1e-12)
    np.testing.assert_allclose(model.published_va, table.va_parts.sum(axis=0), rtol=1e-9)
    np.testing.assert_allclose(model.va, model.x - model.Z.sum(axis=0), rtol=1e-12)
    with pytest.raises(ChainAtlasError, match=r"F8: intermediate use: cell is (empty|' ')"):
        chainatlas.sources.load("adb", tmp_path, 2024, blank_as_zero=False)


def test_versions_and_prices_of_one_year(tmp_path):
    _workbook(tmp_path / "ADB-MRIO-2024_August 2025-62.xlsx", ["PRC", "GER", "RoW"], seed=1)
    _, t72 = _workbook(tmp_path / "ADB-MRIO72-2024_August 2025.xlsx", ["PRC", "UAE", "RoW"], 2)
    _, tk = _workbook(tmp_path / "ADB MRIO 2024, at constant 2010 prices_Jan 2025.xlsx",
                      ["PRC", "KUW", "RoW"], seed=4)  # fmt: skip
    with pytest.raises(ChainAtlasError, match=r"several workbooks for 2024.*economies=62, 72"):
        chainatlas.load("adb", tmp_path, 2024)
    m72 = chainatlas.sources.load("adb", tmp_path, 2024, economies=72)
    assert m72.countries == ("CHN", "ARE", "ROW")
    np.testing.assert_array_equal(m72.Z, t72.Z)
    constant = chainatlas.sources.load("adb", tmp_path, 2024, prices="constant")
    assert constant.countries == ("CHN", "KWT", "ROW")
    np.testing.assert_array_equal(constant.Z, tk.Z)
    with pytest.raises(ChainAtlasError, match="prices must be"):
        chainatlas.sources.load("adb", tmp_path, 2024, prices="real")
    assert chainatlas.sources.available_years("auto", tmp_path) == [2024]


def test_cut_workbook_names_cell(tmp_path):
    def cut(rows):
        del rows[FIRST_ROW["adb"] + 4 :]

    table = make_table(["PRC", "RoW"], ["c1", "c2", "c3"], FD, seed=5)
    write_world_workbook(tmp_path / "ADB-MRIO72-2023_July 2025.xlsx", table, "adb", 2023,
                         mutate=cut)  # fmt: skip
    with pytest.raises(ChainAtlasError, match=r"ADB-MRIO72-2023_July 2025.xlsx.*(row|truncated)"):
        chainatlas.load("adb", tmp_path, 2023)
