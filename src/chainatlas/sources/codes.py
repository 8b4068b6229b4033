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


def to_iso3(code: str, *, source: str) -> str:
    """Map a source's country code to ISO3; unknown codes pass through upper-cased."""
    table = {"adb": ADB_TO_ISO3, "wiod": WIOD_TO_ISO3, "icio": ICIO_TO_ISO3}.get(source, {})
    code = str(code).strip()
    if code in table:
        return table[code]
    return code.upper()
