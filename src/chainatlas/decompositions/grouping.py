"""Country groups and term groups applied to a tidy decomposition table.

``apply_groups(frame, groups, countries, year)`` sums exporters (and importers) into country
groups — the *member-sum* convention: a group's value is the sum over its members present in
the table; members the table lacks are named in ``frame.attrs["notes"]``; RoW is never a member.
``apply_term_groups(frame, method)`` sums the terms into the WWZ groups DVA (domestic value
added absorbed abroad), RDV (returned domestic value added), FVA (foreign value added) and PDC
(pure double counting) — the same four for Borin–Mancini (VAX, REF, FVA, DDC + FDC) and KWW;
the groups add up to gross exports. Both work on the long table (``term``, ``value``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from chainatlas.core.groups import resolve_group
from chainatlas.core.model import MRIOModel
from chainatlas.errors import ChainAtlasError

_BM_GROUPS = {"DVA": ("VAX",), "RDV": ("REF",), "FVA": ("FVA",), "PDC": ("DDC", "FDC")}
_BM_FINE_GROUPS = {
    "DVA": ("VAX1", "VAX2", "VAX3", "VAX4"),
    "RDV": ("REF1", "REF2"),
    "FVA": ("FVA1", "FVA2", "FVA3", "FVA4"),
    "PDC": ("DDC", "FDC"),
}
# method -> group -> its terms (each group adds up terms that partition gross exports)
TERM_GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    "wwz": {
        "DVA": ("DVA_FIN", "DVA_INT", "DVA_INTrexI1", "DVA_INTrexF", "DVA_INTrexI2"),
        "RDV": ("RDV_FIN", "RDV_FIN2", "RDV_INT"),
        "FVA": ("MVA_FIN", "OVA_FIN", "MVA_INT", "OVA_INT"),
        "PDC": ("DDC_FIN", "DDC_INT", "MDC", "ODC"),
    },
    "kww": {
        "DVA": ("DVA_FIN", "DVA_INT", "DVA_INTrex"),
        "RDV": ("RDV_FIN", "RDV_INT"),
        "FVA": ("FVA_FIN", "FVA_INT"),
        "PDC": ("DDC", "FDC"),
    },
    "bm-source": _BM_GROUPS,
    "bm-sink": _BM_GROUPS,
    "bm-source-terms": _BM_FINE_GROUPS,
    "bm-sink-terms": _BM_FINE_GROUPS,
}
TERM_GROUP_MEANING = {
    "DVA": "domestic value added absorbed abroad",
    "RDV": "domestic value added that returns home",
    "FVA": "foreign value added",
    "PDC": "pure double counting",
}


def apply_term_groups(frame: pd.DataFrame, method: str) -> pd.DataFrame:
    """Sum the ``term`` rows of ``frame`` into DVA, RDV, FVA and PDC."""
    key = method.lower()
    if key not in TERM_GROUPS:
        raise ChainAtlasError(
            f"term groups are defined for {', '.join(TERM_GROUPS)}, not for {method!r}"
        )
    if "term" not in frame.columns:
        raise ChainAtlasError("term groups need the long table (wide=False)")
    lookup = {term: group for group, terms in TERM_GROUPS[key].items() for term in terms}
    grouped = frame.assign(term=frame["term"].map(lookup))
    grouped = grouped[grouped["term"].notna()]
    keys = [c for c in frame.columns if c != "value"]
    out = grouped.groupby(keys, sort=False, dropna=False, as_index=False)["value"].sum()
    order = {g: i for i, g in enumerate(TERM_GROUPS[key])}
    out = out.sort_values("term", key=lambda s: s.map(order), kind="stable")
    out = out.reset_index(drop=True)
    out.attrs = dict(frame.attrs)
    out.attrs["term_groups"] = {g: list(t) for g, t in TERM_GROUPS[key].items()}
    out.attrs["notes"] = [
        *frame.attrs.get("notes", []),
        "terms summed into groups: "
        + "; ".join(f"{g} = {TERM_GROUP_MEANING[g]}" for g in TERM_GROUPS[key]),
    ]
    return out


def group_members(
    groups: Sequence[str] | Mapping[str, Sequence[str]],
    countries: Sequence[str],
    year: int | None = None,
) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """{group: members present in the table} and one note per group with absent members.

    ``groups``: names from core/groups (``"NEA"``, ``"ASEAN-9"``) or a mapping name → codes."""
    present: dict[str, tuple[str, ...]] = {}
    notes: list[str] = []
    if isinstance(groups, Mapping):
        known = set(countries)
        for name, codes in groups.items():
            members = tuple(c for c in codes if c in known and c.upper() != "ROW")
            absent = [c for c in codes if c not in members]
            present[name] = members
            if absent:
                notes.append(f"{name}: not in the table: {', '.join(absent)}")
    else:
        for name in groups:
            resolved = resolve_group(name, countries, year)
            present[resolved.name] = tuple(resolved.present)
            if resolved.missing:
                notes.append(
                    f"{resolved.name}: members not in the table (left out): "
                    f"{', '.join(resolved.missing)}"
                )
    empty = [name for name, members in present.items() if not members]
    if empty:
        raise ChainAtlasError(
            f"group {', '.join(empty)} has no member in this table; its economies: "
            f"{', '.join(countries)}"
        )
    return present, notes


def apply_groups(
    frame: pd.DataFrame,
    groups: Sequence[str] | Mapping[str, Sequence[str]],
    countries: Sequence[str],
    year: int | None = None,
) -> pd.DataFrame:
    """Exporters (and importers) summed into groups, member-sum convention.

    Only exporters that belong to a group are kept, one block per group (so overlapping groups
    such as ASEAN-9 and RCEP each get their full sum). Importers are summed into the same group
    list (the first listed group containing them); other importers stay as they are. Flows
    between members of one group are kept (member sum) and appear as importer = the group.
    """
    if "exporter" not in frame.columns:
        raise ChainAtlasError("country groups need a level with exporters (not world)")
    members, notes = group_members(groups, countries, year)
    keys = [c for c in frame.columns if c == "year" or not pd.api.types.is_numeric_dtype(frame[c])]
    importer_group: dict[str, str] = {}
    for name, codes in members.items():
        for code in codes:
            importer_group.setdefault(code, name)
    blocks = []
    for name, codes in members.items():
        part = frame[frame["exporter"].isin(codes)].assign(exporter=name)
        if "importer" in part.columns:
            part = part.assign(importer=part["importer"].map(lambda c: importer_group.get(c, c)))
        blocks.append(part.groupby(keys, sort=False, dropna=False, as_index=False).sum())
    out = pd.concat(blocks, ignore_index=True)
    out.attrs = dict(frame.attrs)
    out.attrs["groups"] = {name: list(codes) for name, codes in members.items()}
    out.attrs["notes"] = [
        *frame.attrs.get("notes", []),
        "groups: member sum over the members present in the table"
        + ("; importers grouped too, flows among members kept" if "importer" in keys else ""),
        *notes,
    ]
    return out


def aggregate_model(model: MRIOModel, groups: Sequence[str]) -> tuple[MRIOModel, list[str]]:
    """``model.aggregate`` over the members of ``groups`` present in the table (a configured
    member the table lacks, such as MNG in WIOD's NEA, is left out and named in the notes
    returned with the model): ``(aggregated_model, notes)``."""
    members, notes = group_members(groups, model.countries, model.year)
    return model.aggregate(countries={name: list(codes) for name, codes in members.items()}), notes
