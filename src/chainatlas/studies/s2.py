"""S2 — Shen & Li (2023): new trends of GVC restructuring (METHODS §3, §5, §6.2, §9, §15).

Computed on an MRIO: 46 (shortening: international vs domestic segment of GVC production
length, world), 47 (regionalisation: intra-regional shares of GVC forward/backward links),
48 (servicification: services VA content of manufacturing exports, trade intensity), 50
(complex-GVC supply hubs), 52 (growth of Asian vs world intermediate exports), 53 (the
triangle: East Asian intermediates to China, China's final goods to the US/EU), 56 (VA of
East Asian economies absorbed in China's vs the US's final demand).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainatlas.indicators.length import production_length
from chainatlas.indicators.network import HubParameters, hub_list, va_network
from chainatlas.indicators.trends import regionalisation, servicification
from chainatlas.studies.common import (
    COMPUTED,
    EAST_ASIA,
    RECONSTRUCTED,
    ItemResult,
    StudyContext,
    StudyReport,
    Value,
    collect_shared,
    fmt_years,
    run_items,
)

ASIA = ("CHN", "JPN", "KOR", "TWN", "IDN", "IND")
EAST_ASIA_SUPPLIERS = ("JPN", "KOR", "TWN", "IDN", "HKG", "SGP", "MYS", "THA", "PHL", "VNM")
EU28 = ("AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC",
        "HUN", "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK",
        "SVN", "ESP", "SWE", "GBR")  # fmt: skip
REGIONS = {"EAST_ASIA": list(EAST_ASIA)}


def _mask(model, codes) -> np.ndarray:
    return np.array([c in codes for c in model.countries])


def _collect(ctx: StudyContext) -> dict:
    years = sorted(ctx.years)
    out = {"years": years, "length": [], "regional": [], "serv": [], "hubs": None,
           "intermediates": {}, "triangle": [], "final_market": []}  # fmt: skip
    for year in years:
        model = ctx.model(year)
        length = production_length(model, levels=("world",))
        out["length"].append(length[length["sector"] == "TOTAL"])
        regional = regionalisation(model, ["EU", "USMCA", "EAST_ASIA"], user_groups=REGIONS)
        out["regional"].append(regional)
        serv = servicification(model)
        out["serv"].append(serv[serv["level"].isin(["world", "world_sector_group"])])
        G, N = model.G, model.N
        Z = model.Z.reshape(G, N, G, N).sum(axis=(1, 3))
        foreign = Z - np.diag(np.diag(Z))
        asia = _mask(model, ASIA)
        out["intermediates"][year] = (foreign[asia].sum(), foreign.sum())
        if "CHN" in model.countries:
            c = model.countries.index("CHN")
            sup = _mask(model, EAST_ASIA_SUPPLIERS)
            to_china = foreign[sup, c].sum() / foreign[sup].sum()
            Y = np.asarray(model.Y).reshape(G, N, G).sum(axis=1)
            final_exports = Y[c].sum() - Y[c, c]
            west = _mask(model, ("USA", *EU28))
            to_west = Y[c, west].sum() / final_exports
            out["triangle"].append((year, 100 * to_china, 100 * to_west))
            if "USA" in model.countries:
                from chainatlas.indicators._common import workspace

                T = workspace(model).T
                u = model.countries.index("USA")
                vax = T[sup].sum() - np.trace(T[np.ix_(sup, sup)])
                out["final_market"].append(
                    (year, 100 * T[sup, c].sum() / vax, 100 * T[sup, u].sum() / vax)
                )
        if year == years[-1]:
            out["hubs"] = hub_list(va_network(model, HubParameters(types=("complex",))))
    for key in ("length", "regional", "serv"):
        out[key] = pd.concat(out[key], ignore_index=True)
    return out


def _shortening(shared) -> ItemResult:
    frame = shared["length"]
    ratio = frame[frame["indicator"] == "pl_gvc_intl_domestic_ratio_f"].set_index("year")["value"]
    values = [Value("world_pl_gvc_intl_domestic_ratio", float(v), int(y), "ratio")
              for y, v in ratio.items()]  # fmt: skip
    falls = int((ratio.diff() < 0).sum())
    steps = max(len(ratio) - 1, 0)
    values.append(Value("international_segment_shortened", f"{falls} of {steps} steps",
                        int(ratio.index.max()), "test"))  # fmt: skip
    return ItemResult(46, COMPUTED, values,
                      reason="S2 gives no number; 'shortened' = the international/domestic "
                      "ratio of PL_GVC (forward, world) fell between consecutive table years",
                      method="WWYZ 2017b lengths (METHODS §6.1–6.2)")  # fmt: skip


def _regionalisation(shared) -> ItemResult:
    frame = shared["regional"]
    keep = frame["indicator"].isin(["intra_gvc_forward_share", "intra_gvc_backward_share"])
    values = [Value(f"{r.indicator}_{r.region}", 100 * r.value, int(r.year), "%")
              for r in frame[keep].itertuples()]  # fmt: skip
    last = frame[keep & (frame["year"] == frame["year"].max())]
    above = bool((last["value"] > 0.5).all())
    values.append(Value("intra_regional_share_above_half", "yes" if above else "no",
                        int(frame["year"].max()), "test",
                        note="all regions, forward and backward"))  # fmt: skip
    return ItemResult(
        47,
        COMPUTED,
        values,
        reason="S2 states the finding qualitatively; EU = members at the table "
        "date; East Asia = CHN, JPN, KOR, TWN in WIOD",
        method="intra-regional share of WWYZ bilateral GVC flows (METHODS §15)",
    )


def _servicification(shared) -> ItemResult:
    frame = shared["serv"]
    world = frame[(frame["level"] == "world")]
    content = world[world["indicator"] == "services_content_of_mfg_exports"].set_index("year")
    values = [Value("world_services_content_of_mfg_exports", 100 * float(v), int(y), "%")
              for y, v in content["value"].items()]  # fmt: skip
    groups = frame[(frame["level"] == "world_sector_group")
                   & (frame["indicator"] == "trade_intensity")
                   & frame["sector"].isin(["manufacturing", "services"])]  # fmt: skip
    values += [Value(f"trade_intensity_{r.sector}", 100 * r.value, int(r.year), "%")
               for r in groups.itertuples()]  # fmt: skip
    series = content["value"]
    if len(series) > 1:
        values.append(Value("services_content_rising",
                            "yes" if series.iloc[-1] > series.iloc[0] else "no",
                            int(series.index.max()), "test"))  # fmt: skip
    return ItemResult(48, COMPUTED, values,
                      reason="S2 states the trend without numbers",
                      method="services (c19–c35) VA content of manufacturing exports; trade "
                      "intensity e/x (METHODS §15)")  # fmt: skip


def _hubs(shared) -> ItemResult:
    hubs = shared["hubs"]
    supply = sorted(hubs[hubs["role"] == "supply"]["economy"])
    year = shared["years"][-1]
    values = [Value("complex_supply_hubs", ";".join(supply), year, "hubs")]
    return ItemResult(
        50,
        RECONSTRUCTED,
        values,
        reason=f"table year {year}; hub rule of the GVCDR 2019 figure not "
        "published (METHODS §18 item 7)",
        method="largest-supplier graph of complex-GVC VA flows, k_min 3",
    )


def _intermediate_growth(shared) -> ItemResult:
    flows = shared["intermediates"]
    years = sorted(flows)
    if len(years) < 2:
        return ItemResult(52, COMPUTED, [], reason="growth needs at least two table years")
    start, end = years[0], years[-1]
    n = end - start
    asia = (flows[end][0] / flows[start][0]) ** (1 / n) - 1
    world = (flows[end][1] / flows[start][1]) ** (1 / n) - 1
    note = f"{start}–{end}"
    values = [
        Value("asia_intermediate_exports_cagr_1995_2009", 100 * asia, end, "%/yr", note),
        Value("world_intermediate_exports_cagr_1995_2009", 100 * world, end, "%/yr", note),
    ]
    window = "" if (start, end) == (1995, 2009) else f"; window {note}, S2 1995–2009"
    return ItemResult(52, COMPUTED, values,
                      reason="WTO figure from goods trade by BEC; here MRIO intermediate "
                      f"exports; Asia = {', '.join(ASIA)} (others in RoW){window}",
                      method="CAGR of Σ_r≠s u'Z_sr (current USD)")  # fmt: skip


def _triangle(shared) -> ItemResult:
    rows = shared["triangle"]
    values = []
    for year, to_china, to_west in rows:
        values.append(Value("east_asia_intermediates_to_china_share", to_china, year, "%"))
        values.append(Value("china_final_exports_to_us_eu_share", to_west, year, "%"))
    if len(rows) > 1:
        rising = rows[-1][1] > rows[0][1]
        values.append(Value("china_assembly_triangle_rising", "yes" if rising else "no",
                            rows[-1][0], "test",
                            note="East Asian intermediates going to China rose"))  # fmt: skip
    return ItemResult(
        53,
        COMPUTED,
        values,
        reason="S2 is qualitative; East Asian suppliers present in the table "
        "(WIOD: JPN, KOR, TWN, IDN)",
        method="MRIO Z (intermediates) and Y (final goods) by partner",
    )


def _final_market(shared) -> ItemResult:
    rows = shared["final_market"]
    values = []
    for year, china, usa in rows:
        values.append(Value("east_asia_vax_absorbed_in_china", china, year, "%"))
        values.append(Value("east_asia_vax_absorbed_in_usa", usa, year, "%"))
    if rows:
        year, china, usa = rows[-1]
        values.append(Value("china_overtakes_usa_as_east_asia_final_market",
                            "yes" if china > usa else "no", year, "test"))  # fmt: skip
    return ItemResult(56, COMPUTED, values,
                      reason="S2 states the shift without numbers; East Asia = suppliers "
                      "present in the table excl. CHN",
                      method="share of East Asia's VA exports absorbed by CHN / USA final "
                      "demand, T = V̂BY (METHODS §3)")  # fmt: skip


def run(ctx: StudyContext) -> StudyReport:
    functions: dict = {}
    problems: list[str] = []
    shared = collect_shared(ctx, _collect, problems)
    if shared:
        functions = {46: _shortening, 47: _regionalisation, 48: _servicification, 50: _hubs,
                     52: _intermediate_growth, 53: _triangle, 56: _final_market}  # fmt: skip
    items = run_items("s2", ctx, functions, shared)
    notes = problems + ([f"table years {fmt_years(shared['years'])}"] if shared else [])
    return StudyReport("s2", ctx.describe(), items, notes)
