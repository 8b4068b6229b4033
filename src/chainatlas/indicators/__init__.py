"""GVC indicators (METHODS §3, §5–§9, §11, §15) as pure functions of an MRIOModel.

Every function returns a tidy DataFrame (year, entity columns, indicator, value) whose
``attrs`` record the missing members of the groups used, notes and share exceptions
(shares outside [0, 1] beyond 1e-9, reported, never clipped).

    >>> from chainatlas.indicators import compute_indicator_sets
    >>> out = compute_indicator_sets(model, ["participation", "upstreamness"], ["NEA"])
    >>> out["upstreamness"].attrs["missing_members"]

Modules: participation (WWYZ production-based, Koopman and ADB trade-based), length (WWYZ
lengths, GVC position, shortening), upstreamness (Antràs–Chor), vax (T, VAX, VAM), origin
(FVA and imported intermediates by source), linkage (LINK_rs), dependence (imported input
shares), trends (regionalisation, servicification, satellites), network (VA hubs), tables
(the studies' tables).
"""

from chainatlas.indicators.io import write_indicator_panel, write_results
from chainatlas.indicators.sets import (
    DEFAULT_REGIONS,
    OPTION_KEYS,
    SET_NAMES,
    compute_indicator_sets,
    groups_frame,
    indicator_panel,
    parse_sets,
)

__all__ = [
    "DEFAULT_REGIONS",
    "OPTION_KEYS",
    "SET_NAMES",
    "compute_indicator_sets",
    "groups_frame",
    "indicator_panel",
    "parse_sets",
    "write_indicator_panel",
    "write_results",
]
