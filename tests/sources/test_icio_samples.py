"""OECD ICIO on the publishers' real-layout samples (../shared/data/format_samples).

The samples were cut by their authors, so published totals need not balance: numbers are
checked with the identities of METHODS §2 (on x = row totals) and against pymrio's parser of
the same file, never against the file's own totals.
"""

from __future__ import annotations

import warnings
import zipfile

import numpy as np
import pytest

import chainatlas
from chainatlas.errors import ChainAtlasError
from conftest import require_shared

MOCK = "data/format_samples/pymrio_mock_mrios/oecd_mock"
SAMPLES = {
    # file: (edition layout, year, economies, split economies and their parts)
    "ICIO2016_2003.csv": ("2016", 2003, ("AUS", "NZL", "CHN", "PER", "DISC"), {"CHN": 2}),
    "ICIO2018_2010.CSV": ("2018", 2010, ("AUS", "BEL", "MEX", "BRA", "COL"), {}),
    "ICIO2018_2010.zip": ("2018", 2010, ("AUS", "BEL", "MEX", "BRA", "COL"), {}),
}


def _identities(model) -> None:
    """METHODS §2 on a model whose x is the row total (rebalance=True)."""
    real = np.ones(model.GN, bool) if model.layout is None else model.layout.real
    positive = real & (model.x > 0)
    scale = np.abs(model.x).max()
    # 1. u'V̂B = u' on every column with output
    np.testing.assert_allclose((model.v @ model.B)[positive], 1.0, rtol=0, atol=1e-9)
    # 2. B Y u = x
    np.testing.assert_allclose(model.B @ model.y, model.x, rtol=0, atol=1e-9 * scale)
    # 3. V̂BY: row sums = va, column sums = final expenditure by destination
    vby = model.v[:, None] * (model.B @ model.Y)
    np.testing.assert_allclose(vby.sum(axis=1)[positive], model.va[positive], atol=1e-9 * scale)
    fd = model.Y.sum(axis=0)
    # final demand bought from zero-output rows carries no VA (DISC rows have none)
    np.testing.assert_allclose(vby.sum(axis=0), fd, rtol=1e-9, atol=1e-9 * scale)
    # 4. T (G x G): rows sum to GDP_s, columns to FD_r
    T = vby.reshape(model.G, -1, model.G).sum(axis=1)
    gdp = (model.va * real).reshape(model.G, -1).sum(axis=1)
    np.testing.assert_allclose(T.sum(axis=1), gdp, atol=1e-9 * scale)
    np.testing.assert_allclose(T.sum(axis=0), fd, atol=1e-9 * scale)


@pytest.mark.parametrize("name", sorted(SAMPLES))
@pytest.mark.parametrize("split", ["keep", "merge"])
def test_every_icio_sample_reads_with_identities(name, split):
    path = require_shared(f"{MOCK}/{name}")
    layout, year, economies, parts = SAMPLES[name]
    model = chainatlas.load("oecd-icio", path, split=split, rebalance=True)
    assert model.year == year and model.countries == economies
    assert any(f"ICIO {layout} layout" in n for n in model.validation.notes)
    if split == "keep" and parts:
        for code, count in parts.items():
            assert len(model.parts()[model.country_position(code)]) == count
    else:
        assert model.layout is None
    _identities(model)
    # published layout details: categories as published, inventories flagged
    if layout == "2016":
        assert model.fd_categories == ("HFCE", "NPS", "GGFC", "GFCF", "INV", "DIRP")
        assert model.inventory_category == "INV"
    else:
        assert model.fd_categories[-1] == "P33" and model.inventory_category == "INVNT"


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_icio_samples_equal_pymrio(name):
    """A, x and L equal pymrio.parse_oecd on the same file (pymrio merges the splits)."""
    pymrio = pytest.importorskip("pymrio")
    path = require_shared(f"{MOCK}/{name}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        io = pymrio.parse_oecd(str(path))
        io.calc_all()
    model = chainatlas.load("oecd-icio", path, split="merge", rebalance=True)
    labels = {f"{c}_{s}": i for i, (c, s) in enumerate(model.row_index)}
    idx = np.array([labels[f"{r}_{s}"] for r, s in io.x.index])  # pymrio sorts the rows
    # our extra rows are the 2016 DISC destination (zero output), which pymrio keeps as a
    # final-demand column only
    extra = np.setdiff1d(np.arange(model.GN), idx)
    assert not model.x[extra].any()

    def close(ours, theirs):
        theirs = np.asarray(theirs, dtype=float)
        assert np.abs(ours - theirs).max() <= 1e-10 * np.abs(theirs).max()

    close(model.x[idx], io.x.to_numpy().ravel())
    close(model.A[np.ix_(idx, idx)], io.A.to_numpy())
    close(model.B[np.ix_(idx, idx)], io.L.to_numpy())
    # and the split computation differs from the merged one only through the parts
    if name.startswith("ICIO2016"):
        kept = chainatlas.load("oecd-icio", path, rebalance=True)
        np.testing.assert_allclose(kept.merge_parts().A, model.A, rtol=1e-12, atol=1e-15)


def test_multi_year_bundle_of_real_layout_members(tmp_path):
    """A multi-year bundle with the 2018 member: years from member names; refusal of twins."""
    src = require_shared(f"{MOCK}/ICIO2018_2010.CSV")
    bundle = tmp_path / "ICIO2018_2005-2015.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.write(src, "ICIO2018/ICIO2018_2010.CSV")
        archive.writestr("ICIO2018/ReadMe.txt", "not a table")
    assert chainatlas.sources.available_years("oecd-icio", bundle) == [2010]
    model = chainatlas.load("oecd-icio", bundle)
    direct = chainatlas.load("oecd-icio", src)
    np.testing.assert_array_equal(model.Z, direct.Z)
    with zipfile.ZipFile(bundle, "a") as archive:
        archive.write(src, "copy/ICIO2018_2010.CSV")
    with pytest.raises(ChainAtlasError, match=r"ICIO2018_2010\.CSV twice"):
        chainatlas.load("oecd-icio", bundle, 2010)


def _rewrite(tmp_path, name, edit):
    src = require_shared(f"{MOCK}/{name}")
    lines = src.read_text().splitlines()
    lines = edit(lines)
    out = tmp_path / name
    out.write_text("\n".join(lines) + "\n")
    return out


@pytest.mark.parametrize(
    ("name", "edit", "pattern"),
    [
        # cut file: the last rows (VA, output) lost
        ("ICIO2016_2003.csv", lambda lines: lines[:-2], r"no output row or column"),
        # cut in the middle of a row: the rows after it are missing
        (
            "ICIO2018_2010.CSV",
            lambda lines: [*lines[:5], lines[5][: len(lines[5]) // 2]],
            r"column 7: column 'AUS_13T15' is neither .* \(rows missing: a cut file\?\)",
        ),
        # one row cut short inside an otherwise whole file: its empty cells are named
        (
            "ICIO2018_2010.CSV",
            lambda lines: [*lines[:5], lines[5][: len(lines[5]) // 2], *lines[6:]],
            r"row AUS_10T12 \(line 6\), column .*: cell is empty",
        ),
        # an empty intermediate cell in the 2016 layout (its VA/OUT rows may be empty, Z not)
        (
            "ICIO2016_2003.csv",
            lambda lines: [lines[0], lines[1].replace(",57.495387,", ",,", 1), *lines[2:]],
            r"row AUS_C01T05AGR \(line 2\), column AUS_C10T14MIN: cell is empty",
        ),
        # unrecognised edition: final-demand columns of no published layout
        (
            "ICIO2018_2010.CSV",
            lambda lines: [lines[0].replace("_HFCE", "_HHC"), *lines[1:]],
            r"column 'AUS_HHC' is neither",
        ),
        (
            "ICIO2018_2010.CSV",
            lambda lines: [
                ",".join(
                    lab.rsplit("_", 1)[0] + "_XYZ"
                    if lab.rsplit("_", 1)[-1] in ("HFCE", "NPISH", "GGFC", "INVNT", "P33")
                    else lab
                    for lab in lines[0].split(",")
                ),
                *lines[1:],
            ],
            r"cannot recognise the ICIO edition .*found AUS_XYZ",
        ),
        # a stray row label
        (
            "ICIO2018_2010.CSV",
            lambda lines: [*lines[:3], "GARBAGE" + lines[3][lines[3].index(",") :], *lines[4:]],
            r"line 4: row label 'GARBAGE' is not COUNTRY_SECTOR",
        ),
    ],
)
def test_bad_real_layout_files_get_one_named_error(tmp_path, name, edit, pattern):
    path = _rewrite(tmp_path, name, edit)
    with pytest.raises(ChainAtlasError, match=pattern) as err:
        chainatlas.load("oecd-icio", path)
    assert name in str(err.value)


def test_wrong_edition_is_refused(tmp_path):
    src = require_shared(f"{MOCK}/ICIO2018_2010.CSV")
    with pytest.raises(ChainAtlasError, match="no edition 2021 file for 2010"):
        chainatlas.load("oecd-icio", src, edition=2021)
    unnamed = tmp_path / "my_table.csv"  # no edition in the name: the layout is checked
    unnamed.write_bytes(src.read_bytes())
    with pytest.raises(ChainAtlasError, match="in the ICIO 2018 layout, not the 2021 edition"):
        chainatlas.load("oecd-icio", unnamed, 2010, edition=2021)
    assert chainatlas.load("oecd-icio", unnamed, 2010, edition=2018).year == 2010
    renamed = tmp_path / "ICIO2021_2010.csv"
    renamed.write_bytes(src.read_bytes())
    with pytest.raises(ChainAtlasError, match="named as the ICIO 2021 edition but is in the 2018"):
        chainatlas.load("oecd-icio", renamed)
    with pytest.raises(ChainAtlasError, match="unknown ICIO edition"):
        chainatlas.load("oecd-icio", src, edition=2017)
    with pytest.raises(ChainAtlasError, match="unknown split option"):
        chainatlas.load("oecd-icio", src, split="drop")
