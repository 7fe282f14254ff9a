"""A loopback fake of Reddit's OAuth API that the real PRAW talks to over HTTP.

It answers the endpoints the reddit connector uses with the shapes Reddit really sends (learnt
from PRAW's recorded cassettes): the client-credentials token endpoint with basic auth,
``Listing`` JSON with ``t3``/``t1`` children, fullnames, ``after``/``before`` paging,
``x-ratelimit-*`` headers, 403/404 bodies with a ``reason`` for private and banned subreddits,
the 302 to ``/subreddits/search`` that an unknown subreddit gets, and injectable failures
(429 with Retry-After, 500). Every request is recorded so tests can assert on what PRAW sent.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "reddit_fixtures"
CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "fake-client-secret-s3cr3t"


@dataclass
class FakeSubreddit:
    display_name: str
    status: str = "public"  # public | private | banned
    things: list[dict[str, Any]] = field(default_factory=list)  # {"kind": ..., "data": ...}


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class Failure:
    """A canned error answer for requests whose path starts with ``prefix``."""

    prefix: str
    status: int
    headers: dict[str, str]
    body: str
    times: int


def _fullname(thing: Mapping[str, Any]) -> str:
    return str(thing["data"]["name"])


class FakeReddit:
    """State of the fake: subreddits with their things, credentials, failures, a request log."""

    def __init__(self) -> None:
        self.client_id = CLIENT_ID
        self.client_secret = CLIENT_SECRET
        self.subreddits: dict[str, FakeSubreddit] = {}
        self.requests: list[Recorded] = []
        self.failures: list[Failure] = []
        self.raw_pages: dict[str, str] = {}
        self.ratelimit = {"remaining": 996.0, "used": 4, "reset": 300}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._counter = 0

    # -- content ----------------------------------------------------------------------------
    def add_subreddit(self, name: str, status: str = "public") -> FakeSubreddit:
        sub = FakeSubreddit(display_name=name, status=status)
        self.subreddits[name.lower()] = sub
        return sub

    def load_fixture(self, filename: str, now: float | None = None) -> FakeSubreddit:
        """Load a fixture file: a subreddit and its things, ages given in ``_age_hours``."""
        spec = json.loads((FIXTURES / filename).read_text(encoding="utf-8"))
        sub = self.add_subreddit(spec["subreddit"], spec.get("status", "public"))
        for thing in spec["things"]:
            self.add_thing(sub.display_name, thing, now=now)
        return sub

    def add_thing(
        self, subreddit: str, thing: dict[str, Any], now: float | None = None
    ) -> dict[str, Any]:
        """Add a ``t3``/``t1`` thing; fill the fields Reddit always sends from its id and age."""
        now = time.time() if now is None else now
        sub = self.subreddits[subreddit.lower()]
        data = dict(thing["data"])
        kind = thing["kind"]
        age = float(data.pop("_age_hours", 0.0))
        created = float(data.get("created_utc", now - age * 3600.0))
        data.setdefault("created_utc", created)
        data.setdefault("created", created)
        data.setdefault("name", f"{kind}_{data['id']}")
        data.setdefault("subreddit", sub.display_name)
        data.setdefault("subreddit_id", f"t5_{_sub_id(sub.display_name)}")
        data.setdefault("subreddit_name_prefixed", f"r/{sub.display_name}")
        data.setdefault("subreddit_type", "public")
        data.setdefault("author_fullname", f"t2_{data.get('author', 'x')[:6].lower()}")
        data.setdefault("score", 1)
        data.setdefault("ups", 1)
        data.setdefault("downs", 0)
        data.setdefault("edited", False)
        data.setdefault("distinguished", None)
        data.setdefault("stickied", False)
        data.setdefault("banned_by", None)
        data.setdefault("removal_reason", None)
        if kind == "t3":
            slug = "_".join(data.get("title", "post").lower().split()[:6]) or "post"
            perma = f"/r/{sub.display_name}/comments/{data['id']}/{slug}/"
            data.setdefault("permalink", perma)
            data.setdefault("url", f"https://www.reddit.com{perma}")
            data.setdefault("domain", f"self.{sub.display_name}")
            data.setdefault("is_self", True)
            data.setdefault("selftext", "")
            data.setdefault("num_comments", 0)
            data.setdefault("over_18", False)
            data.setdefault("removed_by_category", None)
        else:
            link = data.setdefault("link_id", "t3_000000")
            data.setdefault("parent_id", link)
            data.setdefault(
                "permalink", f"/r/{sub.display_name}/comments/{link[3:]}/_/{data['id']}/"
            )
            data.setdefault("replies", "")
            data.setdefault("is_submitter", False)
        full = {"kind": kind, "data": data}
        with self._lock:
            sub.things.append(full)
        return full

    def fail(
        self,
        prefix: str,
        status: int,
        *,
        headers: Mapping[str, str] | None = None,
        body: str = "",
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests under ``prefix`` with ``status``."""
        self.failures.append(Failure(prefix, status, dict(headers or {}), body, times))

    def serve_raw(self, path: str, body: str) -> None:
        """Serve a recorded response body verbatim as the first page of ``path``."""
        self.raw_pages[path.rstrip("/")] = body

    def listing_requests(self, suffix: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.rstrip("/").endswith(suffix)]

    # -- server -----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeReddit:
        fake = self

        class Handler(_Handler):
            state = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeReddit:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- listing logic ----------------------------------------------------------------------
    def next_token(self) -> str:
        with self._lock:
            self._counter += 1
            return f"fake-token-{self._counter}"

    def listing(self, things: list[dict[str, Any]], query: Mapping[str, str]) -> dict[str, Any]:
        """Page newest-first like Reddit: ``after``/``before`` are fullnames, ``limit`` <= 100."""
        ordered = sorted(
            things, key=lambda t: (t["data"]["created_utc"], t["data"]["id"]), reverse=True
        )
        limit = max(1, min(int(query.get("limit", "25")), 100))
        names = [_fullname(t) for t in ordered]
        if query.get("after"):
            if query["after"] not in names:
                return _listing([], None, None)
            start = names.index(query["after"]) + 1
            page = ordered[start : start + limit]
        elif query.get("before"):
            if query["before"] not in names:
                return _listing([], None, None)
            end = names.index(query["before"])
            page = ordered[max(0, end - limit) : end]
        else:
            start = 0
            page = ordered[:limit]
        more = bool(page) and names.index(_fullname(page[-1])) + 1 < len(ordered)
        after = _fullname(page[-1]) if more else None
        before = (
            _fullname(page[0]) if page and (query.get("after") or query.get("before")) else None
        )
        return _listing(page, after, before)


def _listing(
    children: list[dict[str, Any]], after: str | None, before: str | None
) -> dict[str, Any]:
    return {
        "kind": "Listing",
        "data": {
            "after": after,
            "dist": len(children),
            "modhash": "",
            "geo_filter": "",
            "children": children,
            "before": before,
        },
    }


class _Handler(BaseHTTPRequestHandler):
    state: FakeReddit
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    # -- plumbing ---------------------------------------------------------------------------
    def _send(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        raw = body if isinstance(body, str) else json.dumps(body)
        data = raw.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if self.close_connection:  # the client asked to close (PRAW does on token requests)
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def _ratelimit_headers(self) -> dict[str, str]:
        rl = self.state.ratelimit
        return {
            "x-ratelimit-remaining": f"{float(rl['remaining']):.1f}",
            "x-ratelimit-used": str(int(rl["used"])),
            "x-ratelimit-reset": str(int(rl["reset"])),
        }

    def _record(self) -> tuple[str, dict[str, str]]:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.state.requests.append(Recorded(self.command, parts.path, query, headers))
        return parts.path, query

    def _canned_failure(self, path: str) -> bool:
        for failure in self.state.failures:
            if failure.times > 0 and path.startswith(failure.prefix):
                failure.times -= 1
                self._send(failure.status, failure.body, failure.headers)
                return True
        return False

    # -- endpoints --------------------------------------------------------------------------
    def do_POST(self) -> None:
        path, _ = self._record()
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if self._canned_failure(path):
            return
        if path != "/api/v1/access_token":
            self._send(404, {"message": "Not Found", "error": 404})
            return
        expected = f"{self.state.client_id}:{self.state.client_secret}".encode()
        auth = self.headers.get("Authorization", "")
        if auth != "Basic " + base64.b64encode(expected).decode():
            self._send(401, {"message": "Unauthorized", "error": 401})
            return
        if form.get("grant_type") != "client_credentials":
            self._send(200, {"error": "unsupported_grant_type"})
            return
        token = self.state.next_token()
        self._send(
            200, {"access_token": token, "token_type": "bearer", "expires_in": 86400, "scope": "*"}
        )

    def do_GET(self) -> None:
        path, query = self._record()
        if self._canned_failure(path):
            return
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("bearer fake-token-"):
            self._send(
                401,
                {"message": "Unauthorized", "error": 401},
                {"www-authenticate": 'Bearer realm="reddit", error="invalid_token"'},
            )
            return
        raw = self.state.raw_pages.get(path.rstrip("/"))
        if raw is not None:
            body = raw if not query.get("after") else json.dumps(_listing([], None, None))
            self._send(200, body, self._ratelimit_headers())
            return
        parts = [p for p in path.split("/") if p]
        if parts == ["search"]:
            self._search(None, query)
        elif len(parts) == 3 and parts[0] == "r":
            self._subreddit_endpoint(parts[1], parts[2], query)
        else:
            self._send(404, {"message": "Not Found", "error": 404}, self._ratelimit_headers())

    def _subreddit_endpoint(self, names: str, endpoint: str, query: dict[str, str]) -> None:
        if names.lower() == "all" and endpoint == "search":
            self._search(None, query)
            return
        subs: list[FakeSubreddit] = []
        for name in names.split("+"):
            sub = self.state.subreddits.get(name.lower())
            if sub is None:
                if endpoint == "about":
                    self._send(404, {"message": "Not Found", "error": 404})
                else:  # Reddit sends unknown subreddits to its subreddit search page
                    self._send(302, "", {"Location": f"/subreddits/search.json?q={name}"})
                return
            if sub.status == "private":
                self._send(403, {"reason": "private", "message": "Forbidden", "error": 403})
                return
            if sub.status == "banned":
                self._send(404, {"reason": "banned", "message": "Not Found", "error": 404})
                return
            subs.append(sub)
        if endpoint == "about":
            sub = subs[0]
            about = {
                "display_name": sub.display_name,
                "display_name_prefixed": f"r/{sub.display_name}",
                "subreddit_type": sub.status,
                "name": f"t5_{_sub_id(sub.display_name)}",
                "id": _sub_id(sub.display_name),
                "url": f"/r/{sub.display_name}/",
                "over18": False,
            }
            self._send(200, {"kind": "t5", "data": about}, self._ratelimit_headers())
        elif endpoint in ("new", "comments"):
            kind = "t3" if endpoint == "new" else "t1"
            things = [t for s in subs for t in s.things if t["kind"] == kind]
            self._send(200, self.state.listing(things, query), self._ratelimit_headers())
        elif endpoint == "search":
            restrict = query.get("restrict_sr", "").lower() in ("1", "true", "on")
            self._search(subs if restrict else None, query)
        else:
            self._send(404, {"message": "Not Found", "error": 404}, self._ratelimit_headers())

    def _search(self, subs: list[FakeSubreddit] | None, query: dict[str, str]) -> None:
        needle = query.get("q", "").lower().strip('"')
        pool = subs if subs is not None else list(self.state.subreddits.values())
        things = [
            t
            for s in pool
            if s.status == "public"
            for t in s.things
            if t["kind"] == "t3" and needle in _searchable(t)
        ]
        self._send(200, self.state.listing(things, query), self._ratelimit_headers())


def _sub_id(name: str) -> str:
    return f"{zlib.crc32(name.lower().encode()) % 10**6:x}"


def _searchable(thing: Mapping[str, Any]) -> str:
    data = thing["data"]
    return f"{data.get('title', '')}\n{data.get('selftext', '')}".lower()


def iter_things(listing: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield from listing["data"]["children"]
