"""S3 — Li Qingru (2025): Northeast Asia's share in the foreign VA and imported intermediates
of ASEAN, India and Mexico (Tables 1–2), the bilateral linkage index (Table 3) and the
world-export share of China (item 60). METHODS §7.

The report says how much of the gap to S3's ADB-based numbers is method and how much data:

* method — the same table, other defensible choices: Borin–Mancini FVA by origin instead of
  Leontief foreign content (§7.1 variant), the bloc instead of the member-sum convention;
* data — the same quantity on both tables where the ADB-derived files in
  ``shared/data/adb_mrio_derived`` allow it: the foreign share of gross exports
  (1 − forward-linkage DVA / exports, ADB ``rca62`` components ``vaxos_s`` / ``exports_s``)
  of India, Mexico, Indonesia and China in the years both tables cover; and coverage (the
  economies WIOD lumps into RoW: ASEAN = IDN only, MNG absent).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from chainatlas.indicators._common import group_country_mask, workspace
from chainatlas.indicators.origin import bm_fva_by_origin, intermediate_flows
from chainatlas.indicators.rca import forward_dva_in_exports
from chainatlas.indicators.tables import (
    LINKAGE_ECONOMIES,
    LINKAGE_EXPORTER_LABELS,
    LINKAGE_EXPORTERS,
    _entity_mask,
    _member_sum_share,
    linkage_study,
)
from chainatlas.studies.common import (
    COMPUTED,
    GOODS_SECTORS,
    ItemResult,
    StudyContext,
    StudyReport,
    Value,
    collect_shared,
    fmt_years,
    needs_data,
    run_items,
)

ADB_DERIVED = Path("data") / "adb_mrio_derived" / "ksreyes_mrio_processing"
ADB_CODES = {"IND": "IND", "MEX": "MEX", "IDN": "INO", "CHN": "PRC", "JPN": "JPN", "KOR": "KOR"}
MEASURE_KEYS = {"VA in exports": "va", "Imported intermediates": "intm"}
LABEL_KEYS = {"ASEAN": "ASEAN", "India": "India", "Mexico": "Mexico"}


def _shared_root() -> Path | None:
    """The shared data folder (for the ADB-derived check), if there is one."""
    candidates = [os.environ.get("CHAINATLAS_SHARED"), os.environ.get("CHAINATLAS_DATA")]
    here = Path(__file__).resolve()
    candidates += [str(p / "shared") for p in here.parents[:6]]
    for c in candidates:
        if c and (Path(c) / ADB_DERIVED / "rca62.parquet").is_file():
            return Path(c)
    return None


def adb_foreign_share(years: list[int]) -> pd.DataFrame:
    """ADB MRIO-62 foreign share of gross exports (%) = 100·(1 − vaxos_s/exports_s) by
    economy (ISO3) and year, from the ADB-derived rca62 components (empty if absent)."""
    root = _shared_root()
    if root is None:
        return pd.DataFrame(columns=["country", "year", "adb_foreign_share"])
    folder = root / ADB_DERIVED
    rca = pd.read_parquet(folder / "rca62.parquet", columns=["t", "s", "agg", "i", "exports_s",
                                                             "vaxos_s"])  # fmt: skip
    codes = pd.read_excel(folder / "dicts" / "countries.xlsx", sheet_name="MRIO",
                          engine="openpyxl")  # fmt: skip
    index = dict(zip(codes["mrio_code"], codes["mrio62"], strict=False))
    rows = []
    for iso, adb in ADB_CODES.items():
        s = index.get(adb)
        if s is None or np.isnan(s):
            continue
        sub = rca[(rca["s"] == int(s)) & rca["t"].isin(years)].drop_duplicates("t")
        for _, row in sub.iterrows():
            share = 100 * (1 - row["vaxos_s"] / row["exports_s"])
            rows.append((iso, int(row["t"]), float(share)))
    return pd.DataFrame(rows, columns=["country", "year", "adb_foreign_share"])


def _collect(ctx: StudyContext) -> dict:
    years = sorted(ctx.years)
    study = linkage_study(years, ctx.model)
    last = years[-1]
    goods_share = {}
    wiod_foreign = []
    variants = {}
    row_share = {}
    for year in years:
        model = ctx.model(year)
        goods = [model.sector_position(s) for s in GOODS_SECTORS if s in model.sectors]
        exports = np.asarray(model.total_exports).reshape(model.G, model.N)[:, goods].sum(axis=1)
        if "CHN" in model.countries and goods:
            goods_share[year] = 100 * exports[model.countries.index("CHN")] / exports.sum()
        dva = forward_dva_in_exports(model).reshape(model.G, model.N).sum(axis=1)
        total = np.asarray(model.total_exports).reshape(model.G, model.N).sum(axis=1)
        for iso in ADB_CODES:
            if iso in model.countries:
                c = model.countries.index(iso)
                wiod_foreign.append((iso, year, 100 * (1 - dva[c] / total[c])))
        if year == last:
            variants = _method_variants(model)
            # how much of each exporter's FVA WIOD books to RoW (economies it lacks)
            fva = workspace(model).dexfvap
            row = np.array([c == "ROW" for c in model.countries])
            for exporter in LINKAGE_EXPORTERS:
                mask, _ = _entity_mask(model, exporter)
                row_share[LINKAGE_EXPORTER_LABELS.get(exporter, exporter)] = 100 * (
                    _member_sum_share(fva, mask, row)
                )
    foreign = pd.DataFrame(wiod_foreign, columns=["country", "year", "wiod_foreign_share"])
    adb = adb_foreign_share(years)
    check = foreign.merge(adb, on=["country", "year"], how="left")
    check["wiod_minus_adb"] = check["wiod_foreign_share"] - check["adb_foreign_share"]
    return {
        "years": years,
        "study": study,
        "goods_share": goods_share,
        "variants": variants,
        "data_check": check,
        "row_share": row_share,
    }


def _method_variants(model) -> pd.DataFrame:
    """NEA share (%) of the FVA in exports of ASEAN-9/IND/MEX under each §7.1 variant."""
    from chainatlas.core.groups import registry_with
    from chainatlas.indicators.origin import fva_by_origin

    registry = registry_with(None)
    nea = registry.resolve("NEA", model.countries, model.year)
    origin = group_country_mask(model, nea)
    ws = workspace(model)
    bm = bm_fva_by_origin(model)
    rows = []
    bloc = fva_by_origin(model, ["NEA", *LINKAGE_EXPORTERS[:1]], conventions=("bloc",),
                         bm_variant=False)  # fmt: skip
    for exporter in LINKAGE_EXPORTERS:
        label = LINKAGE_EXPORTER_LABELS.get(exporter, exporter)
        mask, _ = _entity_mask(model, exporter)
        rows.append((label, "Leontief FVA, member-sum (default)",
                     100 * _member_sum_share(ws.dexfvap, mask, origin)))  # fmt: skip
        rows.append((label, "Borin–Mancini FVA, member-sum",
                     100 * _member_sum_share(bm, mask, origin)))  # fmt: skip
        rows.append((label, "imported intermediates, member-sum",
                     100 * _member_sum_share(intermediate_flows(model), mask, origin)))  # fmt: skip
        sel = bloc[(bloc["exporter"] == exporter) & (bloc["origin"] == "NEA")
                   & (bloc["indicator"] == "fva_share")]  # fmt: skip
        if len(sel):
            rows.append((label, "Leontief FVA, bloc", 100 * float(sel["value"].iloc[0])))
    frame = pd.DataFrame(rows, columns=["exporter", "variant", "nea_share"])
    frame.insert(0, "year", model.year)
    return frame


def _table1(shared) -> ItemResult:
    study = shared["study"]
    t1 = study.tables["table1"]
    values = []
    for year, row in t1.iterrows():
        for (measure, label), value in row.items():
            values.append(Value(f"{MEASURE_KEYS[measure]}_{LABEL_KEYS[label]}", float(value),
                                int(year), "%"))  # fmt: skip
    reason = _coverage_reason(study)
    return ItemResult(62, COMPUTED, values, reason=reason, method=_METHOD)


_METHOD = (
    "member-sum, Leontief FVA by origin v_t B_ts e_s* (METHODS §7.1 default), imported "
    "intermediates u'Z_ts u (§7.2)"
)


def _coverage_reason(study) -> str:
    missing = "; ".join(f"{g}: {', '.join(m)} not in the table" for g, m in
                        study.missing_members.items())  # fmt: skip
    return (
        "different table (S3: UIBE on ADB MRIO 2022 release); "
        + (missing + "; " if missing else "")
        + "see the data-vs-method table"
    )


def _table2(shared) -> ItemResult:
    study = shared["study"]
    t2 = study.tables["table2"]
    year = shared["years"][-1]
    values = []
    for (measure, label), row in t2.iterrows():
        for source, value in row.items():
            if source == "NEA total":
                continue
            key = f"{MEASURE_KEYS[measure]}_{LABEL_KEYS[label]}_{source}"
            values.append(Value(key, None if pd.isna(value) else float(value), year, "%",
                                note="" if year == 2021 else "published for 2021"))  # fmt: skip
    for v in values:
        v.published_year = 2021  # the study's only year
    reason = _coverage_reason(study) + (f"; table year {year}, S3 2021" if year != 2021 else "")
    return ItemResult(63, COMPUTED, values, reason=reason, method=_METHOD)


def _table3(shared) -> ItemResult:
    study = shared["study"]
    keys = sorted(k for k in study.tables if k.startswith("table3_"))
    link_years = sorted(int(k.split("_")[1]) for k in keys)
    published_years = {link_years[-1]: 2021}
    if len(link_years) > 1:
        published_years[link_years[0]] = 2017
    values = []
    for year in link_years:
        table = study.tables[f"table3_{year}"]
        for r in LINKAGE_ECONOMIES:
            for s in LINKAGE_ECONOMIES:
                if r == s:
                    continue
                value = table.loc[r, s] if r in table.index and s in table.columns else np.nan
                v = Value(f"link_{r}_{s}", None if pd.isna(value) else float(value), year,
                          "index")  # fmt: skip
                v.published_year = published_years[year]
                if pd.isna(value):
                    v.note = f"{r} or {s} not in the table"
                values.append(v)
    reason = f"table years {', '.join(map(str, link_years))} vs S3 2021/2017; " + _coverage_reason(
        study
    )
    return ItemResult(66, COMPUTED, values, reason=reason,
                      method="LINK_rs = 100·T_rs/√(VAX_r·VAM_s) (METHODS §7.3, radical "
                      "restored)")  # fmt: skip


def _orientation(shared) -> ItemResult:
    study = shared["study"]
    year = max(int(k.split("_")[1]) for k in study.tables if k.startswith("table3_"))
    t = study.tables[f"table3_{year}"]

    def get(r, s):
        return t.loc[r, s] if r in t.index and s in t.columns else np.nan

    tests = {
        "JPN_CHN_gt_KOR_CHN": (get("JPN", "CHN"), get("KOR", "CHN")),
        "CHN_JPN_lt_JPN_CHN": (get("JPN", "CHN"), get("CHN", "JPN")),
        "RUS_CHN_gt_CHN_RUS": (get("RUS", "CHN"), get("CHN", "RUS")),
        "MNG_CHN_gt_CHN_MNG": (get("MNG", "CHN"), get("CHN", "MNG")),
    }
    values = []
    for key, (a, b) in tests.items():
        if pd.isna(a) or pd.isna(b):
            values.append(Value(key, None, year, "test", note="economy not in the table"))
        else:
            values.append(Value(key, "yes" if a > b else "no", year, "test",
                                note=f"{a:.2f} vs {b:.2f}"))  # fmt: skip
    return ItemResult(67, COMPUTED, values, reason="orientation on the table's own LINK",
                      method="LINK matrix of item 66")  # fmt: skip


def _goods_share(shared) -> ItemResult:
    values = [Value("china_share_world_goods_exports", v, y, "%") for y, v in
              shared["goods_share"].items()]  # fmt: skip
    if not values:
        return needs_data(60, "CHN or the WIOD-2013 goods sectors c1–c16 not in the table")
    reason = (
        "MRIO gross exports of c1–c16 (agriculture, mining, manufacturing) incl. RoW as world; "
        "WTO/WDI count merchandise trade; 1990 precedes every MRIO year"
    )
    return ItemResult(60, COMPUTED, values, reason=reason)


def _china_asean_share(ctx: StudyContext, years: list[int]) -> list[Value]:
    out = []
    chosen = (years[0], years[-1]) if len(years) > 1 else (years[0],)
    for year, published_year in zip(chosen, (2007, 2021)[-len(chosen) :], strict=True):
        model = ctx.model(year)
        mask, _ = _entity_mask(model, "ASEAN-9")
        source, _ = _entity_mask(model, "CHN")
        share = 100 * _member_sum_share(workspace(model).dexfvap, mask, source)
        value = Value("china_share_asean_fva", share, year, "%")
        value.published_year = published_year  # S3 quotes 2007 and 2021
        out.append(value)
    return out


def _data_vs_method(shared) -> pd.DataFrame:
    variants = shared["variants"].copy()
    variants["kind"] = "method (same table)"
    variants = variants.rename(columns={"nea_share": "value"})
    variants["quantity"] = np.where(
        variants["variant"].str.startswith("imported"),
        "NEA share of imported intermediates (%)",
        "NEA share of FVA in exports (%)",
    )
    rows = [variants[["kind", "year", "exporter", "variant", "quantity", "value"]]]
    check = shared["data_check"].dropna(subset=["adb_foreign_share"])
    if len(check):
        data = pd.DataFrame(
            {
                "kind": "data (same quantity, two tables)",
                "year": check["year"],
                "exporter": check["country"],
                "variant": "WIOD 2013 − ADB MRIO-62 (rca62 vaxos_s)",
                "quantity": "foreign share of gross exports, pp (1 − forward DVA/exports)",
                "value": check["wiod_minus_adb"],
            }
        )
        rows.append(data)
    cover = pd.DataFrame(
        {
            "kind": "data (coverage)",
            "year": shared["years"][-1],
            "exporter": list(shared["row_share"]),
            "variant": "share of the FVA WIOD books to RoW",
            "quantity": "% of FVA in exports",
            "value": list(shared["row_share"].values()),
        }
    )
    rows.append(cover)
    return pd.concat(rows, ignore_index=True)


def run(ctx: StudyContext) -> StudyReport:
    functions = {}
    notes: list[str] = []
    tables = {}
    shared = collect_shared(ctx, _collect, notes)
    if shared:
        shared["china_asean"] = _china_asean_share(ctx, shared["years"])
        functions = {
            60: _goods_share,
            62: _table1,
            63: _table2,
            64: lambda s: ItemResult(
                64,
                COMPUTED,
                s["china_asean"],
                reason=_coverage_reason(s["study"]) + "; S3 years 2007, 2021",
                method=_METHOD,
            ),
            66: _table3,
            67: _orientation,
        }
        split = _data_vs_method(shared)
        tables["data_vs_method"] = split
        notes += _split_notes(shared, split)
        notes += [f"linkage study: {n}" for n in shared["study"].notes]
    items = run_items("s3", ctx, functions, shared)
    report = StudyReport("s3", ctx.describe(), items, notes, tables)
    report.table_titles["data_vs_method"] = (
        "S3 Table 1: how much of the gap is method and how much data / 表1差异：方法与数据"
    )
    return report


def _split_notes(shared, split: pd.DataFrame) -> list[str]:
    notes = []
    year = shared["years"][-1]
    method = split[split["kind"] == "method (same table)"]
    from chainatlas.studies.common import lookup_published

    for exporter, rows in method.groupby("exporter", sort=False):
        fva = rows[~rows["variant"].str.startswith("imported")]["value"]
        published = lookup_published(62, f"va_{exporter}", year)
        gap = ""
        if published is not None:
            gap = (
                f"; the gap to S3's {float(published[0]):.1f} % for {year} is "
                f"{fva.iloc[0] - float(published[0]):+.1f} pp, so method accounts for at most "
                f"{fva.max() - fva.min():.2f} pp of it and the rest is data (table, coverage)"
            )
        notes.append(
            f"S3 Table 1, {exporter} {year}: method choices on this table (Leontief vs "
            f"Borin–Mancini FVA, member-sum vs bloc) give {fva.min():.2f}–{fva.max():.2f} %" + gap
        )
    data = split[split["kind"] == "data (same quantity, two tables)"]
    for exporter, rows in data.groupby("exporter", sort=False):
        notes.append(
            f"data: {exporter}'s foreign share of gross exports, WIOD 2013 minus ADB MRIO-62: "
            f"{rows['value'].mean():+.1f} pp (mean over {fmt_years(list(rows['year']))}; "
            "ADB-derived rca62 components)"
        )
    if data.empty:
        notes.append(
            "data: no ADB-derived file overlaps these years (rca62 covers 2000, 2007–2022); "
            "load the ADB MRIO table (--source adb) to separate data from method"
        )
    for exporter, share in shared["row_share"].items():
        notes.append(
            f"coverage: WIOD books {share:.1f} % of {exporter}'s FVA in exports to RoW "
            "(economies it lacks, incl. ASEAN and MNG) — part of the NEA-share gap is this"
        )
    return notes
