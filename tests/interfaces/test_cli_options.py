"""Shared CLI helpers: year parsing and atomic writes."""

from __future__ import annotations

import os
import stat

import pandas as pd
import pytest

from chainatlas.errors import ChainAtlasError
from chainatlas.interfaces.cli.options import atomic_write, parse_years, write_table


def test_parse_years_ranges_and_lists():
    assert parse_years("2011") == [2011]
    assert parse_years("2009-2011") == [2009, 2010, 2011]
    assert parse_years("1995,2000-2001", list(range(1995, 2012))) == [1995, 2000, 2001]
    with pytest.raises(ChainAtlasError, match="bad year or range '2011-2009'"):
        parse_years("2011-2009")
    with pytest.raises(ChainAtlasError, match="unknown year"):
        parse_years("1990", [1995])


def test_atomic_write_failure_keeps_the_old_file(tmp_path):
    target = tmp_path / "result.csv"
    target.write_text("old")

    def failing(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, failing)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["result.csv"]  # no temp file left


def test_atomic_write_uses_normal_permissions(tmp_path):
    old_mask = os.umask(0o022)
    try:
        written = write_table(pd.DataFrame({"a": [1]}), tmp_path / "new.parquet")
    finally:
        os.umask(old_mask)
    assert stat.S_IMODE(written.stat().st_mode) == 0o644
    existing = tmp_path / "shared.csv"
    existing.write_text("x")
    existing.chmod(0o664)
    write_table(pd.DataFrame({"a": [1]}), existing)
    assert stat.S_IMODE(existing.stat().st_mode) == 0o664


def test_unwritable_output_is_a_user_error(tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    with pytest.raises(ChainAtlasError, match=r"afile/x\.csv: cannot write here"):
        write_table(pd.DataFrame({"a": [1]}), blocker / "x.csv")
    with pytest.raises(ChainAtlasError, match="is a directory"):
        atomic_write(tmp_path, lambda tmp: tmp.write_text("x"))


def test_xlsx_and_dta_outputs_keep_values_and_notes(tmp_path):
    frame = pd.DataFrame(
        {
            "year": [2011, 2011],
            "exporter": ["CHN", "USA"],
            "term": ["DVA_FIN", "DVA_FIN"],
            "a_very_long_column_name_that_stata_would_refuse": [1.5, 2.25],
            "value": [1234.5678, 0.125],
        }
    )
    frame.attrs = {"units": "USD million, current prices", "method": "wwz", "notes": ["n1"]}
    workbook = write_table(frame, tmp_path / "out.xlsx")
    sheets = pd.read_excel(workbook, sheet_name=None, engine="openpyxl")
    assert list(sheets) == ["data", "notes"]
    pd.testing.assert_frame_equal(sheets["data"], frame, check_dtype=False)
    notes = sheets["notes"]
    assert {"units", "method", "note"} <= set(notes["item"])
    assert "n1" in set(notes["value"])

    stata = write_table(frame, tmp_path / "out.dta")
    back = pd.read_stata(stata)
    assert list(back.columns)[3] == "a_very_long_column_name_that_sta"
    assert back["value"].tolist() == [1234.5678, 0.125]
    with pd.io.stata.StataReader(stata) as reader:
        labels = reader.variable_labels()
    assert labels["value"] == "Value (USD million, current prices)"
    assert all(len(label) <= 80 for label in labels.values())
    with pytest.raises(ChainAtlasError, match=r"\.xlsx, \.dta"):
        write_table(frame, tmp_path / "out.json")


def test_help_lists_sources_shows_flags_bare_and_gives_examples():
    from typer.testing import CliRunner

    from chainatlas.interfaces.cli.main import app

    runner = CliRunner()
    top = runner.invoke(app, ["--help"], terminal_width=120).output
    assert "wiod2013" in top and "oecd-icio" in top
    for command in (["decompose"], ["report"], ["profile"], ["trade", "topk"], ["serve"]):
        text = runner.invoke(app, [*command, "--help"], terminal_width=120).output
        assert "Example:" in text, command
        assert "<bool>" not in text, command
        assert "METHODS" not in text and "§" not in text, command
