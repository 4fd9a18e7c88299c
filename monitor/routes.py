"""`serve`'s HTTP routes, all on one port: each a thin adapter from a request to the
code `run` and `report` already use. A route is a plain function of a Request, so
routes are tested with values and new ones (the Slack app, Pub/Sub push) are added
to the table `serve` builds, beside these."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, list[str]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    # Runs once the answer is written and flushed: work that must not delay it (Slack
    # wants an answer within 3 s; the slash command's checks start only after).
    after: Callable[[], None] | None = field(default=None, compare=False)

    @classmethod
    def text(cls, status: int, text: str) -> Response:
        return cls(status, (text.rstrip("\n") + "\n").encode())

    @classmethod
    def json(cls, status: int, body: Any) -> Response:
        return cls(status, json.dumps(body).encode(), "application/json")


Route = Callable[[Request], Response]
Routes = Mapping[tuple[str, str], Route]  # (method, path) → route


def health_route(report: Callable[[], tuple[int, dict[str, Any]]]) -> Route:
    """/healthz: the scheduler's Health.report (503 when the last cycle failed)."""

    def route(request: Request) -> Response:
        status, body = report()
        return Response.json(status, body)

    return route


def metrics_route(exposition: Callable[[], bytes], content_type: str) -> Route:
    """/metrics: whatever the exporter holds now; a scrape never runs a cycle."""

    def route(request: Request) -> Response:
        return Response(200, exposition(), content_type)

    return route


def report_route(render: Callable[[dt.date | None], str]) -> Route:
    """/report?date=D: the HTML page of `report --out` (default: the latest date)."""

    def route(request: Request) -> Response:
        text = request.param("date")
        day: dt.date | None = None
        if text:
            try:
                day = dt.date.fromisoformat(text)
            except ValueError:
                return Response.text(400, f"bad date {text[:40]!r}: expected YYYY-MM-DD")
        try:
            page = render(day)
        except Exception as exc:  # noqa: BLE001 - the page fails, the server does not
            log.warning("report not rendered: %s: %s", type(exc).__name__, exc)
            return Response.text(503, f"report unavailable: {type(exc).__name__}")
        return Response(200, page.encode(), "text/html; charset=utf-8")

    return route


def dispatch(routes: Routes, request: Request) -> Response:
    route = routes.get((request.method, request.path))
    if route is not None:
        return route(request)
    if any(path == request.path for _, path in routes):
        return Response.text(405, f"{request.method} not allowed on {request.path}")
    return Response.text(404, f"no route {request.path}")


# Every request serve answers is small (a Pub/Sub push of one batch's keys, a Slack
# form): a larger body is refused before it is read.
MAX_BODY_BYTES = 1 << 20


def body_length(header: str | None) -> int | Response:
    """The Content-Length to read, or the answer that refuses it."""
    if not header:
        return 0
    try:
        length = int(header)
    except ValueError:
        return Response.text(400, "Content-Length is not a number")
    if length < 0:
        return Response.text(400, "Content-Length is negative")
    if length > MAX_BODY_BYTES:
        return Response.text(413, f"body over {MAX_BODY_BYTES} bytes")
    return length


def start_server(routes: Routes, port: int, host: str = "0.0.0.0") -> ThreadingHTTPServer:
    """Serve `routes` on a daemon thread; each request on its own thread, so a slow
    page never holds up /healthz or /metrics."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass  # request lines could carry query strings; routes log what matters

        def _handle(self, method: str) -> None:
            url = urlsplit(self.path)
            length = body_length(self.headers.get("Content-Length"))
            if isinstance(length, Response):  # refused before reading (or authenticating)
                self.close_connection = True
                self._send(length)
                return
            request = Request(method, url.path, parse_qs(url.query),
                              {k.lower(): v for k, v in self.headers.items()},
                              self.rfile.read(length) if length else b"")
            self._send(dispatch(routes, request))

        def _send(self, response: Response) -> None:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)
            self.wfile.flush()
            if response.after is not None:
                response.after()

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._handle("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._handle("POST")

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True, name="http").start()
    return server
