"""Country groups (METHODS §8): versioned configuration, present/missing members, user groups."""

from __future__ import annotations

import pytest

from chainatlas.core.groups import list_groups, load_groups, resolve_group, resolve_groups
from chainatlas.errors import ChainAtlasError, ValidationError
from wiod_labels import WIOD2013_COUNTRIES

WIOD_COUNTRIES = list(WIOD2013_COUNTRIES)


def test_asean9_on_wiod_has_only_indonesia():
    group = resolve_group("ASEAN-9", WIOD_COUNTRIES, year=2011)
    assert group.present == ("IDN",)
    assert set(group.missing) == {"BRN", "KHM", "LAO", "MYS", "PHL", "SGP", "THA", "VNM"}
    assert set(group.members) == set(group.present) | set(group.missing)
    assert "missing" in group.note() and "IDN" in group.note()


def test_nea_lacks_mongolia_in_wiod():
    group = resolve_group("nea", WIOD_COUNTRIES)
    assert group.name == "NEA"
    assert group.present == ("CHN", "JPN", "KOR", "RUS")
    assert group.missing == ("MNG",)


def test_present_follows_table_order_and_never_row():
    group = resolve_group("USMCA", ["MEX", "ROW", "USA", "CAN"])
    assert group.present == ("MEX", "USA", "CAN")
    assert "ROW" not in group.members
    assert resolve_group("NAFTA", WIOD_COUNTRIES).name == "USMCA"


@pytest.mark.parametrize(
    ("year", "has_gbr", "has_hrv", "size"),
    [
        (2000, True, False, 15),
        (2005, True, False, 25),
        (2011, True, False, 27),
        (2013, True, True, 28),
        (2019, True, True, 28),
        (2020, False, True, 27),
    ],
)
def test_eu_membership_by_date(year, has_gbr, has_hrv, size):
    group = resolve_group("EU", WIOD_COUNTRIES, year=year)
    assert len(group.members) == size
    assert ("GBR" in group.members) is has_gbr
    assert ("HRV" in group.members) is has_hrv


def test_eu27_and_eu28_fixed():
    eu27 = resolve_group("EU27", WIOD_COUNTRIES)
    eu28 = resolve_group("EU28", WIOD_COUNTRIES)
    assert set(eu28.members) - set(eu27.members) == {"GBR"}
    assert eu27.missing == ("HRV",)  # WIOD 2013 has no Croatia


def test_rcep_and_g3_and_brics():
    rcep = resolve_group("RCEP", WIOD_COUNTRIES)
    assert len(rcep.members) == 15 and "NZL" in rcep.missing and "MMR" in rcep.missing
    assert resolve_group("G3-2017", WIOD_COUNTRIES).present == ("CHN", "DEU", "USA")
    assert resolve_group("G3-2000", WIOD_COUNTRIES).members == ("USA", "DEU", "JPN")
    assert resolve_group("BRICS", WIOD_COUNTRIES).missing == ("ZAF",)


def test_single_country_resolves_and_row_is_rejected():
    assert resolve_group("IND", WIOD_COUNTRIES).present == ("IND",)
    with pytest.raises(ChainAtlasError, match="RoW"):
        resolve_group("ROW", WIOD_COUNTRIES)
    with pytest.raises(ChainAtlasError, match="unknown group"):
        resolve_group("ATLANTIS", WIOD_COUNTRIES)
    with pytest.raises(ChainAtlasError, match="NZL is neither a configured group nor a country"):
        resolve_group("NZL", WIOD_COUNTRIES)


def test_user_groups_from_dict_and_toml(tmp_path):
    from_dict = resolve_group("CHIPS", WIOD_COUNTRIES, user_groups={"CHIPS": ["TWN", "KOR", "NLD"]})
    assert from_dict.present == ("KOR", "NLD", "TWN")
    path = tmp_path / "mine.toml"
    path.write_text(
        'config_version = "v9"\n[groups.NEA]\nmembers = ["CHN", "JPN"]\n'
        '[groups.PAIR]\n[[groups.PAIR.versions]]\nvalid_to = "2005-01-01"\nmembers = ["USA"]\n'
        '[[groups.PAIR.versions]]\nvalid_from = "2005-01-01"\nmembers = ["USA", "MEX"]\n'
    )
    assert resolve_group("NEA", WIOD_COUNTRIES, user_groups=path).members == ("CHN", "JPN")
    assert resolve_group("PAIR", WIOD_COUNTRIES, 2000, user_groups=path).members == ("USA",)
    assert resolve_group("PAIR", WIOD_COUNTRIES, 2010, user_groups=path).present == ("MEX", "USA")
    names = [g["name"] for g in list_groups(path)]
    assert "PAIR" in names and "ASEAN-10" in names
    assert len(resolve_groups(["NEA", "ASEAN-9"], WIOD_COUNTRIES)) == 2
    # a user's group (here one replacing the shipped NEA) says where it came from
    assert resolve_group("NEA", WIOD_COUNTRIES, user_groups=path).version == "user: mine.toml"
    assert from_dict.version == "user: user dict"
    shipped = resolve_group("ASEAN-9", WIOD_COUNTRIES, user_groups=path)
    assert shipped.version == resolve_group("ASEAN-9", WIOD_COUNTRIES).version != ""
    assert not shipped.version.startswith("user")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[groups.BAD]\nmembers = ["ROW", "CHN"]\n', "RoW"),
        ('[groups.BAD]\nmembers = ["China"]\n', "ISO3"),
        ('[groups.BAD]\nmembrs = ["CHN"]\n', "unknown key"),
        ("[groups.BAD\n", "TOML"),
        (
            '[groups.BAD]\n[[groups.BAD.versions]]\nmembers=["CHN"]\n'
            '[[groups.BAD.versions]]\nvalid_from="2000-01-01"\nmembers=["JPN"]\n',
            "overlap",
        ),
    ],
)
def test_bad_group_files_name_file_and_group(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValidationError, match=message) as info:
        load_groups(path)
    assert "bad.toml" in str(info.value)


def test_default_config_lists_required_groups():
    names = {g["name"] for g in list_groups()}
    assert {
        "NEA",
        "ASEAN-9",
        "ASEAN-10",
        "RCEP",
        "EU27",
        "EU28",
        "EU",
        "USMCA",
        "BRICS",
        "G3-2017",
        "G3-2000",
    } <= names
