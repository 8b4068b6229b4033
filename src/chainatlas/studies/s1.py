"""S1 — Guo & Chen (2025): most items quote statistical releases (GACC, NBS, MIIT, WDI …)
that are outside MRIO and trade data; they are listed with their sources. Computed:
32 (China's share of world manufacturing VA on the table — WDI is the published source)
and, with a trade store holding the years, 41 (US import shares by partner).
"""

from __future__ import annotations

import numpy as np

from chainatlas.indicators._common import WIOD35_SECTOR_GROUPS
from chainatlas.studies.common import (
    COMPUTED,
    SECTOR_CODES_REASON,
    ItemResult,
    StudyContext,
    StudyReport,
    Value,
    fmt_years,
    has_wiod35,
    needs_data,
    run_items,
)

MANUFACTURING = WIOD35_SECTOR_GROUPS["manufacturing"]


def _mva_share(ctx: StudyContext) -> ItemResult:
    values = []
    for year in sorted(ctx.years):
        model = ctx.model(year)
        if "CHN" not in model.countries:
            return needs_data(32, "CHN is not in the table")
        if not has_wiod35(model):
            return needs_data(32, SECTOR_CODES_REASON)
        mfg = [model.sector_position(s) for s in MANUFACTURING if s in model.sectors]
        va = np.asarray(model.va).reshape(model.G, model.N)[:, mfg].sum(axis=1)
        share = 100 * va[model.countries.index("CHN")] / va.sum()
        values.append(Value("china_share_world_mva", float(share), year, "%"))
    return ItemResult(
        32,
        COMPUTED,
        values,
        reason="MRIO VA at basic prices (x − ΣZ), c3–c16, RoW in the world total;"
        " WDI NV.IND.MANF.CD is national-accounts MVA (ISIC C)",
        method="Σ va of CHN c3–c16 / Σ va of c3–c16 of every economy",
    )


def _us_import_shares(ctx: StudyContext) -> ItemResult:
    store = ctx.store()
    vintage = store.resolve_vintage(None)
    years = store.years(vintage)
    if len(years) < 2:
        return needs_data(41, f"the trade store holds one year ({years}); S1 compares 2018 "
                          "and 2023")  # fmt: skip
    start, end = (2018, 2023) if {2018, 2023} <= set(years) else (years[0], years[-1])
    frame = store.sql(
        f"SELECT year, exporter, sum(value) AS value FROM flows WHERE vintage = '{vintage}' "
        f"AND importer = 'USA' AND year IN ({start}, {end}) GROUP BY ALL"
    )
    if frame.empty:
        return needs_data(41, "no US imports in the trade store")
    total = frame.groupby("year")["value"].transform("sum")
    frame["share"] = 100 * frame["value"] / total
    wide = frame.pivot_table(index="exporter", columns="year", values="share").fillna(0.0)
    values = []
    for partner in ("CHN", "VNM", "IND"):
        if partner in wide.index and start in wide.columns and end in wide.columns:
            change = wide.loc[partner, end] - wide.loc[partner, start]
            values.append(Value(f"us_import_share_change_{partner}", float(change), end, "pp",
                                note=f"{start}→{end}"))  # fmt: skip
    if not values:
        return needs_data(41, "CHN, VNM, IND do not export to the US in the trade store")
    return ItemResult(41, COMPUTED, values,
                      reason=f"trade store years {fmt_years([start, end])} (S1: 2018→2023, US "
                      "Census); exporters limited to those in the store",
                      method="partner shares of US imports, all HS6 lines")  # fmt: skip


def run(ctx: StudyContext) -> StudyReport:
    functions: dict = {}
    if ctx.has_table:
        functions[32] = lambda _s: _mva_share(ctx)
    if ctx.trade_db is not None:
        functions[41] = lambda _s: _us_import_shares(ctx)
    items = run_items("s1", ctx, functions, None)
    return StudyReport("s1", ctx.describe(), items, [])
