"""Country-code mapping from each source's own codes to ISO3 (RoW as ``ROW``).

ADB MRIO economy codes follow METHODS §1; WIOD uses ISO3 except Romania (ROM) and RoW.
"""

from __future__ import annotations

ADB_TO_ISO3 = {
    "PRC": "CHN",
    "GER": "DEU",
    "UKG": "GBR",
    "INO": "IDN",
    "MAL": "MYS",
    "PHI": "PHL",
    "VIE": "VNM",
    "MON": "MNG",
    "SIN": "SGP",
    "BRU": "BRN",
    "CAM": "KHM",
    "TAP": "TWN",
    "SPA": "ESP",
    "NET": "NLD",
    "POR": "PRT",
    "ROM": "ROU",
    "SWI": "CHE",
    "IRE": "IRL",
    "DEN": "DNK",
    "BAN": "BGD",
    "SRI": "LKA",
    "BHU": "BTN",
    "NEP": "NPL",
    "MLD": "MDV",
    "FIJ": "FJI",
    "KUW": "KWT",
    "UAE": "ARE",
    "TAJ": "TJK",  # in the 75-economy tables (2022-)
    "KAZ": "KAZ",
    "KGZ": "KGZ",
    "PAK": "PAK",
    "LAO": "LAO",
    "THA": "THA",
    "KOR": "KOR",
    "JPN": "JPN",
    "RUS": "RUS",
    "HKG": "HKG",
    "IND": "IND",
    "USA": "USA",
    "CAN": "CAN",
    "MEX": "MEX",
    "BRA": "BRA",
    "AUS": "AUS",
    "AUT": "AUT",
    "BEL": "BEL",
    "BGR": "BGR",
    "CYP": "CYP",
    "CZE": "CZE",
    "EST": "EST",
    "FIN": "FIN",
    "FRA": "FRA",
    "GRC": "GRC",
    "HRV": "HRV",
    "HUN": "HUN",
    "ITA": "ITA",
    "LVA": "LVA",
    "LTU": "LTU",
    "LUX": "LUX",
    "MLT": "MLT",
    "POL": "POL",
    "SVK": "SVK",
    "SVN": "SVN",
    "SWE": "SWE",
    "NOR": "NOR",
    "TUR": "TUR",
    "RoW": "ROW",
    "ROW": "ROW",
}

WIOD_TO_ISO3 = {"ROM": "ROU", "RoW": "ROW", "ROW": "ROW"}
ICIO_TO_ISO3 = {"ROW": "ROW", "CN1": "CHN", "CN2": "CHN", "MX1": "MEX", "MX2": "MEX"}

# EXIOBASE 3: ISO 3166 alpha-2 for its 44 countries (Greece as GR), five rest-of-world
# regions kept as published (WA Asia-Pacific, WE Europe, WF Africa, WL America, WM Middle East).
EXIOBASE_TO_ISO3 = {
    "AT": "AUT", "BE": "BEL", "BG": "BGR", "CY": "CYP", "CZ": "CZE", "DE": "DEU", "DK": "DNK",
    "EE": "EST", "ES": "ESP", "FI": "FIN", "FR": "FRA", "GR": "GRC", "HR": "HRV", "HU": "HUN",
    "IE": "IRL", "IT": "ITA", "LT": "LTU", "LU": "LUX", "LV": "LVA", "MT": "MLT", "NL": "NLD",
    "PL": "POL", "PT": "PRT", "RO": "ROU", "SE": "SWE", "SI": "SVN", "SK": "SVK", "GB": "GBR",
    "US": "USA", "JP": "JPN", "CN": "CHN", "CA": "CAN", "KR": "KOR", "BR": "BRA", "IN": "IND",
    "MX": "MEX", "RU": "RUS", "AU": "AUS", "CH": "CHE", "TR": "TUR", "TW": "TWN", "NO": "NOR",
    "ID": "IDN", "ZA": "ZAF", "WA": "WA", "WE": "WE", "WF": "WF", "WL": "WL", "WM": "WM",
    # the 3.4 ixi files' mix-up (pymrio.parse_exiobase3 cleans it the same way)
    "ROM": "ROU", "WWA": "WA", "WWE": "WE", "WWF": "WF", "WWL": "WL", "WWM": "WM",
}  # fmt: skip


def to_iso3(code: str, *, source: str) -> str:
    """Map a source's country code to ISO3; unknown codes pass through upper-cased."""
    table = {
        "adb": ADB_TO_ISO3,
        "wiod": WIOD_TO_ISO3,
        "icio": ICIO_TO_ISO3,
        "exiobase": EXIOBASE_TO_ISO3,
    }.get(source, {})
    code = str(code).strip()
    if code in table:
        return table[code]
    return code.upper()
