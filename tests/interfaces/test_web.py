"""The web atlas server: catalog, validated queries, bad requests get 4xx and it keeps serving."""

from __future__ import annotations

import http.client
import json
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest
from test_web_fixtures import make_results_dir, participation_frame

from chainatlas.interfaces.web.catalog import MAX_ROWS, ResultsCatalog
from chainatlas.interfaces.web.server import serve_in_thread


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory):
    return make_results_dir(tmp_path_factory.mktemp("results"))


@pytest.fixture(scope="module")
def atlas(results_dir):
    server, base = serve_in_thread(results_dir)
    yield base
    server.shutdown()
    server.server_close()


def get(base: str, path: str) -> tuple[int, dict | str, dict]:
    try:
        with urllib.request.urlopen(base + path, timeout=30) as response:
            body = response.read().decode("utf-8")
            headers = dict(response.headers)
            status = response.status
    except urllib.error.HTTPError as err:
        body = err.read().decode("utf-8")
        headers = dict(err.headers)
        status = err.code
    if headers.get("Content-Type", "").startswith("application/json"):
        return status, json.loads(body), headers
    return status, body, headers


def raw_get(base: str, path: str, method: str = "GET") -> tuple[int, bytes]:
    """Send ``path`` byte for byte (no client-side normalisation of ../)."""
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.putrequest(method, path, skip_accept_encoding=True)
    conn.endheaders()
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def test_catalog_lists_tidy_tables_and_their_values(results_dir):
    catalog = ResultsCatalog(results_dir)
    assert set(catalog.tables) == {
        "participation",
        "decompose/wwz_country",
        "scenario/impacts",
        "vax_db",
    }
    participation = catalog.tables["participation"]
    assert participation.measure == "indicator"
    assert participation.years == list(range(1995, 2012))
    assert "CHN" in participation.dimensions["country"]
    assert "NEA" in participation.dimensions["country"]
    assert participation.dimensions["level"] == ["country", "country_sector"]
    assert catalog.tables["decompose/wwz_country"].measure == "term"
    assert catalog.tables["scenario/impacts"].years == []
    assert "notes" in catalog.skipped


def test_symlinks_out_of_the_directory_are_not_served(results_dir, tmp_path):
    outside = tmp_path / "outside.parquet"
    pd.DataFrame({"year": [2011], "indicator": ["x"], "value": [1.0]}).to_parquet(outside)
    link = results_dir / "linked.parquet"
    link.symlink_to(outside)
    try:
        catalog = ResultsCatalog(results_dir)
        assert "linked" not in catalog.tables
        assert "outside the results directory" in catalog.skipped[str(link)]
    finally:
        link.unlink()


def test_query_returns_exactly_the_selected_rows(atlas):
    status, body, _ = get(
        atlas, "/api/query?table=participation&indicator=gvc_forward&country=CHN,USA&level=country"
    )
    assert status == 200
    assert body["columns"] == ["year", "level", "country", "sector", "indicator", "value"]
    assert body["count"] == 34
    expected = participation_frame()
    expected = expected[
        (expected["indicator"] == "gvc_forward")
        & expected["country"].isin(["CHN", "USA"])
        & (expected["level"] == "country")
    ].sort_values(["year", "country"])
    got = pd.DataFrame(body["rows"], columns=body["columns"])
    assert got["year"].tolist() == expected["year"].tolist()
    assert got["country"].tolist() == expected["country"].tolist()
    assert got["value"].tolist() == pytest.approx(expected["value"].tolist(), rel=1e-14)


def test_years_sector_and_csv(atlas):
    query = "table=participation&indicator=plv&country=CHN&sector=c14&year_from=2005&year_to=2007"
    status, body, _ = get(atlas, "/api/query?" + query)
    assert status == 200 and body["count"] == 3
    assert [row[0] for row in body["rows"]] == [2005, 2006, 2007]
    status, text, headers = get(atlas, "/api/query?" + query + "&format=csv")
    assert status == 200
    assert headers["Content-Type"].startswith("text/csv")
    assert "attachment" in headers["Content-Disposition"]
    frame = pd.read_csv(pd.io.common.StringIO(text.lstrip("\ufeff")))
    assert frame["value"].tolist() == pytest.approx([row[-1] for row in body["rows"]])


def test_tables_without_years_and_from_duckdb(atlas):
    status, body, _ = get(atlas, "/api/query?table=scenario/impacts")
    assert status == 200 and body["count"] == 3
    status, body, _ = get(atlas, "/api/query?table=vax_db&country=USA")
    assert status == 200 and body["rows"] == [[2011, "USA", "vax", 2.0]]


BAD_REQUESTS = [
    ("/api/query?table=nope", 400, "unknown table"),
    ("/api/query", 400, "missing parameter 'table'"),
    ("/api/query?table=participation&indicator=not_there", 400, "unknown indicator"),
    (
        "/api/query?table=participation&indicator=" + urllib.parse.quote("gvc_forward' OR '1'='1"),
        400,
        "unknown indicator",
    ),
    (
        "/api/query?table=participation&country=" + urllib.parse.quote("CHN'); DROP TABLE t0; --"),
        400,
        "unknown country",
    ),
    ("/api/query?table=participation&indicator=plv&year_from=1000&year_to=9999", 400, "outside"),
    ("/api/query?table=participation&indicator=plv&year_to=99999999999", 400, "four-digit"),
    ("/api/query?table=participation&indicator=plv&year_from=2011&year_to=1995", 400, "after"),
    ("/api/query?table=participation&indicator=plv&year_from=-1", 400, "four-digit"),
    ("/api/query?table=participation&limit=100000000000", 400, "limit"),
    ("/api/query?table=participation", 400, f"more than {MAX_ROWS:,} rows"),
    ("/api/query?table=participation&colour=red", 400, "unknown parameter 'colour'"),
    ("/api/query?table=participation&country=" + ",".join(["CHN"] * 500), 400, "too many"),
    ("/api/query?table=../../etc/passwd", 400, "unknown table"),
    ("/api/query?table=participation&format=xml", 400, "format"),
    ("/api/query?table=participation&table=vax_db", 400, "more than once"),
    ("/api/query?table=scenario/impacts&year_from=2011", 400, "no year column"),
    ("/api/query?table=participation&country=%00", 400, "unknown country"),
    (
        "/api/query?table=participation&country=" + urllib.parse.quote("中国"),
        400,
        "unknown country",
    ),
    (
        "/api/query?table=participation&sector=" + urllib.parse.quote("c1%' --"),
        400,
        "unknown sector",
    ),
    ("/api/query?table=participation&indicator=", 400, "is empty"),
    ("/etc/passwd", 404, "no such page"),
    ("/static/atlas.py", 404, "no such file"),
]


@pytest.mark.parametrize(("path", "status", "message"), BAD_REQUESTS)
def test_bad_requests_get_4xx_and_the_server_keeps_serving(atlas, path, status, message):
    got, body, _ = get(atlas, path)
    assert got == status
    assert message in body["error"]
    ok, after, _ = get(atlas, "/api/query?table=vax_db")
    assert ok == 200 and after["count"] == 2


@pytest.mark.parametrize(
    "path",
    [
        "/static/../../../../etc/passwd",
        "/static/..%2f..%2f..%2fetc%2fpasswd",
        "/static/%2e%2e/%2e%2e/catalog.py",
        "/../../etc/passwd",
        "/static//etc/passwd",
    ],
)
def test_path_traversal_never_leaves_the_allow_list(atlas, path):
    status, body = raw_get(atlas, path)
    assert status == 404
    assert b"root:" not in body and b"import" not in body
    assert raw_get(atlas, "/static/atlas.js")[0] == 200


def test_read_only_and_long_urls(atlas):
    assert raw_get(atlas, "/api/query?table=vax_db", method="POST")[0] == 405
    assert raw_get(atlas, "/api/query?table=vax_db", method="DELETE")[0] == 405
    for method in ("OPTIONS", "TRACE", "PATCH"):  # JSON 405, not the base class's 501 page
        status, body = raw_get(atlas, "/api/catalog", method=method)
        assert status == 405 and b"read-only" in body, method
    status, _, _ = get(atlas, "/api/query?table=vax_db&country=" + "A" * 9000)
    assert status == 414
    assert get(atlas, "/api/query?table=vax_db")[0] == 200


def test_pages_and_assets_are_served(atlas):
    status, html, _ = get(atlas, "/")
    assert status == 200 and "/static/atlas.js" in html
    status, js, _ = get(atlas, "/static/plotly.min.js")
    assert status == 200 and len(js) > 1_000_000
    status, names, _ = get(atlas, "/api/names")
    assert names["zh"]["countries"]["CHN"] == "中国"
    assert names["texts"]["atlas.indicator"]["zh"] == "指标"
    # categorical values of the indicator tables (levels, sector groups, totals) have names
    from chainatlas.indicators._common import WIOD35_SECTOR_GROUPS

    levels = ["country_sector", "country", "group", "world", "TOTAL", "ALL_FOREIGN"]
    for value in [*levels, *WIOD35_SECTOR_GROUPS]:
        text = names["texts"][f"value.{value}"]
        assert text["en"] and any("\u4e00" <= ch <= "\u9fff" for ch in text["zh"]), value


def test_concurrent_queries_and_latency(atlas):
    queries = [
        "/api/query?table=participation&indicator=gvc_forward&country=CHN&level=country",
        "/api/query?table=participation&indicator=plv&country=CHN,USA,JPN,KOR,DEU",
        "/api/query?table=participation&indicator=gvc_backward&sector=c14&year_from=2000",
        "/api/query?table=participation&indicator=upstreamness&country=CHN&sector=c14",
        "/api/query?table=decompose/wwz_country&term=DVA_FIN&exporter=AUS",
    ]
    get(atlas, queries[0])  # warm up
    timings = []
    for _ in range(4):
        for query in queries:
            started = time.perf_counter()
            status, body, _ = get(atlas, query)
            timings.append(time.perf_counter() - started)
            assert status == 200 and body["count"] > 0
    median = statistics.median(timings)
    print(f"atlas query latency: median {1000 * median:.0f} ms, max {1000 * max(timings):.0f} ms")
    assert median <= 0.2
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda q: get(atlas, q)[0], queries * 4))
    assert statuses == [200] * len(statuses)


def test_serve_command(results_dir, tmp_path):
    missing = subprocess.run(
        [sys.executable, "-m", "chainatlas.interfaces.cli.main", "serve", "--results",
         str(tmp_path / "nope")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert missing.returncode == 2 and "results directory not found" in missing.stderr
    empty = subprocess.run(
        [sys.executable, "-m", "chainatlas.interfaces.cli.main", "serve", "--results",
         str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert empty.returncode == 2 and "no tidy result tables" in empty.stderr
    process = subprocess.Popen(
        [sys.executable, "-m", "chainatlas.interfaces.cli.main", "serve", "--results",
         str(results_dir), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = process.stdout.readline()
        assert "http://127.0.0.1:" in line  # loopback by default
        base = line.split("http://", 1)[1].split("/", 1)[0]
        status, body, _ = get("http://" + base, "/api/catalog")
        assert status == 200 and len(body["tables"]) == 4
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_atlas_over_real_indicator_output(wiod_dir, wiod_loader, tmp_path):
    """`chainatlas indicators` output served as is; answers equal the indicator functions."""
    from typer.testing import CliRunner

    from chainatlas.indicators.participation import production_participation
    from chainatlas.interfaces.cli.main import app

    results = tmp_path / "results"
    run = CliRunner().invoke(
        app,
        [
            "indicators", "--source", "wiod2013", "--path", str(wiod_dir), "--years", "2011",
            "--set", "participation,hubs", "--out", str(results),
        ],
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    server, base = serve_in_thread(results)
    try:
        status, catalog, _ = get(base, "/api/catalog")
        assert status == 200
        names = {t["name"] for t in catalog["tables"]}
        assert {"participation", "hubs"} <= names
        status, body, _ = get(
            base,
            "/api/query?table=participation&indicator=gvc_forward,gvc_backward"
            "&country=CHN&level=country",
        )
        assert status == 200
        got = pd.DataFrame(body["rows"], columns=body["columns"])
        expected = production_participation(wiod_loader(2011), levels=("country",))
        expected = expected[
            (expected["country"] == "CHN")
            & expected["indicator"].isin(["gvc_forward", "gvc_backward"])
        ].set_index("indicator")["value"]
        shown = got.set_index("indicator")["value"]
        assert len(shown) == 2
        assert shown.to_dict() == pytest.approx(expected.to_dict(), rel=1e-12)
        status, body, _ = get(base, "/api/query?table=hubs&indicator=supply_hub&type=nope")
        assert status == 400 and "unknown type" in body["error"]
    finally:
        server.shutdown()
        server.server_close()


def test_atlas_over_real_scenario_output(wiod_dir, tmp_path):
    """`chainatlas scenario run` output (wide tables with a measure column) is served too."""
    from pathlib import Path

    scenario = (
        Path(__file__).resolve().parents[2]
        / "examples"
        / "scenarios"
        / "china_intermediates_minus2.toml"
    )
    if not scenario.exists():
        pytest.skip("scenario example not in this checkout")
    out = tmp_path / "scenario"
    run = subprocess.run(
        [sys.executable, "-m", "chainatlas.interfaces.cli.main", "scenario", "run",
         str(scenario), "--path", str(wiod_dir), "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    server, base = serve_in_thread(out)
    try:
        status, body, _ = get(base, "/api/query?table=country&measure=exports&country=USA")
        assert status == 200 and body["count"] >= 1
        got = pd.DataFrame(body["rows"], columns=body["columns"])
        expected = pd.read_parquet(out / "country.parquet")
        expected = expected[(expected["measure"] == "exports") & (expected["country"] == "USA")]
        assert sorted(got["change"]) == pytest.approx(sorted(expected["change"]), rel=1e-12)
        status, body, _ = get(base, "/api/query?table=country&measure=exports&indicator=gdp")
        assert status == 400 and "not both" in body["error"]
    finally:
        server.shutdown()
        server.server_close()


def test_a_damaged_parquet_file_is_skipped_not_fatal(tmp_path):
    """One unreadable *.parquet in the results (a damaged copy, a foreign file) must not stop
    the atlas: it is skipped with a warning and the other tables are served."""
    results = tmp_path / "results"
    results.mkdir()
    participation_frame().to_parquet(results / "participation.parquet", index=False)
    (results / "damaged.parquet").write_bytes(b"not parquet at all")
    catalog = ResultsCatalog(results)
    assert list(catalog.tables) == ["participation"]
    assert catalog.skipped["damaged"].startswith("cannot read")
    process = subprocess.Popen(
        [sys.executable, "-m", "chainatlas.interfaces.cli.main", "serve", "--results",
         str(results), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = process.stdout.readline()
        assert "http://127.0.0.1:" in line, process.stderr.read()
        base = "http://" + line.split("http://", 1)[1].split("/", 1)[0]
        status, body, _ = get(base, "/api/query?table=participation&indicator=gvc_forward")
        assert status == 200 and body["count"] > 0
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert "warning: skipped damaged: cannot read" in stderr
    assert "Traceback" not in stderr


def test_catalog_names_units_and_source_of_tables(tmp_path):
    """Human titles in both languages, units per indicator, and the source line read from the
    Parquet file's own metadata (or said to be unknown)."""
    import pandas as pd

    from chainatlas.interfaces.web.catalog import ResultsCatalog

    frame = pd.DataFrame(
        {"year": [2011, 2011], "exporter": ["CHN", "USA"], "term": ["DVA_FIN", "MVA_FIN"],
         "value": [1.0, 2.0]}
    )  # fmt: skip
    frame.attrs = {"table": "wiod2013", "release": "WIOD world input-output tables, 2013 release",
                   "year": 2011}  # fmt: skip
    (tmp_path / "decompose").mkdir()
    frame.to_parquet(tmp_path / "decompose" / "wwz_country.parquet", index=False)
    plain = pd.DataFrame({"year": [2011], "country": ["CHN"], "indicator": ["gvc_forward"],
                          "value": [0.1]})  # fmt: skip
    plain.to_parquet(tmp_path / "participation.parquet", index=False)
    described = {t["name"]: t for t in ResultsCatalog(tmp_path).describe()["tables"]}
    wwz = described["decompose/wwz_country"]
    assert wwz["title"]["en"] == "WWZ decomposition of gross exports (16 terms), by exporter"
    assert wwz["title"]["zh"].startswith("总出口WWZ分解")
    assert wwz["source"]["en"] == "Source: WIOD world input-output tables, 2013 release, 2011"
    assert wwz["units"]["DVA_FIN"]["en"] == "USD million, current prices"
    part = described["participation"]
    assert part["units"]["gvc_forward"] == {"en": "share (0–1)", "zh": "比重（0–1）"}
    assert "not recorded" in part["source"]["en"]
    assert "NEA" in ResultsCatalog(tmp_path).describe()["groups"]
    from chainatlas.util.labels import write_source_note

    write_source_note(tmp_path, "wiod2013", [1995, 2011])  # as `indicators` and `demo` do
    part = {t["name"]: t for t in ResultsCatalog(tmp_path).describe()["tables"]}["participation"]
    assert part["source"]["zh"] == "数据来源：WIOD世界投入产出表（2013年版）, 1995–2011"
