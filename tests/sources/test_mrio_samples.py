"""EXIOBASE 3, Eora26, GLORIA 059 and the WIOD 2013 satellite accounts on the publishers'
layout samples in ../shared/data/format_samples, with pymrio as the second parser.

The samples are cut by their authors, so their own totals need not balance: each model is
checked with the identities of METHODS §2 and against pymrio reading the same files (A, our
B against its L, x, and the satellite multipliers M and footprints D_cba, D_pba), never
against the file's totals.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

import chainatlas
from chainatlas.errors import ChainAtlasError
from chainatlas.indicators.trends import satellite_footprint
from conftest import require_shared

pymrio = pytest.importorskip("pymrio")

MOCKS = "data/format_samples/pymrio_mock_mrios"
RTOL = 1e-10


def _rel(ours: np.ndarray, theirs: np.ndarray) -> float:
    theirs = np.asarray(theirs, dtype=float)
    scale = max(np.abs(theirs).max(), 1e-300)
    return float(np.abs(np.asarray(ours) - theirs).max() / scale)


def check_identities(model) -> None:
    """METHODS §2 on the loaded model (with its own x)."""
    B, x, Y = model.B, model.x, model.Y
    np.testing.assert_allclose(B @ (np.eye(model.GN) - model.A), np.eye(model.GN), atol=1e-9)
    np.testing.assert_allclose(model.v @ B, np.where(x > 0, 1.0, (model.v @ B)), rtol=1e-9)
    np.testing.assert_allclose(B @ Y.sum(axis=1), x, rtol=1e-9, atol=1e-9 * np.abs(x).max())
    VBY = model.v[:, None] * (B @ Y)
    np.testing.assert_allclose(VBY.sum(axis=1), model.va, rtol=1e-9, atol=1e-9 * x.max())
    np.testing.assert_allclose(VBY.sum(axis=0), Y.sum(axis=0), rtol=1e-9, atol=1e-9 * x.max())


def compare_with_pymrio(model, io, extension_pairs) -> None:
    """A, B (= pymrio L), x, and per extension M, F, D_cba, D_pba by region, to 1e-10."""
    io.calc_all()
    assert _rel(model.A, io.A.to_numpy()) < RTOL
    assert _rel(model.B, io.L.to_numpy()) < RTOL
    assert _rel(model.x, io.x.to_numpy()[:, 0]) < RTOL
    for name, attribute in extension_pairs:
        ours, theirs = model.extension(name), getattr(io, attribute)
        assert _rel(ours.F, theirs.F.to_numpy()) < RTOL
        if np.abs(theirs.F.to_numpy()).max() == 0:
            continue
        M = (ours.F * model.inverse_output) @ model.B
        assert _rel(M, theirs.M.to_numpy()) < RTOL
        for k, stressor in enumerate(ours.stressors):
            frame = satellite_footprint(model, ours.F[k], name="s")
            by = dict(zip(zip(frame["country"], frame["indicator"], strict=True),
                          frame["value"], strict=True))  # fmt: skip
            cba = np.array([by[(c, "s_cba")] for c in model.countries])
            pba = np.array([by[(c, "s_pba")] for c in model.countries])
            pm_cba = theirs.D_cba.iloc[k].groupby(level="region", sort=False).sum().to_numpy()
            pm_pba = theirs.D_pba.iloc[k].groupby(level="region", sort=False).sum().to_numpy()
            assert _rel(cba, pm_cba) < RTOL, stressor
            assert _rel(pba, pm_pba) < RTOL, stressor


# ---------------------------------------------------------------------------- EXIOBASE 3
def test_exiobase3_folder_and_zip(tmp_path):
    folder = require_shared(f"{MOCKS}/exio3_mock")
    model = chainatlas.load("exiobase3", folder)
    assert model.year == 2009 and model.source == "exiobase3"
    assert model.countries == ("AUS", "BRA", "FIN", "FRA", "KOR", "WF")  # WWF mix-up cleaned
    assert model.fd_categories == ("HFCE", "NPISH", "GGFC", "GFCF", "INVNT", "VALU", "EXP")
    assert model.inventory_category == "INVNT"
    ext = model.extension("satellite")
    assert ext.stressors == ("emission_type1", "emission_type2") and ext.units == ("kg", "kg")
    assert ext.F_Y.shape == (2, model.G * model.F)
    check_identities(model)
    compare_with_pymrio(model, pymrio.parse_exiobase3(folder), [("satellite", "satellite")])
    # F_Y (F_hh in this release) equals pymrio's F_Y
    io = pymrio.parse_exiobase3(folder)
    assert _rel(ext.F_Y, io.satellite.F_Y.to_numpy()) == 0.0

    # the zip as downloaded (one folder inside), found by --source auto too
    archive = shutil.make_archive(str(tmp_path / "IOT_2009_pxp"), "zip", folder.parent,
                                  folder.name)  # fmt: skip
    zipped = chainatlas.load("auto", archive)
    np.testing.assert_array_equal(zipped.Z, model.Z)
    np.testing.assert_array_equal(zipped.extension("satellite").F, ext.F)
    assert chainatlas.sources.available_years("exiobase3", tmp_path) == [2009]


def test_exiobase3_bad_input(tmp_path):
    folder = require_shared(f"{MOCKS}/exio3_mock")
    copy = tmp_path / "IOT_2009_ixi"
    shutil.copytree(folder, copy)
    (copy / "satellite" / "unit.txt").unlink()
    with pytest.raises(ChainAtlasError, match=r"satellite.*unit\.txt"):
        chainatlas.load("exiobase3", copy)
    shutil.copy(folder / "satellite" / "unit.txt", copy / "satellite" / "unit.txt")
    lines = (copy / "A.txt").read_text().splitlines()
    (copy / "A.txt").write_text("\n".join(lines[:20]) + "\n" + lines[20][:40] + "\n")
    with pytest.raises(ChainAtlasError, match=r"A\.txt: .*line 21"):
        chainatlas.load("exiobase3", copy)
    fields = lines[10].split("\t")
    fields[5] = "n/a"
    lines[10] = "\t".join(fields)
    (copy / "A.txt").write_text("\n".join(lines) + "\n")
    with pytest.raises(ChainAtlasError, match=r"A\.txt: line 11, column 6 .*'n/a'"):
        chainatlas.load("exiobase3", copy)
    for old in ("exio1_mock", "exio2_mock"):
        with pytest.raises(ChainAtlasError, match=r"EXIOBASE [12].*EXIOBASE 3"):
            chainatlas.load("auto", require_shared(f"{MOCKS}/{old}"))
    with pytest.raises(ChainAtlasError, match=r"EXIOBASE 1.*exiobase3 loader reads EXIOBASE 3"):
        chainatlas.load("exiobase3", require_shared(f"{MOCKS}/exio1_mock"))


# ---------------------------------------------------------------------------- Eora26
def test_eora26_sample():
    folder = require_shared(f"{MOCKS}/eora26_mock")
    model = chainatlas.load("eora26", folder, 2010)
    assert model.G == 6 and model.N == 8 and model.units.startswith("USD thousand")
    ext = model.extension("Q")
    assert ext.units == ("kg", "kg")
    assert ext.stressors[0] == "I-GHG-CO2 emissions - emission_type1"
    check_identities(model)
    compare_with_pymrio(model, pymrio.parse_eora26(folder, year=2010), [("Q", "Q")])
    io = pymrio.parse_eora26(folder, year=2010)
    assert _rel(ext.F_Y, io.Q.F_Y.to_numpy()) == 0.0
    assert chainatlas.load("auto", folder, 2010).extension("Q").F.shape == ext.F.shape


def test_eora26_cut_and_missing_files(tmp_path):
    folder = require_shared(f"{MOCKS}/eora26_mock")
    copy = tmp_path / "eora"
    shutil.copytree(folder, copy)
    text = (copy / "Eora26_2010_bp_T.txt").read_text().splitlines()
    (copy / "Eora26_2010_bp_T.txt").write_text("\n".join(text[:-3]) + "\n")
    with pytest.raises(ChainAtlasError, match=r"Eora26_2010_bp_T\.txt: T .*45 rows x 48"):
        chainatlas.load("eora26", copy, 2010)
    shutil.copy(folder / "Eora26_2010_bp_T.txt", copy / "Eora26_2010_bp_T.txt")
    (copy / "Eora26_2010_bp_QY.txt").unlink()
    with pytest.raises(ChainAtlasError, match=r"missing Eora26 file Eora26_2010_bp_QY\.txt"):
        chainatlas.load("eora26", copy, 2010)
    assert chainatlas.sources.load("eora26", copy, 2010, extensions=False).extensions == ()


# ---------------------------------------------------------------------------- GLORIA
def _gloria_with_satellites(tmp_path: Path) -> Path:
    """The sample with non-zero TQ/YQ (the sample's are all zero), same layout and names."""
    folder = require_shared(f"{MOCKS}/gloria_mock")
    copy = tmp_path / "gloria"
    shutil.copytree(folder, copy)
    rng = np.random.default_rng(7)
    sat = copy / "GLORIA_SatelliteAccounts_059_2022"
    for kind, cols in (("TQ", 18), ("YQ", 6)):
        file = next(sat.glob(f"*_{kind}-Results_*"))
        values = rng.uniform(0, 50, (5, cols)).round(3)
        file.write_text("\n".join(",".join(repr(float(v)) for v in row) for row in values) + "\n")
    return copy


def test_gloria_sample(tmp_path):
    folder = _gloria_with_satellites(tmp_path)
    model = chainatlas.load("gloria", folder, 2022)
    assert model.countries == ("AUS", "AUT", "AZE") and model.N == 3
    assert "supply-use" in model.validation.notes[0]
    check_identities(model)
    compare_with_pymrio(model, pymrio.parse_gloria(folder, year=2022), [("Q", "Q")])
    ext = model.extension("Q")
    assert ext.units[0] == "kilotonnes" and ext.stressors[0].startswith("Emissions (EDGAR) - ")
    # the supply-use to product-by-product step, by hand: Z = U diag(1/g) V
    T = np.loadtxt(next((folder / "GLORIA_MRIOs_59_2022").glob("*_T-Results_*001*")),
                   delimiter=",")  # fmt: skip
    ind = np.r_[0:3, 6:9, 12:15]
    prod = ind + 3
    U, V = T[np.ix_(prod, ind)], T[np.ix_(ind, prod)]
    g = V.sum(axis=1)
    np.testing.assert_allclose(model.Z, U @ (V / np.where(g > 0, g, 1)[:, None]), rtol=1e-12)
    assert chainatlas.load("auto", folder, 2022).G == 3


def test_gloria_missing_satellite_and_cut(tmp_path):
    folder = _gloria_with_satellites(tmp_path)
    shutil.rmtree(folder / "GLORIA_SatelliteAccounts_059_2022")
    with pytest.raises(ChainAtlasError, match="no GLORIA_SatelliteAccounts_059_2022"):
        chainatlas.load("gloria", folder, 2022)
    assert chainatlas.sources.load("gloria", folder, 2022, extensions=False).G == 3
    t_file = next((folder / "GLORIA_MRIOs_59_2022").glob("*_T-Results_*001*"))
    lines = t_file.read_text().splitlines()
    t_file.write_text("\n".join(lines[:-2]) + "\n")
    with pytest.raises(ChainAtlasError, match=r"T-Results: 16 rows.*18"):
        chainatlas.sources.load("gloria", folder, 2022, extensions=False)


# ---------------------------------------------------------------------------- WIOD 2013 satellites
def test_wiod2013_environmental_accounts_and_sea():
    folder = require_shared(f"{MOCKS}/wiod_mock")
    # pymrio takes x = Z1 + Y1 (rebalance=True); this cut sample's output column differs
    model = chainatlas.sources.load("wiod2013-excel", folder, 2009, rebalance=True)
    names = [e.name for e in model.extensions]
    assert names == ["Air Emission Accounts", "land use", "SEA"]
    air = model.extension("Air Emission Accounts")
    assert air.unit("CO2") == "Gg" and air.unit("CH4") == "t"
    assert model.extension("land use").units[0] == "1000 ha"
    assert model.extension("SEA").unit("EMP") == "thousand persons"
    check_identities(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        io = pymrio.parse_wiod(folder, year=2009)
    compare_with_pymrio(
        model, io, [("Air Emission Accounts", "AIR"), ("land use", "lan"), ("SEA", "SEA")]
    )
    assert _rel(air.F_Y, io.AIR.F_Y.to_numpy()) == 0.0
    # households' direct emissions (FC_HH) sit in the c37 column of each country
    k = model.fd_categories.index("c37")
    assert np.all(air.F_Y.reshape(8, model.G, model.F)[:, :, np.arange(model.F) != k] == 0)


def test_wiod2013_missing_country_file(tmp_path):
    folder = require_shared(f"{MOCKS}/wiod_mock")
    copy = tmp_path / "wiod"
    shutil.copytree(folder, copy)
    (copy / "AIR_may12" / "LUX_AIR_May12.xls").unlink()
    with pytest.raises(ChainAtlasError, match=r"AIR_may12: Air Emission Accounts: no workbook "
                                              r"for LUX"):  # fmt: skip
        chainatlas.load("wiod2013-excel", copy, 2009)
    model = chainatlas.sources.load("wiod2013-excel", copy, 2009, extensions=False)
    assert model.extensions == ()


def test_packaged_forms(tmp_path):
    """EXIOBASE ixi and pxp zips side by side (system= picks), Eora's year zip, GLORIA's zips."""
    exio = require_shared(f"{MOCKS}/exio3_mock")
    for system in ("ixi", "pxp"):
        shutil.make_archive(str(tmp_path / "exio" / f"IOT_2009_{system}"), "zip", exio.parent,
                            exio.name)  # fmt: skip
    with pytest.raises(ChainAtlasError, match=r"several EXIOBASE systems for 2009.*system="):
        chainatlas.load("exiobase3", tmp_path / "exio", 2009)
    pxp = chainatlas.sources.load("exiobase3", tmp_path / "exio", 2009, system="pxp")
    assert pxp.G == 6

    eora = require_shared(f"{MOCKS}/eora26_mock")
    target = tmp_path / "eora"
    target.mkdir()
    shutil.make_archive(str(target / "Eora26_2010_bp"), "zip", eora)
    zipped = chainatlas.load("eora26", target, 2010)
    np.testing.assert_array_equal(zipped.Z, chainatlas.load("eora26", eora, 2010).Z)

    gloria = require_shared(f"{MOCKS}/gloria_mock")
    target = tmp_path / "gloria"
    target.mkdir()
    for item in ("GLORIA_MRIOs_59_2022", "GLORIA_SatelliteAccounts_059_2022"):
        shutil.make_archive(str(target / item), "zip", gloria / item)
    shutil.copy(gloria / "GLORIA_ReadMe_059.xlsx", target)
    zipped = chainatlas.load("gloria", target, 2022)
    np.testing.assert_array_equal(zipped.Z, chainatlas.load("gloria", gloria, 2022).Z)
