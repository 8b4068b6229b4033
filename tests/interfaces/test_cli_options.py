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
