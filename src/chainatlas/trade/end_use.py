"""Selectable end-use concordances for the intermediate-goods universe (METHODS §10.1).

S0 counts 3 556 HS6 intermediate lines in world trade 2017–18; which HS→BEC mapping it used
is not published. The choice changes the universe, so it is an explicit option whose name is
reported with every result:

* ``unsd-majority`` (default): the UNSD HS→BEC Rev.4 table; a split line takes its
  majority end use — 3 156 HS2012 lines in the shared tables;
* ``unsd-any``: the same table; a split line is intermediate if any BEC code is — 3 181;
* ``adb-bec4``: the ADB MRIO team's HS2017 flags (``hsbec.BEC4INT`` > 0, i.e. at least
  partly intermediate) — 3 422 HS2017 lines;
* ``adb-bec4-full``: the same flags, ``BEC4INT`` = 1 only — 3 130 HS2017 lines.

The ADB flags are read from ``<concordances>/adb_mrio_team/ksreyes_mrio_sysdata.rda``
(object ``hsbec``); for another HS vintage a line is intermediate when any HS2017 line
linked to it by the UNSD conversion tables is (the rule is recorded in the result).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from chainatlas.errors import ChainAtlasError, DataNotFoundError
from chainatlas.trade.concordances import load_concordances, normalise_vintage, resolve_dir

END_USE_CONCORDANCES = ("unsd-majority", "unsd-any", "adb-bec4", "adb-bec4-full")
ADB_FLAGS_FILE = Path("adb_mrio_team") / "ksreyes_mrio_sysdata.rda"


@dataclass(frozen=True)
class EndUseUniverse:
    """A product universe: the HS6 lines of ``vintage`` whose end use is in ``end_uses``
    under ``concordance``. Pass it as ``universe=`` to the trade indicators."""

    concordance: str
    vintage: str
    end_uses: tuple[str, ...]
    table: pd.DataFrame = field(repr=False, compare=False)  # hs6, end_use

    @property
    def codes(self) -> list[str]:
        return sorted(self.table.loc[self.table["end_use"].isin(self.end_uses), "hs6"])

    def describe(self) -> str:
        return (
            f"{'/'.join(self.end_uses)} lines of {self.vintage} by {self.concordance}: "
            f"{len(self.codes):,}"
        )


@lru_cache(maxsize=4)
def _adb_flags(path: str) -> pd.DataFrame:
    # pyreadr (librdata, C) reads the one data frame in seconds; the pure-Python rdata
    # parser needs minutes for this 165 000-row file
    import pyreadr

    try:
        data = pyreadr.read_r(path, use_objects=["hsbec"])
    except Exception as exc:  # pyreadr raises its own error types for damaged files
        raise ChainAtlasError(f"cannot read the ADB HS-BEC file ({exc})", path=path) from None
    if "hsbec" not in data:
        raise ChainAtlasError("no object 'hsbec' in the ADB HS-BEC file", path=path)
    table = data["hsbec"]
    flags = pd.to_numeric(table["BEC4INT"], errors="coerce")
    out = pd.DataFrame({"hs6": table["HS6"].astype(str).str.zfill(6), "flag": flags})
    return out.groupby("hs6", as_index=False)["flag"].max()


def end_use_table(
    concordance: str = "unsd-majority",
    vintage: str = "HS17",
    concordances_dir: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """hs6, end_use for every line of ``vintage`` under the named concordance."""
    if concordance not in END_USE_CONCORDANCES:
        raise ChainAtlasError(
            f"unknown end-use concordance {concordance!r}; choose from "
            f"{', '.join(END_USE_CONCORDANCES)}"
        )
    vintage = normalise_vintage(vintage)
    tables = load_concordances(concordances_dir)
    if concordance.startswith("unsd"):
        split = "majority" if concordance == "unsd-majority" else "any_intermediate"
        return tables.classify(vintage, split=split)[["hs6", "end_use"]]
    path = resolve_dir(concordances_dir) / ADB_FLAGS_FILE
    if not path.is_file():
        raise DataNotFoundError(
            "the ADB HS2017->BEC4 flag file is missing (ksreyes/mrio sysdata.rda)", path=str(path)
        )
    flags = _adb_flags(str(path))
    threshold_ok = flags["flag"] > 0 if concordance == "adb-bec4" else flags["flag"] >= 1
    intermediate = set(flags.loc[threshold_ok, "hs6"])
    if vintage == "HS17":
        codes = set(flags["hs6"])
        linked = {c: {c} for c in codes}
    else:
        weights = tables.conversion_weights("HS17", vintage)
        linked = weights.groupby("to_code")["from_code"].agg(set).to_dict()
        codes = set(linked)
    rows = [
        (code, "intermediate" if linked.get(code, set()) & intermediate else "other")
        for code in sorted(codes)
    ]
    return pd.DataFrame(rows, columns=["hs6", "end_use"])


def end_use_universe(
    concordance: str = "unsd-majority",
    vintage: str = "HS17",
    concordances_dir: str | os.PathLike[str] | None = None,
    end_uses: tuple[str, ...] = ("intermediate",),
) -> EndUseUniverse:
    """The universe object for :func:`chainatlas.trade.indicators.topk_counts` and friends."""
    table = end_use_table(concordance, vintage, concordances_dir)
    return EndUseUniverse(concordance, normalise_vintage(vintage), tuple(end_uses), table)


__all__ = ["END_USE_CONCORDANCES", "EndUseUniverse", "end_use_table", "end_use_universe"]
