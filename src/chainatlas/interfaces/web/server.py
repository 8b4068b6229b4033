"""The local web atlas: a read-only HTTP server over a results directory (standard library only).

Routes (GET/HEAD only):
  /                      the single-page app (static/index.html)
  /static/<file>         its assets (a fixed allow-list) and plotly.js from the plotly package
  /api/catalog           tables, indicators, entity values, years, and bilingual names
  /api/query?table=…     validated query -> JSON {columns, rows, count}; &format=csv -> CSV
Every error is JSON {"error": …} with a 4xx status; the server keeps serving.

Hardening (issue 14): requests whose Host is not one of the server's own names are refused
(421), so a web page cannot read the atlas through DNS rebinding; every answer carries a
Content-Security-Policy, X-Frame-Options, Referrer-Policy and nosniff; methods other than
GET/HEAD get 405 with ``Allow``; a client has ``REQUEST_TIMEOUT`` seconds per read and at
most ``MAX_CONNECTIONS`` connections are served at once (the rest get 503), so slow or idle
clients cannot starve the others. The catalog opens results with DuckDB's external file
access off (see catalog.py).
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from functools import lru_cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from chainatlas.interfaces.web.catalog import QueryError, ResultsCatalog

log = logging.getLogger("chainatlas.web")

MAX_URL_LENGTH = 8192
REQUEST_TIMEOUT = 5.0  # seconds a client may take for each read of its request
MAX_CONNECTIONS = 256  # connections served at once; beyond that: 503 at once
ALLOWED_METHODS = "GET, HEAD"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "same-origin",
}
STATIC_FILES = {
    "atlas.js": "text/javascript; charset=utf-8",
    "atlas.css": "text/css; charset=utf-8",
    "world_110m.json": "application/json",  # Natural Earth 110m (public domain), for the map
}


@lru_cache(maxsize=1)
def _plotly_js() -> bytes:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().encode("utf-8")


def _static(name: str) -> bytes:
    return resources.files("chainatlas.interfaces.web").joinpath("static", name).read_bytes()


@lru_cache(maxsize=1)
def _names_payload() -> bytes:
    from chainatlas.reporting import names

    payload = {
        lang: {
            "countries": names.country_names(lang),
            "sectors": names.sector_names(lang),
            "indicators": names.indicator_names(lang),
            "regions": {k.split(".", 1)[1]: v[lang] for k, v in names.all_texts("region.").items()},
        }
        for lang in names.LANGUAGES
    }
    payload["texts"] = (
        names.all_texts("atlas.") | names.all_texts("label.") | names.all_texts("value.")
    )
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def _host_name(header: str) -> str:
    """'127.0.0.1:8050' -> '127.0.0.1', '[::1]:80' -> '::1', 'Example.org.' -> 'example.org'."""
    text = header.strip().lower()
    if text.startswith("["):
        return text[1 : text.find("]")] if "]" in text else text
    if text.count(":") == 1:
        text = text.split(":", 1)[0]
    return text.rstrip(".")


class AtlasHandler(BaseHTTPRequestHandler):
    server_version = "chainatlas-atlas"
    catalog: ResultsCatalog  # set on the subclass made by make_server
    allowed_hosts: frozenset[str] = frozenset()  # likewise
    timeout = REQUEST_TIMEOUT  # socket timeout of every read and write (slow clients)

    # ------------------------------------------------------------------ plumbing
    def log_message(self, format: str, *args: object) -> None:
        log.info("%s %s", self.address_string(), format % args)

    def _send(self, status: int, body: bytes, content_type: str, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in SECURITY_HEADERS.items():
            self.send_header(key, value)
        self.send_header("Cache-Control", "no-store")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The base class's errors (bad request line, headers too long, …) as JSON too."""
        self.close_connection = True
        if self.request_version == "HTTP/0.9":  # a garbled request line: answer in HTTP/1.0
            self.request_version = "HTTP/1.0"
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "error"
        self._error(code, message or phrase)

    def parse_request(self) -> bool:
        """Refuse foreign Host names and methods other than GET/HEAD before routing."""
        if not super().parse_request():
            return False
        host = self.headers.get("Host")
        if host is None or _host_name(host) not in self.allowed_hosts:
            self.close_connection = True
            shown = "no Host header" if host is None else f"Host {host[:100]!r}"
            self._error(
                HTTPStatus.MISDIRECTED_REQUEST,
                f"{shown} is not this server's name; open the atlas at its own address "
                f"({', '.join(sorted(self.allowed_hosts))})",
            )
            return False
        if self.command not in ("GET", "HEAD"):
            self.close_connection = True
            self._not_allowed()
            return False
        return True

    def _json(self, status: int, payload: object, extra: dict | None = None) -> None:
        body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8", extra)

    def _error(self, status: int, message: str, **details: object) -> None:
        self._json(status, {"error": message, "status": status, **details})

    # ------------------------------------------------------------------ methods
    def do_GET(self) -> None:
        started = time.perf_counter()
        try:
            self._route()
        except QueryError as exc:
            self._json(HTTPStatus.BAD_REQUEST, {**exc.as_dict(), "status": 400})
        except Exception:  # pragma: no cover - a bug; report it without stopping the server
            log.exception("error while answering %s", self.path)
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error (see the server log)")
        finally:
            log.debug("%s answered in %.1f ms", self.path, 1000 * (time.perf_counter() - started))

    def do_HEAD(self) -> None:
        self.do_GET()

    def _not_allowed(self) -> None:
        body = json.dumps(
            {
                "error": "the web atlas is read-only; use GET",
                "status": 405,
                "allow": ["GET", "HEAD"],
            }
        ).encode("utf-8")
        self._send(
            HTTPStatus.METHOD_NOT_ALLOWED,
            body,
            "application/json; charset=utf-8",
            {"Allow": ALLOWED_METHODS},
        )

    def _route(self) -> None:
        if len(self.path) > MAX_URL_LENGTH:
            self._error(HTTPStatus.REQUEST_URI_TOO_LONG, "request URL too long")
            return
        parts = urlsplit(self.path)
        route = parts.path
        if route in ("/", "/index.html"):
            self._send(HTTPStatus.OK, _static("index.html"), "text/html; charset=utf-8")
        elif route == "/static/plotly.min.js":
            self._send(
                HTTPStatus.OK,
                _plotly_js(),
                "text/javascript; charset=utf-8",
                {"Cache-Control": "max-age=86400"},
            )
        elif route.startswith("/static/"):
            name = route[len("/static/") :]
            if name not in STATIC_FILES:  # exact allow-list: no path is ever built from input
                self._error(HTTPStatus.NOT_FOUND, f"no such file: {route[:100]}")
                return
            self._send(HTTPStatus.OK, _static(name), STATIC_FILES[name])
        elif route == "/api/catalog":
            self._json(HTTPStatus.OK, self.catalog.describe())
        elif route == "/api/names":
            self._send(HTTPStatus.OK, _names_payload(), "application/json; charset=utf-8")
        elif route == "/api/query":
            self._query(parts.query)
        elif route == "/favicon.ico":
            self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
        else:
            self._error(HTTPStatus.NOT_FOUND, f"no such page: {route[:100]}")

    def _query(self, query_string: str) -> None:
        try:
            params = parse_qs(
                query_string, keep_blank_values=True, strict_parsing=False, max_num_fields=64
            )
        except ValueError as exc:
            raise QueryError(f"bad query string: {exc}") from None
        fmt = params.get("format", ["json"])[-1]
        if fmt not in ("json", "csv"):
            raise QueryError(
                "format must be json or csv", parameter="format", allowed=["json", "csv"]
            )
        table, frame = self.catalog.query(params)
        if fmt == "csv":
            body = ("\ufeff" + frame.to_csv(index=False)).encode("utf-8")
            filename = table.name.replace("/", "_") + ".csv"
            self._send(
                HTTPStatus.OK,
                body,
                "text/csv; charset=utf-8",
                {"Content-Disposition": f'attachment; filename="{filename}"'},
            )
            return
        records = json.loads(frame.to_json(orient="values", double_precision=15))
        self._json(
            HTTPStatus.OK,
            {
                "table": table.name,
                "columns": list(frame.columns),
                "rows": records,
                "count": len(frame),
            },
        )


_BUSY_BODY = b'{"error": "server busy, retry", "status": 503}'
_BUSY = (
    b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Connection: close\r\nRetry-After: 1\r\n"
    + f"Content-Length: {len(_BUSY_BODY)}\r\n\r\n".encode()
    + _BUSY_BODY
)


class AtlasServer(ThreadingHTTPServer):
    """One thread per connection, at most ``MAX_CONNECTIONS`` at once (then 503 at once)."""

    daemon_threads = True

    def __init__(self, address, handler, max_connections: int = MAX_CONNECTIONS):
        super().__init__(address, handler)
        self._slots = threading.BoundedSemaphore(max_connections)

    def process_request(self, request, client_address) -> None:
        if not self._slots.acquire(blocking=False):
            with contextlib.suppress(OSError):
                request.settimeout(1.0)
                request.sendall(_BUSY)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def _own_names(host: str, port: int) -> frozenset[str]:
    names = {"localhost", "127.0.0.1", "::1", host.lower().strip("[]")}
    if host in ("0.0.0.0", "::", ""):
        # listening on every interface: the machine's own names and addresses are its names
        hostname = socket.gethostname()
        names |= {hostname.lower(), socket.getfqdn().lower()}
        with contextlib.suppress(OSError):
            names |= {info[4][0] for info in socket.getaddrinfo(hostname, None)}
    return frozenset(n for n in names if n)


def make_server(
    results: str | Path,
    host: str = "127.0.0.1",
    port: int = 8050,
    *,
    allowed_hosts: set[str] | frozenset[str] | None = None,
    max_connections: int = MAX_CONNECTIONS,
) -> ThreadingHTTPServer:
    """A ready (not yet serving) server over ``results``; port 0 picks a free port.

    ``allowed_hosts``: extra names the server answers to (a reverse proxy's name); the
    loopback names and the bound address always work.
    """
    catalog = ResultsCatalog(results)
    handler = type("BoundAtlasHandler", (AtlasHandler,), {"catalog": catalog})
    server = AtlasServer((host, port), handler, max_connections=max_connections)
    names = _own_names(host, server.server_address[1]) | {h.lower() for h in (allowed_hosts or ())}
    handler.allowed_hosts = names
    server.catalog = catalog  # type: ignore[attr-defined]
    return server


def serve_in_thread(results: str | Path, host: str = "127.0.0.1", port: int = 0):
    """Start a server in a daemon thread (tests, notebooks); returns (server, base_url)."""
    server = make_server(results, host, port)
    thread = threading.Thread(target=server.serve_forever, name="chainatlas-atlas", daemon=True)
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    return server, f"http://{bound_host}:{bound_port}"
