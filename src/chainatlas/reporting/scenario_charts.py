"""Time-series charts of dynamic scenario runs (plotly HTML, plotly.js inlined: works offline)."""

from __future__ import annotations

import pandas as pd


def dynamic_chart_html(country: pd.DataFrame, title: str, top: int = 8) -> str:
    """Weekly production (% of the weekly base) and final demand unmet, for the world and the
    ``top`` economies with the largest cumulative production loss. ``country`` is one shock's
    ``dynamic_country`` table."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    production = country[country["measure"] == "production"]
    unmet = country[country["measure"] == "final_demand_unmet"]
    loss = production.groupby("country")["change"].sum().sort_values()
    shown = [c for c in loss.index if c != "ROW"][:top]
    figure = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        subplot_titles=("Production, % change from the weekly base", "Final demand unmet"),
    )
    world = production.groupby("week")[["base", "change"]].sum()
    figure.add_trace(
        go.Scatter(
            x=world.index, y=100 * world["change"] / world["base"], name="World",
            line={"width": 3, "color": "black"},
        ),
        row=1, col=1,
    )  # fmt: skip
    for code in shown:
        series = production[production["country"] == code]
        figure.add_trace(
            go.Scatter(x=series["week"], y=series["pct_change"], name=code, legendgroup=code),
            row=1, col=1,
        )  # fmt: skip
        lost = unmet[unmet["country"] == code]
        figure.add_trace(
            go.Scatter(
                x=lost["week"], y=lost["value"], name=code, legendgroup=code, showlegend=False
            ),
            row=2, col=1,
        )  # fmt: skip
    figure.update_layout(title=title, hovermode="x unified", template="plotly_white")
    figure.update_xaxes(title_text="week", row=2, col=1)
    return figure.to_html(include_plotlyjs=True, full_html=True)  # inline: opens offline
