"""HTML rendering: data never becomes markup, CSV downloads carry the displayed table."""

from __future__ import annotations

import base64
import io

import pandas as pd
import plotly.graph_objects as go

from chainatlas.reporting import names
from chainatlas.reporting.charts import Chart
from chainatlas.reporting.render import Section, render_report, table_csv, table_html

HOSTILE = "</script><script>alert('x')</script>"


def _chart() -> Chart:
    table = pd.DataFrame({"economy": [HOSTILE, "中国"], "value": [0.123456789, float("nan")]})
    chart = Chart(key="hostile", data=table)
    for lang in names.LANGUAGES:
        chart.figures[lang] = go.Figure(go.Bar(x=[HOSTILE, "b"], y=[1, 2], name=HOSTILE))
        chart.tables[lang] = table
        chart.titles[lang] = HOSTILE
        chart.notes[lang] = HOSTILE
    return chart


def test_values_are_escaped_in_tables_titles_and_chart_json():
    html = render_report(
        [Section(key="summary", titles=dict.fromkeys(names.LANGUAGES, "S"), charts=[_chart()])],
        lang="en",
        titles=dict.fromkeys(names.LANGUAGES, HOSTILE),
        subtitles=dict.fromkeys(names.LANGUAGES, "sub"),
    )
    assert "<script>alert(" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(" in html  # the tables and titles, escaped
    assert "\\u003c/script\\u003e" in html  # inside the chart JSON
    assert html.count("<script") == 3  # plotly.js, the chart data, the page script


def test_table_html_formats_numbers_and_marks_missing():
    cells = table_html(pd.DataFrame({"a": [1234567.891, 0.5, float("nan")]}))
    assert "1,234,568" in cells and "0.5000" in cells and "–" in cells


def test_csv_download_is_the_table_with_full_precision():
    table = pd.DataFrame({"经济体": ["中国"], "value": [0.123456789012]})
    text = base64.b64decode(table_csv(table)).decode("utf-8")
    assert text.startswith("\ufeff")
    back = pd.read_csv(io.StringIO(text.lstrip("\ufeff")))
    pd.testing.assert_frame_equal(back, table)
