"""Optional report sections: the product screen (``--trade-db``) and a scenario (``--scenario``).

Both take their numbers unchanged from the packages that compute them:
:func:`chainatlas.trade.indicators.vulnerability_screen` and
:func:`chainatlas.scenarios.run_scenario` (Leontief quantity and price models).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from chainatlas.errors import ChainAtlasError
from chainatlas.reporting import names
from chainatlas.reporting.charts import (
    PALETTE,
    Chart,
    ReportContext,
    _layout,
    axis,
    units_label,
)

CLASS_COLOURS = {1: "#d62728", 2: "#ff7f0e", 3: "#9467bd", 4: "#7f7f7f"}
TOP_CHAPTERS = 15
TOP_ECONOMIES = 15
MAX_SHOCKS = 4


# ----------------------------------------------------------------------------- product screen
def trade_screen(ctx: ReportContext, trade_db: Path):
    """The focus economy's vulnerability screen from the trade database (latest year)."""
    from chainatlas.trade import open_store
    from chainatlas.trade.indicators import vulnerability_screen

    if not trade_db.exists():
        raise ChainAtlasError("trade database not found", path=str(trade_db))
    store = open_store(trade_db)
    try:
        result = vulnerability_screen(store, ctx.focus)
    finally:
        store.close()
    return result


def trade_charts(ctx: ReportContext, trade_db: Path) -> list[Chart]:
    result = trade_screen(ctx, trade_db)
    year = max(result.years)
    products = result.products[result.products["year"] == year].reset_index(drop=True)
    chapters = result.chapters[result.chapters["year"] == year].reset_index(drop=True)
    source = {lang: f"{trade_db.name}, {result.vintage}, {year}" for lang in names.LANGUAGES}
    quadrant = product_quadrant_chart(ctx, products, source)
    ranking = hs2_ranking_chart(ctx, chapters, source)
    classes = result.classes[result.classes["year"] == year].set_index("vclass")
    top = chapters.sort_values("rank").iloc[0]["hs2"] if len(chapters) else "–"
    ctx.extras["trade_summary"] = {
        lang: names.text(
            "summary.trade",
            lang,
            year=year,
            vintage=result.vintage,
            n=len(products),
            n1=int(classes.loc[1, "n_products"]) if 1 in classes.index else 0,
            share1=f"{100 * classes.loc[1, 'share_value']:.1f}%" if 1 in classes.index else "–",
            top=names.hs2(top, lang),
        )
        for lang in names.LANGUAGES
    }
    return [quadrant, ranking]


def product_quadrant_chart(
    ctx: ReportContext, products: pd.DataFrame, source: dict[str, str]
) -> Chart:
    """Export centrality (x) against the focus economy's import HHI (y), one point per HS6
    product, coloured by class, with the two 75th-percentile thresholds."""
    columns = [
        "year", "hs6", "hs2", "import_value", "centrality", "hhi", "top_supplier", "top_share",
        "vclass",
    ]  # fmt: skip
    data = products[columns].sort_values(["vclass", "hs6"]).reset_index(drop=True)
    chart = Chart(key="product_screen", data=data, section="trade")
    cent_threshold = float(products["centrality_threshold"].iloc[0]) if len(products) else np.nan
    hhi_threshold = float(products["hhi_threshold"].iloc[0]) if len(products) else np.nan
    sizes = 4 + 16 * np.sqrt(data["import_value"] / max(float(data["import_value"].max()), 1.0))
    for lang in names.LANGUAGES:
        fig = go.Figure()
        for vclass in (1, 2, 3, 4):
            part = data["vclass"] == vclass
            fig.add_trace(
                go.Scatter(
                    x=data.loc[part, "centrality"],
                    y=data.loc[part, "hhi"],
                    mode="markers",
                    name=names.text(f"class.{vclass}", lang),
                    marker={"size": sizes[part], "color": CLASS_COLOURS[vclass], "opacity": 0.6},
                    text=data.loc[part, "hs6"],
                    customdata=np.stack(
                        [
                            data.loc[part, "import_value"],
                            [names.country(c, lang) for c in data.loc[part, "top_supplier"]],
                        ],
                        axis=1,
                    )
                    if part.any()
                    else None,
                    hovertemplate="HS %{text}<br>"
                    + names.text("label.centrality", lang)
                    + ": %{x:.3f}<br>"
                    + names.text("label.hhi", lang)
                    + ": %{y:.3f}<br>"
                    + names.text("label.import_value", lang)
                    + ": %{customdata[0]:,.0f}<br>"
                    + names.text("label.top_supplier", lang)
                    + ": %{customdata[1]}<extra></extra>",
                )
            )
        for value, direction in ((cent_threshold, "x"), (hhi_threshold, "y")):
            if np.isfinite(value):
                line = {"line_dash": "dot", "line_color": "#555"}
                if direction == "x":
                    fig.add_vline(x=value, **line)
                else:
                    fig.add_hline(y=value, **line)
        _layout(
            fig,
            lang,
            height=520,
            xaxis=axis("centrality", lang),
            yaxis=axis("hhi", lang),
        )
        table = data.assign(
            hs2=[names.hs2(h, lang) for h in data["hs2"]],
            top_supplier=[names.country(c, lang) for c in data["top_supplier"]],
            vclass=[names.text(f"class.{c}", lang) for c in data["vclass"]],
        )
        table.columns = [
            names.text("label.year", lang),
            names.text("label.hs6", lang),
            names.text("label.hs2", lang),
            names.text("label.import_value", lang),
            names.text("label.centrality", lang),
            names.text("label.hhi", lang),
            names.text("label.top_supplier", lang),
            names.text("label.top_share", lang),
            names.text("label.class", lang),
        ]
        chart.figures[lang] = fig
        chart.tables[lang] = table
        chart.titles[lang] = names.text(
            "title.product_screen", lang, country=names.country(ctx.focus, lang)
        )
        chart.notes[lang] = names.text(
            "note.product_screen",
            lang,
            source=source[lang],
            country=names.country(ctx.focus, lang),
        )
    return chart


def hs2_ranking_chart(ctx: ReportContext, chapters: pd.DataFrame, source: dict[str, str]) -> Chart:
    """The ``TOP_CHAPTERS`` HS chapters with the highest composite vulnerability CVI."""
    data = (
        chapters.sort_values(["rank", "hs2"])
        .head(TOP_CHAPTERS)[
            ["year", "hs2", "cvi", "rank", "n_products", "n_class1", "import_value"]
        ]
        .reset_index(drop=True)
    )
    chart = Chart(key="hs2_ranking", data=data, section="trade")
    shown = data.iloc[::-1]  # largest at the top of a horizontal bar chart
    for lang in names.LANGUAGES:
        fig = go.Figure(
            go.Bar(
                x=shown["cvi"],
                y=[names.hs2(h, lang) for h in shown["hs2"]],
                orientation="h",
                marker_color=PALETTE[3],
                hovertemplate="%{y}: %{x:.4f}<extra></extra>",
            )
        )
        _layout(
            fig,
            lang,
            height=120 + 28 * len(data),
            xaxis=axis("cvi", lang),
            yaxis=axis("hs2", lang) | {"automargin": True},
            margin={"l": 20, "r": 20, "t": 30, "b": 50},
        )
        table = data.assign(hs2=[names.hs2(h, lang) for h in data["hs2"]])
        table.columns = [
            names.text("label.year", lang),
            names.text("label.hs2", lang),
            names.text("label.cvi", lang),
            "rank",
            names.text("label.n_products", lang),
            names.text("class.1", lang),
            names.text("label.import_value", lang),
        ]
        chart.figures[lang] = fig
        chart.tables[lang] = table
        chart.titles[lang] = names.text(
            "title.hs2_ranking", lang, country=names.country(ctx.focus, lang)
        )
        chart.notes[lang] = names.text("note.hs2_ranking", lang, source=source[lang])
    return chart


# ----------------------------------------------------------------------------- scenario
def scenario_charts(
    ctx: ReportContext,
    scenario: Path,
    data_path: str | os.PathLike[str] | None = None,
) -> list[Chart]:
    """Impact bars for each shock of the scenario file (at most ``MAX_SHOCKS``)."""
    from chainatlas.scenarios import run_scenario

    if not scenario.exists():
        raise ChainAtlasError("scenario file not found", path=str(scenario))
    result = run_scenario(scenario, path=data_path)
    charts: list[Chart] = []
    country = result.tables.get("country")
    prices = result.tables.get("prices_country")
    shocks = [shock.id for shock in result.spec.shocks][:MAX_SHOCKS]
    for index, shock in enumerate(shocks):
        if country is not None and (country["shock"] == shock).any():
            charts.append(
                quantity_impact_chart(ctx, country[country["shock"] == shock], scenario, index)
            )
        elif prices is not None and (prices["shock"] == shock).any():
            charts.append(
                price_impact_chart(ctx, prices[prices["shock"] == shock], scenario, index)
            )
    # the scenario's own name and description, as written in its file (not translated)
    described = f"{result.spec.name}: {(result.spec.description or '').strip()}".strip(": ")
    ctx.extras["scenario_summary"] = {lang: described for lang in names.LANGUAGES}
    return charts


def quantity_impact_chart(
    ctx: ReportContext, rows: pd.DataFrame, scenario: Path, index: int
) -> Chart:
    """Change in gross exports and in value added of the economies most affected (by |Δ
    exports|), from the scenario's country table; the focus economy is always shown."""
    year = int(rows["year"].max())
    rows = rows[rows["year"] == year]
    exports = rows[rows["measure"] == "exports"].set_index("country")["change"]
    order = exports.abs().sort_values(ascending=False).index[:TOP_ECONOMIES].tolist()
    if ctx.focus in exports.index and ctx.focus not in order:
        order.append(ctx.focus)
    measures = ["exports", "gdp"]
    data = rows[rows["measure"].isin(measures) & rows["country"].isin(order)][
        [
            "shock",
            "year",
            "country",
            "measure",
            "base",
            "change",
            "pct_change",
            "direct",
            "indirect",
        ]
    ]
    rank = {c: i for i, c in enumerate(order)}
    data = data.sort_values(
        ["measure", "country"], key=lambda s: s.map(rank) if s.name == "country" else s
    ).reset_index(drop=True)
    shock = str(rows["shock"].iloc[0])
    chart = Chart(key=f"scenario_{index + 1}", data=data, section="scenario")
    for lang in names.LANGUAGES:
        fig = go.Figure()
        for i, measure in enumerate(measures):
            part = data[data["measure"] == measure].set_index("country").reindex(order)
            fig.add_trace(
                go.Bar(
                    x=[names.country(c, lang) for c in order],
                    y=part["change"],
                    name=names.text(f"measure.{measure}", lang),
                    marker_color=PALETTE[i],
                    customdata=part["pct_change"],
                    hovertemplate="%{x}: %{y:,.1f} (%{customdata:.3f}%)<extra></extra>",
                )
            )
        units = units_label(ctx.units, lang)
        _layout(
            fig,
            lang,
            height=440,
            barmode="group",
            yaxis={"title": {"text": names.text("label.change_usd", lang, units=units)}},
            xaxis=axis("economy", lang),
        )
        table = data.assign(
            country=[names.country(c, lang) for c in data["country"]],
            measure=[names.text(f"measure.{m}", lang) for m in data["measure"]],
        )
        table.columns = [
            "shock",
            names.text("label.year", lang),
            names.text("label.country", lang),
            names.text("label.measure", lang),
            names.text("label.value", lang),
            names.text("label.change_usd", lang, units=units),
            names.text("label.pct_change", lang),
            names.text("label.direct", lang),
            names.text("label.indirect", lang),
        ]
        chart.figures[lang] = fig
        chart.tables[lang] = table
        chart.titles[lang] = names.text("title.scenario", lang, name=shock)
        chart.notes[lang] = names.text(
            "note.scenario", lang, file=scenario.name, source=ctx.source_label(lang) + f", {year}"
        )
    return chart


def price_impact_chart(ctx: ReportContext, rows: pd.DataFrame, scenario: Path, index: int) -> Chart:
    """Output-cost and final-goods price changes (%) of the economies most affected."""
    year = int(rows["year"].max())
    rows = rows[rows["year"] == year].copy()
    rows["cost_change_pct"] = 100 * (rows["output_cost_index"] - 1)
    rows["final_price_change_pct"] = 100 * (rows["final_goods_price_index"] - 1)
    rows = rows.sort_values("cost_change_pct", ascending=False)
    top = rows.head(TOP_ECONOMIES)
    if ctx.focus in set(rows["country"]) and ctx.focus not in set(top["country"]):
        top = pd.concat([top, rows[rows["country"] == ctx.focus]])
    data = top[
        ["shock", "year", "country", "output_cost_index", "final_goods_price_index",
         "cost_change_pct", "final_price_change_pct"]
    ].reset_index(drop=True)  # fmt: skip
    shock = str(rows["shock"].iloc[0])
    chart = Chart(key=f"scenario_{index + 1}", data=data, section="scenario")
    for lang in names.LANGUAGES:
        labels = [names.country(c, lang) for c in data["country"]]
        fig = go.Figure(
            [
                go.Bar(
                    x=labels,
                    y=data["cost_change_pct"],
                    name=names.text("label.cost_change", lang),
                    marker_color=PALETTE[0],
                ),
                go.Bar(
                    x=labels,
                    y=data["final_price_change_pct"],
                    name=names.text("label.final_price_change", lang),
                    marker_color=PALETTE[1],
                ),
            ]
        )
        _layout(
            fig,
            lang,
            height=440,
            barmode="group",
            yaxis=axis("pct_change", lang) | {"ticksuffix": "%"},
            xaxis=axis("economy", lang),
        )
        table = data.assign(country=labels)
        table.columns = [
            "shock",
            names.text("label.year", lang),
            names.text("label.country", lang),
            "output_cost_index",
            "final_goods_price_index",
            names.text("label.cost_change", lang),
            names.text("label.final_price_change", lang),
        ]
        chart.figures[lang] = fig
        chart.tables[lang] = table
        chart.titles[lang] = names.text("title.scenario_prices", lang, name=shock)
        chart.notes[lang] = names.text(
            "note.scenario_prices",
            lang,
            file=scenario.name,
            source=ctx.source_label(lang) + f", {year}",
        )
    return chart
