"""--source auto: every publisher's layout sample is recognised from the file or folder;
an unrecognised one gets one error naming what was expected and what was found."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import chainatlas
from chainatlas.errors import ChainAtlasError
from chainatlas.sources.detect import detect_source
from conftest import require_shared

SAMPLES = "data/format_samples/pymrio_mock_mrios"


@pytest.mark.parametrize(
    ("relative", "source"),
    [
        ("exio3_mock", "exiobase3"),
        ("eora26_mock", "eora26"),
        ("eora26_mock/Eora26_2010_bp_T.txt", "eora26"),
        ("gloria_mock", "gloria"),
        ("wiod_mock", "wiod2013-excel"),
        ("wiod_mock/wiot09_row_sep12.xlsx", "wiod2013-excel"),
        ("oecd_mock/ICIO2018_2010.CSV", "oecd-icio"),
        ("oecd_mock/ICIO2018_2010.zip", "oecd-icio"),
        ("oecd_mock/ICIO2016_2003.csv", "oecd-icio"),
    ],
)
def test_samples_recognised(relative, source):
    assert detect_source(require_shared(f"{SAMPLES}/{relative}")) == source


def test_real_wiod_folder_and_generic(tmp_path):
    assert detect_source(require_shared("data/wiod2013")) == "wiod2013"
    (tmp_path / "Z.csv").write_text("label,A.a\nA.a,1\n")
    assert detect_source(tmp_path) == "generic"


def test_unrecognised_names_expected_and_found(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "table.xlsx").write_bytes(b"")
    with pytest.raises(ChainAtlasError) as err:
        detect_source(tmp_path)
    message = str(err.value)
    assert "found notes.txt, table.xlsx" in message
    assert "exiobase3: IOT_YYYY_ixi.zip" in message and "gloria:" in message
    ext = require_shared(f"{SAMPLES}/exio_ext_mock")
    with pytest.raises(ChainAtlasError, match="cannot tell the table format: found ext_1col"):
        chainatlas.load("auto", ext)


def test_several_formats_is_an_error(tmp_path):
    (tmp_path / "Eora26_2010_bp_T.txt").write_text("1\n")
    (tmp_path / "ICIO2023_2018.csv").write_text("x\n")
    with pytest.raises(ChainAtlasError, match=r"several formats here \(eora26, oecd-icio\)"):
        detect_source(tmp_path)


def test_cli_source_auto(tmp_path):
    from chainatlas.interfaces.cli.main import app

    folder = require_shared(f"{SAMPLES}/eora26_mock")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["indicators", "--source", "auto", "--path", str(folder), "--year", "2010",
         "--set", "satellite", "--satellite", "Q:I-GHG-CO2 emissions - emission_type1",
         "--groups", "", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(
        app, ["indicators", "--source", "auto", "--path", str(tmp_path), "--year", "2010",
              "--set", "vax", "--out", str(tmp_path / "o2")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "cannot tell the table format" in result.output
