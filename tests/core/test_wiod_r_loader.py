"""The WIOD 2013 R-format loader on the real files, and its errors for bad input."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import chainatlas
from chainatlas.errors import ChainAtlasError, DataNotFoundError, UnknownSourceError


def test_loads_labels_and_values(wiod2011):
    model = wiod2011
    assert model.year == 2011 and model.source == "wiod2013"
    assert model.sectors[:3] == ("c1", "c2", "c3") and len(model.sectors) == 35
    assert model.sector_names[13] == "Electrical and Optical Equipment"
    assert model.fd_categories == ("c37", "c38", "c39", "c41", "c42")
    assert model.inventory_category == "c42"
    chn = model.country_position("CHN")
    # the published output of China's electrical equipment sector in 2011 (USD mn, rounded)
    # differs from the rebalanced row total only by the rounding of Z and Y
    published_gap = model.validation.balance_gap.set_index(["country", "sector"])
    assert abs(published_gap.loc[("CHN", "c14"), "gap"]) <= 108
    assert model.x[chn * 35 + 13] > 1e6


def test_available_years(wiod_dir):
    assert chainatlas.available_years("wiod2013", wiod_dir) == list(range(1995, 2012))


def test_unknown_year_names_available_years(wiod_dir):
    with pytest.raises(DataNotFoundError, match=r"unknown year 1990; available: 1995"):
        chainatlas.load("wiod2013", wiod_dir, year=1990)


def test_unknown_source():
    with pytest.raises(UnknownSourceError, match="unknown source 'wiod1999'"):
        chainatlas.load("wiod1999", ".", year=2000)


def test_missing_path():
    with pytest.raises(DataNotFoundError, match="no such file or directory"):
        chainatlas.load("wiod2013", "/nonexistent/wiod", year=2011)


def test_truncated_file_names_the_file(tmp_path, wiod_dir):
    source = wiod_dir / "wiot_2011.RData"
    truncated = tmp_path / "wiot_2011.RData"
    truncated.write_bytes(source.read_bytes()[:50_000])
    with pytest.raises(ChainAtlasError, match=r"wiot_2011\.RData: cannot read R data file"):
        chainatlas.load("wiod2013", tmp_path, year=2011)


def test_single_file_path_and_rebalance_off(tmp_path, wiod_dir):
    shutil.copy(wiod_dir / "wiot_1995.RData", tmp_path / "wiot_1995.RData")
    model = chainatlas.load("wiod2013", tmp_path / "wiot_1995.RData", rebalance=False)
    assert model.year == 1995 and not model.validation.rebalanced
    assert any("not balanced" in note for note in model.validation.notes)
    # published output kept as x
    assert np.all(model.x >= 0)


@pytest.mark.parametrize("compression", ["gzip", "xz", "none"])
def test_other_compressions_of_the_same_file_load_the_same_table(
    wiod_dir, wiod2011, tmp_path, compression
):
    # R's save() writes gzip by default (bzip2 and xz on request; the wiod package uses bzip2)
    import bz2
    import gzip
    import lzma

    raw = bz2.decompress((wiod_dir / "wiot_2011.RData").read_bytes())
    packed = {"gzip": gzip.compress, "xz": lzma.compress, "none": lambda data: data}[compression]
    (tmp_path / "wiot_2011.RData").write_bytes(packed(raw))
    model = chainatlas.load("wiod2013", tmp_path, year=2011, cache=False)
    np.testing.assert_array_equal(model.Z, wiod2011.Z)
    np.testing.assert_array_equal(model.x, wiod2011.x)


def test_a_file_inflating_past_the_cap_is_refused_with_its_name(wiod_dir, monkeypatch):
    # a hostile .RData (a bzip2 bomb) is never inflated whole: past the cap, one clear error
    from chainatlas.sources import wiod_r

    monkeypatch.setattr(wiod_r, "MAX_DECOMPRESSED_BYTES", 100_000)
    with pytest.raises(ChainAtlasError, match=r"inflates to more than 100,000 bytes") as info:
        chainatlas.load("wiod2013", wiod_dir, year=2011, cache=False)
    assert "wiot_2011.RData" in str(info.value)
