"""S4 — Li & Xia: China–US asymmetric industrial dependence (METHODS §5, §6.1, §9, §12, §15).

Items computed on an MRIO: 68 (complex-GVC supply hubs, first vs last year), 69 (regional
vs global linkage: intra-regional share of VA exports, East Asia vs North America), 71
(China's intermediate imports relative to its goods exports), 72 (the ICT sector network:
is Japan a supply hub?), 75 (WWYZ participation of China's medium/high-tech manufacturing),
77 (GVC position of China's machinery and electrical/optical sectors vs the USA). With user
files: 76 (composite interdependence index, ``--interdependence-series``) and 80 (patents on
participation, ``--patents``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainatlas.errors import ChainAtlasError
from chainatlas.indicators.length import production_length
from chainatlas.indicators.network import HubParameters, hub_list, va_network
from chainatlas.indicators.tables import participation_study
from chainatlas.indicators.trends import regionalisation
from chainatlas.studies.common import (
    COMPUTED,
    EAST_ASIA,
    GOODS_SECTORS,
    RECONSTRUCTED,
    ItemResult,
    StudyContext,
    StudyReport,
    Value,
    collect_shared,
    fmt_years,
    has_wiod35,
    needs_data,
    run_items,
)

ASIA = ("CHN", "JPN", "KOR", "TWN", "IDN", "IND", "HKG", "SGP", "MYS", "THA", "PHL", "VNM")
ICT_SECTORS = ("c14",)  # WIOD 2013: electrical and optical equipment (ISIC 30–33)
POSITION_SECTORS = ("c13", "c14")  # machinery n.e.c.; electrical and optical equipment


def _asian_hub(hubs: pd.DataFrame) -> str | None:
    supply = hubs[(hubs["role"] == "supply") & hubs["economy"].isin(ASIA)]
    if supply.empty:
        return None
    return str(supply.sort_values(["degree", "node_size"], ascending=False)["economy"].iloc[0])


def _collect(ctx: StudyContext) -> dict:
    years = sorted(ctx.years)
    ends = sorted({years[0], years[-1]})
    hubs, ict, regional, intermediates, positions = {}, {}, [], {}, []
    params = HubParameters(types=("complex",))
    for year in years:
        model = ctx.model(year)
        if year in ends:
            hubs[year] = hub_list(va_network(model, params))
            ict_sectors = [s for s in ICT_SECTORS if s in model.sectors]
            if ict_sectors:
                ict[year] = hub_list(va_network(model, params, sectors=ict_sectors))
            length = production_length(model, levels=("country_sector",))
            positions.append(
                length[
                    (length["indicator"] == "gvc_position")
                    & length["country"].isin(["CHN", "USA"])
                    & length["sector"].isin(POSITION_SECTORS)
                ]
            )
        regions = {"EAST_ASIA": [c for c in EAST_ASIA]}
        frame = regionalisation(model, ["EAST_ASIA", "USMCA"], user_groups=regions)
        regional.append(frame[frame["indicator"] == "intra_vax_share"])
        if "CHN" in model.countries and has_wiod35(model):
            c = model.countries.index("CHN")
            G, N = model.G, model.N
            Z = model.Z.reshape(G, N, G, N).sum(axis=(1, 3))
            imported = Z[:, c].sum() - Z[c, c]
            goods = [model.sector_position(s) for s in GOODS_SECTORS if s in model.sectors]
            exports = np.asarray(model.total_exports).reshape(G, N)[c, goods].sum()
            intermediates[year] = 100 * imported / exports
    participation = None  # item 75 then says why
    if has_wiod35(ctx.model(years[-1])):
        try:
            participation = participation_study(years, ctx.model)
        except ChainAtlasError:
            participation = None
    return {
        "years": years,
        "ends": ends,
        "hubs": hubs,
        "ict": ict,
        "regional": pd.concat(regional, ignore_index=True),
        "intermediates": intermediates,
        "positions": pd.concat(positions, ignore_index=True) if positions else pd.DataFrame(),
        "participation": participation,
    }


def _end_values(shared, prefix: str, per_year: dict, fn, unit: str) -> list[Value]:
    ends = shared["ends"]
    out = []
    for label, year, published_year in (("start", ends[0], 2000), ("end", ends[-1], 2017)):
        if year in per_year:
            v = Value(f"{prefix}_{label}", fn(per_year[year]), year, unit)
            v.published_year = published_year
            out.append(v)
    return out


def _hubs(shared) -> ItemResult:
    values = _end_values(shared, "asian_complex_supply_hub", shared["hubs"], _asian_hub, "hub")
    for year, hubs in shared["hubs"].items():
        supply = sorted(hubs[hubs["role"] == "supply"]["economy"])
        values.append(Value("complex_supply_hubs", ";".join(supply), year, "hubs"))
    ends = shared["ends"]
    reason = (
        f"table years {fmt_years(ends)} vs S4/GVCDR 2000 and 2017; WIOD 2013 lacks most of "
        "ASEAN (in RoW, which is no node)"
    )
    return ItemResult(68, RECONSTRUCTED, values, reason=reason,
                      method="WWYZ complex-GVC VA network; supply hub = largest supplier of "
                      ">= 3 importers (METHODS §9 link rule reconstructed, k_min 3)")  # fmt: skip


def _ict(shared) -> ItemResult:
    if not shared["ict"]:
        return needs_data(72, "the table has no WIOD-2013 sector c14 (electrical and optical)")

    def is_hub(hubs: pd.DataFrame) -> str:
        supply = hubs[hubs["role"] == "supply"]["economy"]
        return "yes" if "JPN" in set(supply) else "no"

    values = _end_values(shared, "japan_ict_supply_hub", shared["ict"], is_hub, "test")
    for year, hubs in shared["ict"].items():
        supply = hubs[hubs["role"] == "supply"]["economy"].tolist()
        values.append(Value("ict_complex_supply_hubs", ";".join(supply), year, "hubs"))
    return ItemResult(72, RECONSTRUCTED, values,
                      reason=f"ICT = WIOD c14 (electrical and optical equipment); table years "
                      f"{fmt_years(shared['ends'])} vs 2000/2017",
                      method="sector-level complex-GVC network: VA of c14 of each exporter "
                      "(va_network sectors=['c14']); hub rule as item 68")  # fmt: skip


def _regional(shared) -> ItemResult:
    frame = shared["regional"]
    values = [
        Value(f"intra_vax_share_{r}", 100 * v, int(y), "%")
        for (y, r), v in frame.set_index(["year", "region"])["value"].items()
    ]
    last = frame[frame["year"] == frame["year"].max()].set_index("region")["value"]
    test = "yes" if last.get("EAST_ASIA", np.nan) > last.get("USMCA", np.nan) else "no"
    values.append(Value("east_asia_more_regional_than_north_america", test,
                        int(frame["year"].max()), "test"))  # fmt: skip
    return ItemResult(69, COMPUTED, values,
                      reason="East Asia = CHN, JPN, KOR, TWN (HKG, MNG not in WIOD); member-sum",
                      method="intra-regional share of VA exports T (METHODS §15)")  # fmt: skip


def _intermediates(shared) -> ItemResult:
    values = [Value("china_intermediate_imports_over_goods_exports", v, y, "%")
              for y, v in shared["intermediates"].items()]  # fmt: skip
    if not values:
        return needs_data(71, "CHN or the WIOD-2013 goods sectors c1–c16 not in the table")
    return ItemResult(71, COMPUTED, values,
                      reason="S4 cites a McKinsey/WTO-type estimate (1990s, 2015) of unstated "
                      "definition; here Σ_t≠CHN Z_t,CHN / CHN exports of c1–c16",
                      method="MRIO intermediate imports / goods exports")  # fmt: skip


def _participation(shared) -> ItemResult:
    study = shared["participation"]
    if study is None:
        return needs_data(75, "the manufacturing groups need the WIOD-2013 35-sector codes")
    table = study.tables["participation"]
    years = shared["years"]
    values = []
    for indicator in ("gvc_forward", "gvc_backward"):
        series = table[("medhigh_tech_mfg", indicator)]
        for year, v in series.items():
            values.append(Value(f"china_medhigh_{indicator}", float(v), int(year), "%"))
    if len(years) > 1:
        for indicator, key in (("gvc_forward", "forward"), ("gvc_backward", "backward")):
            series = table[("medhigh_tech_mfg", indicator)]
            fell = "yes" if series.iloc[-1] < series.iloc[0] else "no"
            values.append(Value(f"china_medhigh_{key}_fell", fell, years[-1], "test",
                                note=f"{years[0]}→{years[-1]}"))  # fmt: skip
    return ItemResult(75, COMPUTED, values,
                      reason=f"table years {fmt_years(years)} vs S4's ADB MRIO 2010–2017",
                      method="WWYZ 2017a production-based participation, medium/high-tech = "
                      "c8, c9, c11–c15 (METHODS §5)")  # fmt: skip


def _position(shared) -> ItemResult:
    frame = shared["positions"]
    if frame.empty:
        return needs_data(77, "CHN/USA or sectors c13/c14 not in the table")
    values = [
        Value(f"gvc_position_{c}_{s}", float(v), int(y), "ratio")
        for (y, c, s), v in frame.set_index(["year", "country", "sector"])["value"].items()
    ]
    ends = shared["ends"]
    if len(ends) > 1:
        wide = frame.pivot_table(index=["sector", "year"], columns="country", values="value")
        rising = all(wide.loc[(s, ends[-1]), "CHN"] > wide.loc[(s, ends[0]), "CHN"]
                     for s in POSITION_SECTORS)  # fmt: skip
        closing = all(
            abs(wide.loc[(s, ends[-1]), "CHN"] - wide.loc[(s, ends[-1]), "USA"])
            < abs(wide.loc[(s, ends[0]), "CHN"] - wide.loc[(s, ends[0]), "USA"])
            for s in POSITION_SECTORS
        )
        values.append(Value("china_position_converging_on_usa",
                            "yes" if rising and closing else "no", ends[-1], "test",
                            note=f"rising {rising}, gap closing {closing}"))  # fmt: skip
    return ItemResult(77, COMPUTED, values,
                      reason="WIOD c13 machinery, c14 electrical and optical (S4: electrical, "
                      "machinery, computer/electronic/optical)",
                      method="GVC position GVCPs = PLv_GVC / PLy_GVC (METHODS §6.1)")  # fmt: skip


def _interdependence(ctx: StudyContext) -> ItemResult | None:
    if ctx.interdependence_series is None:
        return None
    from chainatlas.trade.interdependence import composite_interdependence, read_series

    result = composite_interdependence(read_series(ctx.interdependence_series))
    table = result.table
    values = [Value("d", float(v), int(y), "index") for y, v in zip(table["year"], table["d"],
                                                                       strict=True)]  # fmt: skip
    years = list(table["year"])
    d = dict(zip(years, table["d"], strict=True))
    if 2017 in d and 2018 in d and years[0] < 2017:
        test = "yes" if d[2017] > d[years[0]] and d[2018] < d[2017] else "no"
        values.append(Value("d_rises_with_dip_2018", test, 2018, "test"))
    return ItemResult(76, RECONSTRUCTED, values,
                      reason="normalisation unpublished; min–max over the sample years",
                      method="METHODS §12 reconstruction (weights 0.4/0.3/0.2/0.1)")  # fmt: skip


def _patents(ctx: StudyContext, shared) -> ItemResult | None:
    if ctx.patents is None or not shared:
        return None
    from chainatlas.indicators.participation import production_participation
    from chainatlas.studies.regression import panel_regression, read_panel_csv

    patents = read_panel_csv(ctx.patents, ("country", "year"), "patents")
    if "patents" not in patents.columns:
        return needs_data(80, "the patents CSV needs a column 'patents'")
    rows = []
    for year in shared["years"]:
        frame = production_participation(ctx.model(year), levels=("country",))
        wide = frame.pivot_table(index="country", columns="indicator", values="value")
        for country, r in wide.iterrows():
            if country != "ROW":
                rows.append((country, year, r["gvc_forward"] + r["gvc_backward"]))
    panel = pd.DataFrame(rows, columns=["country", "year", "participation"])
    panel = panel.merge(patents, on=["country", "year"], how="inner")
    if panel["country"].nunique() < 3:
        return needs_data(80, "fewer than 3 countries of the patents CSV are in the table")
    panel["log_patents"] = np.log1p(panel["patents"])
    panel["above_median"] = (panel["participation"] > panel["participation"].median()).astype(float)
    fit = panel_regression(
        panel,
        "log_patents",
        ["participation"],
        entity="country",
        time="year",
        interactions=[("participation", "above_median")],
    )
    est, se, p = fit.linear_combination(["participation", "participation:above_median"])
    values = [
        Value("participation_coefficient_above_median", est, None, "coef",
              note=f"se {se:.3g}, p {p:.3g}, n {fit.nobs}, clusters {fit.n_clusters}"),
        Value("participation_coefficient_below_median", fit.coef("participation"), None, "coef"),
    ]  # fmt: skip
    return ItemResult(
        80,
        RECONSTRUCTED,
        values,
        reason="the study states the claim without a specification",
        method=f"{fit.formula}; SE clustered by country (statsmodels)",
    )


def run(ctx: StudyContext) -> StudyReport:
    functions: dict = {}
    problems: list[str] = []
    shared = collect_shared(ctx, _collect, problems)
    if shared:
        functions = {68: _hubs, 69: _regional, 71: _intermediates, 72: _ict,
                     75: _participation, 77: _position}  # fmt: skip
    functions[76] = lambda _s: _interdependence(ctx)
    functions[80] = lambda s: _patents(ctx, s)
    items = run_items("s4", ctx, functions, shared)
    notes = [
        *problems,
        "S4 normalisation of the composite index (item 76) is unpublished: the report uses "
        "METHODS §12's reconstruction (min–max over the sample years, tariffs as 1 − norm)",
    ]
    return StudyReport("s4", ctx.describe(), items, notes)
