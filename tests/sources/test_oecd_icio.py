"""OECD ICIO CSV loader (synthetic 2021/2023 layout): CN1/CN2 and MX1/MX2 kept or merged,
published VA, bad input. The publishers' real-layout samples: test_icio_samples.py."""

from __future__ import annotations

import numpy as np
import pytest
from mrio_workbooks import make_table, write_icio_csv

import chainatlas
from chainatlas.errors import ChainAtlasError, DataNotFoundError

FD = ["HFCE", "NPISH", "GGFC", "GFCF", "INVNT", "DPABR"]
SECTORS = ["D01T02", "D05T06", "D10T12"]
ROWS = ["AUS", "CN1", "CN2", "MEX", "MX1", "MX2", "ROW"]  # CHN absent, MEX present (zeros)
FD_COUNTRIES = ["AUS", "CHN", "MEX", "ROW"]


def _table(seed=3):
    table = make_table(ROWS, SECTORS, FD, seed=seed, fd_countries=len(FD_COUNTRIES))
    N = len(SECTORS)
    mex = slice(3 * N, 4 * N)  # the MEX total rows/columns hold zeros in a split table
    table.Z[mex, :] = 0.0
    table.Z[:, mex] = 0.0
    table.Y[mex, :] = 0.0
    x = table.x
    va = x - table.Z.sum(axis=0)
    table.va_parts = np.vstack([0.1 * va, 0.9 * va])
    return table


def _write(tmp_path, table=None, name="ICIO2023_2018.csv", mutate=None):
    table = table or _table()
    write_icio_csv(tmp_path / name, table, mutate=mutate)
    return tmp_path / name, table


def _merge_matrix(own, N):
    """Aggregation matrix from split rows (own codes) to merged countries, built by hand."""
    merged = ["AUS", "CHN", "MEX", "ROW"]
    to = {"AUS": "AUS", "CN1": "CHN", "CN2": "CHN", "MEX": "MEX", "MX1": "MEX", "MX2": "MEX"}
    to["ROW"] = "ROW"
    S = np.zeros((len(merged) * N, len(own) * N))
    for k, code in enumerate(own):
        m = merged.index(to[code])
        S[m * N : (m + 1) * N, k * N : (k + 1) * N] = np.eye(N)
    return S


def test_icio_layout_and_split_merge(tmp_path):
    _path, table = _write(tmp_path)
    model = chainatlas.load("oecd-icio", tmp_path, 2018, split="merge")
    N = len(SECTORS)
    assert model.layout is None
    assert model.countries == ("AUS", "CHN", "MEX", "ROW")
    assert model.source_countries == ("AUS", "CN1+CN2", "MX1+MX2", "ROW")
    assert model.sectors == tuple(SECTORS)
    assert model.fd_categories == tuple(FD)
    assert model.inventory_category == "INVNT"
    assert model.year == 2018 and model.source == "oecd-icio"
    S = _merge_matrix(ROWS, N)
    np.testing.assert_allclose(model.Z, S @ table.Z @ S.T, rtol=1e-12)
    np.testing.assert_allclose(model.Y_full, S @ table.Y, rtol=1e-12)
    np.testing.assert_allclose(model.x, S @ table.x, rtol=1e-12)
    # CHN.D05T06 output is CN1.D05T06 + CN2.D05T06, row by row
    chn = model.sector_position("D05T06") + N
    assert model.x[chn] == pytest.approx(table.x[N + 1] + table.x[2 * N + 1])
    # Intermediate use CN1 -> CN2 becomes domestic CHN -> CHN use.
    assert model.Z[N, N] == pytest.approx(
        sum(table.Z[r, c] for r in (N, 2 * N) for c in (N, 2 * N))
    )
    # TLS + VA rows are the published VA; merged the same way; no gap.
    np.testing.assert_allclose(model.published_va, S @ table.va_parts.sum(axis=0), rtol=1e-12)
    assert not any("published VA" in n for n in model.validation.notes)
    assert any("CHN computed on its parts CN1/CN2" in n for n in model.validation.notes)
    assert any("MEX rows are empty" in n for n in model.validation.notes)
    assert any("split='merge'" in n and "overstates" in n for n in model.validation.notes)
    # DPABR can be negative and is kept.


def test_split_kept_by_default(tmp_path):
    """split='keep': CHN = CN1 + CN2 parts in a padded view; the rows are the file's rows."""
    _path, table = _write(tmp_path)
    model = chainatlas.load("oecd-icio", tmp_path, 2018)
    N = len(SECTORS)
    assert model.countries == ("AUS", "CHN", "MEX", "ROW")
    assert model.layout.parts == (("AUS",), ("CN1", "CN2"), ("MX1", "MX2"), ("ROW",))
    assert model.industries == tuple(SECTORS) and model.N == 2 * N
    # padded slot of each file row (MEX total rows, all zero, are dropped)
    slot = {"AUS": [0], "CN1": [1], "CN2": [1], "MX1": [2], "MX2": [2], "ROW": [3]}
    part = {"AUS": 0, "CN1": 0, "CN2": 1, "MX1": 0, "MX2": 1, "ROW": 0}
    rows = [k for k, c in enumerate(ROWS) if c != "MEX"]
    pos = np.concatenate([(slot[ROWS[k]][0] * 2 + part[ROWS[k]]) * N + np.arange(N) for k in rows])
    file_rows = np.concatenate([np.arange(k * N, (k + 1) * N) for k in rows])
    np.testing.assert_array_equal(model.Z[np.ix_(pos, pos)], table.Z[np.ix_(file_rows, file_rows)])
    np.testing.assert_array_equal(model.x[pos], table.x[file_rows])
    dummy = np.setdiff1d(np.arange(model.GN), pos)
    assert dummy.size == 2 * N and not model.x[dummy].any() and not model.Z[dummy].any()
    # CN1 -> CN2 is domestic: CHN exports exclude it; merging the parts gives the merge option
    merged = chainatlas.load("oecd-icio", tmp_path, 2018, split="merge")
    np.testing.assert_allclose(model.merge_parts().Z, merged.Z, rtol=1e-13)
    np.testing.assert_allclose(
        model.layout.collapse_rows(model.exports), merged.exports, rtol=1e-12
    )
    # the inverse is computed on the real rows; dummies are identity rows
    np.testing.assert_allclose(
        model.B[np.ix_(pos, pos)],
        np.linalg.inv(np.eye(pos.size) - model.A[np.ix_(pos, pos)]),
        rtol=1e-12,
    )
    np.testing.assert_array_equal(model.B[dummy][:, dummy], np.eye(dummy.size))
    assert model.fd_categories[-1] == "DPABR"
    assert chainatlas.sources.available_years("oecd-icio", tmp_path) == [2018]


def test_chn_total_rows_with_split_rows_that_agree(tmp_path):
    """A file with both CHN totals and the CN1/CN2 split keeps CHN and drops the split."""
    rows = ["AUS", "CHN", "CN1", "CN2", "ROW"]
    table = make_table(rows, SECTORS, FD, seed=5, fd_countries=3)
    N = len(SECTORS)
    chn, cn1, cn2 = slice(N, 2 * N), slice(2 * N, 3 * N), slice(3 * N, 4 * N)
    # Make CHN rows = CN1 + CN2 rows (in Z and Y); columns of CN1/CN2 hold the split of CHN.
    table.Z[chn] = table.Z[cn1] + table.Z[cn2]
    table.Y[chn] = table.Y[cn1] + table.Y[cn2]
    write_icio_csv(tmp_path / "ICIO2021_2010.csv", table)
    model = chainatlas.load("oecd-icio", tmp_path, 2010)
    assert model.countries == ("AUS", "CHN", "ROW") and model.layout is None
    keep = np.r_[0:N, N : 2 * N, 4 * N : 5 * N]
    np.testing.assert_allclose(model.Z, table.Z[np.ix_(keep, keep)])
    assert any("CHN kept, CN1/CN2 dropped" in n for n in model.validation.notes)

    table.Z[N, 0] += 1000.0  # now CHN no longer equals CN1 + CN2: a third part (as pymrio)
    write_icio_csv(tmp_path / "ICIO2021_2010.csv", table)
    model = chainatlas.load("oecd-icio", tmp_path, 2010)
    assert model.layout.parts[1] == ("CHN", "CN1", "CN2")
    assert any("kept as one more part of CHN" in n for n in model.validation.notes)
    merged = chainatlas.load("oecd-icio", tmp_path, 2010, split="merge")
    assert merged.x[N] == pytest.approx(table.x[N] + table.x[2 * N] + table.x[3 * N])


def test_zip_as_published(tmp_path):
    import zipfile

    path, _ = _write(tmp_path / "csv")
    with zipfile.ZipFile(tmp_path / "ICIO2023_2018.zip", "w") as archive:
        archive.write(path, "ICIO2023_2018.csv")
    model = chainatlas.load("oecd-icio", tmp_path / "ICIO2023_2018.zip")
    assert model.year == 2018 and model.layout.real.sum() == 6 * 3  # 6 parts x 3 sectors


def test_va_gap_is_reported(tmp_path):
    def bump(rows):
        rows[-2][1] += 100.0  # VA row, column AUS_D01T02

    _write(tmp_path, mutate=bump)
    model = chainatlas.load("oecd-icio", tmp_path, 2018)
    notes = [n for n in model.validation.notes if "published VA" in n]
    assert notes and "AUS.D01T02" in notes[0]


@pytest.mark.parametrize(
    ("mutate", "pattern"),
    [
        (lambda rows: rows[3].__setitem__(5, "x"), r"row AUS_D10T12 \(line 4\), column CN1_D05T06"),
        (
            lambda rows: rows[2].__setitem__(2, ""),
            r"row AUS_D05T06 \(line 3\), column AUS_D05T06: cell is empty",
        ),
        (lambda rows: rows[4].__setitem__(0, ""), "missing row label"),
        (
            lambda rows: rows[6].__setitem__(7, "NaN"),
            r"row CN1_D10T12 \(line 7\), column CN2_D01T02: cell is empty or NaN",
        ),
        (lambda rows: rows[0].__setitem__(3, "AUS_D99"), "column 'AUS_D99' is neither"),
        (lambda rows: rows[5].__setitem__(0, "CN1 D05T06"), "is not COUNTRY_SECTOR"),
        (lambda rows: rows[1].__setitem__(-1, -3.0), "negative output -3"),
    ],
)
def test_bad_cells_are_named(tmp_path, mutate, pattern):
    path, _ = _write(tmp_path, mutate=mutate)
    with pytest.raises(ChainAtlasError, match=pattern) as err:
        chainatlas.load("oecd-icio", path)
    assert path.name in str(err.value)


def test_wrong_shape_missing_fd_column(tmp_path):
    def drop_last_fd(rows):
        for row in rows:
            del row[-2]  # ROW_DPABR

    path, _ = _write(tmp_path, mutate=drop_last_fd)
    with pytest.raises(ChainAtlasError, match="missing final-demand column ROW_DPABR"):
        chainatlas.load("oecd-icio", path)


def test_truncated_and_corrupt(tmp_path):
    path, _ = _write(tmp_path)
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    with pytest.raises(ChainAtlasError) as err:
        chainatlas.load("oecd-icio", path)
    assert path.name in str(err.value)
    path.write_bytes(b"\xff\xfe\x00garbage\x00\x81")
    with pytest.raises(ChainAtlasError, match=path.name):
        chainatlas.load("oecd-icio", path)
    path.write_text("")
    with pytest.raises(ChainAtlasError, match="cannot read CSV"):
        chainatlas.load("oecd-icio", path)


def test_unknown_year_and_editions(tmp_path):
    _write(tmp_path)
    with pytest.raises(DataNotFoundError, match="unknown year 2017; available: 2018"):
        chainatlas.load("oecd-icio", tmp_path, 2017)
    _write(tmp_path, name="ICIO2021_2018.csv")
    with pytest.raises(ChainAtlasError, match="several editions for 2018"):
        chainatlas.load("oecd-icio", tmp_path, 2018)
    model = chainatlas.sources.load("oecd-icio", tmp_path, 2018, edition=2021)
    assert model.countries[1] == "CHN"


def test_multi_year_bundle_zip(tmp_path):
    """OECD ships several years in one zip: the loader reads the member for the year."""
    import zipfile

    t17, t18 = _table(seed=17), _table(seed=18)
    p17, _ = _write(tmp_path / "csv", t17, name="ICIO2023_2017.csv")
    p18, _ = _write(tmp_path / "csv", t18, name="ICIO2023_2018.csv", mutate=None)
    bundle = tmp_path / "data" / "2016-2020.zip"
    bundle.parent.mkdir()
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.write(p17, "tables/ICIO2023_2017.csv")
        archive.write(p18, "tables/ICIO2023_2018.csv")
    assert chainatlas.sources.available_years("oecd-icio", tmp_path / "data") == [2017, 2018]
    model = chainatlas.load("oecd-icio", tmp_path / "data", 2017, split="merge")
    S = _merge_matrix(ROWS, len(SECTORS))
    np.testing.assert_allclose(model.Z, S @ t17.Z @ S.T, rtol=1e-12)
    assert model.year == 2017
    with pytest.raises(ChainAtlasError, match="a year is needed"):
        chainatlas.load("oecd-icio", bundle)
    # A bad cell inside a member is named with the archive and the member.
    _write(
        tmp_path / "csv", t18, name="ICIO2023_2018.csv", mutate=lambda r: r[1].__setitem__(1, "?")
    )
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.write(p18, "tables/ICIO2023_2018.csv")
    with pytest.raises(ChainAtlasError, match=r"2016-2020\.zip!tables/ICIO2023_2018\.csv: row AUS"):
        chainatlas.load("oecd-icio", bundle, 2018)
    # the same table-year twice in one bundle (two folders): refused, both named
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.write(p17, "a/ICIO2023_2017.csv")
        archive.write(p17, "b/ICIO2023_2017.csv")
    with pytest.raises(ChainAtlasError, match=r"ICIO2023_2017\.csv twice \(a/.*b/"):
        chainatlas.load("oecd-icio", bundle, 2017)


def test_more_than_two_parts_as_in_the_2016_edition(tmp_path):
    """ICIO 2016 splits China in up to four parts and Mexico in three: CN<d>/MX<d> are parts."""
    rows = ["AUS", "CN1", "CN2", "CN3", "MX1", "MX2", "MX3", "ROW"]
    table = make_table(rows, SECTORS, FD, seed=9, fd_countries=4)
    write_icio_csv(tmp_path / "ICIO2021_2011.csv", table)
    model = chainatlas.load("oecd-icio", tmp_path, 2011)
    assert model.countries == ("AUS", "CHN", "MEX", "ROW")
    assert model.parts()[1] == ("CN1", "CN2", "CN3") and model.layout.P == 3
    from chainatlas.decompositions import decomposition

    d = decomposition(model, "wwz")
    merged = chainatlas.load("oecd-icio", tmp_path, 2011, split="merge")
    np.testing.assert_allclose(
        sum(d.aggregate(t, "country") for t in d.terms),
        merged.exports.sum(axis=1).reshape(4, -1).sum(axis=1),
        rtol=1e-11,
    )
