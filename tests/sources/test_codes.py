"""Country-code maps checked against the ADB MRIO team's own dictionary (shared data)."""

from __future__ import annotations

import warnings

import pandas as pd

from chainatlas.sources.codes import ADB_TO_ISO3, to_iso3


def test_adb_codes_match_the_adb_mrio_dictionary(wiod_dir):
    """Every ADB MRIO economy code (62- and 72-economy versions) maps to the ISO3 code the
    ADB MRIO team's dictionary gives (concordances/adb_mrio_team/dict_countries.rda)."""
    import rdata

    file = wiod_dir.parent / "concordances" / "adb_mrio_team" / "dict_countries.rda"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = next(iter(rdata.read_rda(str(file)).values()))
    mrio = table[table["mrio_code"].notna()]
    assert len(mrio) == 73  # the 72-economy version plus RoW
    for code, iso in zip(mrio["mrio_code"], mrio["iso_a3"], strict=True):
        expected = "ROW" if code == "ROW" else iso  # RoW has no ISO3 code in the dictionary
        assert to_iso3(code, source="adb") == expected, code
    assert to_iso3("RoW", source="adb") == "ROW"


def test_every_economy_of_an_adb_table_is_known(wiod_dir):
    """The 63 economies listed in an ADB MRIO 2023 table (Index_Mapping sheet) are all
    explicit entries of ADB_TO_ISO3, none passed through by accident."""
    file = wiod_dir.parent / (
        "adb_mrio_derived/ballavbabu_adbmrio/ADB_MRIO_2023_Aggregated_4x3_with_CO2.xlsx"
    )
    mapping = pd.read_excel(file, sheet_name="Index_Mapping", header=1, engine="calamine")
    codes = mapping.drop_duplicates("Original_Country_ID")["Original_Country"].tolist()
    assert len(codes) == 63 and len(mapping) == 63 * 35
    assert all(code in ADB_TO_ISO3 for code in codes)
    iso = [to_iso3(c, source="adb") for c in codes]
    assert len(set(iso)) == 63 and "CHN" in iso and "TWN" in iso and iso[-1] == "ROW"


def test_wiod_and_icio_codes():
    assert to_iso3("ROM", source="wiod") == "ROU"
    assert to_iso3("RoW", source="wiod") == "ROW"
    assert to_iso3("CN2", source="icio") == "CHN" and to_iso3("MX1", source="icio") == "MEX"
    assert to_iso3("deu", source="wiod") == "DEU"
