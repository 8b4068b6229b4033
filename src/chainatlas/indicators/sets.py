"""Indicator sets: the per-year pure function a (distributed) backend maps over years, and
the panel helper that loops over years.

``compute_indicator_sets(model, sets, groups, options)`` -> {set name: tidy DataFrame}.
Set names: participation, length, upstreamness, vax, fva-origin, linkage, dependence,
regional, servicification, hubs, and satellite (needs ``options['satellite']``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from chainatlas.core.groups import ResolvedGroup
from chainatlas.core.model import MRIOModel
from chainatlas.errors import ChainAtlasError
from chainatlas.indicators._common import resolve

SET_NAMES = (
    "participation",
    "length",
    "upstreamness",
    "vax",
    "fva-origin",
    "linkage",
    "dependence",
    "regional",
    "servicification",
    "hubs",
)
# sets computed only when named: satellite needs a CSV; rca (Balassa and KWW new RCA) is
# kept out of 'all' so existing panels keep their files
OPTIONAL_SETS = ("satellite", "rca")
# regions used by the regional set when the caller names none
DEFAULT_REGIONS = ("EU", "USMCA", "NEA", "ASEAN-10", "RCEP", "BRICS")

OPTION_KEYS = {
    "user_groups": "group definitions (TOML path or dict) added to the defaults",
    "trade_based": "participation: add Koopman (WWZ) and ADB (bm-adb) trade-based rates",
    "koopman_variants": "participation: Koopman variants (default, no_fdc, kww)",
    "conventions": "fva-origin: member-sum and/or bloc",
    "bm_variant": "fva-origin: add Borin–Mancini FVA by origin",
    "linkage_economies": "linkage: economies (countries or groups); default all + groups",
    "regions": "regional: regions when no groups are given",
    "hub_k_min": "hubs: largest-supplier out-degree for a hub (default 3)",
    "hub_top_k": "hubs: suppliers per importer in the graph (default 2)",
    "hub_min_share": "hubs: minimum importer share for a graph edge (default 0)",
    "hub_sectors": "hubs: exporting sectors for a sector-level network (e.g. ['c14'])",
    "satellite": "satellite: CSV path or DataFrame (country, sector, value[, year]), or "
    "EXTENSION:STRESSOR naming one of the table's satellite accounts",
    "satellite_name": "satellite: indicator prefix (default 'satellite')",
    "manufacturing_sectors": "servicification: manufacturing sector codes",
    "services_sectors": "servicification: services sector codes",
}


def parse_sets(text: str | Sequence[str] | None) -> list[str]:
    """'participation,length' or a list -> validated set names ('all' = every base set)."""
    if text is None:
        return list(SET_NAMES)
    names = [s.strip().lower() for s in (text.split(",") if isinstance(text, str) else text)]
    names = [n for n in names if n]
    if not names or names == ["all"]:
        return list(SET_NAMES)
    unknown = [n for n in names if n not in SET_NAMES + OPTIONAL_SETS]
    if unknown:
        raise ChainAtlasError(
            f"unknown indicator set(s) {', '.join(unknown)}; choose from "
            f"{', '.join(SET_NAMES + OPTIONAL_SETS)}"
        )
    return list(dict.fromkeys(names))


def _check_options(options: Mapping[str, Any]) -> None:
    unknown = set(options) - set(OPTION_KEYS)
    if unknown:
        raise ChainAtlasError(
            f"unknown indicator option(s) {sorted(unknown)}; known: {', '.join(OPTION_KEYS)}"
        )


def compute_indicator_sets(
    model: MRIOModel,
    sets: Sequence[str] | str | None,
    groups: Sequence[str | ResolvedGroup] | None = None,
    options: Mapping[str, Any] | None = None,
) -> dict[str, pd.DataFrame]:
    """Compute the named indicator sets for one table-year (pure: no I/O except reading a
    satellite CSV named in ``options``). Each frame carries ``attrs['missing_members']``."""
    from chainatlas.indicators import (
        dependence,
        length,
        linkage,
        network,
        origin,
        participation,
        rca,
        trends,
        upstreamness,
        vax,
    )

    options = dict(options or {})
    _check_options(options)
    names = parse_sets(sets)
    user_groups = options.get("user_groups")
    resolved = resolve(model, groups, user_groups)
    results: dict[str, pd.DataFrame] = {}
    timings: dict[str, float] = {}
    for name in names:
        start = time.perf_counter()
        if name == "participation":
            frames = [participation.production_participation(model, resolved)]
            notes = []
            if options.get("trade_based", True):
                frames.append(
                    participation.trade_participation(
                        model,
                        resolved,
                        variants=options.get("koopman_variants", participation.KOOPMAN_VARIANTS),
                    )
                )
                frames.append(participation.adb_trade_participation(model, resolved))
            frame = pd.concat(frames, ignore_index=True)
            exceptions = [e for f in frames for e in f.attrs.get("share_exceptions", [])]
            notes = [n for f in frames for n in f.attrs.get("notes", [])]
            frame.attrs = dict(frames[0].attrs)
            frame.attrs["share_exceptions"] = exceptions
            frame.attrs["notes"] = notes
        elif name == "length":
            frame = length.production_length(model, resolved)
        elif name == "upstreamness":
            frame = upstreamness.upstreamness(model)
            frame.attrs["missing_members"] = {g.name: list(g.missing) for g in resolved}
        elif name == "vax":
            frame = vax.value_added_trade(model, resolved)
        elif name == "fva-origin":
            frame = origin.fva_by_origin(
                model,
                resolved,
                conventions=options.get("conventions", origin.CONVENTIONS),
                bm_variant=options.get("bm_variant", True),
            )
        elif name == "linkage":
            frame = linkage.link_matrix(
                model, options.get("linkage_economies"), groups=resolved, user_groups=user_groups
            )
        elif name == "dependence":
            frame = dependence.foreign_dependence(model, resolved)
        elif name == "regional":
            regions = resolved or resolve(
                model, options.get("regions", DEFAULT_REGIONS), user_groups
            )
            frame = trends.regionalisation(model, regions)
        elif name == "servicification":
            frame = trends.servicification(
                model,
                resolved,
                manufacturing=options.get("manufacturing_sectors"),
                services=options.get("services_sectors"),
            )
        elif name == "hubs":
            params = network.HubParameters(
                k_min=int(options.get("hub_k_min", 3)),
                top_k=int(options.get("hub_top_k", 2)),
                min_share=float(options.get("hub_min_share", 0.0)),
            )
            frame = network.va_network(model, params, sectors=options.get("hub_sectors"))
            frame.attrs["missing_members"] = {g.name: list(g.missing) for g in resolved}
        elif name == "rca":
            frame = rca.rca(model)
            frame.attrs["missing_members"] = {g.name: list(g.missing) for g in resolved}
        elif name == "satellite":
            if options.get("satellite") is None:
                raise ChainAtlasError(
                    "the satellite set needs --satellite: a CSV or EXTENSION:STRESSOR"
                )
            frame = trends.satellite_footprint(
                model,
                options["satellite"],
                resolved,
                name=options.get("satellite_name", "satellite"),
            )
        else:  # pragma: no cover - parse_sets guards this
            raise ChainAtlasError(f"unknown set {name}")
        timings[name] = time.perf_counter() - start
        frame.attrs["set"] = name
        results[name] = frame
    for frame in results.values():
        frame.attrs["seconds"] = timings[frame.attrs["set"]]
    return results


def groups_frame(model: MRIOModel, groups: Sequence[ResolvedGroup]) -> pd.DataFrame:
    """year, group, member, status (present / missing) — written next to every result."""
    rows = [
        (model.year, g.name, member, "present" if member in g.present else "missing", g.version)
        for g in groups
        for member in g.members
    ]
    return pd.DataFrame(rows, columns=["year", "group", "member", "status", "version"])


def shortening_frame(
    length_frame: pd.DataFrame, participation_frame: pd.DataFrame | None = None
) -> pd.DataFrame:
    """METHODS §6.2 panel in tidy form (year, level, country, sector, indicator, value):
    PL_GVC, its international and domestic parts and their ratio, the complex-GVC share of
    VA, year-on-year changes d_* and the 'shortened' flags (1/0)."""
    from chainatlas.indicators.length import shortening_panel

    keep = ("country", "sector_group", "group", "group_sector_group", "world")
    length_frame = length_frame[length_frame["level"].isin(keep)]
    if participation_frame is not None:
        participation_frame = participation_frame[participation_frame["level"].isin(keep)]
    wide = shortening_panel(length_frame, participation_frame)
    tidy = wide.melt(
        id_vars=["year", "level", "country", "sector"], var_name="indicator", value_name="value"
    )
    tidy = tidy[["year", "level", "country", "sector", "indicator", "value"]]
    tidy.attrs = {
        "set": "shortening",
        "missing_members": dict(length_frame.attrs.get("missing_members", {})),
        "notes": [
            "shortened_* = 1 when PL_GVC or its international part fell since the "
            "previous year in the panel"
        ],
        "share_exceptions": [],
    }
    return tidy


YearMapper = Callable[
    [Callable[[int], dict[str, pd.DataFrame]], Sequence[int]], Iterable[dict[str, pd.DataFrame]]
]
"""``mapper(year_record, years)`` -> the year records of ``years``, in year order.

``year_record(year)`` computes one year in this process. A backend may instead compute each
record where the table lives with :func:`indicator_year` (the function ``year_record``
wraps); the records must be the same either way."""


def indicator_year(
    model: MRIOModel,
    sets: Sequence[str] | str | None,
    groups: Sequence[str] | None = None,
    options: Mapping[str, Any] | None = None,
) -> dict[str, pd.DataFrame]:
    """One year's record for :func:`indicator_panel`: every set's frame, plus ``groups``
    (the membership frame, its attrs holding the ``year`` and each group's
    ``missing_members``). Pure and picklable, so a backend can run it on a worker."""
    options = dict(options or {})
    resolved = resolve(model, groups, options.get("user_groups"))
    record = dict(compute_indicator_sets(model, sets, resolved, options))
    membership = groups_frame(model, resolved)
    membership.attrs = {
        "year": model.year,
        "missing_members": {g.name: list(g.missing) for g in resolved},
    }
    record["groups"] = membership
    return record


def _in_process(
    year_record: Callable[[int], dict[str, pd.DataFrame]], years: Sequence[int]
) -> Iterable[dict[str, pd.DataFrame]]:
    return (year_record(year) for year in years)


def indicator_panel(
    years: Iterable[int],
    loader: Callable[[int], MRIOModel],
    sets: Sequence[str] | str | None,
    groups: Sequence[str] | None = None,
    options: Mapping[str, Any] | None = None,
    *,
    on_year: Callable[[int], None] | None = None,
    map_years: YearMapper | None = None,
) -> dict[str, pd.DataFrame]:
    """:func:`indicator_year` over ``years`` (``loader(year)`` gives the model), each set
    stacked. Adds a ``groups`` frame (year, group, member, status). Each stacked frame's attrs
    hold ``missing_members`` (union over years) and per-year details; with several years the
    cross-year ``shortening`` set is added.

    ``map_years`` computes the year records (default: in this process, one after the other;
    see :data:`YearMapper`); the cross-year rules here apply whatever computed them.
    ``on_year(year)`` is called as each record arrives.
    """
    options = dict(options or {})
    years = list(years)

    def year_record(year: int) -> dict[str, pd.DataFrame]:
        # the model is dropped when this returns: one table in memory at a time
        record = indicator_year(loader(year), sets, groups, options)
        record["groups"].attrs["year"] = year  # the year asked for labels the details
        return record

    stacked: dict[str, list[pd.DataFrame]] = {}
    membership = []
    per_year_missing: dict[int, dict[str, list[str]]] = {}
    notes: dict[str, list[str]] = {}
    exceptions: dict[str, list] = {}
    for record in (map_years or _in_process)(year_record, years):
        record = dict(record)
        year_groups = record.pop("groups")
        year = year_groups.attrs["year"]
        membership.append(year_groups)
        per_year_missing[year] = year_groups.attrs["missing_members"]
        for name, frame in record.items():
            stacked.setdefault(name, []).append(frame)
            for note in frame.attrs.get("notes", []):
                notes.setdefault(name, [])
                if note not in notes[name]:
                    notes[name].append(note)
            exceptions.setdefault(name, []).extend(frame.attrs.get("share_exceptions", []))
        if on_year is not None:
            on_year(year)
    union: dict[str, list[str]] = {}
    for missing in per_year_missing.values():
        for group, members in missing.items():
            union.setdefault(group, [])
            union[group] += [m for m in members if m not in union[group]]
    out = {}
    for name, frames in stacked.items():
        frame = pd.concat(frames, ignore_index=True)
        frame.attrs = {
            "set": name,
            "missing_members": union,
            "missing_members_by_year": {str(y): v for y, v in per_year_missing.items()},
            "notes": notes.get(name, []),
            "share_exceptions": exceptions.get(name, []),
            "source": frames[0].attrs.get("source", ""),
        }
        out[name] = frame
    if "length" in out and out["length"]["year"].nunique() > 1:
        out["shortening"] = shortening_frame(out["length"], out.get("participation"))
    if membership:
        out["groups"] = pd.concat(membership, ignore_index=True)
        out["groups"].attrs = {}  # the per-year bookkeeping above, not metadata of the file
    else:
        out["groups"] = pd.DataFrame(columns=["year", "group", "member", "status", "version"])
    return out
