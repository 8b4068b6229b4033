"""End to end in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

The report file: every chart rendered (non-empty SVG), no console errors, no network request,
language switch. The web atlas: pick table, indicator and economies, see the table and chart
update, switch language, bad requests answered 4xx. Screenshots go to out/screenshots/.
``make browser`` installs Chromium when missing; in CI a missing browser fails, elsewhere the
tests skip.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from test_web_fixtures import make_results_dir

from chainatlas.interfaces.web.server import serve_in_thread
from chainatlas.reporting import build_profile, build_report

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("CHAINATLAS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
REPORT_CHARTS = (
    "summary_shares",
    "summary_participation",
    "summary_length",
    "summary_position",
    "va_origin",
    "linkage",
    "network",
    "dependence",
)


def _need_browser() -> None:
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (run `make browser`)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (pip install -e '.[dev]')")
    if missing:
        message = "headless browser tests need " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory):
    _need_browser()
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh user-data-dir
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1300, "height": 900},
            # the server's Content-Security-Policy forbids eval, which Playwright's string
            # predicates (wait_for_function) need; test_web_security.py checks the page itself
            # under the policy
            bypass_csp=True,
        )
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


class PageWatch:
    """Console errors, page errors and every non-local request of a page."""

    def __init__(self, page, allowed_prefixes: tuple[str, ...]) -> None:
        self.errors: list[str] = []
        self.external: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

        def route(route):
            url = route.request.url
            if url.startswith(allowed_prefixes):
                route.continue_()
            else:
                self.external.append(url)
                route.abort()

        page.route("**/*", route)


RENDERED_JS = """
(div) => {
  const svg = div.querySelector('svg.main-svg');
  if (!svg) return {svg: false};
  const box = svg.getBoundingClientRect();
  const marks = div.querySelectorAll(
    'g.trace path, g.trace rect, g.heatmaplayer image, g.hm image, g.annotation, g.point'
  ).length;
  return {svg: true, width: box.width, height: box.height, marks: marks,
          traces: div.querySelectorAll('g.trace').length,
          legend: Array.from(div.querySelectorAll('.legendtext')).map(t => t.textContent)};
}
"""


AXES_JS = """
(div) => ({
  x: Array.from(div.querySelectorAll('.xtitle')).map(t => t.textContent),
  y: Array.from(div.querySelectorAll('.ytitle')).map(t => t.textContent),
  notes: Array.from(div.querySelectorAll('g.annotation')).map(t => t.textContent),
})
"""


@pytest.fixture(scope="module")
def report_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("browser-report-cache")


@pytest.fixture(scope="module")
def report_file(wiod_dir, tmp_path_factory, report_cache) -> Path:
    out = tmp_path_factory.mktemp("browser-report") / "report.html"
    return build_report("wiod2013", wiod_dir, "2009-2011", "CHN", "en", out, cache_dir=report_cache)


def _check_axes_and_text(page, lang: str) -> None:
    """Every chart has axis titles (the network, a graph, its units line); no spec pointers."""
    for key in REPORT_CHARTS:
        axes = page.locator(f"#plot-{key}").evaluate(AXES_JS)
        if key == "network":
            units = "USD million" if lang == "en" else "百万美元"
            assert any(units in note for note in axes["notes"]), (key, axes)
            continue
        assert axes["x"] and all(axes["x"]), (key, lang, axes)
        assert axes["y"] and all(axes["y"]), (key, lang, axes)
        if key in ("summary_shares", "va_origin", "dependence"):
            assert "%" in " ".join(axes["x"] + axes["y"]), (key, axes)
    text = page.locator("body").inner_text()
    assert "METHODS" not in text and "§" not in text


def test_report_renders_every_chart_offline_in_both_languages(browser_context, report_file):
    page = browser_context.new_page()
    watch = PageWatch(page, ("file://", "data:"))
    page.goto(report_file.as_uri())
    page.wait_for_function(
        "n => document.querySelectorAll('.plot svg.main-svg').length >= n",
        arg=len(REPORT_CHARTS),
        timeout=60_000,
    )
    for key in REPORT_CHARTS:
        state = page.locator(f"#plot-{key}").evaluate(RENDERED_JS)
        assert state["svg"], key
        assert state["width"] > 200 and state["height"] > 200, (key, state)
        assert state["marks"] > 0, (key, state)
    legend = page.locator("#plot-summary_participation").evaluate(RENDERED_JS)["legend"]
    assert "Forward GVC participation" in legend
    assert page.locator("header h1:visible").inner_text() == "Value-chain report: China"
    _check_axes_and_text(page, "en")
    methods = page.locator("#section-methods").inner_text()
    assert "American Economic Review 104(2): 459–494" in methods  # a full reference
    assert "TiVA DVA = WWZ DVA + RDV + domestic DDC" in methods
    page.screenshot(path=str(SCREENSHOTS / "report_en.png"), full_page=True)

    # the data table and its CSV download under a chart
    page.locator("#chart-linkage details summary").click()
    table = page.locator("#chart-linkage div[data-l='en'] table.data")
    assert table.is_visible()
    assert table.locator("tbody tr").count() == 10
    href = page.locator("#chart-linkage a.csv:visible").get_attribute("href")
    assert href.startswith("data:text/csv;charset=utf-8;base64,")

    page.locator("#lang-zh").click()
    page.wait_for_function("document.documentElement.getAttribute('data-lang') === 'zh'")
    assert page.locator("header h1:visible").inner_text() == "全球价值链报告：中国"
    legend = page.locator("#plot-summary_participation").evaluate(RENDERED_JS)["legend"]
    assert "前向GVC参与度" in legend
    assert page.locator("#section-summary h2 span:visible").inner_text() == "内容摘要"
    for key in REPORT_CHARTS:
        assert page.locator(f"#plot-{key}").evaluate(RENDERED_JS)["marks"] > 0, key
    _check_axes_and_text(page, "zh")
    assert "万亿美元" in page.locator("#section-summary").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "report_zh.png"), full_page=True)
    page.locator("#lang-en").click()
    assert page.locator("header h1:visible").inner_text() == "Value-chain report: China"

    assert watch.errors == []
    assert watch.external == []
    page.close()


def test_country_profile_renders_offline(browser_context, wiod_dir, report_cache, tmp_path):
    out = build_profile(
        "wiod2013",
        wiod_dir,
        "2009-2011",
        "CHN",
        "zh",
        tmp_path / "chn.html",
        cache_dir=report_cache,
    )
    page = browser_context.new_page()
    watch = PageWatch(page, ("file://", "data:"))
    page.set_viewport_size({"width": 800, "height": 1100})
    page.goto(out.as_uri())
    page.wait_for_function("document.querySelectorAll('.plot svg.main-svg').length >= 2")
    text = page.locator("body").inner_text()
    assert "国别概况：中国" in text and "主要伙伴" in text and "万亿美元" in text
    assert "METHODS" not in text and "§" not in text
    for key in ("summary_shares", "summary_participation"):
        axes = page.locator(f"#plot-{key}").evaluate(AXES_JS)
        assert axes["x"] and axes["y"], key
    page.screenshot(path=str(SCREENSHOTS / "profile_chn_zh.png"), full_page=True)
    assert watch.errors == [] and watch.external == []
    page.close()


@pytest.fixture(scope="module")
def atlas_url(tmp_path_factory):
    results = make_results_dir(tmp_path_factory.mktemp("browser-results"))
    server, base = serve_in_thread(results)
    yield base
    server.shutdown()
    server.server_close()


def _wait_for_rows(page, expected_text: str) -> None:
    page.wait_for_function(
        "t => { const b = document.querySelector('#result tbody');"
        " return b && b.rows.length > 0 && b.innerText.includes(t); }",
        arg=expected_text,
        timeout=30_000,
    )


def test_web_atlas_updates_table_and_chart(browser_context, atlas_url):
    page = browser_context.new_page()
    watch = PageWatch(page, (atlas_url,))
    page.goto(atlas_url + "/")
    page.wait_for_function("document.querySelectorAll('#table option').length >= 4")
    with page.expect_response(lambda r: "/api/query" in r.url and r.status == 200):
        page.select_option("#table", "participation")
    _wait_for_rows(page, "gvc_backward")  # first view: first indicator, China, country level
    assert page.locator("#result tbody tr").count() == 17

    page.select_option("#indicator", "gvc_forward")
    page.select_option("#economy", ["CHN", "USA"])
    page.select_option("#dim-level", "country")
    with page.expect_response(lambda r: "/api/query" in r.url) as answer:
        page.click("#show")
    assert answer.value.status == 200
    assert "indicator=gvc_forward" in answer.value.url
    _wait_for_rows(page, "USA")
    rows = page.locator("#result tbody tr")
    assert rows.count() == 34  # 17 years x 2 economies
    body = page.locator("#result tbody").inner_text()
    assert "gvc_forward" in body and "gvc_backward" not in body
    assert "CHN" in body and "USA" in body and "JPN" not in body
    assert page.locator("#chart g.trace").count() == 2  # one line per economy: a comparison
    assert page.locator("#rowcount").inner_text() == "34 rows"
    href = page.locator("#download").get_attribute("href")
    assert "format=csv" in href and "country=CHN%2CUSA" in href
    page.screenshot(path=str(SCREENSHOTS / "atlas_en.png"), full_page=True)

    page.locator("#lang-zh").click()
    assert page.locator("header h1").inner_text() == "chainatlas 网络图集"
    assert "美国" in page.locator("#chart .legendtext").all_text_contents()
    assert page.locator("#rowcount").inner_text() == "共 34 行"
    # categorical values are Chinese too: the level picker and the table's level column
    level_options = page.locator("#dim-level option").all_text_contents()
    assert "国家" in level_options and "country" not in level_options
    assert "country – 国家" in page.locator("#result tbody").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "atlas_zh.png"), full_page=True)

    # a bad request from the page gets a 400 with a message and the app keeps working
    status = page.evaluate(
        "fetch('/api/query?table=participation&indicator=x%27;DROP').then(r => r.status)"
    )
    assert status == 400
    page.select_option("#economy", ["JPN"])
    with page.expect_response(lambda r: "/api/query" in r.url and r.status == 200):
        page.click("#show")
    _wait_for_rows(page, "JPN")
    assert page.locator("#result tbody tr").count() == 17
    assert watch.errors == [] or all("400" in e for e in watch.errors)
    assert watch.external == []
    page.close()


def test_atlas_map_offline_url_round_trip_and_units(browser_context, atlas_url):
    """The map draws with every request outside the server cut off; the whole selection is in
    the URL and a fresh page opened on it shows the same rows; names, units and source shown."""
    page = browser_context.new_page()
    watch = PageWatch(page, (atlas_url,))
    page.goto(atlas_url + "/")
    page.wait_for_function("document.querySelectorAll('#table option').length >= 4")
    with page.expect_response(lambda r: "/api/query" in r.url and r.status == 200):
        page.select_option("#table", "participation")
    _wait_for_rows(page, "gvc_backward")
    options = page.locator("#table option").all_text_contents()
    assert "GVC participation (production- and trade-based)" in options
    page.select_option("#indicator", "gvc_forward")
    page.fill("#economy-search", "Jap")
    assert page.locator("#economy option:not([hidden])").all_text_contents() == ["Japan"]
    page.fill("#economy-search", "")
    page.select_option("#economy", ["JPN", "KOR"])
    page.select_option("#dim-level", "country")
    page.select_option("#year_from", "2000")
    page.select_option("#view", "map")
    with page.expect_response(lambda r: "/api/query" in r.url and r.status == 200):
        page.click("#show")
    _wait_for_rows(page, "KOR")
    page.wait_for_function("document.querySelectorAll('#chart g.trace').length > 100")
    assert "share (0–1)" in page.locator("#meta").inner_text()
    assert "Forward GVC participation" in page.locator("#title").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "atlas_map_en.png"), full_page=True)
    url = page.url
    assert "indicator=gvc_forward" in url and "country=JPN%2CKOR" in url and "view=map" in url
    rows = page.locator("#result tbody").inner_text()

    again = browser_context.new_page()
    PageWatch(again, (atlas_url,))
    again.goto(url)
    _wait_for_rows(again, "KOR")
    assert again.locator("#indicator").input_value() == "gvc_forward"
    assert again.locator("#year_from").input_value() == "2000"
    assert again.locator("#view").input_value() == "map"
    chosen = again.locator("#economy").evaluate(
        "s => Array.from(s.selectedOptions).map(o => o.value)"
    )
    assert sorted(chosen) == ["JPN", "KOR"]
    assert again.locator("#result tbody").inner_text() == rows
    again.close()

    # an error clears the stale chart and names the cause
    page.select_option("#year_from", "2011")
    page.select_option("#year_to", "2000")
    with page.expect_response(lambda r: "/api/query" in r.url and r.status == 400):
        page.click("#show")
    page.wait_for_function("document.querySelector('#status').className === 'error'")
    assert "year_from 2011 is after year_to 2000" in page.locator("#status").inner_text()
    assert page.locator("#chart g.trace").count() == 0
    assert page.locator("#result tbody tr").count() == 0
    assert watch.external == []
    page.close()


def test_atlas_group_selection_switches_to_the_group_level(browser_context, tmp_path):
    import pandas as pd

    rows = [
        (year, level, code, "gvc_forward", 0.1 + 0.01 * i)
        for year in (2010, 2011)
        for i, (level, code) in enumerate(
            [("country", "CHN"), ("country", "JPN"), ("group", "NEA"), ("group", "ASEAN-9")]
        )
    ]
    frame = pd.DataFrame(rows, columns=["year", "level", "country", "indicator", "value"])
    frame.to_parquet(tmp_path / "participation.parquet", index=False)
    server, base = serve_in_thread(tmp_path)
    try:
        page = browser_context.new_page()
        watch = PageWatch(page, (base,))
        page.goto(base + "/")
        _wait_for_rows(page, "CHN")
        assert page.locator("#dim-level").input_value() == "country"
        page.select_option("#economy", ["NEA"])
        with page.expect_response(lambda r: "/api/query" in r.url and r.status == 200):
            page.click("#show")
        _wait_for_rows(page, "NEA")
        assert page.locator("#dim-level").input_value() == "group"
        assert "Level switched" in page.locator("#status").inner_text()
        # a level with no rows for the selection says why instead of an empty chart
        page.select_option("#economy", ["JPN"])  # an economy, while the level is "group"
        with page.expect_response(lambda r: "/api/query" in r.url and r.status == 200):
            page.click("#show")
        page.wait_for_function("document.querySelector('#status').className === 'error'")
        assert "Japan have no rows at level" in page.locator("#status").inner_text()
        assert page.locator("#result tbody tr").count() == 0
        assert watch.external == []
        page.close()
    finally:
        server.shutdown()
        server.server_close()
