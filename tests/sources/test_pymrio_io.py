"""pymrio interchange: MRIOModel.from_pymrio / to_pymrio and the `pymrio` source reading a
save_all folder (txt and parquet); the numbers are checked against pymrio's own results."""

from __future__ import annotations

import json

import numpy as np
import pytest

import chainatlas
from chainatlas.core.model import MRIOModel
from chainatlas.errors import ChainAtlasError

pymrio = pytest.importorskip("pymrio")


def _rel(a, b) -> float:
    b = np.asarray(b, dtype=float)
    return float(np.abs(np.asarray(a) - b).max() / max(np.abs(b).max(), 1e-300))


@pytest.fixture
def test_system():
    io = pymrio.load_test()
    io.calc_all()
    return io


def test_from_pymrio_matches_pymrio(test_system):
    io = test_system
    model = MRIOModel.from_pymrio(io)
    assert model.countries == tuple(io.get_regions())
    assert model.sectors == tuple(io.get_sectors())
    assert _rel(model.A, io.A.to_numpy()) < 1e-12
    assert _rel(model.B, io.L.to_numpy()) < 1e-10
    emissions = model.extension("Emissions")
    assert emissions.units == tuple(io.emissions.unit["unit"])
    M = (emissions.F * model.inverse_output) @ model.B
    assert _rel(M, io.emissions.M.to_numpy()) < 1e-10
    np.testing.assert_array_equal(emissions.F_Y, io.emissions.F_Y.to_numpy())


def test_round_trip_to_pymrio(test_system):
    model = MRIOModel.from_pymrio(test_system)
    back = model.to_pymrio()
    back.calc_all()
    assert _rel(back.L.to_numpy(), test_system.L.to_numpy()) < 1e-12
    assert _rel(back.emissions.D_cba.to_numpy(), test_system.emissions.D_cba.to_numpy()) < 1e-10
    again = MRIOModel.from_pymrio(back)
    np.testing.assert_array_equal(again.Z, model.Z)
    assert [e.name for e in again.extensions] == [e.name for e in model.extensions]


@pytest.mark.parametrize("table_format", ["txt", "parquet"])
def test_saved_folder_loads(tmp_path, test_system, table_format):
    folder = tmp_path / "system"
    pymrio.load_test().save_all(folder, table_format=table_format)
    expected = MRIOModel.from_pymrio(test_system)
    for source in ("pymrio", "auto"):
        model = chainatlas.load(source, folder, 2010)
        assert model.year == 2010  # the folder records none: the given year labels it
        assert _rel(model.Z, expected.Z) < 1e-11
        assert _rel(model.extension("Emissions").F, expected.extension("Emissions").F) < 1e-11
    # no year given: still loads (no misleading "the table has no year")
    assert chainatlas.load("pymrio", folder).year is None


def test_bad_pymrio_folders(tmp_path):
    with pytest.raises(ChainAtlasError, match="not a folder saved by pymrio"):
        chainatlas.load("pymrio", tmp_path)
    folder = tmp_path / "system"
    pymrio.load_test().save_all(folder)
    with pytest.raises(ChainAtlasError, match="systemtype 'Extension'"):
        chainatlas.load("pymrio", folder / "emissions")
    params = json.loads((folder / "file_parameters.json").read_text())
    params["files"]["Z"]["name"] = "Z.pkl"
    (folder / "Z.pkl").write_bytes(b"not a pickle")
    (folder / "file_parameters.json").write_text(json.dumps(params))
    with pytest.raises(ChainAtlasError, match=r"Z\.pkl: pickle tables are not read"):
        chainatlas.load("pymrio", folder)


def test_cli_reads_a_saved_folder(tmp_path):
    """A pymrio folder records no year: the --year given labels it (no 'no year' error)."""
    from typer.testing import CliRunner

    from chainatlas.interfaces.cli.main import app

    folder = tmp_path / "system"
    pymrio.load_test().save_all(folder)
    assert chainatlas.sources.available_years("pymrio", folder) is None
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["indicators", "--source", "pymrio", "--path", str(folder), "--year", "2010",
              "--set", "vax", "--groups", "", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (out / "vax.parquet").is_file()
