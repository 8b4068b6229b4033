"""The local web atlas: a read-only HTTP server over a results directory (standard library only).

Routes (GET/HEAD only):
  /                      the single-page app (static/index.html)
  /static/<file>         its assets (a fixed allow-list) and plotly.js from the plotly package
  /api/catalog           tables, indicators, entity values, years, and bilingual names
  /api/query?table=…     validated query -> JSON {columns, rows, count}; &format=csv -> CSV
Every error is JSON {"error": …} with a 4xx status; the server keeps serving.
"""

from __future__ import annotations

import json
import logging
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


class AtlasHandler(BaseHTTPRequestHandler):
    server_version = "chainatlas-atlas"
    catalog: ResultsCatalog  # set on the subclass made by make_server

    # ------------------------------------------------------------------ plumbing
    def log_message(self, format: str, *args: object) -> None:
        log.info("%s %s", self.address_string(), format % args)

    def _send(self, status: int, body: bytes, content_type: str, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

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
        self._error(HTTPStatus.METHOD_NOT_ALLOWED, "the web atlas is read-only; use GET")

    def do_POST(self) -> None:
        self._not_allowed()

    def do_PUT(self) -> None:
        self._not_allowed()

    def do_DELETE(self) -> None:
        self._not_allowed()

    def do_PATCH(self) -> None:
        self._not_allowed()

    def do_OPTIONS(self) -> None:  # without these the base class answers 501 in HTML
        self._not_allowed()

    def do_TRACE(self) -> None:
        self._not_allowed()

    def do_CONNECT(self) -> None:
        self._not_allowed()

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


def make_server(
    results: str | Path, host: str = "127.0.0.1", port: int = 8050
) -> ThreadingHTTPServer:
    """A ready (not yet serving) server over ``results``; port 0 picks a free port."""
    catalog = ResultsCatalog(results)
    handler = type("BoundAtlasHandler", (AtlasHandler,), {"catalog": catalog})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    server.catalog = catalog  # type: ignore[attr-defined]
    return server


def serve_in_thread(results: str | Path, host: str = "127.0.0.1", port: int = 0):
    """Start a server in a daemon thread (tests, notebooks); returns (server, base_url)."""
    server = make_server(results, host, port)
    thread = threading.Thread(target=server.serve_forever, name="chainatlas-atlas", daemon=True)
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    return server, f"http://{bound_host}:{bound_port}"
