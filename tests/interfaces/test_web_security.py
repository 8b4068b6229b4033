"""Web atlas hardening (issue 14): Host names, security headers, methods, DuckDB file access,
slow clients, and query parameters fuzzed with hypothesis."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import statistics
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_web_fixtures import make_results_dir

from chainatlas.interfaces.web.server import SECURITY_HEADERS, make_server, serve_in_thread


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = make_results_dir(tmp_path_factory.mktemp("results"))
    secret = tmp_path_factory.mktemp("outside") / "secret.txt"
    secret.write_text("TOP-SECRET-LINE\n")
    with duckdb.connect(str(root / "results.duckdb")) as con:
        con.execute(
            f"CREATE VIEW leak AS SELECT 2011 AS year, 'CHN' AS country, content AS indicator, "
            f"1.0 AS value FROM read_text('{secret}')"
        )
    server, base = serve_in_thread(root)
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    yield server, host, int(port)
    server.shutdown()
    server.server_close()


def request(port: int, method: str, path: str, host: str | None = "127.0.0.1", timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    if host is not None:
        conn.putheader("Host", host)
    conn.endheaders()
    response = conn.getresponse()
    body = response.read()
    headers = dict(response.getheaders())
    conn.close()
    return response.status, body, headers


@pytest.mark.parametrize(
    "host", ["127.0.0.1:{port}", "localhost:{port}", "localhost", "[::1]:{port}", "LOCALHOST."]
)
def test_own_host_names_are_answered(served, host):
    _, _, port = served
    status, _, _ = request(port, "GET", "/api/catalog", host.format(port=port))
    assert status == 200


@pytest.mark.parametrize("host", ["evil.example:{port}", "attacker.test", "127.0.0.2", "", None])
def test_foreign_host_names_are_refused(served, host):
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 must read nothing."""
    _, _, port = served
    status, body, _ = request(
        port, "GET", "/api/catalog", None if host is None else host.format(port=port)
    )
    assert status in (400, 421)
    assert b"participation" not in body


def test_security_headers_on_every_answer(served):
    _, _, port = served
    for path in ("/", "/api/catalog", "/no/such/page", "/api/query?table=nope"):
        status, _, headers = request(port, "GET", path)
        for key, value in SECURITY_HEADERS.items():
            assert headers.get(key) == value, (path, status, key)
    csp = SECURITY_HEADERS["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert SECURITY_HEADERS["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("method", ["PROPFIND", "POST", "PUT", "DELETE", "MKCOL", "BREW"])
def test_other_methods_get_405_with_allow(served, method):
    _, _, port = served
    status, body, headers = request(port, method, "/api/catalog")
    assert status == 405 and headers.get("Allow") == "GET, HEAD"
    assert json.loads(body)["status"] == 405


def test_limit_that_is_a_unicode_digit_is_a_400_naming_the_parameter(served):
    _, _, port = served
    status, body, _ = request(port, "GET", "/api/query?table=participation&limit=%C2%B2")
    payload = json.loads(body)
    assert status == 400 and payload["parameter"] == "limit"


def test_a_view_reading_a_file_outside_the_results_is_not_served(served):
    server, _, port = served
    assert "leak" not in server.catalog.tables
    status, body, _ = request(port, "GET", "/api/catalog")
    assert status == 200 and b"TOP-SECRET" not in body
    status, body, _ = request(port, "GET", "/api/query?table=leak")
    assert status == 400 and b"TOP-SECRET" not in body
    # and the catalog's connection cannot be talked into it either
    with pytest.raises(duckdb.Error):
        server.catalog._cursor().execute("SELECT * FROM read_text('/etc/hostname')").fetchall()


def test_malformed_request_line_is_json(served):
    _, _, port = served
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GARBAGE\r\n\r\n")
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.") and b" 400 " in answer.split(b"\r\n")[0]
    assert b"application/json" in answer


def test_slow_clients_do_not_starve_the_server(served):
    """100 clients hold unfinished requests for 8 s; other clients are served meanwhile."""
    _, _, port = served
    slow = []
    for _ in range(100):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(b"GET /api/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
        slow.append(sock)
    latencies = []
    started = time.monotonic()
    try:
        while time.monotonic() - started < 8:
            t0 = time.perf_counter()
            status, _, _ = request(port, "GET", "/api/query?table=participation&limit=5", timeout=5)
            latencies.append(time.perf_counter() - t0)
            assert status == 200
            time.sleep(0.2)
        # the server dropped the idle clients after its read timeout
        closed = 0
        for sock in slow:
            sock.settimeout(0.5)
            with contextlib.suppress(TimeoutError, OSError):
                sock.recv(1024)  # b"" (closed) or the server's timeout answer
                closed += 1
        assert closed >= 90
    finally:
        for sock in slow:
            sock.close()
    assert max(latencies) < 2.0 and statistics.median(latencies) < 0.5, latencies


def test_connections_past_the_cap_get_503_not_a_hang(tmp_path):
    root = make_results_dir(tmp_path / "r")
    server = make_server(root, "127.0.0.1", 0, max_connections=3)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(3)]
    try:
        time.sleep(0.3)
        status, body, _ = request(port, "GET", "/api/catalog", timeout=5)
        assert status == 503 and b"busy" in body
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.3)
    assert request(port, "GET", "/api/catalog")[0] == 200
    server.shutdown()
    server.server_close()


def test_200_requests_over_20_threads(served):
    _, _, port = served
    paths = [
        "/api/query?table=participation&indicator=gvc_forward&country=CHN&level=country",
        "/api/catalog",
        "/api/query?table=decompose/wwz_country&term=DVA_FIN&exporter=AUS",
    ]

    def one(i):
        t0 = time.perf_counter()
        status, _, _ = request(port, "GET", paths[i % len(paths)], timeout=30)
        return status, time.perf_counter() - t0

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(one, range(200)))
    assert all(status == 200 for status, _ in answers), sorted({s for s, _ in answers})
    # the bar is a median < 150 ms on an idle 2-core machine; shared CI cores are
    # slower, so the test allows some room while still catching a starved or serial server
    median = statistics.median(t for _, t in answers)
    print(f"200 requests / 20 threads: median {1000 * median:.0f} ms")
    assert median < 0.5


_PARAM = st.sampled_from(
    ["table", "indicator", "country", "sector", "year_from", "year_to", "limit", "format", "x"]
)
_VALUE = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["participation", "decompose/wwz_country", "CHN", "2011", "²", "-1", "0",
                     "__proto__", "constructor", "csv", "json", "1e9", "2011,2010", ""]),
)  # fmt: skip


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(_PARAM, _VALUE), max_size=6))
def test_fuzzed_query_parameters_get_200_or_a_4xx_json_error(served, params):
    _, _, port = served
    query = urllib.parse.urlencode(params)
    status, body, headers = request(port, "GET", "/api/query?" + query)
    assert status in (200, 400, 404, 413, 414), (query, status, body[:200])
    if status != 200:
        payload = json.loads(body)
        assert payload["status"] == status and payload["error"]
    elif headers.get("Content-Type", "").startswith("application/json"):
        json.loads(body)


def test_the_page_works_under_its_content_security_policy(tmp_path):
    """The atlas page, with the policy enforced: table list, rows and chart, no violation."""
    from test_browser import CHROMIUM, CHROMIUM_ARGS, _need_browser

    _need_browser()
    from playwright.sync_api import sync_playwright

    server, base = serve_in_thread(make_results_dir(tmp_path / "r"))
    messages: list[str] = []

    def poll(expression: str, done) -> object:
        value = None
        for _ in range(150):  # page.evaluate runs over CDP, which the policy does not block
            value = page.evaluate(expression)
            if done(value):
                break
            time.sleep(0.1)
        return value

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page()
            page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
            page.goto(base + "/")
            assert poll("document.querySelectorAll('#table option').length", lambda n: n >= 4)
            page.select_option("#table", "participation")
            assert poll("document.querySelectorAll('#result tbody tr').length", bool)
            assert poll("document.querySelectorAll('#chart g.trace').length", bool)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    assert not [m for m in messages if "Content Security Policy" in m or "error" in m], messages
