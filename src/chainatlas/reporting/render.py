"""Render charts and text into one self-contained HTML file (plotly.js inlined, no network)."""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import math
from dataclasses import dataclass, field
from functools import lru_cache

import jinja2
import pandas as pd
import plotly.io as pio

from chainatlas.reporting import names
from chainatlas.reporting.charts import Chart


@dataclass
class Section:
    key: str
    titles: dict[str, str]
    charts: list[Chart]
    paragraphs: dict[str, list[str]] = field(default_factory=dict)
    grid: bool = False
    html: dict[str, str] = field(default_factory=dict)  # trusted HTML per language (methods)


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    # a literal "</script" inside the bundle would end the inline script element early
    return get_plotlyjs().replace("</script", "<\\/script")


def _format_cell(value: object) -> str:
    if isinstance(value, bool):
        return "✓" if value else ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if math.isnan(number):
            return "–"
        if number.is_integer() and abs(number) < 1e15 and isinstance(value, int):
            return str(int(number))
        if abs(number) >= 1000:
            return f"{number:,.0f}"
        if abs(number) >= 10:
            return f"{number:,.2f}"
        return f"{number:.4f}"
    return html.escape(str(value))


def table_html(frame: pd.DataFrame) -> str:
    """A plain HTML table (every value escaped; numbers formatted for reading, the CSV keeps
    full precision)."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):
        cells = "".join(
            f"<td>{_format_cell(v.item() if hasattr(v, 'item') else v)}</td>" for v in record
        )
        rows.append(f"<tr>{cells}</tr>")
    return (
        f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def table_csv(frame: pd.DataFrame) -> str:
    """Base64 of the CSV with a UTF-8 byte-order mark (so spreadsheet programs read Chinese)."""
    text = "\ufeff" + frame.to_csv(index=False)
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def render_report(
    sections: list[Section],
    *,
    lang: str,
    titles: dict[str, str],
    subtitles: dict[str, str],
) -> str:
    """The complete HTML document."""
    from chainatlas import __version__

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("chainatlas.reporting", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = env.get_template("report.html.j2")
    figures: dict[str, object] = {"__titles__": titles}
    for section in sections:
        for chart in section.charts:
            chart.csv = {lang_: table_csv(chart.tables[lang_]) for lang_ in names.LANGUAGES}
            chart.html = {lang_: table_html(chart.tables[lang_]) for lang_ in names.LANGUAGES}
            figures[chart.key] = {
                lang_: json.loads(pio.to_json(chart.figures[lang_], validate=False))
                for lang_ in names.LANGUAGES
            }
    chart_json = json.dumps(figures, ensure_ascii=False, separators=(",", ":"))
    # keep the JSON inert inside <script type="application/json">
    chart_json = chart_json.replace("<", "\\u003c").replace(">", "\\u003e")
    today = dt.date.today().isoformat()
    return template.render(
        lang=lang,
        languages=names.LANGUAGES,
        titles=titles,
        subtitles=subtitles,
        sections=sections,
        plotly_js=_plotly_js(),
        chart_json=chart_json,
        text=names.text,
        version=__version__,
        generated={
            lang_: names.text("report.generated", lang_, version=__version__, date=today)
            for lang_ in names.LANGUAGES
        },
    )
