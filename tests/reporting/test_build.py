"""``chainatlas report`` end to end on WIOD: one self-contained file, cache, atomic writes."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from chainatlas.errors import ChainAtlasError
from chainatlas.interfaces.cli.main import app
from chainatlas.reporting.build import MAX_REPORT_BYTES, load_context

CHART_KEYS = (
    "summary_shares",
    "summary_participation",
    "summary_length",
    "summary_position",
    "va_origin",
    "linkage",
    "network",
    "dependence",
)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("report-cache")


@pytest.fixture(scope="module")
def report_zh(wiod_dir, cache_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "china.html"
    result = CliRunner().invoke(
        app,
        [
            "report", "--source", "wiod2013", "--path", str(wiod_dir), "--years", "2010-2011",
            "--focus", "chn", "--lang", "zh", "--out", str(out), "--cache-dir", str(cache_dir),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output
    return out


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "chainatlas.interfaces.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_report_is_one_self_contained_file(report_zh):
    html = report_zh.read_text(encoding="utf-8")
    assert report_zh.stat().st_size < MAX_REPORT_BYTES
    assert '<html lang="zh-CN" data-lang="zh">' in html
    # nothing fetched at view time: no external scripts, styles, images or frames
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)\s*=\s*[\"']?(https?:)?//", html)
    assert "<script src" not in html
    assert "plotly.js v" in html or "plotly.js" in html  # the bundle is inlined
    for key in CHART_KEYS:
        assert f'data-chart="{key}"' in html
    assert "全球价值链报告：中国" in html and "Value-chain report: China" in html


def test_every_chart_has_a_csv_with_its_table(report_zh):
    html = report_zh.read_text(encoding="utf-8")
    links = re.findall(
        r'download="([^"]+)" href="data:text/csv;charset=utf-8;base64,([^"]+)"', html
    )
    names = {name for name, _ in links}
    for key in CHART_KEYS:
        stem = key.replace("_", "-")
        assert {f"{stem}-en.csv", f"{stem}-zh.csv"} <= names
    for name, payload in links:
        text = base64.b64decode(payload).decode("utf-8")
        assert text.startswith("\ufeff")
        lines = text.strip().splitlines()
        assert len(lines) >= 2, name  # header and at least one row
    summary = dict(links)["summary-shares-en.csv"]
    frame = pd.read_csv(pd.io.common.StringIO(base64.b64decode(summary).decode("utf-8-sig")))
    assert frame.columns[0] == "Year"
    assert frame.iloc[:, 0].tolist() == [2010, 2011]
    assert ((frame.iloc[:, 1] > 0) & (frame.iloc[:, 1] < 1)).all()


def test_cache_serves_the_second_build(wiod_dir, cache_dir, report_zh):
    ctx, cache = load_context("wiod2013", wiod_dir, [2010, 2011], "CHN", cache_dir=cache_dir)
    assert cache.hits == 2 and cache.misses == 0
    fresh, nocache = load_context("wiod2013", wiod_dir, [2010, 2011], "CHN", cache_dir=None)
    assert nocache.misses == 2
    pd.testing.assert_frame_equal(ctx.country, fresh.country)
    pd.testing.assert_frame_equal(ctx.linkage, fresh.linkage)


def test_failed_build_leaves_the_existing_file(wiod_dir, cache_dir, tmp_path):
    out = tmp_path / "report.html"
    out.write_text("previous report")
    result = _cli(
        "report", "--source", "wiod2013", "--path", str(wiod_dir), "--years", "2011",
        "--focus", "XXX", "--out", str(out), "--cache-dir", str(cache_dir),
    )  # fmt: skip
    assert result.returncode == 2
    assert "unknown focus economy 'XXX'" in result.stderr
    assert "CHN" in result.stderr
    assert "Traceback" not in result.stderr
    assert out.read_text() == "previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temp files left


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--lang", "fr"), "unknown language 'fr'"),
        (("--years", "1990-1991"), "unknown year(s) 1990, 1991"),
        (("--out", "report.txt"), "must end in .html"),
        (("--scenario", "missing.toml"), "no such file"),
        (("--focus", "ROW"), "the rest of the world is a residual"),
        (("--cache-dir", "__file__"), "the report cache must be a directory"),
    ],
)
def test_bad_options_are_one_line_errors(wiod_dir, tmp_path, args, message):
    base = {"--years": "2011", "--out": str(tmp_path / "r.html"), "--lang": "en"}
    extra = dict(zip(args[::2], args[1::2], strict=True))
    if extra.get("--cache-dir") == "__file__":  # an existing file given as the cache
        (tmp_path / "cache.txt").write_text("not a directory")
        extra["--cache-dir"] = str(tmp_path / "cache.txt")
    merged = {"--focus": "CHN"} | base | extra
    flat = [item for pair in merged.items() for item in pair]
    no_cache = [] if "--cache-dir" in extra else ["--no-cache"]
    result = _cli(
        "report", "--source", "wiod2013", "--path", str(wiod_dir), *no_cache, *flat,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_cache_key_follows_data_and_code(tmp_path, monkeypatch):
    from chainatlas.reporting import data

    table = tmp_path / "wiot_2011.RData"
    table.write_bytes(b"one")
    first = data.data_fingerprint("wiod2013", tmp_path)
    assert data.data_fingerprint("wiod2013", tmp_path) == first
    table.write_bytes(b"changed table")
    changed = data.data_fingerprint("wiod2013", tmp_path)
    assert changed != first
    monkeypatch.setattr(data, "code_fingerprint", lambda: "other code")
    assert data.data_fingerprint("wiod2013", tmp_path) != changed


def test_unknown_focus_fails_on_the_first_year(wiod_dir):
    """A typo in --focus is reported after the first year, not after computing the panel."""
    done: list[int] = []
    with pytest.raises(ChainAtlasError, match="unknown focus economy 'XXX'"):
        load_context("wiod2013", wiod_dir, [2010, 2011], "XXX", progress=done.append)
    assert done == []


def test_pdf_chart_images_and_profile_from_the_command_line(wiod_dir, cache_dir, tmp_path):
    """--pdf and --charts-dir (system Chromium), and `chainatlas profile`, on the cached years."""
    import os
    import shutil

    if not (shutil.which("chromium") or os.environ.get("CHAINATLAS_CHROMIUM")):
        if os.environ.get("CI"):
            pytest.fail("Chromium missing (make browser)")
        pytest.skip("Chromium missing (make browser)")
    common = ["--source", "wiod2013", "--path", str(wiod_dir), "--years", "2010-2011",
              "--focus", "CHN", "--cache-dir", str(cache_dir)]  # fmt: skip
    result = CliRunner().invoke(
        app,
        ["report", *common, "--out", str(tmp_path / "r.html"), "--pdf", str(tmp_path / "r.pdf"),
         "--charts-dir", str(tmp_path / "charts")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r.pdf").read_bytes()[:5] == b"%PDF-"
    charts = tmp_path / "charts"
    for key in ("summary-shares", "va-origin", "linkage", "network", "dependence"):
        for lang in ("en", "zh"):
            assert (charts / f"{key}-{lang}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            svg = (charts / f"{key}-{lang}.svg").read_text(encoding="utf-8")
            assert svg.lstrip().startswith("<svg")
            assert ("Source:" if lang == "en" else "数据：") in svg, (key, lang)
    assert "Source: WIOD world input-output tables, 2013 release" in (
        charts / "linkage-en.svg"
    ).read_text(encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["profile", *common, "--lang", "zh", "--out", str(tmp_path / "chn.html"),
         "--pdf", str(tmp_path / "chn.pdf")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    pdf = (tmp_path / "chn.pdf").read_bytes()
    assert pdf[:5] == b"%PDF-"
    assert 1 <= len(re.findall(rb"/Type\s*/Page[^s]", pdf)) <= 2  # one or two pages
    html = (tmp_path / "chn.html").read_text(encoding="utf-8")
    assert "国别概况：中国" in html and "万亿美元" in html and "METHODS" not in html
