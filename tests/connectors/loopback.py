"""A real HTTP server on 127.0.0.1 for connector tests: routes, recorded requests, 304s.

Connectors are tested against the protocol, not against mocks of our own code: this server
speaks HTTP/1.1 on a free loopback port in a background thread. A route maps a path to

* a ``Reply`` (status, headers, body, optional delay before answering),
* a list of replies, served in order, the last one repeating (e.g. 500, 500, 200), or
* a callable ``(RecordedRequest) -> Reply`` for anything dynamic.

Conditional GET is built in: when a reply carries ``ETag`` and the request's
``If-None-Match`` matches, or it carries ``Last-Modified`` and ``If-Modified-Since`` is not
older, the server answers 304 with no body (turn off with ``Reply(conditional=False)``).

    with LoopbackServer({"/feed.xml": Reply(body=xml, headers={"ETag": '"v1"'})}) as server:
        fetch(server.url("/feed.xml"))
        assert server.requests[0].headers["User-Agent"].startswith("listener")
"""

from __future__ import annotations

import gzip
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, TypeAlias
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Reply:
    """One canned HTTP answer."""

    status: int = 200
    body: bytes | str = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before sending anything (for timeout tests; interrupted by stop())."""
    conditional: bool = True

    def body_bytes(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


Handler: TypeAlias = Callable[[RecordedRequest], Reply]
Route: TypeAlias = Reply | list[Reply] | Handler


def gzip_reply(
    body: bytes, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> Reply:
    """A reply whose body is gzip-compressed on the wire (Content-Encoding: gzip)."""
    return Reply(
        status=status,
        body=gzip.compress(body),
        headers={**(headers or {}), "Content-Encoding": "gzip"},
    )


def redirect(location: str, status: int = 301) -> Reply:
    return Reply(status=status, headers={"Location": location})


class LoopbackServer:
    """Threaded HTTP server on 127.0.0.1:<free port>. Use as a context manager."""

    def __init__(self, routes: Mapping[str, Route] | None = None) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.requests: list[RecordedRequest] = []
        self._served: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def route(self, path: str, route: Route) -> None:
        """Add or replace a route (resets its position in a reply sequence)."""
        with self._lock:
            self.routes[path] = route
            self._served.pop(path, None)

    def requests_for(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def start(self) -> LoopbackServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="loopback-http",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- request handling -------------------------------------------------------------------

    def _answer(self, request: RecordedRequest, raw_path: str) -> Reply:
        with self._lock:
            self.requests.append(request)
            key = raw_path if raw_path in self.routes else request.path
            route = self.routes.get(key)
            index = self._served.get(key, 0)
            self._served[key] = index + 1
        if route is None:
            return Reply(status=404, body=b"not found", headers={"Content-Type": "text/plain"})
        if isinstance(route, Reply):
            reply = route
        elif isinstance(route, list):
            reply = route[min(index, len(route) - 1)]
        else:
            reply = route(request)
        if reply.conditional and 200 <= reply.status < 300 and _not_modified(reply, request):
            keep = {k: v for k, v in reply.headers.items() if k.lower() in _KEEP_ON_304}
            return Reply(status=304, headers=keep, delay=reply.delay)
        return reply

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms stalls

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = RecordedRequest(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                reply = server._answer(request, self.path)
                if reply.delay and server._stopping.wait(reply.delay):
                    return
                payload = reply.body_bytes()
                try:
                    self.send_response(reply.status)
                    names = {k.lower() for k in reply.headers}
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    if "content-length" not in names:
                        self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if self.command != "HEAD" and reply.status not in (204, 304):
                        self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = _handle

            def log_message(self, format: str, *args: Any) -> None:
                return  # keep test output clean

        return _Handler


class _QuietServer(ThreadingHTTPServer):
    """Clients that hang up mid-response (a capped download, a timeout) are not errors here."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


_KEEP_ON_304 = frozenset({"etag", "last-modified", "cache-control", "expires", "date"})


def _not_modified(reply: Reply, request: RecordedRequest) -> bool:
    headers = {k.lower(): v for k, v in reply.headers.items()}
    etag = headers.get("etag")
    inm = request.header("If-None-Match")
    if etag is not None and inm is not None:
        wanted = {t.strip() for t in inm.split(",")}
        return "*" in wanted or etag in wanted or _weakless(etag) in {_weakless(t) for t in wanted}
    modified = headers.get("last-modified")
    ims = request.header("If-Modified-Since")
    if modified is not None and ims is not None:
        try:
            return parsedate_to_datetime(modified) <= parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return modified == ims
    return False


def _weakless(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag
