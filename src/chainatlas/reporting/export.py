"""Static exports from the command line with the system Chromium (no network, no extra package):
every chart as PNG and SVG (plotly.js's own ``toImage`` run in headless Chromium, so the images
equal the report's charts) and the whole report as PDF (Chromium's print-to-PDF).

kaleido ≥ 1 would drive the same browser through an extra package; Chromium alone is enough.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

from chainatlas.errors import ChainAtlasError
from chainatlas.reporting import names
from chainatlas.reporting.charts import Chart
from chainatlas.util.files import atomic_write

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
)
EXPORT_TIMEOUT_S = 180
IMAGE_WIDTH = 1000


def find_chromium() -> Path:
    """``$CHAINATLAS_CHROMIUM``, else the first Chromium/Chrome on PATH (one clear error)."""
    configured = os.environ.get("CHAINATLAS_CHROMIUM")
    if configured:
        if Path(configured).exists():
            return Path(configured)
        raise ChainAtlasError(f"CHAINATLAS_CHROMIUM={configured} does not exist")
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return Path(found)
    raise ChainAtlasError(
        "PDF and image export need Chromium: install it (Debian: apt-get install chromium, "
        "or `make browser`) or set CHAINATLAS_CHROMIUM to the browser's path"
    )


def _run(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    command = [str(find_chromium()), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    try:
        return subprocess.run(
            command, capture_output=True, text=True, timeout=EXPORT_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ChainAtlasError(f"Chromium did not finish within {EXPORT_TIMEOUT_S} s") from exc


def print_pdf(html_file: str | os.PathLike[str], pdf: str | os.PathLike[str]) -> Path:
    """The report as PDF (A4, print layout: no buttons, no folded tables), written atomically."""
    source = Path(html_file).resolve()

    def write(tmp: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="chainatlas-chromium-") as profile:
            done = _run(
                [
                    "--no-pdf-header-footer",
                    "--virtual-time-budget=30000",
                    "--run-all-compositor-stages-before-draw",
                    f"--print-to-pdf={tmp}",
                    source.as_uri(),
                ],
                Path(profile),
            )
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise ChainAtlasError(
                f"Chromium wrote no PDF for {source}: {done.stderr.strip()[-300:]}"
            )

    return atomic_write(pdf, write)


def export_figure(chart: Chart, lang: str) -> go.Figure:
    """The chart as it should stand alone: its title on top, its source line underneath."""
    fig = go.Figure(chart.figures[lang])
    note = chart.notes[lang]
    marker = "Source:" if lang == "en" else "数据："
    source = note[note.rfind(marker) :] if marker in note else ""
    margin = fig.layout.margin
    fig.update_layout(
        title={"text": chart.titles[lang], "x": 0.01, "xanchor": "left", "font": {"size": 15}},
        margin={"t": (margin.t or 30) + 60, "b": (margin.b or 50) + 40},
    )
    fig.add_annotation(
        text=html.escape(source),
        xref="paper",
        yref="paper",
        x=0,
        y=0,
        yshift=-((margin.b or 50) + 25),
        xanchor="left",
        yanchor="top",
        showarrow=False,
        font={"size": 10, "color": "#5b6773"},
    )
    return fig


_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><script>{plotly}</script></head>
<body><div id="work" style="width:{width}px"></div><pre id="out"></pre>
<script type="application/json" id="figs">{figures}</script>
<script>
(async function () {{
  const figs = JSON.parse(document.getElementById("figs").textContent);
  const out = {{}};
  for (const [name, fig] of Object.entries(figs)) {{
    const div = document.createElement("div");
    document.getElementById("work").appendChild(div);
    await Plotly.newPlot(div, fig.data, fig.layout, {{staticPlot: true}});
    const h = fig.layout.height || 450;
    for (const fmt of {formats}) {{
      out[name + "." + fmt] = await Plotly.toImage(div, {{format: fmt, width: {width},
        height: h, scale: fmt === "png" ? 2 : 1}});
    }}
    Plotly.purge(div);
    div.remove();
  }}
  document.getElementById("out").textContent = JSON.stringify(out);
  document.title = "done";
}})();
</script></body></html>"""


def export_charts(
    charts: Iterable[Chart],
    charts_dir: str | os.PathLike[str],
    *,
    formats: tuple[str, ...] = ("png", "svg"),
    languages: tuple[str, ...] = names.LANGUAGES,
) -> list[Path]:
    """Write ``<chart>-<lang>.png`` / ``.svg`` for every chart into ``charts_dir``."""
    from chainatlas.reporting.render import _plotly_js

    unknown = set(formats) - {"png", "svg"}
    if unknown:
        raise ChainAtlasError(f"unknown image format(s) {sorted(unknown)}; choose png, svg")
    figures = {
        f"{chart.csv_name}-{lang}": json.loads(
            pio.to_json(export_figure(chart, lang), validate=False)
        )
        for chart in charts
        for lang in languages
    }
    payload = json.dumps(figures, ensure_ascii=False).replace("<", "\\u003c")
    page = _PAGE.format(
        plotly=_plotly_js(), figures=payload, formats=json.dumps(list(formats)), width=IMAGE_WIDTH
    )
    target = Path(charts_dir)
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chainatlas-export-") as work:
        page_file = Path(work) / "export.html"
        page_file.write_text(page, encoding="utf-8")
        done = _run(
            ["--virtual-time-budget=120000", "--dump-dom", page_file.as_uri()],
            Path(work) / "profile",
        )
    found = re.search(r'<pre id="out">(.*?)</pre>', done.stdout, re.S)
    if not found or not found.group(1).strip():
        raise ChainAtlasError(f"Chromium rendered no chart images: {done.stderr.strip()[-300:]}")
    images = json.loads(html.unescape(found.group(1)))
    written = []
    for name, url in sorted(images.items()):
        header, _, data = url.partition(",")
        if ";base64" in header:
            content = base64.b64decode(data)
        else:
            from urllib.parse import unquote

            content = unquote(data).encode("utf-8")
        written.append(atomic_write(target / name, lambda tmp, c=content: tmp.write_bytes(c)))
    missing = len(figures) * len(formats) - len(written)
    if missing:
        raise ChainAtlasError(f"{missing} chart image(s) were not rendered")
    return written
