"""Catalogue entries of the new sources: official pages recorded; a fetched EXIOBASE zip
(served from a file:// mirror, no network) lands where the loader looks."""

from __future__ import annotations

import shutil

import numpy as np

import chainatlas
from chainatlas.sources.fetch import fetch, load_catalogue
from conftest import require_shared


def test_catalogue_entries():
    catalogue = load_catalogue()
    for source in ("exiobase3", "eora26", "gloria", "figaro", "adb"):
        entry = catalogue[source]
        assert entry.homepage.startswith("https://"), source
        assert source in chainatlas.sources.source_names()
    assert catalogue["exiobase3"].url_base == "https://zenodo.org/records/5589597/files"
    assert catalogue["exiobase3"].file_name(2011) == "IOT_2011_ixi.zip"


def test_fetched_exiobase_zip_loads_from_cache(tmp_path, monkeypatch):
    folder = require_shared("data/format_samples/pymrio_mock_mrios/exio3_mock")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    shutil.make_archive(str(mirror / "IOT_2009_ixi"), "zip", folder.parent, folder.name)
    cache = tmp_path / "cache"
    results = fetch("exiobase3", [2009], cache=cache, url_base=mirror.as_uri())
    assert results[0].status == "downloaded"
    monkeypatch.setenv("CHAINATLAS_CACHE", str(cache))
    monkeypatch.delenv("CHAINATLAS_DATA", raising=False)
    model = chainatlas.load("exiobase3", year=2009)
    expected = chainatlas.load("exiobase3", folder)
    np.testing.assert_array_equal(model.Z, expected.Z)
    assert model.extension("satellite").stressors == expected.extension("satellite").stressors
