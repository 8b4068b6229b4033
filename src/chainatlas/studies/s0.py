"""S0 — 全球产业链课题组, "seven dimensions": product-level vulnerability (METHODS §10), the
UNCTAD 2 % shock (§14), the paradox regression (§11) and embodied carbon (§15).

Product items (3, 5–7, 9, 10, 12, 14, 24, 25) need a trade store (``--trade-db``); they run
on whatever years and exporters it holds and say so (the window is 2017–2018 when loaded,
else every loaded year). §10.4 centrality, the §10.5 thresholds and the §10.6 composite
index are reconstructions: the report names the variant (Freeman centralisation, top
quartile, import-weighted sum of percentile products) — none is tuned to S0's numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainatlas.errors import ChainAtlasError
from chainatlas.indicators._common import WIOD35_SECTOR_GROUPS
from chainatlas.studies.common import (
    COMPUTED,
    RECONSTRUCTED,
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

S0_WINDOW = (2017, 2018)
CASE_COUNTRIES = ("JPN", "KOR", "USA", "GBR", "FRA", "DEU", "ITA")
MANUFACTURING = WIOD35_SECTOR_GROUPS["manufacturing"]
MEDHIGH = set(WIOD35_SECTOR_GROUPS["medhigh_tech_mfg"])
CENTRALITY_METHOD = (
    "centrality = Freeman weighted out-strength centralisation (METHODS §10.4 default), high = "
    "top quartile (§10.5 inferred)"
)


# --- trade ---------------------------------------------------------------------------------
def _trade_setup(ctx: StudyContext) -> dict:
    from chainatlas.trade.end_use import end_use_universe

    store = ctx.store()
    vintage = store.resolve_vintage(None)
    loaded = store.years(vintage)
    window = [y for y in S0_WINDOW if y in loaded] or loaded
    if ctx.trade_years:
        window = [y for y in ctx.trade_years if y in loaded]
        if not window:
            raise ChainAtlasError(
                f"none of the trade years {list(ctx.trade_years)} is in the store ({loaded})"
            )
    universe = end_use_universe(ctx.end_use_concordance, vintage, ctx.concordances)
    sizes = store.sql(
        "SELECT count(DISTINCT exporter) AS n, count(DISTINCT hs6) AS p FROM flows "
        f"WHERE vintage = '{vintage}' AND year IN ({', '.join(map(str, window))})"
    ).iloc[0]
    reason = (
        f"trade store {vintage} {fmt_years(window)}: {sizes['n']} exporters, {sizes['p']} HS6 "
        "lines traded"
        + ("" if list(window) == list(S0_WINDOW) else "; S0 uses BACI HS12 2017–2018")
        + f"; universe: {universe.describe()}"
    )
    return {"store": store, "vintage": vintage, "window": window, "universe": universe,
            "reason": reason}  # fmt: skip


def _trade_items(ctx: StudyContext) -> dict[int, object]:
    from chainatlas.trade.indicators import (
        end_use_composition,
        exporter_shares,
        topk_counts,
        vulnerability_screen,
    )

    t = _trade_setup(ctx)
    store, vintage, window, universe, reason = (t[k] for k in ("store", "vintage", "window",
                                                                 "universe", "reason"))  # fmt: skip
    functions: dict[int, object] = {}

    counts = topk_counts(store, window, k=3, vintage=vintage, universe=universe)
    high = topk_counts(store, window, k=3, vintage=vintage, universe=universe,
                       high_centrality_quantile=0.75)  # fmt: skip
    n_products = int(counts["n_products"].iloc[0]) if len(counts) else 0

    def row(frame: pd.DataFrame, country: str) -> pd.Series | None:
        sel = frame[frame["exporter"] == country]
        return sel.iloc[0] if len(sel) else None

    functions[5] = lambda _s: ItemResult(
        5, COMPUTED,
        [Value("n_intermediate_products", n_products, window[-1], "lines",
               note=f"{universe.concordance}")],
        reason=reason, method="intermediate HS6 lines with trade in the window (METHODS §10.1)",
    )  # fmt: skip
    chn = row(counts, "CHN")
    functions[6] = lambda _s: (
        ItemResult(6, COMPUTED, [Value("china_n_top3", int(chn["n_topk"]), window[-1],
                                       "lines")], reason=reason,
                   method="rank on the value summed over the window (METHODS §10.2)")
        if chn is not None else needs_data(6, f"CHN exports nothing in the store ({reason})")
    )  # fmt: skip
    chn_high = row(high, "CHN")

    def item7(_s):
        if chn_high is None:
            return needs_data(7, f"CHN exports no high-centrality product ({reason})")
        rank = int((high["n_exported"] > chn_high["n_exported"]).sum()) + 1
        values = [
            Value("china_n_high_centrality", int(chn_high["n_exported"]), window[-1], "lines",
                  note=f"rank {rank} among exporters by this count"),
            Value("china_n_high_centrality_top3", int(chn_high["n_topk"]), window[-1], "lines"),
            Value("china_n_first_both_years", int(chn_high["n_first_every_year"]), window[-1],
                  "lines"),
        ]  # fmt: skip
        return ItemResult(
            7,
            RECONSTRUCTED,
            values,
            reason=reason,
            method=CENTRALITY_METHOD + f"; threshold {high.attrs['centrality_threshold']:.4f} over "
            f"{high.attrs['n_high_centrality']} high-centrality lines",
        )

    functions[7] = item7

    def item3(_s):
        if chn_high is None or chn_high["n_exported"] == 0:
            return needs_data(3, f"CHN exports no high-centrality product ({reason})")
        share = 100 * chn_high["n_topk"] / chn_high["n_exported"]
        return ItemResult(3, RECONSTRUCTED,
                          [Value("share_high_centrality_top3", float(share), window[-1], "%")],
                          reason=reason, method="top-3 share among the high-centrality lines "
                          "China exports; " + CENTRALITY_METHOD)  # fmt: skip

    functions[3] = item3
    screen_year = [window[0]]

    def screen(importer: str):
        return vulnerability_screen(store, importer, screen_year, vintage=vintage,
                                    universe=universe)  # fmt: skip

    def item10(_s):
        try:
            result = screen("CHN")
        except ChainAtlasError as exc:
            return needs_data(10, f"{exc} ({reason})")
        classes = result.classes.set_index("vclass")
        values = [Value(f"china_class{k}", int(classes.loc[k, "n_products"]), screen_year[0],
                        "lines") for k in (1, 2, 3, 4)]  # fmt: skip
        values.append(Value("china_n_imported", int(classes["n_products"].sum()),
                            screen_year[0], "lines"))  # fmt: skip
        values.append(Value("china_class4_value_share", 100 * float(classes.loc[4, "share_value"]),
                            screen_year[0], "%"))  # fmt: skip
        for v in values:
            v.published_year = 2017
        return ItemResult(10, RECONSTRUCTED, values, reason=reason,
                          method=CENTRALITY_METHOD + "; high HHI = top quartile of the "
                          "importer's products (METHODS §10.5)")  # fmt: skip

    functions[10] = item10

    def top_chapters(importer: str) -> list[str]:
        chapters = screen(importer).chapters
        return list(chapters.sort_values("rank")["hs2"].astype(str))

    def item9(_s):
        try:
            chapters = screen("CHN").chapters.sort_values("rank")
        except ChainAtlasError as exc:
            return needs_data(9, f"{exc} ({reason})")
        top = list(chapters["hs2"].astype(str))[:3]
        cvi = chapters.set_index(chapters["hs2"].astype(str))["cvi"]
        others = [cvi.get(h, np.nan) for h in ("84", "90")]
        ratio = float(cvi.get("85", np.nan) / np.nanmax(others)) if not all(
            np.isnan(others)) else None  # fmt: skip
        values = [
            Value("china_top3_hs2", ";".join(top), screen_year[0], "HS2"),
            Value("china_cvi_85_over_max_84_90", ratio, screen_year[0], "ratio"),
        ]
        return ItemResult(9, RECONSTRUCTED, values, reason=reason,
                          method="CVI_h = Σ_p∈h (M_p/M) P(Cent_p)·P(HHI_p) (METHODS §10.6 "
                          "reconstruction; S0's formula unpublished)")  # fmt: skip

    functions[9] = item9

    def item12(_s):
        values, missing = [], []
        for country in CASE_COUNTRIES:
            try:
                chapters = top_chapters(country)
            except ChainAtlasError:
                missing.append(country)
                continue
            values.append(Value(f"top_hs2_{country}", chapters[0], screen_year[0], "HS2"))
            if country == "FRA" and len(chapters) > 2:
                values.append(Value("third_hs2_FRA", chapters[2], screen_year[0], "HS2"))
        if not values:
            return needs_data(12, f"none of {', '.join(CASE_COUNTRIES)} imports in the store")
        extra = f"; no imports in the store for {', '.join(missing)}" if missing else ""
        return ItemResult(
            12,
            RECONSTRUCTED,
            values,
            reason=reason + extra,
            method="top CVI chapter per importer (METHODS §10.6 reconstruction)",
        )

    functions[12] = item12

    def item24(_s):
        year = max(store.years(vintage))
        shares = exporter_shares(store, [year], vintage=vintage, universe="all")
        china = store.sql(
            f"SELECT importer, sum(value) AS value FROM flows WHERE vintage = '{vintage}' "
            f"AND year = {year} AND exporter = 'CHN' GROUP BY importer ORDER BY value DESC"
        )
        del shares
        if china.empty:
            return needs_data(24, f"no CHN exports in the store in {year} ({reason})")
        ranks = {c: i + 1 for i, c in enumerate(china["importer"])}
        values = [
            Value("vnm_rank_among_china_destinations", ranks.get("VNM"), year, "rank"),
            Value("kor_rank_among_china_destinations", ranks.get("KOR"), year, "rank"),
        ]
        for v in values:
            v.published_year = 2020
        return ItemResult(
            24,
            COMPUTED,
            values,
            reason=f"store year {year} (S0: 2020); " + reason,
            method="rank of partners in China's exports (all HS6)",
        )

    functions[24] = item24

    def item25(_s):
        try:
            frame = end_use_composition(store, "CHN", "VNM", window, vintage=vintage)
        except ChainAtlasError as exc:
            return needs_data(25, f"{exc} ({reason})")
        if frame.empty:
            return needs_data(25, f"no CHN→VNM flows in the store ({reason})")
        inter = frame[frame["end_use"] == "intermediate"]
        key = "china_exports_to_vnm_intermediate_share"
        values = [Value(key, 100 * float(r.share), int(r.year), "%") for r in inter.itertuples()]
        return ItemResult(25, COMPUTED, values, reason=reason + " (store's UNSD end uses)",
                          method="BEC end-use split of CHN→VNM exports")  # fmt: skip

    functions[25] = item25

    def item14(_s):
        if ctx.distances is None:
            return needs_data(14, "political-distance CSV not given (--distances)")
        from chainatlas.trade.indicators import political_risk, read_distance_table

        table = read_distance_table(ctx.distances)
        out = {}
        for country in ("CHN", "USA"):
            try:
                out[country] = political_risk(store, country, table, screen_year,
                                              vintage=vintage, universe=universe)  # fmt: skip
            except ChainAtlasError as exc:
                return needs_data(14, f"{country}: {exc}")
        chn, usa = out["CHN"], out["USA"]
        values = [
            Value("r_econ_CHN", chn["r_econ"], screen_year[0]),
            Value("r_econ_USA", usa["r_econ"], screen_year[0]),
            Value("r_econ_CHN_below_USA", "yes" if chn["r_econ"] < usa["r_econ"] else "no",
                  screen_year[0], "test"),
            Value("relative_increase_CHN_above_USA",
                  "yes" if chn["relative_increase"] > usa["relative_increase"] else "no",
                  screen_year[0], "test"),
        ]  # fmt: skip
        return ItemResult(14, RECONSTRUCTED, values, reason=reason,
                          method="METHODS §10.8 reconstruction, λ = 1")  # fmt: skip

    functions[14] = item14
    return functions


# --- MRIO ----------------------------------------------------------------------------------
def _unctad(ctx: StudyContext, year: int) -> ItemResult:
    from chainatlas.scenarios import run_scenario

    model = ctx.model(year)
    if "CHN" not in model.countries:
        return needs_data(8, "CHN is not in the table")
    if not has_wiod35(model):
        return needs_data(8, SECTOR_CODES_REASON + " (manufacturing c3–c16)")
    G, N = model.G, model.N
    c = model.countries.index("CHN")
    mfg = [model.sector_position(s) for s in MANUFACTURING if s in model.sectors]
    Z = model.Z.reshape(G, N, G, N)[:, mfg].sum(axis=(1, 3))  # supplier x user, mfg goods
    foreign = Z - np.diag(np.diag(Z))
    share = 100 * foreign[c].sum() / foreign.sum()
    spec = {
        "scenario": {"name": "S0 item 8: China intermediate exports -2%"},
        "table": {"source": model.source, "year": year},
        "outputs": {"groups": ["EU28" if year < 2020 else "EU27"]},
        "shocks": [{"id": "chn_minus2", "kind": "supply_cut", "suppliers": ["CHN"],
                    "users": "FOREIGN", "flows": "intermediate", "change": -0.02,
                    "propagation": "leontief"}],
    }  # fmt: skip
    result = run_scenario(spec, model=model)
    country = result.tables["country"]
    exports = country[country["measure"] == "exports"].set_index("country")["change"]
    others = exports.drop([k for k in ("CHN", "ROW") if k in exports.index]).sum()
    eu = [m for m in _eu(year) if m in exports.index]
    values = [
        Value("china_share_world_mfg_intermediate_exports", float(share), year, "%"),
        Value("loss_exports_other_economies", float(others), year, "USD m"),
        Value("loss_exports_EU", float(exports[eu].sum()), year, "USD m"),
        Value("loss_exports_USA", float(exports.get("USA", np.nan)), year, "USD m"),
        Value("loss_exports_JPN", float(exports.get("JPN", np.nan)), year, "USD m"),
    ]
    return ItemResult(8, RECONSTRUCTED, values,
                      reason=f"table year {year} (UNCTAD: 2018–19 trade, 45 economies); "
                      "UNCTAD's method unpublished (METHODS §14: tolerance ±30 %)",
                      method="A_CHN,r × 0.98 for r ≠ CHN, Leontief propagation (scenarios "
                      "supply_cut); share = CHN's foreign sales of c3–c16 intermediates / "
                      "world")  # fmt: skip


def _eu(year: int) -> list[str]:
    from chainatlas.core.groups import registry_with

    return list(registry_with(None).resolve("EU28", ("ROW",), year).members)


def paradox_panel(ctx: StudyContext) -> pd.DataFrame:
    """sector, year, fd (imported-input share), pos (GVC position), tech, log_output for
    China's manufacturing sectors (METHODS §11)."""
    from chainatlas.indicators.length import production_length

    rows = []
    for year in sorted(ctx.years):
        model = ctx.model(year)
        if "CHN" not in model.countries:
            continue
        G, N = model.G, model.N
        c = model.countries.index("CHN")
        Zc = model.Z.reshape(G, N, G, N)[:, :, c, :].sum(axis=1)  # (G supplier, N user)
        inputs = Zc.sum(axis=0)
        imported = inputs - Zc[c]
        length = production_length(model, levels=("country_sector",), keep_parts=False)
        pos = length[(length["country"] == "CHN") & (length["indicator"] == "gvc_position")]
        pos = pos.set_index("sector")["value"]
        x = np.asarray(model.x).reshape(G, N)[c]
        for code in MANUFACTURING:
            if code not in model.sectors:
                continue
            j = model.sector_position(code)
            fd = imported[j] / inputs[j] if inputs[j] > 0 else np.nan
            rows.append((code, year, fd, pos.get(code, np.nan), float(code in MEDHIGH),
                         np.log(x[j]) if x[j] > 0 else np.nan))  # fmt: skip
    return pd.DataFrame(rows, columns=["sector", "year", "fd", "pos", "tech", "log_output"])


def _paradox(ctx: StudyContext) -> ItemResult:
    from chainatlas.studies.regression import panel_regression, read_panel_csv

    years = sorted(ctx.years)
    if len(years) < 2:
        return needs_data(13, "the sector-year panel needs at least two table years")
    if not has_wiod35(ctx.model(years[-1])):
        return needs_data(13, SECTOR_CODES_REASON + " (manufacturing c3–c16)")
    panel = paradox_panel(ctx)
    if panel.empty:
        return needs_data(13, "CHN is not in the table")
    controls = ["log_output"]
    if ctx.controls is not None:
        extra = read_panel_csv(ctx.controls, ("sector", "year"), "controls")
        panel = panel.merge(extra, on=["sector", "year"], how="left")
        controls += [c for c in extra.columns if c not in ("sector", "year")]
    fit = panel_regression(panel, "fd", ["pos"], entity="sector", time="year",
                           controls=controls, interactions=[("pos", "tech")])  # fmt: skip
    est, se, p = fit.linear_combination(["pos", "pos:tech"])
    b1 = fit.coefficients.set_index("term").loc["pos"]
    values = [
        Value("beta_pos_plus_interaction", est, years[-1], "coef",
              note=f"se {se:.3g}, p {p:.3g}"),
        Value("beta_pos", float(b1["coef"]), years[-1], "coef",
              note=f"se {b1['se']:.3g}, p {b1['p']:.3g}"),
        Value("n_observations", fit.nobs, years[-1], "obs",
              note=f"{fit.n_clusters} sector clusters, R² {fit.r2:.3f}"),
    ]  # fmt: skip
    return ItemResult(13, RECONSTRUCTED, values,
                      reason=f"S0's specification unpublished; years {fmt_years(years)}; "
                      f"controls: {', '.join(controls)}",
                      method=f"{fit.formula}; FD = imported share of intermediate inputs, POS = "
                      "PLv_GVC/PLy_GVC (METHODS §11, §6.1); SE clustered by sector "
                      "(statsmodels)")  # fmt: skip


def _carbon(ctx: StudyContext) -> ItemResult:
    from chainatlas.indicators.trends import satellite_footprint

    values = []
    for year in sorted(ctx.years):
        model = ctx.model(year)
        frame = satellite_footprint(model, ctx.satellite, name="co2")
        sel = frame[(frame["country"] == "CHN")
                    & (frame["indicator"] == "co2_embodied_in_exports")]  # fmt: skip
        if len(sel):
            values.append(Value("china_co2_embodied_in_exports", float(sel["value"].iloc[0]),
                                year, "satellite units"))  # fmt: skip
    if len(values) > 1:
        fell = values[-1].computed < max(v.computed for v in values[:-1])
        values.append(Value("china_export_co2_has_begun_to_fall", "yes" if fell else "no",
                            values[-1].year, "test"))  # fmt: skip
    return ItemResult(
        1,
        COMPUTED,
        values,
        reason="S0 states a direction, not a number",
        method="EEX = Σ_t f_t B_ts e_s* (METHODS §15)",
    )


def run(ctx: StudyContext) -> StudyReport:
    functions: dict = {}
    notes = [
        "S0 §10.4–10.6 (centrality, thresholds, composite index) are reconstructions: "
        "Freeman centralisation, top-quartile thresholds, CVI = import-weighted sum of "
        "P(Cent)·P(HHI); S0's own formulas are unpublished and no parameter is set to match "
        "its counts",
    ]
    if ctx.has_table:
        functions[8] = lambda _s: _unctad(ctx, sorted(ctx.years)[-1])
        functions[13] = lambda _s: _paradox(ctx)
        if ctx.satellite is not None:
            functions[1] = lambda _s: _carbon(ctx)
    if ctx.trade_db is not None:
        try:
            functions.update(_trade_items(ctx))
        except ChainAtlasError as exc:
            # the store cannot serve the product items (e.g. no intermediate line traded):
            # each of them says why instead of the whole report failing
            message = f"trade store {ctx.trade_db}: {exc}"
            for item in (3, 5, 6, 7, 9, 10, 12, 14, 24, 25):
                functions[item] = lambda _s, item=item: needs_data(item, message)
        notes.append(f"end-use concordance for the intermediate universe: "
                     f"{ctx.end_use_concordance}")  # fmt: skip
    elif ctx.concordances is not None:
        functions[5] = lambda _s: _universe_only(ctx)
    items = run_items("s0", ctx, functions, None)
    return StudyReport("s0", ctx.describe(), items, notes)


def _universe_only(ctx: StudyContext) -> ItemResult:
    """Without trade data: the concordance's intermediate lines (an upper bound)."""
    from chainatlas.trade.end_use import end_use_universe

    universe = end_use_universe(ctx.end_use_concordance, "HS12", ctx.concordances)
    return ItemResult(5, COMPUTED,
                      [Value("n_intermediate_products", len(universe.codes), None, "lines",
                             note=f"HS12 lines in the concordance ({ctx.end_use_concordance})")],
                      reason="no trade data: lines in the concordance, an upper bound for "
                      "lines traded; load BACI HS12 2017–2018 (--trade-db) for the count",
                      method=universe.describe())  # fmt: skip
