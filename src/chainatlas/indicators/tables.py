"""The studies' tables, reproducible from any loaded panel.

* :func:`linkage_study` — METHODS §7.4 (S3, Northeast Asia's chain links): Table 1 (NEA's
  share of the foreign VA in exports and of the imported intermediates of ASEAN, India,
  Mexico by year), Table 2 (the same by NEA country, last year), Table 3 (LINK_rs among CHN,
  JPN, KOR, RUS, MNG for two years). Member-sum convention, Leontief FVA by origin (§7.1).
* :func:`participation_study` — METHODS §5 (S4): WWYZ forward/backward participation of a
  country's manufacturing groups by year.

Both return a :class:`StudyTables` (frames + notes naming every group member the table
lacks) that :func:`write_study` writes as CSV, Markdown and HTML.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from chainatlas.core.groups import ResolvedGroup, registry_with
from chainatlas.core.model import MRIOModel
from chainatlas.errors import ChainAtlasError
from chainatlas.indicators._common import group_country_mask, workspace
from chainatlas.indicators.linkage import link_table
from chainatlas.indicators.origin import intermediate_flows
from chainatlas.util.files import atomic_write

LINKAGE_EXPORTERS = ("ASEAN-9", "IND", "MEX")
LINKAGE_EXPORTER_LABELS = {"ASEAN-9": "ASEAN", "IND": "India", "MEX": "Mexico"}
LINKAGE_SOURCE_GROUP = "NEA"
LINKAGE_ECONOMIES = ("CHN", "JPN", "KOR", "RUS", "MNG")


@dataclass
class StudyTables:
    name: str
    title: str
    tables: dict[str, pd.DataFrame]  # file stem -> table (index = row labels)
    captions: dict[str, str]
    notes: list[str] = field(default_factory=list)
    missing_members: dict[str, list[str]] = field(default_factory=dict)


def _entity_mask(model: MRIOModel, name: str, user_groups=None) -> tuple[np.ndarray, object]:
    registry = registry_with(user_groups)
    code = name.strip().upper()
    if code in model.countries:
        mask = np.zeros(model.G, dtype=bool)
        mask[model.countries.index(code)] = True
        return mask, None
    if name in registry:
        group = registry.resolve(name, model.countries, model.year)
        return group_country_mask(model, group), group
    mask = np.zeros(model.G, dtype=bool)  # a country the table lacks (e.g. MNG in WIOD)
    return mask, None


def _member_sum_share(flows: np.ndarray, exporter: np.ndarray, origin: np.ndarray) -> float:
    """Σ_{s∈R} Σ_{t∈S,t≠s} F_ts / Σ_{s∈R} Σ_{t≠s} F_ts (NaN if R is empty)."""
    foreign = flows - np.diag(np.diag(flows))
    denominator = foreign[:, exporter].sum()
    if not exporter.any() or denominator == 0:
        return float("nan")
    return float(foreign[np.ix_(origin, exporter)].sum() / denominator)


def _known_country_codes(registry) -> set[str]:
    """ISO3 codes chainatlas knows: the country names list and every group's members."""
    from importlib import resources

    text = resources.files("chainatlas.data").joinpath("names_countries.csv").read_text("utf-8")
    codes = {line.split(",", 1)[0].strip().upper() for line in text.splitlines()[1:] if line}
    for name in registry.names():
        for version in registry.get(name).versions:
            codes.update(m.upper() for m in version.members)
    return codes


def linkage_study(
    years: Sequence[int],
    loader: Callable[[int], MRIOModel],
    *,
    exporters: Sequence[str] = LINKAGE_EXPORTERS,
    source_group: str = LINKAGE_SOURCE_GROUP,
    link_economies: Sequence[str] = LINKAGE_ECONOMIES,
    link_years: Sequence[int] | None = None,
    user_groups=None,
) -> StudyTables:
    """Tables 1–3 of the S3 linkage study (values in %, LINK ×100)."""
    years = sorted(years)
    if not years:
        raise ChainAtlasError("linkage study needs at least one year")
    last = years[-1]
    if link_years is None:
        earlier = last - 4 if (last - 4) in years else years[0]
        link_years = [last] if earlier == last else [last, earlier]
    bad = [y for y in link_years if y not in years]
    if bad:
        raise ChainAtlasError(
            f"link year(s) {', '.join(map(str, bad))} not among the study years "
            f"{years[0]}–{years[-1]}"
        )
    registry = registry_with(user_groups)
    if source_group not in registry:
        raise ChainAtlasError(
            f"unknown source group {source_group!r}; known groups: {', '.join(registry.names())}"
        )
    known = _known_country_codes(registry)
    for option, names in (("exporter", exporters), ("Table 3 economy", link_economies)):
        for name in names:
            # a known country code the table lacks (MNG in WIOD) is reported in the notes; a
            # name that is neither a group nor a known code (FOO) is a typo and must not
            # become rows of n/a
            if name not in registry and name.strip().upper() not in known:
                raise ChainAtlasError(
                    f"unknown {option} {name!r}: neither a configured group "
                    f"({', '.join(registry.names())}) nor a known ISO3 country code"
                )
    labels = [LINKAGE_EXPORTER_LABELS.get(e, e) for e in exporters]
    table1_rows = {}
    missing: dict[str, list[str]] = {}
    notes: list[str] = []
    table2 = None
    links: dict[int, pd.DataFrame] = {}
    present_by_group: dict[str, list[str]] = {}
    for year in years:
        model = loader(year)
        nea = registry.resolve(source_group, model.countries, model.year)
        groups: list[ResolvedGroup] = [nea]
        fva = workspace(model).dexfvap
        inter = intermediate_flows(model)
        origin_mask = group_country_mask(model, nea)
        row = {}
        for exporter, label in zip(exporters, labels, strict=True):
            mask, group = _entity_mask(model, exporter, user_groups)
            if group is not None:
                groups.append(group)
            elif not mask.any():
                notes.append(f"{year}: exporter {exporter} is not in the table")
            row[("VA in exports", label)] = 100 * _member_sum_share(fva, mask, origin_mask)
            row[("Imported intermediates", label)] = 100 * _member_sum_share(
                inter, mask, origin_mask
            )
        table1_rows[year] = row
        for g in groups:
            present_by_group[g.name] = list(g.present)
            for member in g.missing:
                missing.setdefault(g.name, [])
                if member not in missing[g.name]:
                    missing[g.name].append(member)
        if year == last:
            rows = {}
            for exporter, label in zip(exporters, labels, strict=True):
                mask, _ = _entity_mask(model, exporter, user_groups)
                for member in nea.members:
                    source_mask, _ = _entity_mask(model, member, user_groups)
                    present = bool(source_mask.any())
                    for measure, flows in (
                        ("VA in exports", fva),
                        ("Imported intermediates", inter),
                    ):
                        value = 100 * _member_sum_share(flows, mask, source_mask)
                        rows.setdefault((measure, label), {})[member] = value if present else np.nan
            table2 = pd.DataFrame.from_dict(rows, orient="index")
            table2.index = pd.MultiIndex.from_tuples(table2.index, names=["measure", "exporter"])
            table2 = table2[sorted(table2.columns)]  # the study's order: CHN JPN KOR MNG RUS
        if year in link_years:
            links[year] = link_table(model, list(link_economies), user_groups=user_groups)
        del model
    table1 = pd.DataFrame.from_dict(table1_rows, orient="index")
    table1.columns = pd.MultiIndex.from_tuples(table1.columns, names=["measure", "exporter"])
    table1.index.name = "year"
    assert table2 is not None
    table2["NEA total"] = table2.sum(axis=1, min_count=1)
    tables = {"table1": table1, "table2": table2}
    # a reader of the table, not only of the notes, must see that e.g. "ASEAN" is IDN only
    partial = [
        f"{LINKAGE_EXPORTER_LABELS.get(e, e)} = {e} members in the table: "
        f"{', '.join(present_by_group.get(e, [])) or 'none'}"
        for e in exporters
        if missing.get(e)
    ]
    coverage = f" [{'; '.join(partial)}]" if partial else ""
    captions = {
        "table1": f"Table 1. {source_group} share (%) of the foreign value added in exports and "
        f"of the imported intermediates, by year (member-sum, Leontief FVA by origin){coverage}",
        "table2": f"Table 2. The same by {source_group} country, {last} (%); 'NEA total' equals "
        f"Table 1 for {last}{coverage}",
    }
    absent_link = sorted({e for t in links.values() for e in t.attrs["unavailable_economies"]})
    for year in sorted(links, reverse=True):
        key = f"table3_{year}"
        tables[key] = links[year]
        captions[key] = (
            f"Table 3 ({year}). LINK_rs = 100·T_rs/√(VAX_r·VAM_s); row r = VA source, "
            "column s = absorber"
        )
    for group, members in missing.items():
        notes.append(
            f"{group}: members not in this table (their flows are absent, not zero): "
            f"{', '.join(members)}; computed from {', '.join(present_by_group[group]) or 'none'}"
        )
    if absent_link:
        notes.append(
            f"Table 3: {', '.join(absent_link)} not in the table — rows/columns shown as n/a"
        )
    return StudyTables(
        "linkage-study",
        "Northeast Asia's industrial-chain links (METHODS §7.4)",
        tables,
        captions,
        notes,
        missing,
    )


def participation_study(
    years: Sequence[int],
    loader: Callable[[int], MRIOModel],
    *,
    country: str = "CHN",
    sector_group_names: Sequence[str] = ("low_tech_mfg", "medhigh_tech_mfg", "manufacturing"),
) -> StudyTables:
    """WWYZ forward/backward participation (and simple/complex parts) of ``country``'s
    manufacturing groups by year (METHODS §5, S4 §1.1)."""
    from chainatlas.indicators.participation import production_participation

    wanted = [
        "gvc_forward",
        "gvc_backward",
        "gvc_forward_simple",
        "gvc_forward_complex",
        "gvc_backward_simple",
        "gvc_backward_complex",
    ]
    frames = []
    for year in sorted(years):
        model = loader(year)
        if country.upper() not in model.countries:
            raise ChainAtlasError(
                f"country {country!r} is not in the {model.source} {year} table",
                location=f"{model.source} {year}",
            )
        frame = production_participation(model, levels=("sector_group",))
        if frame.empty or not set(sector_group_names) <= set(frame["sector"]):
            raise ChainAtlasError(
                f"sector groups {', '.join(sector_group_names)} are defined for the WIOD-2013 "
                f"35-sector classification only; this table has {', '.join(model.sectors[:4])}, …"
            )
        frame = frame[
            (frame["country"] == country.upper())
            & frame["sector"].isin(sector_group_names)
            & frame["indicator"].isin(wanted)
        ]
        frames.append(frame)
        del model
    panel = pd.concat(frames, ignore_index=True)
    table = panel.pivot_table(index="year", columns=["sector", "indicator"], values="value")
    table = table.reindex(
        columns=pd.MultiIndex.from_product([list(sector_group_names), wanted]), fill_value=np.nan
    )
    table = table * 100
    table.columns.names = ["sector group", "indicator"]
    return StudyTables(
        "participation-study",
        f"GVC participation of {country.upper()}'s manufacturing (METHODS §5)",
        {"participation": table},
        {
            "participation": f"Production-based GVC participation (%) of {country.upper()} by "
            "manufacturing group (WWYZ 2017a: forward = GVC VA / VA, backward = GVC VA in final "
            "goods / final goods output); low-tech c3–c7, c10, c16; medium/high-tech c8, c9, "
            "c11–c15 (ADB KI groups)"
        },
        [],
        {},
    )


# --- writing --------------------------------------------------------------------------------
def _flat(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = [": ".join(str(p) for p in col) for col in out.columns]
    return out.reset_index()


def _cells(flat: pd.DataFrame, diagonal_dash: bool) -> list[list[str]]:
    """Formatted cells: integers as is, floats with 2 decimals, NaN as n/a (– on the
    diagonal of a LINK matrix, where the value is undefined)."""
    rows = []
    for values in flat.itertuples(index=False):
        row = []
        for col, value in zip(flat.columns, values, strict=True):
            if isinstance(value, (float, np.floating)) and np.isnan(value):
                row.append("–" if diagonal_dash and str(values[0]) == str(col) else "n/a")
            elif isinstance(value, (float, np.floating)):
                row.append(f"{value:.2f}")
            else:
                row.append(str(value))
        rows.append(row)
    return rows


def _markdown(study: StudyTables) -> str:
    lines = [f"# {study.title}", ""]
    for key, table in study.tables.items():
        flat = _flat(table)
        lines += [f"## {study.captions.get(key, key)}", ""]
        lines.append("| " + " | ".join(map(str, flat.columns)) + " |")
        lines.append("|" + "|".join("---" for _ in flat.columns) + "|")
        for cells in _cells(flat, key.startswith("table3")):
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if study.notes:
        lines += ["## Notes", ""] + [f"- {note}" for note in study.notes] + [""]
    return "\n".join(lines)


def _html(study: StudyTables) -> str:
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(study.title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
        "margin-bottom:1.5em}td,th{border:1px solid #999;padding:4px 8px;text-align:right}"
        "caption{font-weight:bold;text-align:left;padding:4px}</style></head><body>",
        f"<h1>{html.escape(study.title)}</h1>",
    ]
    for key, table in study.tables.items():
        flat = _flat(table)
        parts.append(f"<table><caption>{html.escape(study.captions.get(key, key))}</caption>")
        parts.append("<tr>" + "".join(f"<th>{html.escape(str(c))}</th>" for c in flat.columns))
        for cells in _cells(flat, key.startswith("table3")):
            parts.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
        parts.append("</table>")
    if study.notes:
        parts.append("<h2>Notes</h2><ul>")
        parts += [f"<li>{html.escape(n)}</li>" for n in study.notes]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def check_output_directory(out: str | Path) -> None:
    """--out must be a directory (or not exist yet): a file there is never replaced."""
    if Path(out).exists() and not Path(out).is_dir():
        raise ChainAtlasError("--out must be a directory, not a file", path=str(out))


def write_study(study: StudyTables, out_dir: str | Path) -> list[Path]:
    """Write each table as CSV plus one Markdown and one HTML file (atomically)."""

    out = Path(out_dir)
    check_output_directory(out)
    written = []
    for key, table in study.tables.items():
        flat = _flat(table)
        target = out / f"{study.name}_{key}.csv"
        written.append(atomic_write(target, lambda tmp, flat=flat: flat.to_csv(tmp, index=False)))
    notes_frame = pd.DataFrame({"note": study.notes})
    written.append(
        atomic_write(
            out / f"{study.name}_notes.csv", lambda tmp: notes_frame.to_csv(tmp, index=False)
        )
    )
    md, page = _markdown(study), _html(study)
    written.append(
        atomic_write(out / f"{study.name}.md", lambda tmp: tmp.write_text(md, encoding="utf-8"))
    )
    written.append(
        atomic_write(out / f"{study.name}.html", lambda tmp: tmp.write_text(page, encoding="utf-8"))
    )
    return written
