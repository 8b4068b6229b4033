"""Names and report text come from data files, complete in English and Chinese."""

from __future__ import annotations

import re
import string

import pytest

from chainatlas.data import read_csv
from chainatlas.errors import ChainAtlasError
from chainatlas.reporting import names
from wiod_labels import WIOD2013_COUNTRIES

WIOD_COUNTRIES = WIOD2013_COUNTRIES


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_every_wiod_economy_and_sector_has_both_names():
    for code in WIOD_COUNTRIES:
        assert names.country(code, "en") != code
        assert _has_cjk(names.country(code, "zh")), code
        assert names.region_of(code) != "other"
    sectors = read_csv("sectors_wiod2013.csv")["code"]
    assert len(sectors) == 35
    for code in sectors:
        assert _has_cjk(names.sector(code, "zh")), code
        assert names.sector(code, "en") != code
    assert names.country("CHN", "zh") == "中国"
    assert names.sector("c14", "en") == "Electrical and Optical Equipment"


def test_every_region_used_has_a_name_in_both_languages():
    regions = set(read_csv("names_countries.csv", keep_default_na=False)["region"])
    for region in regions | {"other"}:
        assert names.has_text(f"region.{region}"), region
        assert _has_cjk(names.text(f"region.{region}", "zh"))


def test_report_strings_have_the_same_placeholders_in_both_languages():
    table = read_csv("report_strings.csv", dtype=str, keep_default_na=False)
    assert table["key"].is_unique
    formatter = string.Formatter()
    for row in table.itertuples():
        assert row.en and row.zh, row.key
        fields_en = {f for _, f, _, _ in formatter.parse(row.en) if f}
        fields_zh = {f for _, f, _, _ in formatter.parse(row.zh) if f}
        assert fields_en == fields_zh, row.key
        if not row.key.startswith(("source.", "ui.download")) and re.search("[A-Za-z]{4}", row.en):
            assert row.en != row.zh, row.key


def test_indicator_names_and_fallbacks():
    assert names.indicator("gvc_forward", "zh") == "前向GVC参与度"
    assert names.indicator("not_an_indicator", "zh") == "not_an_indicator"
    assert names.country("XYZ", "en") == "XYZ"
    with pytest.raises(KeyError):
        names.text("no.such.key", "en")


def test_unknown_language_is_a_clear_error():
    with pytest.raises(ChainAtlasError, match="unknown language 'fr'"):
        names.check_language("fr")
