"""Loopback fakes of a Discourse forum and of the Hacker News search API (hn.algolia.com).

They speak the real JSON shapes over real HTTP on 127.0.0.1, so the connectors run their whole
code path (httpx, retries, pagination, parsing). State is plain Python that a test mutates
between fetches ("a new reply arrives"); ``fail_next`` scripts 429/500/403 answers.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, Self
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "forum_fixtures"

Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


@dataclass
class _Fault:
    status: int
    headers: dict[str, str]
    body: bytes
    times: int
    path_prefix: str | None


class LoopbackFake:
    """A threaded HTTP server on 127.0.0.1:<free port> that routes GETs to ``answer``."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                request = Request(
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                )
                status, headers, body = fake._dispatch(request)
                self.send_response(status)
                headers.setdefault("Content-Type", "application/json; charset=utf-8")
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
        path_prefix: str | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` instead of the data."""
        payload = json.dumps(body if body is not None else {"errors": [f"HTTP {status}"]})
        with self._lock:
            self._faults.append(
                _Fault(status, dict(headers or {}), payload.encode(), times, path_prefix)
            )

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def _dispatch(self, request: Request) -> Answer:
        with self._lock:
            self.requests.append(request)
            for fault in self._faults:
                if fault.times > 0 and (
                    fault.path_prefix is None or request.path.startswith(fault.path_prefix)
                ):
                    fault.times -= 1
                    return fault.status, dict(fault.headers), fault.body
            return self.answer(request)

    def answer(self, request: Request) -> Answer:
        raise NotImplementedError


def _json(data: Any, status: int = 200) -> Answer:
    return status, {}, json.dumps(data).encode()


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


# --------------------------------------------------------------------------------- Discourse


@dataclass
class DPost:
    id: int
    topic_id: int
    post_number: int
    username: str
    cooked: str
    created_at: datetime
    post_type: int = 1
    deleted: bool = False
    staff: bool = False


@dataclass
class DTopic:
    id: int
    title: str
    slug: str
    category_id: int
    tags: list[str]
    pinned: bool = False
    posts: list[DPost] = field(default_factory=list)

    @property
    def bumped_at(self) -> datetime:
        return max(p.created_at for p in self.posts if p.post_type == 1)


def _slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


class FakeDiscourse(LoopbackFake):
    """A Discourse forum: latest/category/tag listings, search, topics, posts, auth headers."""

    not_found: ClassVar[dict[str, Any]] = {
        "errors": ["The requested URL or resource could not be found."]
    }

    def __init__(
        self,
        *,
        per_page: int = 30,
        chunk_size: int = 20,
        search_page_size: int = 50,
        api_key: str | None = None,
        api_username: str | None = None,
    ) -> None:
        super().__init__()
        self.per_page = per_page
        self.chunk_size = chunk_size
        self.search_page_size = search_page_size
        self.api_key = api_key
        self.api_username = api_username
        self.categories: list[dict[str, Any]] = []
        self.topics: dict[int, DTopic] = {}
        self._next_post_id = 1000
        self._next_topic_id = 100
        self._clock = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    # -- state ------------------------------------------------------------------------------
    @classmethod
    def from_fixture(cls, name: str = "discourse_forum.json", **kwargs: Any) -> FakeDiscourse:
        fake = cls(**kwargs)
        data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
        fake.categories = data["categories"]
        pending: list[tuple[int, DTopic, dict[str, Any]]] = []
        for spec in data["topics"]:
            topic = fake.add_topic(
                spec["title"], category=spec["category"], tags=spec["tags"], posts=[]
            )
            topic.pinned = bool(spec.get("pinned", False))
            pending.extend((p["minute"], topic, p) for p in spec["posts"])
        for minute, topic, post in sorted(pending, key=lambda t: t[0]):
            fake._clock = datetime(2026, 11, 2, 9, 0, tzinfo=UTC) + timedelta(minutes=minute)
            fake.add_post(
                topic.id,
                post["username"],
                post["cooked"],
                post_type=int(post.get("post_type", 1)),
                deleted=bool(post.get("deleted", False)),
                staff=bool(post.get("staff", False)),
            )
        return fake

    def category_id(self, slug: str) -> int:
        return int(next(c["id"] for c in self.categories if c["slug"] == slug))

    def add_topic(
        self,
        title: str,
        *,
        category: str,
        tags: list[str] | None = None,
        posts: list[tuple[str, str]] | None = None,
    ) -> DTopic:
        self._next_topic_id += 1
        topic = DTopic(
            id=self._next_topic_id,
            title=title,
            slug=_slugify(title),
            category_id=self.category_id(category),
            tags=list(tags or []),
        )
        self.topics[topic.id] = topic
        for username, cooked in posts or []:
            self.add_post(topic.id, username, cooked)
        return topic

    def add_post(
        self,
        topic_id: int,
        username: str,
        cooked: str,
        *,
        post_type: int = 1,
        deleted: bool = False,
        staff: bool = False,
    ) -> DPost:
        topic = self.topics[topic_id]
        self._next_post_id += 1
        self._clock += timedelta(seconds=30)
        post = DPost(
            id=self._next_post_id,
            topic_id=topic_id,
            post_number=len(topic.posts) + 1,
            username=username,
            cooked=cooked,
            created_at=self._clock,
            post_type=post_type,
            deleted=deleted,
            staff=staff,
        )
        topic.posts.append(post)
        return post

    # -- JSON shapes ------------------------------------------------------------------------
    def _topic_summary(self, topic: DTopic) -> dict[str, Any]:
        last = topic.posts[-1]
        return {
            "id": topic.id,
            "title": topic.title,
            "fancy_title": topic.title,
            "slug": topic.slug,
            "posts_count": len(topic.posts),
            "reply_count": max(0, len(topic.posts) - 1),
            "highest_post_number": last.post_number,
            "image_url": None,
            "created_at": _iso(topic.posts[0].created_at),
            "last_posted_at": _iso(last.created_at),
            "bumped": True,
            "bumped_at": _iso(topic.bumped_at),
            "archetype": "regular",
            "unseen": False,
            "pinned": topic.pinned,
            "unpinned": None,
            "visible": True,
            "closed": False,
            "archived": False,
            "bookmarked": None,
            "liked": None,
            "tags": topic.tags,
            "views": 17,
            "like_count": 0,
            "has_summary": False,
            "last_poster_username": last.username,
            "category_id": topic.category_id,
            "pinned_globally": topic.pinned,
            "posters": [],
        }

    def _post(self, post: DPost) -> dict[str, Any]:
        topic = self.topics[post.topic_id]
        return {
            "id": post.id,
            "name": "",
            "username": post.username,
            "avatar_template": f"/user_avatar/forum.test/{post.username}/{{size}}/1_2.png",
            "created_at": _iso(post.created_at),
            "cooked": "" if post.deleted else post.cooked,
            "post_number": post.post_number,
            "post_type": post.post_type,
            "posts_count": len(topic.posts),
            "updated_at": _iso(post.created_at),
            "reply_count": 0,
            "reply_to_post_number": None,
            "quote_count": 0,
            "incoming_link_count": 0,
            "reads": 3,
            "score": 0.4,
            "yours": False,
            "topic_id": topic.id,
            "topic_slug": topic.slug,
            "display_username": "",
            "version": 1,
            "can_edit": False,
            "hidden": False,
            "trust_level": 4 if post.staff else 1,
            "moderator": post.staff,
            "admin": post.staff,
            "staff": post.staff,
            "deleted_at": _iso(post.created_at) if post.deleted else None,
            "user_deleted": post.deleted,
            "wiki": False,
            "post_url": f"/t/{topic.slug}/{topic.id}/{post.post_number}",
            "actions_summary": [],
        }

    def _listing(self, topics: list[DTopic], page: int, more_path: str) -> Answer:
        ordered = sorted(topics, key=lambda t: (not t.pinned, -t.bumped_at.timestamp(), -t.id))
        start = page * self.per_page
        chunk = ordered[start : start + self.per_page]
        topic_list: dict[str, Any] = {
            "can_create_topic": False,
            "per_page": self.per_page,
            "top_tags": [],
            "topics": [self._topic_summary(t) for t in chunk],
        }
        if start + self.per_page < len(ordered):
            topic_list["more_topics_url"] = f"{more_path}?page={page + 1}"
        return _json({"users": [], "primary_groups": [], "topic_list": topic_list})

    # -- routing ----------------------------------------------------------------------------
    def _authorised(self, request: Request) -> bool:
        if self.api_key is None:
            return True
        return request.headers.get("api-key") == self.api_key and (
            self.api_username is None or request.headers.get("api-username") == self.api_username
        )

    def answer(self, request: Request) -> Answer:
        if not self._authorised(request):
            return _json(
                {
                    "errors": ["You are not permitted to view the requested resource."],
                    "error_type": "invalid_access",
                },
                403,
            )
        path = request.path
        page = int(request.query.get("page", ["0"])[0] or 0)
        visible = [t for t in self.topics.values() if t.posts]
        if path == "/latest.json":
            return self._listing(visible, page, "/latest")
        if m := re.fullmatch(r"/c/([^/]+?)(?:/(\d+))?\.json", path):
            slug, cid = m.group(1), m.group(2)
            matching = [c for c in self.categories if c["slug"] == slug or str(c["id"]) == slug]
            if not matching or (cid and int(cid) != matching[0]["id"]):
                return _json(self.not_found, 404)
            category = matching[0]
            in_cat = [t for t in visible if t.category_id == category["id"]]
            return self._listing(in_cat, page, f"/c/{category['slug']}/{category['id']}")
        if m := re.fullmatch(r"/tag/([^/]+)\.json", path):
            return self._listing([t for t in visible if m.group(1) in t.tags], page, path[:-5])
        if path == "/search.json":
            return self._search(request.query.get("q", [""])[0], max(page, 1))
        if m := re.fullmatch(r"/t/(?:[^/]+/)?(\d+)\.json", path):
            return self._topic(int(m.group(1)))
        if m := re.fullmatch(r"/t/(\d+)/posts\.json", path):
            ids = {int(i) for i in request.query.get("post_ids[]", [])}
            topic = self.topics.get(int(m.group(1)))
            if topic is None:
                return _json(self.not_found, 404)
            posts = [self._post(p) for p in topic.posts if p.id in ids]
            return _json({"post_stream": {"posts": posts}, "id": topic.id})
        if path == "/categories.json":
            return _json({"category_list": {"categories": self.categories}})
        if path == "/session/current.json":
            if self.api_key is None:
                return _json(self.not_found, 404)
            return _json({"current_user": {"id": 1, "username": self.api_username or "system"}})
        return 404, {"Content-Type": "text/html"}, b"<html><body>Page not found</body></html>"

    def _topic(self, topic_id: int) -> Answer:
        topic = self.topics.get(topic_id)
        if topic is None:
            return _json(self.not_found, 404)
        body = self._topic_summary(topic)
        body["post_stream"] = {
            "posts": [self._post(p) for p in topic.posts[: self.chunk_size]],
            "stream": [p.id for p in topic.posts],
        }
        body["chunk_size"] = self.chunk_size
        return _json(body)

    def _search(self, q: str, page: int) -> Answer:
        terms = [w for w in q.lower().split() if ":" not in w]
        hits = [
            p
            for t in self.topics.values()
            for p in t.posts
            if p.post_type == 1
            and not p.deleted
            and all(w in (t.title + " " + p.cooked).lower() for w in terms)
        ]
        hits.sort(key=lambda p: p.created_at, reverse=True)
        start = (page - 1) * self.search_page_size
        chunk = hits[start : start + self.search_page_size]
        topic_ids = list(dict.fromkeys(p.topic_id for p in chunk))
        return _json(
            {
                "posts": [
                    {
                        "id": p.id,
                        "name": "",
                        "username": p.username,
                        "created_at": _iso(p.created_at),
                        "like_count": 0,
                        "blurb": re.sub(r"<[^>]+>", "", p.cooked)[:200],
                        "post_number": p.post_number,
                        "topic_title_headline": self.topics[p.topic_id].title,
                        "topic_id": p.topic_id,
                    }
                    for p in chunk
                ],
                "topics": [self._topic_summary(self.topics[i]) for i in topic_ids],
                "users": [],
                "categories": [],
                "tags": [],
                "groups": [],
                "grouped_search_result": {
                    "more_posts": None,
                    "more_users": None,
                    "more_categories": None,
                    "term": q,
                    "search_log_id": 1,
                    "more_full_page_results": start + self.search_page_size < len(hits),
                    "can_create_topic": False,
                    "error": None,
                    "post_ids": [p.id for p in chunk],
                },
            }
        )


# ------------------------------------------------------------------------------ Hacker News


class FakeHNSearch(LoopbackFake):
    """hn.algolia.com/api/v1/search_by_date: query, tags, numericFilters, pages (max 1000 hits)."""

    pagination_limit = 1000

    def __init__(self, items: list[dict[str, Any]] | None = None) -> None:
        super().__init__()
        self.items: list[dict[str, Any]] = []
        self.now = int(time.time())
        for item in items or []:
            self.add(item)

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v1"

    @classmethod
    def from_fixture(cls, name: str = "hn_items.json") -> FakeHNSearch:
        data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
        return cls(data["items"])

    def add(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Add an item; ``age_minutes`` (before the fake's start) or ``created_at_i`` sets time."""
        hit = {k: v for k, v in spec.items() if k not in ("age_minutes", "_kind")}
        kind = spec.get("_kind", "comment" if "comment_text" in spec else "story")
        if "created_at_i" not in hit:
            hit["created_at_i"] = self.now - int(spec.get("age_minutes", 0)) * 60
        created = datetime.fromtimestamp(hit["created_at_i"], UTC)
        hit["created_at"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
        hit["updated_at"] = hit["created_at"]
        story_id = hit.get("story_id") or int(hit["objectID"])
        hit["_tags"] = [kind, f"author_{hit.get('author', '')}", f"story_{story_id}"]
        for key in ("title", "url", "story_text", "comment_text", "story_id", "parent_id"):
            hit.setdefault(key, None)
        hit.setdefault("children", [])
        self.items.append(hit)
        return hit

    def answer(self, request: Request) -> Answer:
        if request.path != "/api/v1/search_by_date":
            return _json({"status": 404, "error": "Not Found"}, 404)
        q = request.query
        query = q.get("query", [""])[0].lower()
        hpp = min(int(q.get("hitsPerPage", ["20"])[0]), 1000)
        page = int(q.get("page", ["0"])[0])
        tags = q.get("tags", [""])[0]
        wanted = set(tags.strip("()").split(",")) if tags else None
        checks = list(_numeric_filters(q.get("numericFilters", [""])[0]))

        def matches(hit: dict[str, Any]) -> bool:
            if wanted is not None and not wanted & set(hit["_tags"]):
                return False
            if not all(check(hit) for check in checks):
                return False
            haystack = " ".join(
                str(hit.get(k) or "") for k in ("title", "story_text", "comment_text", "url")
            ).lower()
            return all(word in haystack for word in query.split())

        found = sorted(
            (h for h in self.items if matches(h)),
            key=lambda h: (h["created_at_i"], int(h["objectID"])),
            reverse=True,
        )
        reachable = found[: self.pagination_limit]
        nb_pages = -(-len(reachable) // hpp)
        chunk = reachable[page * hpp : (page + 1) * hpp]
        return _json(
            {
                "hits": [
                    {**h, "_highlightResult": {"author": {"value": h.get("author")}}} for h in chunk
                ],
                "nbHits": len(found),
                "page": page,
                "nbPages": nb_pages,
                "hitsPerPage": hpp,
                "exhaustiveNbHits": True,
                "exhaustiveTypo": True,
                "exhaustive": {"nbHits": True, "typo": True},
                "query": query,
                "params": "",
                "processingTimeMS": 1,
            }
        )


def _numeric_filters(spec: str) -> Iterator[Callable[[dict[str, Any]], bool]]:
    for part in filter(None, (p.strip() for p in spec.split(","))):
        m = re.fullmatch(r"(\w+)\s*(>=|<=|>|<|=)\s*(\d+)", part)
        if m is None:
            raise ValueError(f"fake HN search cannot parse numericFilters {part!r}")
        name, op, value = m.group(1), m.group(2), int(m.group(3))
        yield _numeric_check(name, op, value)


def _numeric_check(name: str, op: str, value: int) -> Callable[[dict[str, Any]], bool]:
    def check(hit: dict[str, Any]) -> bool:
        actual = int(hit.get(name) or 0)
        return {
            ">=": actual >= value,
            "<=": actual <= value,
            ">": actual > value,
            "<": actual < value,
            "=": actual == value,
        }[op]

    return check
