"""`serve`'s HTTP routes, all on one port: each a thin adapter from a request to the
code `run` and `report` already use. A route is a plain function of a Request, so
routes are tested with values and new ones (the Slack app, Pub/Sub push) are added
to the table `serve` builds, beside these.

The routes are served by waitress (a production WSGI server): one process, a fixed
pool of worker threads, a listen backlog of 1024, and connections that send nothing
for 30 s (a half-sent request, an idle keep-alive) closed by the server. A request is
read whole by waitress's I/O thread before a worker sees it, so a slow client holds a
socket, never a worker."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from monitor.date_bounds import EARLIEST, LATEST, parse_bounded_date

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

def game_day(text: str) -> dt.date | None:
    """A YYYY-MM-DD date within monitor.date_bounds' years (those the command line takes
    too), else None."""
    try:
        return parse_bounded_date(text) if len(text) == 10 else None
    except ValueError:
        return None
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
            day = game_day(text)
            if day is None:
                return Response.text(400, f"bad date {text[:40]!r}: expected YYYY-MM-DD "
                                          f"from {EARLIEST} to {LATEST}")
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
# form): a larger body is refused (413) by the server before it is read.
MAX_BODY_BYTES = 1 << 20


@dataclass(frozen=True)
class ServerLimits:
    """What bounds `serve`'s HTTP server (waitress's adjustments of the same names)."""

    threads: int = 8  # workers: requests answered at once; more wait in a queue
    backlog: int = 1024  # connections the kernel holds before they are accepted
    connection_limit: int = 500  # open connections; past it, new ones wait in the backlog
    channel_timeout: int = 30  # seconds: a connection that sends nothing this long is closed
    cleanup_interval: int = 2  # seconds between looks for such connections
    after_threads: int = 4  # run what follows an answer once it is given (Response.after)


class Server:
    """The running server: its port, and `shutdown` (answers being written are
    finished first)."""

    def __init__(self, routes: Routes, host: str, port: int, limits: ServerLimits) -> None:
        from waitress.server import create_server

        self.limits = limits
        self._after = ThreadPoolExecutor(limits.after_threads, thread_name_prefix="after")
        self._server = create_server(
            wsgi_app(routes, self._after.submit), host=host, port=port,
            threads=limits.threads, backlog=limits.backlog,
            connection_limit=limits.connection_limit, channel_timeout=limits.channel_timeout,
            cleanup_interval=limits.cleanup_interval, max_request_body_size=MAX_BODY_BYTES,
            asyncore_use_poll=True,  # select() stops at file descriptor 1024
            clear_untrusted_proxy_headers=True, ident="prediction-monitor")
        self.server_address: tuple[str, int] = (
            str(self._server.effective_host), int(self._server.effective_port))
        self._thread = threading.Thread(target=self._server.run, daemon=True, name="http")
        self._thread.start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop taking connections, let the workers finish the requests they hold (up
        to `timeout`), flush their answers, then close every connection."""
        server = self._server
        if not self._thread.is_alive():
            return
        server.accepting = False
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=timeout)
        self._after.shutdown(wait=False)  # what follows the answers given still runs
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline and any(
                getattr(c, "total_outbufs_len", 0) for c in list(server._map.values())):
            time.sleep(0.02)
        server.close()  # the listening socket and the trigger
        for channel in list(server._map.values()):
            channel.close()
        self._thread.join(timeout=5)

    def server_close(self) -> None:
        self.shutdown()


def start_server(routes: Routes, port: int, host: str = "0.0.0.0",
                 limits: ServerLimits | None = None) -> Server:
    """Serve `routes` on a daemon thread, answered by a fixed pool of worker threads."""
    return Server(routes, host, port, limits or ServerLimits())


def request_from(scope: Mapping[str, Any]) -> Request:
    """A WSGI environ as a Request (headers lower-case, the body read whole: the server
    bounded it already)."""
    headers = {k[5:].replace("_", "-").lower(): str(v) for k, v in scope.items()
               if k.startswith("HTTP_")}
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if scope.get(key):
            headers[key.replace("_", "-").lower()] = str(scope[key])
    stream = scope.get("wsgi.input")
    body = stream.read() if stream is not None and headers.get("content-length") else b""
    path = str(scope.get("PATH_INFO") or "/")
    return Request(str(scope.get("REQUEST_METHOD", "GET")), path,
                   parse_qs(str(scope.get("QUERY_STRING") or "")), headers, body)


REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
           404: "Not Found", 405: "Method Not Allowed", 413: "Payload Too Large",
           429: "Too Many Requests", 500: "Internal Server Error",
           503: "Service Unavailable"}


class _Answer:
    """The body of one answer; `close` (called by the server once the body is handed
    to the connection) queues what follows the answer."""

    def __init__(self, response: Response, later: Callable[[Callable[[], None]], object]) -> None:
        self.response = response
        self.later = later

    def __iter__(self) -> Iterator[bytes]:
        yield self.response.body

    def __len__(self) -> int:
        return 1

    def close(self) -> None:
        after = self.response.after
        if after is None:
            return

        def job() -> None:
            try:
                after()
            except Exception as exc:  # noqa: BLE001 - logged; the answer is given
                # The type alone: a message could quote a response_url (a credential).
                log.warning("work after an answer failed: %s", type(exc).__name__)

        try:
            self.later(job)
        except RuntimeError:  # shutting down: nothing more starts
            log.warning("work after an answer dropped: serve is stopping")


def wsgi_app(routes: Routes, later: Callable[[Callable[[], None]], object]) -> Callable[
        [dict[str, Any], Callable[..., Any]], _Answer]:
    def app(scope: dict[str, Any], start_response: Callable[..., Any]) -> _Answer:
        request = request_from(scope)
        try:
            response = dispatch(routes, request)
        except Exception as exc:  # noqa: BLE001 - one request fails, not the server
            log.error("%s %s failed: %s", request.method, request.path[:100],
                      type(exc).__name__)
            response = Response.text(500, "internal error")
        start_response(f"{response.status} {REASONS.get(response.status, 'Status')}", [
            ("Content-Type", response.content_type),
            ("Content-Length", str(len(response.body)))])
        return _Answer(response, later)

    return app
