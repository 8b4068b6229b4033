"""FIGARO industry-by-industry tables, on small files written in Eurostat's two published
layouts (no sample in ../shared): the matrix CSV (rowLabels, AREA_CODE labels, W2 value-added
rows, five final-use columns per area) and the flat CSV (refArea, rowPi, counterpartArea,
colPi, obsValue). The layout follows the public readers exvatools (extract_figaro) and
mrio_toolbox; numbers are checked by hand with numpy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import chainatlas
from chainatlas.errors import ChainAtlasError

AREAS = ["AT", "EL", "FI", "FIGW1"]  # alphabetical, FIGW1 (rest of the world) after FI
INDUSTRIES = ["A01", "C10T12", "F", "U"]
FINAL = ["P3_S13", "P3_S14", "P3_S15", "P51G", "P5M"]
VALUE_ADDED = ["D21X31", "OP_RES", "OP_NRES", "D1", "D29X39", "B2A3G"]


def _matrix(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [f"{a}_{i}" for a in AREAS for i in INDUSTRIES] + [f"W2_{v}" for v in VALUE_ADDED]
    cols = [f"{a}_{i}" for a in AREAS for i in INDUSTRIES] + [f"{a}_{f}" for a in AREAS
                                                            for f in FINAL]  # fmt: skip
    values = rng.uniform(0, 100, (len(rows), len(cols))).round(4)
    values[len(rows) - 6 :, len(AREAS) * len(INDUSTRIES) :] = 0.0  # VA x final use: taxes
    values[: len(AREAS) * len(INDUSTRIES), -1] *= -0.05  # P5M can be negative
    return pd.DataFrame(values, index=pd.Index(rows, name="rowLabels"), columns=cols)


def _expected(frame: pd.DataFrame):
    GN = len(AREAS) * len(INDUSTRIES)
    values = frame.to_numpy()
    Z, Y = values[:GN, :GN], values[:GN, GN:]
    x = Z.sum(axis=1) + Y.sum(axis=1)
    return Z, Y, x, values[GN:, :GN].sum(axis=0)


def test_matrix_layout(tmp_path):
    frame = _matrix()
    frame.to_csv(tmp_path / "matrix_eu-ic-io_ind-by-ind_24ed_2021.csv")
    model = chainatlas.load("figaro", tmp_path, 2021)
    Z, Y, x, va = _expected(frame)
    assert model.countries == ("AUT", "GRC", "FIN", "ROW")
    assert model.source_countries == tuple(AREAS)
    assert model.sectors == tuple(INDUSTRIES) and model.fd_categories == tuple(FINAL)
    assert model.inventory_category == "P5M"
    np.testing.assert_array_equal(model.Z, Z)
    np.testing.assert_array_equal(model.Y_full, Y)
    np.testing.assert_allclose(model.x, x, rtol=1e-13)
    np.testing.assert_allclose(model.published_va, va, rtol=1e-13)
    np.testing.assert_allclose(model.B, np.linalg.inv(np.eye(len(x)) - Z / x), rtol=1e-10)
    assert chainatlas.load("auto", tmp_path).year == 2021


def test_flat_layout_any_row_order(tmp_path):
    frame = _matrix(seed=1)
    flat = frame.stack().rename("obsValue").reset_index()
    flat.columns = ["icioRow", "icioCol", "obsValue"]
    flat["refArea"], flat["rowPi"] = zip(*(s.split("_", 1) for s in flat["icioRow"]),
                                         strict=True)  # fmt: skip
    flat["counterpartArea"], flat["colPi"] = zip(*(s.split("_", 1) for s in flat["icioCol"]),
                                                 strict=True)  # fmt: skip
    flat = flat.sample(frac=1.0, random_state=3)
    flat.to_csv(tmp_path / "flatfile_eu-ic-io_ind-by-ind_24ed_2021.csv", index=False)
    model = chainatlas.load("figaro", tmp_path)
    Z, Y, x, _ = _expected(frame)
    np.testing.assert_allclose(model.x, x, rtol=1e-13)
    np.testing.assert_array_equal(model.Z, Z)
    np.testing.assert_array_equal(model.Y_full, Y)
    assert chainatlas.sources.detect.detect_source(tmp_path) == "figaro"


def test_bad_figaro_files(tmp_path):
    frame = _matrix()
    frame.iloc[3, 2] = np.nan
    path = tmp_path / "matrix_eu-ic-io_ind-by-ind_2020.csv"
    frame.to_csv(path)
    with pytest.raises(ChainAtlasError, match=r"ind_2020\.csv: line 5, column 4"):
        chainatlas.load("figaro", tmp_path)
    frame = _matrix().drop(columns=["FI_P51G"])
    frame.to_csv(path)
    with pytest.raises(ChainAtlasError, match=r"final-use column\(s\) missing: FI_P51G"):
        chainatlas.load("figaro", tmp_path)
    with pytest.raises(ChainAtlasError, match="unknown year 2019; available: 2020"):
        chainatlas.load("figaro", tmp_path, 2019)
