"""The report's charts: each one is a tidy data frame (language-free codes and numbers, what the
tests check against the indicator tables) plus, per language, a Plotly figure, a display table
and a one-line note of method and source.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from chainatlas.reporting import names

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#637939",
)
FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, Helvetica, Arial, sans-serif"


@dataclass
class ReportContext:
    """Everything the charts read: the panel tables, the focus economy and the source label."""

    source: str
    years: list[int]
    focus: str
    country: pd.DataFrame  # all years
    fva_origin: pd.DataFrame  # all years
    va_trade: pd.DataFrame  # all years: T_sr (source, absorber)
    linkage: pd.DataFrame  # last year: link_matrix (exporter = r, importer = s, indicator)
    network: pd.DataFrame  # first and last year: va_network (type, exporter, importer, …)
    dependence: pd.DataFrame  # last year: foreign_dependence at country_sector level
    units: str = "USD million, current prices"
    extras: dict = field(default_factory=dict)

    @property
    def first_year(self) -> int:
        return self.years[0]

    @property
    def last_year(self) -> int:
        return self.years[-1]

    def source_label(self, lang: str) -> str:
        key = f"source.{self.source.lower()}"
        return names.text(key, lang) if names.has_text(key) else self.source

    def years_label(self) -> str:
        if len(self.years) == 1:
            return str(self.years[0])
        return f"{self.first_year}–{self.last_year}"


@dataclass
class Chart:
    """One chart of the report (see module docstring)."""

    key: str
    data: pd.DataFrame
    figures: dict[str, go.Figure] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    section: str = ""
    csv: dict[str, str] = field(default_factory=dict)  # base64 CSV per language (render)
    html: dict[str, str] = field(default_factory=dict)  # HTML table per language (render)

    @property
    def csv_name(self) -> str:
        return self.key.replace("_", "-")


def _layout(fig: go.Figure, lang: str, height: int = 380, **kwargs: object) -> go.Figure:
    settings: dict[str, object] = {
        "template": "plotly_white",
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 30, "b": 50},
        "font": {"family": FONT, "size": 12},
        "legend": {"orientation": "h", "y": -0.18},
        "colorway": list(PALETTE),
    }
    settings.update(kwargs)
    fig.update_layout(**settings)
    return fig


def _note(ctx: ReportContext, key: str, lang: str, years: str | None = None) -> str:
    return names.text(
        f"note.{key}",
        lang,
        country=names.country(ctx.focus, lang),
        source=ctx.source_label(lang),
        years=years or ctx.years_label(),
        first=ctx.first_year,
        last=ctx.last_year,
        units=units_label(ctx.units, lang),
    )


def axis(key: str, lang: str, **values: object) -> dict[str, object]:
    """A plotly axis title from report_strings.csv (``axis.<key>``)."""
    return {"title": {"text": names.text(f"axis.{key}", lang, **values)}}


ROW_CODES = frozenset({"ROW", "RoW", "row"})  # residual regions: never ranked (one rule)


def is_residual(code: str) -> bool:
    """True for the table's rest-of-the-world residual (and its region key ``row``)."""
    return str(code) in ROW_CODES or names.region_of(str(code)) == "row"


def units_label(units: str, lang: str) -> str:
    key = "units." + units.lower().replace(",", "").replace(" ", "_")
    return names.text(key, lang) if names.has_text(key) else units


# ----------------------------------------------------------------------------- summary charts
SUMMARY_SERIES = {
    "summary_shares": ("dva_share", "fva_share"),
    "summary_participation": (
        "gvc_forward",
        "gvc_backward",
        "gvc_forward_complex",
        "gvc_backward_complex",
    ),
    "summary_length": (
        "plv",
        "ply",
        "plv_gvc",
        "ply_gvc",
    ),
    "summary_position": ("gvc_position",),
}
PERCENT_SERIES = {"summary_shares", "summary_participation"}
SUMMARY_AXES = {
    "summary_shares": "share_exports",
    "summary_participation": "participation",
    "summary_length": "length",
    "summary_position": "position",
}


def summary_chart(ctx: ReportContext, key: str) -> Chart:
    """Time series of the focus economy's indicators from the country table."""
    columns = list(SUMMARY_SERIES[key])
    focus = ctx.country[ctx.country["country"] == ctx.focus].sort_values("year")
    data = focus.melt(
        id_vars=["year", "country"], value_vars=columns, var_name="indicator", value_name="value"
    ).reset_index(drop=True)
    chart = Chart(key=key, data=data, section="summary")
    for lang in names.LANGUAGES:
        fig = go.Figure()
        for i, column in enumerate(columns):
            dashed = column.endswith("_complex") or column.endswith("_gvc")
            fig.add_trace(
                go.Scatter(
                    x=focus["year"],
                    y=focus[column],
                    mode="lines+markers",
                    name=names.indicator(column, lang),
                    line={"dash": "dash" if dashed else "solid", "color": PALETTE[i]},
                )
            )
        if key == "summary_position":
            fig.add_hline(y=1.0, line_dash="dot", line_color="#888")
        yaxis = axis(SUMMARY_AXES[key], lang)
        if key in PERCENT_SERIES:
            yaxis["tickformat"] = ".0%"
        xaxis = axis("year", lang) | {"dtick": 2 if len(ctx.years) > 8 else 1}
        _layout(fig, lang, height=360, yaxis=yaxis, xaxis=xaxis)
        table = focus[["year", *columns]].rename(
            columns={c: names.indicator(c, lang) for c in columns}
            | {"year": names.text("label.year", lang)}
        )
        chart.figures[lang] = fig
        chart.tables[lang] = table.reset_index(drop=True)
        chart.titles[lang] = names.text(
            f"title.{key}", lang, country=names.country(ctx.focus, lang)
        )
        chart.notes[lang] = _note(ctx, key, lang)
    return chart


# ----------------------------------------------------------------------------- VA origin
def va_origin_data(ctx: ReportContext) -> pd.DataFrame:
    """Shares of the focus economy's gross exports by VA origin: domestic, then each region."""
    frame = ctx.fva_origin[ctx.fva_origin["exporter"] == ctx.focus].copy()
    frame["origin_group"] = [
        "domestic" if origin == ctx.focus else names.region_of(origin) for origin in frame["origin"]
    ]
    grouped = frame.groupby(["year", "origin_group"], as_index=False)["value"].sum()
    totals = grouped.groupby("year")["value"].transform("sum")
    grouped["share"] = grouped["value"] / totals
    return grouped.rename(columns={"origin_group": "origin"}).reset_index(drop=True)


def va_origin_chart(ctx: ReportContext) -> Chart:
    data = va_origin_data(ctx)
    last = data[data["year"] == ctx.last_year]
    ranked = last[(last["origin"] != "domestic") & (last["origin"] != "row")]
    foreign_order = ranked.sort_values("share", ascending=False)["origin"].tolist()
    foreign_order += sorted(set(data["origin"]) - set(foreign_order) - {"domestic", "row"})
    # the residual is drawn last and apart (hatched), never in the ranking
    foreign_order += ["row"] if "row" in set(data["origin"]) else []
    chart = Chart(key="va_origin", data=data, section="origin")
    wide = data.pivot(index="year", columns="origin", values="share").fillna(0.0)
    for lang in names.LANGUAGES:
        fig = go.Figure()
        for i, origin in enumerate(["domestic", *foreign_order]):
            label = _origin_label(origin, ctx, lang)
            marker: dict[str, object] = {
                "color": "#c7c7c7" if origin == "domestic" else PALETTE[i % len(PALETTE)]
            }
            if origin == "row":
                marker = {"color": "#e6e6e6", "pattern": {"shape": "/", "fgcolor": "#888"}}
            fig.add_trace(go.Bar(x=wide.index, y=wide[origin], name=label, marker=marker))
        _layout(
            fig,
            lang,
            height=440,
            barmode="stack",
            yaxis=axis("share_exports", lang) | {"tickformat": ".0%"},
            xaxis=axis("year", lang),
            legend={"orientation": "h", "y": -0.18, "traceorder": "normal"},
        )
        table = wide[["domestic", *foreign_order]].reset_index()
        table.columns = [names.text("label.year", lang)] + [
            _origin_label(o, ctx, lang) for o in ["domestic", *foreign_order]
        ]
        chart.figures[lang] = fig
        chart.tables[lang] = table
        chart.titles[lang] = names.text(
            "title.va_origin", lang, country=names.country(ctx.focus, lang)
        )
        chart.notes[lang] = _note(ctx, "va_origin", lang)
    return chart


def _origin_label(origin: str, ctx: ReportContext, lang: str) -> str:
    if origin == "domestic":
        return names.text("label.domestic", lang, country=names.country(ctx.focus, lang))
    if origin == "row":
        return names.text("label.rest_of_world", lang)
    key = f"region.{origin}"
    return names.text(key, lang) if names.has_text(key) else origin


# ----------------------------------------------------------------------------- linkage
def linkage_partners(ctx: ReportContext, count: int = 9) -> list[str]:
    """The focus plus its ``count`` largest VA-trade partners (both directions, last year)."""
    t = ctx.va_trade[ctx.va_trade["year"] == ctx.last_year]
    out = t[(t["source"] == ctx.focus) & (t["absorber"] != ctx.focus)].set_index("absorber")
    inn = t[(t["absorber"] == ctx.focus) & (t["source"] != ctx.focus)].set_index("source")
    both = out["value"].add(inn["value"], fill_value=0.0)
    both = both[[not is_residual(c) for c in both.index]]
    partners = both.sort_values(ascending=False).index[:count].tolist()
    return [ctx.focus, *partners]


def linkage_data(ctx: ReportContext) -> pd.DataFrame:
    """LINK_rs among the focus and its partners, last year: rows of the linkage indicator set."""
    economies = linkage_partners(ctx)
    link = ctx.linkage[
        (ctx.linkage["year"] == ctx.last_year)
        & (ctx.linkage["indicator"] == "link")
        & ctx.linkage["exporter"].isin(economies)
        & ctx.linkage["importer"].isin(economies)
    ]
    return link[["year", "exporter", "importer", "value"]].reset_index(drop=True)


def linkage_chart(ctx: ReportContext) -> Chart:
    economies = linkage_partners(ctx)
    data = linkage_data(ctx)
    link = (
        data.pivot(index="exporter", columns="importer", values="value")
        .reindex(index=economies, columns=economies)
        .astype(float)
    )
    chart = Chart(key="linkage", data=data, section="linkage")
    for lang in names.LANGUAGES:
        labels = [names.country(c, lang) for c in economies]
        z = link.to_numpy()
        cell_text = [["–" if np.isnan(v) else f"{v:.1f}" for v in row] for row in z]
        fig = go.Figure(
            go.Heatmap(
                z=z,
                x=labels,
                y=labels,
                colorscale="Blues",
                zmin=0,
                text=cell_text,
                texttemplate="%{text}",
                hovertemplate="%{y} → %{x}: %{z:.2f}<extra></extra>",
                colorbar={"title": {"text": names.text("axis.link", lang), "side": "right"}},
            )
        )
        _layout(
            fig,
            lang,
            height=520,
            xaxis=axis("absorber", lang),
            yaxis=axis("va_source", lang) | {"autorange": "reversed"},
        )
        table = link.copy()
        table.index = labels
        table.columns = labels
        corner = names.text("label.va_source", lang) + " \\ " + names.text("label.absorber", lang)
        table = table.reset_index().rename(columns={"index": corner})
        chart.figures[lang] = fig
        chart.tables[lang] = table
        chart.titles[lang] = names.text("title.linkage", lang, year=ctx.last_year)
        chart.notes[lang] = _note(ctx, "linkage", lang, years=str(ctx.last_year))
    return chart


# ----------------------------------------------------------------------------- network
NETWORK_TYPE = "complex"


def _network_year(ctx: ReportContext, year: int, kind: str) -> pd.DataFrame:
    rows = ctx.network[(ctx.network["year"] == year) & (ctx.network["type"] == kind)]
    return rows


def network_data(ctx: ReportContext, kind: str = NETWORK_TYPE) -> pd.DataFrame:
    """Nodes of the VA network in the first and last year (rows of the hubs indicator set):
    VA exports of the type (node_size), supply degree (number of economies it is the largest
    supplier of), supply hub flag, and the economies it is the largest supplier of."""
    frames = []
    for year in sorted({ctx.first_year, ctx.last_year}):
        rows = _network_year(ctx, year, kind)
        nodes = rows[rows["importer"] == "TOTAL"].pivot(
            index="exporter", columns="indicator", values="value"
        )
        links = network_links(ctx, year, kind)
        served = links.groupby("exporter")["importer"].apply(lambda s: " ".join(sorted(s)))
        frame = pd.DataFrame(
            {
                "year": year,
                "country": nodes.index,
                "va_exports": nodes["node_size"].to_numpy(),
                "out_degree": nodes["supply_degree"].astype(int).to_numpy(),
                "hub": nodes["supply_hub"].to_numpy() > 0,
            }
        )
        frame["largest_supplier_of"] = frame["country"].map(served).fillna("")
        frames.append(frame.sort_values("va_exports", ascending=False))
    return pd.concat(frames, ignore_index=True)


def network_links(ctx: ReportContext, year: int, kind: str = NETWORK_TYPE) -> pd.DataFrame:
    """Edges from each importer's largest supplier (supplier_rank 1): exporter, importer, flow."""
    rows = _network_year(ctx, year, kind)
    edges = rows[rows["importer"] != "TOTAL"].pivot_table(
        index=["exporter", "importer"], columns="indicator", values="value"
    )
    chosen = edges[(edges["supplier_rank"] == 1) & (edges["flow"] > 0)]
    return chosen["flow"].rename("value").reset_index()


def _circle_positions(codes: list[str]) -> dict[str, tuple[float, float]]:
    ordered = sorted(codes, key=lambda c: (names.region_of(c), c))
    n = len(ordered)
    return {
        code: (math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n))
        for i, code in enumerate(ordered)
    }


def _radial_angle(x: float, y: float) -> float:
    """Text angle (degrees, clockwise as plotly counts) pointing away from the centre."""
    angle = -math.degrees(math.atan2(y, x))
    if x < 0:  # keep the text upright on the left half
        angle = angle + 180 if angle < 0 else angle - 180
    return angle


def network_chart(ctx: ReportContext) -> Chart:
    data = network_data(ctx)
    years = sorted(data["year"].unique())
    chart = Chart(key="network", data=data, section="network")
    max_value = max(float(data["va_exports"].max()), 1e-12)
    max_flow = max(float(network_links(ctx, y)["value"].max()) for y in years)
    for lang in names.LANGUAGES:
        fig = make_subplots(
            rows=1, cols=len(years), subplot_titles=[str(y) for y in years], horizontal_spacing=0.04
        )
        for col, year in enumerate(years, start=1):
            nodes = data[data["year"] == year]
            pos = _circle_positions(nodes["country"].tolist())
            axis_id = "" if col == 1 else str(col)
            for _, link in network_links(ctx, year).iterrows():
                x0, y0 = pos[link["exporter"]]
                x1, y1 = pos[link["importer"]]
                fig.add_annotation(
                    x=x1,
                    y=y1,
                    ax=x0,
                    ay=y0,
                    xref=f"x{axis_id}",
                    yref=f"y{axis_id}",
                    axref=f"x{axis_id}",
                    ayref=f"y{axis_id}",
                    showarrow=True,
                    arrowhead=2,
                    arrowsize=0.8,
                    arrowwidth=0.6 + 5.0 * link["value"] / max_flow,
                    arrowcolor="rgba(31,119,180,0.45)",
                    text="",
                )
            hubs = nodes["hub"].to_numpy()
            sizes = 6 + 40 * np.sqrt(nodes["va_exports"].to_numpy() / max_value)
            fig.add_trace(
                go.Scatter(
                    x=[pos[c][0] for c in nodes["country"]],
                    y=[pos[c][1] for c in nodes["country"]],
                    mode="markers",
                    marker={
                        "size": sizes,
                        "color": np.where(hubs, "#d62728", "#1f77b4"),
                        "line": {"width": 1, "color": "white"},
                    },
                    customdata=np.stack(
                        [
                            [names.country(c, lang) for c in nodes["country"]],
                            nodes["va_exports"].to_numpy(),
                            nodes["out_degree"].to_numpy(),
                        ],
                        axis=1,
                    ),
                    hovertemplate=(
                        "%{customdata[0]}<br>"
                        + names.text("label.va_exports", lang)
                        + ": %{customdata[1]:,.0f}<br>"
                        + names.text("label.out_degree", lang)
                        + ": %{customdata[2]}<extra></extra>"
                    ),
                    showlegend=False,
                ),
                row=1,
                col=col,
            )
            # labels on a ring outside the nodes, anchored away from the centre, so
            # neighbours (CHN, JPN, KOR, TWN sit together) and large nodes do not overlap
            # one ring beyond the largest node (~200 px per unit at the report's width)
            radius = 1.06 + float(sizes.max()) / 2 / 200
            for code in nodes["country"]:
                x, y = pos[code]
                fig.add_annotation(
                    x=radius * x,
                    y=radius * y,
                    xref=f"x{axis_id}",
                    yref=f"y{axis_id}",
                    text=code if lang == "en" else names.country(code, lang),
                    showarrow=False,
                    font={"size": 9},
                    textangle=_radial_angle(x, y),
                    xanchor="left" if x >= 0 else "right",
                    yanchor="middle",
                )
            fig.update_xaxes(visible=False, range=[-1.45, 1.45], row=1, col=col)
            fig.update_yaxes(
                visible=False, range=[-1.45, 1.45], scaleanchor=f"x{axis_id}", row=1, col=col
            )
        # a graph has no x/y scale: the units go in a legend line under the circles
        fig.add_annotation(
            text=names.text("axis.network", lang, units=units_label(ctx.units, lang)),
            xref="paper",
            yref="paper",
            x=0.5,
            y=-0.04,
            showarrow=False,
            font={"size": 11},
            name="units",
        )
        _layout(fig, lang, height=620, margin={"l": 20, "r": 20, "t": 40, "b": 40})
        table = data.assign(
            country=[names.country(c, lang) for c in data["country"]],
            hub=np.where(data["hub"], names.text("label.yes", lang), ""),
        )
        table.columns = [names.text(f"label.{c}", lang) for c in table.columns]
        chart.figures[lang] = fig
        chart.tables[lang] = table
        chart.titles[lang] = names.text("title.network", lang, first=years[0], last=years[-1])
        chart.notes[lang] = _note(ctx, "network", lang, years=" / ".join(str(y) for y in years))
    return chart


# ----------------------------------------------------------------------------- dependence
def dependence_data(ctx: ReportContext, top: int = 5) -> pd.DataFrame:
    """Focus economy, last year: each industry's imported share of intermediate inputs
    (imported_input_share of the dependence indicator set) from the ``top`` largest foreign
    suppliers (by imported inputs over all industries) and from all others ("other")."""
    rows = ctx.dependence[
        (ctx.dependence["year"] == ctx.last_year)
        & (ctx.dependence["country"] == ctx.focus)
        & (ctx.dependence["level"] == "country_sector")
    ]
    shares = rows[rows["indicator"] == "imported_input_share"]
    imported = rows[rows["indicator"] == "imported_inputs"]
    per_source = imported[~imported["source"].isin(["ALL_FOREIGN", "TOTAL", ctx.focus])]
    per_source_sum = per_source.groupby("source")["value"].sum().sort_values(ascending=False)
    # the residual region is never ranked among the largest suppliers: shown on its own
    residual = [c for c in per_source_sum.index if is_residual(c)]
    largest = [c for c in per_source_sum.index if not is_residual(c)][:top]
    wide = shares.pivot(index="sector", columns="source", values="value")
    total = wide["ALL_FOREIGN"]
    parts = wide[largest + residual].copy()
    parts["other"] = total - parts.sum(axis=1)
    parts["total"] = total
    data = parts.reset_index().melt(id_vars="sector", var_name="supplier", value_name="share")
    data.insert(0, "year", ctx.last_year)
    data.insert(1, "user", ctx.focus)
    supplier_rank = {s: i for i, s in enumerate([*largest, *residual, "other", "total"])}
    data["_sector"] = data["sector"].map(_sector_order)
    data["_supplier"] = data["supplier"].map(supplier_rank)
    data = data.sort_values(["_sector", "_supplier"]).drop(columns=["_sector", "_supplier"])
    return data.reset_index(drop=True)


def _sector_order(code: str) -> int:
    digits = "".join(ch for ch in str(code) if ch.isdigit())
    return int(digits) if digits else 0


def _supplier_label(code: str, lang: str) -> str:
    if code == "other":
        return names.text("label.other_foreign", lang)
    if is_residual(code):
        return names.text("label.rest_of_world", lang)
    return names.country(code, lang)


def wrap_label(text: str, width: int = 38) -> str:
    """Break a long name into lines (plotly ``<br>``) instead of cutting it."""
    if len(text) <= width:
        return text
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        width = width // 2
        return "<br>".join(text[i : i + width] for i in range(0, len(text), width))
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "<br>".join(lines)


def dependence_chart(ctx: ReportContext) -> Chart:
    data = dependence_data(ctx)
    wide = data.pivot(index="sector", columns="supplier", values="share").fillna(0.0)
    suppliers = [s for s in data["supplier"].drop_duplicates() if s != "total"]
    totals = wide["total"]
    wide = wide[suppliers]
    wide = wide.loc[totals.sort_values().index]  # most dependent on top
    chart = Chart(key="dependence", data=data, section="dependence")
    for lang in names.LANGUAGES:
        labels = [wrap_label(names.sector(s, lang), 46) for s in wide.index]
        fig = go.Figure()
        for i, supplier in enumerate(suppliers):
            marker: dict[str, object] = {"color": PALETTE[i % len(PALETTE)]}
            if supplier == "other":
                marker = {"color": "#c7c7c7"}
            elif is_residual(supplier):
                marker = {"color": "#e6e6e6", "pattern": {"shape": "/", "fgcolor": "#888"}}
            fig.add_trace(
                go.Bar(
                    y=labels,
                    x=wide[supplier],
                    orientation="h",
                    name=_supplier_label(supplier, lang),
                    marker=marker,
                )
            )
        _layout(
            fig,
            lang,
            height=160 + 34 * len(labels),
            barmode="stack",
            xaxis=axis("imported_share", lang) | {"tickformat": ".0%", "side": "top"},
            yaxis=axis("industry", lang) | {"automargin": True, "tickfont": {"size": 11}},
            margin={"l": 20, "r": 20, "t": 60, "b": 50},
            legend={"orientation": "h", "y": -0.02, "yanchor": "top", "traceorder": "normal"},
        )
        table = wide.iloc[::-1].copy()
        table.insert(0, "total", totals.loc[table.index])
        table.index = [names.sector(s, lang) for s in table.index]
        table.columns = [names.text("label.foreign_share", lang)] + [
            _supplier_label(s, lang) for s in suppliers
        ]
        table = table.reset_index().rename(columns={"index": names.text("label.sector", lang)})
        chart.figures[lang] = fig
        chart.tables[lang] = table
        chart.titles[lang] = names.text(
            "title.dependence", lang, country=names.country(ctx.focus, lang), year=ctx.last_year
        )
        chart.notes[lang] = _note(ctx, "dependence", lang, years=str(ctx.last_year))
    return chart


def core_charts(ctx: ReportContext) -> list[Chart]:
    """The charts every report has (trade and scenario charts are added when given)."""
    return [
        *(summary_chart(ctx, key) for key in SUMMARY_SERIES),
        va_origin_chart(ctx),
        linkage_chart(ctx),
        network_chart(ctx),
        dependence_chart(ctx),
    ]
