"""Labels of the WIOD 2013 release as chainatlas loads them (ISO3, Romania ROU, RoW as ROW).

Written out here, not read from the tables, so tests of groups, names and the web atlas can
use them without ../shared.
"""

WIOD2013_COUNTRIES = (
    "AUS", "AUT", "BEL", "BGR", "BRA", "CAN", "CHN", "CYP", "CZE", "DEU", "DNK", "ESP", "EST",
    "FIN", "FRA", "GBR", "GRC", "HUN", "IDN", "IND", "IRL", "ITA", "JPN", "KOR", "LTU", "LUX",
    "LVA", "MEX", "MLT", "NLD", "POL", "PRT", "ROU", "RUS", "SVK", "SVN", "SWE", "TUR", "TWN",
    "USA", "ROW",
)  # fmt: skip
WIOD2013_SECTORS = tuple(f"c{i}" for i in range(1, 36))
