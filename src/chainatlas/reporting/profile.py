"""A country profile in the manner of the OECD TiVA country notes: one or two printed pages per
economy — headline indicators (last year and change since the first), two trend charts, the
largest value-added trade partners and the largest exporting industries with their import
dependence. The numbers are the report's own tables (:mod:`chainatlas.reporting.data`), so a
profile and a report of the same table and years agree.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd
import plotly.io as pio

from chainatlas.reporting import names
from chainatlas.reporting.charts import ReportContext, is_residual, summary_chart

TOP = 5
HEADLINE = (
    ("exports", "money"),
    ("dva_share", "pct"),
    ("fva_share", "pct"),
    ("gvc_forward", "pct"),
    ("gvc_backward", "pct"),
    ("gvc_position", "num"),
    ("plv", "num"),
    ("ply", "num"),
)


def _value(value: float, kind: str, lang: str) -> str:
    if kind == "money":
        return names.money(value, lang)
    if kind == "pct":
        return names.percent(value)
    return "–" if pd.isna(value) else f"{value:.2f}"


def _change(last: float, first: float, kind: str, lang: str) -> str:
    if pd.isna(last) or pd.isna(first):
        return "–"
    if kind == "pct":
        return names.text("profile.pp", lang, value=f"{100 * (last - first):+.1f}")
    if kind == "money":
        return f"{100 * (last / first - 1):+.1f}%" if first else "–"
    return f"{last - first:+.2f}"


def headline_table(ctx: ReportContext, lang: str) -> pd.DataFrame:
    focus = ctx.country[ctx.country["country"] == ctx.focus].set_index("year")
    first, last = focus.loc[ctx.first_year], focus.loc[ctx.last_year]
    rows = []
    for column, kind in HEADLINE:
        label = (
            names.text("profile.gross_exports", lang)
            if column == "exports"
            else names.indicator(column, lang)
        )
        rows.append(
            {
                names.text("profile.indicator", lang): label,
                names.text("profile.value", lang, year=ctx.last_year): _value(
                    last[column], kind, lang
                ),
                names.text("profile.change", lang, first=ctx.first_year): _change(
                    last[column], first[column], kind, lang
                ),
            }
        )
    return pd.DataFrame(rows)


def partners_data(ctx: ReportContext, top: int = TOP) -> pd.DataFrame:
    """Largest VA-trade partners in the last year (residual regions excluded): value added of
    the focus absorbed in the partner (T_focus,p) and of the partner absorbed at home."""
    t = ctx.va_trade[ctx.va_trade["year"] == ctx.last_year]
    out = t[(t["source"] == ctx.focus) & (t["absorber"] != ctx.focus)].set_index("absorber")
    inn = t[(t["absorber"] == ctx.focus) & (t["source"] != ctx.focus)].set_index("source")
    frame = pd.DataFrame({"va_exports": out["value"], "va_imports": inn["value"]}).fillna(0.0)
    frame = frame[[not is_residual(c) for c in frame.index]]
    frame["total"] = frame["va_exports"] + frame["va_imports"]
    frame = frame.sort_values("total", ascending=False).head(top)
    return frame.rename_axis("partner").reset_index()


def sectors_data(ctx: ReportContext, sector_exports: pd.Series, top: int = TOP) -> pd.DataFrame:
    """The focus's largest exporting industries (last year) and their imported input share."""
    dep = ctx.dependence
    share = dep[
        (dep["year"] == ctx.last_year)
        & (dep["country"] == ctx.focus)
        & (dep["level"] == "country_sector")
        & (dep["indicator"] == "imported_input_share")
        & (dep["source"] == "ALL_FOREIGN")
    ].set_index("sector")["value"]
    frame = pd.DataFrame({"exports": sector_exports})
    frame["exports_share"] = frame["exports"] / frame["exports"].sum()
    frame["imported_input_share"] = share.reindex(frame.index)
    return (
        frame.sort_values("exports", ascending=False).head(top).rename_axis("sector").reset_index()
    )


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def render_profile(ctx: ReportContext, sector_exports: pd.Series, lang: str) -> str:
    from chainatlas import __version__
    from chainatlas.reporting.methods import citation, full_reference
    from chainatlas.reporting.render import _plotly_js

    country = names.country(ctx.focus, lang)
    charts = [summary_chart(ctx, key) for key in ("summary_shares", "summary_participation")]
    figures = {}
    for chart in charts:
        fig = chart.figures[lang]
        fig.update_layout(height=300, margin={"l": 60, "r": 10, "t": 10, "b": 40})
        figures[chart.key] = json.loads(pio.to_json(fig, validate=False))
    partners = partners_data(ctx)
    partner_table = pd.DataFrame(
        {
            names.text("label.country", lang): [
                names.country(c, lang) for c in partners["partner"]
            ],
            names.text("profile.va_exports_to", lang): [
                names.money(v, lang) for v in partners["va_exports"]
            ],
            names.text("profile.va_imports_from", lang): [
                names.money(v, lang) for v in partners["va_imports"]
            ],
        }
    )
    sectors = sectors_data(ctx, sector_exports)
    sector_table = pd.DataFrame(
        {
            names.text("label.sector", lang): [names.sector(s, lang) for s in sectors["sector"]],
            names.text("profile.gross_exports", lang): [
                f"{names.money(v, lang)} ({names.percent(s)})"
                for v, s in zip(sectors["exports"], sectors["exports_share"], strict=True)
            ],
            names.text("label.foreign_share", lang): [
                names.percent(v) for v in sectors["imported_input_share"]
            ],
        }
    )
    source = f"{ctx.source_label(lang)}, {ctx.years_label()}"
    sources_line = "; ".join(citation(k) for k in ("oecd2021", "wwyz2017a", "wwyz2017b"))
    blocks = [
        f"<h2>{html.escape(names.text('profile.headline', lang))}</h2>",
        _table(headline_table(ctx, lang)),
        f"<h2>{html.escape(names.text('profile.trends', lang))}</h2>",
        '<div class="two">',
        *(
            f'<figure><h3>{html.escape(c.titles[lang])}</h3><div class="plot" id="plot-{c.key}">'
            f"</div><figcaption>{html.escape(c.notes[lang])}</figcaption></figure>"
            for c in charts
        ),
        "</div>",
        '<div class="two"><div>',
        f"<h2>{html.escape(names.text('profile.partners', lang))}</h2>",
        _table(partner_table),
        f"<p class='note'>{html.escape(names.text('profile.partners_note', lang, year=ctx.last_year, country=country))}</p>",  # noqa: E501
        "</div><div>",
        f"<h2>{html.escape(names.text('profile.sectors', lang))}</h2>",
        _table(sector_table),
        f"<p class='note'>{html.escape(names.text('profile.sectors_note', lang, year=ctx.last_year))}</p>",  # noqa: E501
        "</div></div>",
        f"<p class='note'>{html.escape(names.text('methods.source', lang, source=source))} "
        f"{html.escape(sources_line)}. chainatlas {html.escape(__version__)}.</p>",
        f"<h2>{html.escape(names.text('section.methods', lang))}</h2>",
        '<ol class="note">'
        + "".join(
            f"<li>{html.escape(full_reference(k))}</li>"
            for k in ("jn2012", "oecd2021", "timmer2015", "wwyz2017a", "wwyz2017b")
        )
        + "</ol>",
    ]
    title = names.text("profile.title", lang, country=country)
    chart_json = json.dumps(figures, ensure_ascii=False).replace("<", "\\u003c")
    return f"""<!DOCTYPE html>
<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
@page {{ size: A4; margin: 12mm; }}
body {{ font-family: "Noto Sans CJK SC", "Noto Sans SC", Helvetica, Arial, sans-serif;
  color: #1d2733; max-width: 190mm; margin: 0 auto; font-size: 12px; }}
header {{ border-bottom: 3px solid #14324f; margin-bottom: 8px; }}
header h1 {{ font-size: 22px; margin: 8px 0 2px; }} header p {{ margin: 0 0 6px; color: #5b6773; }}
h2 {{ font-size: 15px; margin: 12px 0 4px; color: #14324f; }} h3 {{ font-size: 12px; margin: 0; }}
table.data {{ border-collapse: collapse; width: 100%; }}
table.data th, table.data td {{ border-bottom: 1px solid #dde3ea; padding: 3px 6px;
  text-align: right; }}
table.data th:first-child, table.data td:first-child {{ text-align: left; }}
.two {{ display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }}
figure {{ margin: 0; break-inside: avoid; }}
figcaption, .note {{ font-size: 10px; color: #5b6773; }}
.plot {{ width: 100%; height: 300px; }}
</style>
<script>{_plotly_js()}</script></head>
<body><header><h1>{html.escape(title)}</h1><p>{html.escape(source)}</p></header>
{"".join(blocks)}
<script type="application/json" id="chart-data">{chart_json}</script>
<script>
var figs = JSON.parse(document.getElementById("chart-data").textContent);
Object.keys(figs).forEach(function (k) {{
  Plotly.newPlot("plot-" + k, figs[k].data, figs[k].layout,
    {{displayModeBar: false, responsive: true}});
}});
</script></body></html>"""


def build_profile(
    source: str,
    path: str | os.PathLike[str] | None,
    years: str | Sequence[int] | None,
    focus: str,
    lang: str = "en",
    out: str | os.PathLike[str] = "profile.html",
    *,
    cache_dir: str | os.PathLike[str] | bool | None = True,
    pdf: str | os.PathLike[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Write the country profile of ``focus`` (one language) to ``out``; optionally a PDF."""
    from chainatlas import sources
    from chainatlas.reporting.build import report_context, write_page
    from chainatlas.sources.paths import resolve_path

    lang = names.check_language(lang)
    ctx = report_context(source, path, years, focus, cache_dir=cache_dir, progress=progress)
    model = sources.load(source, resolve_path(source, path), ctx.last_year)
    exports = model.total_exports.reshape(model.G, model.N)[model.country_position(ctx.focus)]
    sector_exports = pd.Series(exports, index=list(model.sectors))
    document = render_profile(ctx, sector_exports, lang).encode("utf-8")
    written = write_page(out, document)
    if pdf is not None:
        from chainatlas.reporting.export import print_pdf

        print_pdf(written, pdf)
    return written
