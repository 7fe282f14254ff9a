"""Posts from a Discourse forum: latest topics (or categories, tags, a search), then their posts.

Discourse post ids grow with time across the whole forum, so the cursor is made of post ids:
per topic, the highest post id already yielded; for topics it no longer tracks (the map is
bounded), a ``floor`` below which posts count as seen. Per listing (latest, a category, a
tag, a search) it also keeps the newest ``bumped_at`` processed, so the next run walks the
listing only down to what it has already handled. Topics are processed oldest-bumped first
and each batch carries the cursor after it, so a crash never skips a post and a restart
never repeats one.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from connectors.base import Batch, ConnectorConfig, ConnectorContext, ConnectorError, RawItem
from connectors.configs.discourse import DiscourseConfig
from connectors.discourse_api import ForumApi, auth_headers
from connectors.http import HttpClient, HttpConnector, safe_url
from connectors.text import html_to_text

MAX_TRACKED_TOPICS = 5_000
"""Topics whose last post id the cursor remembers; older ones fold into ``floor``."""
MAX_LISTING_PAGES = 20
"""How deep one run walks a listing (30 topics a page) looking for activity since last time."""
POSTS_PER_REQUEST = 20
"""Discourse serves a topic's posts in chunks of 20 (``/t/{id}/posts.json?post_ids[]=``)."""

# Quotes repeat someone else's words, oneboxes are previews of other sites and image "meta"
# blocks are file names: none of it is what this poster said.
_NOT_THE_POSTERS_WORDS = re.compile(
    r'<aside class="(?:quote|onebox)[^"]*"[^>]*>.*?</aside>|<div class="meta">.*?</div>',
    re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class _Listing:
    key: str
    kind: str  # latest | category | tag | search
    arg: str = ""


@dataclass
class _State:
    topics: dict[int, int] = field(default_factory=dict)
    floor: int = 0
    listings: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, cursor: Mapping[str, Any] | None) -> _State:
        """The stored cursor; a garbled part restarts that part rather than crashing."""
        state = cls()
        if not cursor:
            return state
        topics = cursor.get("topics")
        if isinstance(topics, Mapping):
            for key, value in topics.items():
                if str(key).isdigit() and isinstance(value, int):
                    state.topics[int(key)] = value
        if isinstance(cursor.get("floor"), int):
            state.floor = cursor["floor"]
        listings = cursor.get("listings")
        if isinstance(listings, Mapping):
            state.listings = {
                str(k): v for k, v in listings.items() if isinstance(v, str) and _time(v)
            }
        return state

    def threshold(self, topic_id: int) -> int:
        return self.topics.get(topic_id, self.floor)

    def saw(self, topic_id: int, post_id: int) -> None:
        self.topics[topic_id] = max(self.topics.get(topic_id, 0), post_id)
        if len(self.topics) > MAX_TRACKED_TOPICS:
            by_age = sorted(self.topics.items(), key=lambda kv: kv[1])
            for tid, last in by_age[: len(self.topics) - MAX_TRACKED_TOPICS]:
                self.floor = max(self.floor, last)
                del self.topics[tid]

    def dump(self) -> dict[str, Any]:
        return {
            "v": 1,
            "topics": {str(k): v for k, v in sorted(self.topics.items())},
            "floor": self.floor,
            "listings": dict(self.listings),
        }


class DiscourseConnector(HttpConnector[DiscourseConfig]):
    """New posts in a Discourse forum's recently active topics (or categories, tags, search)."""

    type: ClassVar[str] = "discourse"
    Config: ClassVar[builtins.type[ConnectorConfig]] = DiscourseConfig

    def __init__(
        self, config: DiscourseConfig, context: ConnectorContext, *, http: HttpClient | None = None
    ) -> None:
        super().__init__(config, context, http=http)
        self._host = urlsplit(config.base_url).hostname or config.base_url

    # -- public ------------------------------------------------------------------------------
    def check(self) -> None:
        """Reachable, a Discourse forum, credentials accepted, every listing exists."""
        with self._api() as api:
            data = api.get("/latest.json", what="the latest topics")
            if not isinstance(data.get("topic_list"), Mapping):
                raise ConnectorError(
                    f"{safe_url(self.config.base_url)} does not look like a Discourse forum",
                    hint="base_url should be the forum's home address, e.g. "
                    "https://forum.example.com (no /latest, no path to a topic)",
                    permanent=True,
                )
            me = api.get("/session/current.json", what="the API user") if api.headers else {}
            if api.headers and not me.get("current_user"):
                raise ConnectorError(
                    "the forum did not accept the API key as a login",
                    hint=f"check that ${self.config.api_key_env} holds an active key "
                    "(and api_username_env its user, for an all-users key)",
                    permanent=True,
                )
            for listing in self._listings():
                if listing.kind != "latest":
                    self._listing_page(api, listing, 0)

    def fetch(self, cursor: Mapping[str, Any] | None) -> Iterator[Batch]:
        """One batch per topic (or per 20 of its posts), each with the cursor after it."""
        state = _State.load(cursor)
        stored = state.dump()
        with self._api() as api:
            categories = self._category_names(api)
            done: set[int] = set()
            for listing in self._listings():
                since = state.listings.get(listing.key)
                for topic in self._candidates(api, listing, since):
                    tid = int(topic["id"])
                    chunks = [] if tid in done else self._new_posts(api, topic, state)
                    done.add(tid)
                    for n, (posts, last_id) in enumerate(chunks):
                        state.saw(tid, last_id)
                        if n == len(chunks) - 1:
                            state.listings[listing.key] = _bumped(topic)
                        items = (self._item(p, topic, categories, listing) for p in posts)
                        stored = state.dump()
                        yield Batch(items=tuple(i for i in items if i), cursor=stored)
                    state.listings[listing.key] = _bumped(topic)
            if state.dump() != stored:  # only listing marks moved: keep them too
                yield Batch(items=(), cursor=state.dump())

    # -- listings ----------------------------------------------------------------------------
    def _listings(self) -> list[_Listing]:
        out = [_Listing(f"category:{c}", "category", c) for c in self.config.categories]
        out += [_Listing(f"tag:{t}", "tag", t) for t in self.config.tags]
        if self.config.search:
            out.append(_Listing(f"search:{self.config.search}", "search", self.config.search))
        return out or [_Listing("latest", "latest")]

    def _listing_page(
        self, api: ForumApi, listing: _Listing, page: int
    ) -> tuple[list[Mapping[str, Any]], bool, list[str]]:
        """Topics on one page, whether there is a next page, and post times (search only)."""
        if listing.kind == "search":
            q = listing.arg if "order:" in listing.arg else f"{listing.arg} order:latest"
            data = api.get("/search.json", {"q": q, "page": page + 1}, what="the search")
            grouped = _mapping(data.get("grouped_search_result"))
            posts = [p for p in _list(data.get("posts")) if isinstance(p, Mapping)]
            return (
                [t for t in _list(data.get("topics")) if isinstance(t, Mapping) and "id" in t],
                bool(grouped.get("more_full_page_results")),
                [str(p.get("created_at") or "") for p in posts],
            )
        if listing.kind == "category":
            path, what = f"/c/{quote(listing.arg)}.json", f"category {listing.arg!r}"
        elif listing.kind == "tag":
            path, what = f"/tag/{quote(listing.arg, safe='')}.json", f"tag {listing.arg!r}"
        else:
            path, what = "/latest.json", "the latest topics"
        data = api.get(path, {"page": page} if page else None, what=what)
        topic_list = _mapping(data.get("topic_list"))
        topics = [t for t in _list(topic_list.get("topics")) if isinstance(t, Mapping)]
        return [t for t in topics if "id" in t], bool(topic_list.get("more_topics_url")), []

    def _candidates(
        self, api: ForumApi, listing: _Listing, since: str | None
    ) -> list[Mapping[str, Any]]:
        """Topics bumped since the last run, oldest first, at most max_topics_per_fetch.

        On the first run that is the most recently active ones; later it is the oldest of the
        active ones, so a busy forum is worked through over several runs without a gap.
        """
        limit = self.config.max_topics_per_fetch
        floor = _time(since) if since else None
        found: dict[int, Mapping[str, Any]] = {}
        for page in range(MAX_LISTING_PAGES):
            topics, more, post_times = self._listing_page(api, listing, page)
            older = False
            for topic in topics:
                bumped = _time(_bumped(topic))
                if floor is not None and (bumped is None or bumped < floor):
                    older = older or not topic.get("pinned")
                    continue
                found[int(topic["id"])] = topic
            if floor is not None and any((t := _time(s)) and t < floor for s in post_times):
                older = True
            if not topics or not more or older or (floor is None and len(found) >= limit):
                break
        ordered = sorted(found.values(), key=_bump_order)
        return ordered[-limit:] if floor is None else ordered[:limit]

    # -- posts -------------------------------------------------------------------------------
    def _new_posts(
        self, api: ForumApi, topic: Mapping[str, Any], state: _State
    ) -> list[tuple[list[Mapping[str, Any]], int]]:
        """Posts newer than the topic's mark, in chunks of 20 ids (ascending)."""
        tid = int(topic["id"])
        try:
            data = api.get(f"/t/{tid}.json", what=f"topic {tid}")
        except ConnectorError as exc:
            if "(HTTP 404)" in exc.message:
                return []  # deleted or made private between the listing and now
            raise
        stream_data = _mapping(data.get("post_stream"))
        present = {
            int(p["id"]): p
            for p in _list(stream_data.get("posts"))
            if isinstance(p, Mapping) and isinstance(p.get("id"), int)
        }
        stream = [i for i in _list(stream_data.get("stream")) if isinstance(i, int)]
        threshold = state.threshold(tid)
        fresh = sorted(i for i in (stream or present) if i > threshold)
        chunks: list[tuple[list[Mapping[str, Any]], int]] = []
        for start in range(0, len(fresh), POSTS_PER_REQUEST):
            ids = fresh[start : start + POSTS_PER_REQUEST]
            missing = [i for i in ids if i not in present]
            if missing:
                more = api.get(
                    f"/t/{tid}/posts.json", {"post_ids[]": missing}, what=f"posts of topic {tid}"
                )
                for post in _list(_mapping(more.get("post_stream")).get("posts")):
                    if isinstance(post, Mapping) and isinstance(post.get("id"), int):
                        present[int(post["id"])] = post
            chunks.append(([present[i] for i in ids if i in present], ids[-1]))
        return chunks

    def _item(
        self,
        post: Mapping[str, Any],
        topic: Mapping[str, Any],
        categories: Mapping[int, str],
        listing: _Listing,
    ) -> RawItem | None:
        if post.get("post_type", 1) != 1 or post.get("deleted_at") or post.get("hidden"):
            return None  # moderator actions, whispers, deleted and hidden posts
        if post.get("staff") and not self.config.include_staff_posts:
            return None
        text = html_to_text(_NOT_THE_POSTERS_WORDS.sub("", str(post.get("cooked") or "")))
        if not text:
            return None
        tid = int(topic["id"])
        number = int(post.get("post_number") or 0)
        slug = str(post.get("topic_slug") or topic.get("slug") or "topic")
        segment = {"forum": self._host}
        category = categories.get(_int(topic.get("category_id")))
        if category is None and listing.kind == "category":
            category = listing.arg.split("/")[0]
        if category:
            segment["category"] = category
        return RawItem(
            external_id=str(post["id"]),
            text=text,
            title=(str(topic.get("title") or "") or None) if number == 1 else None,
            url=f"{self.config.base_url}/t/{slug}/{tid}/{number}",
            author=str(post.get("username") or "") or None,
            created_at=_time(str(post.get("created_at") or "")),
            kind="post" if number == 1 else "comment",
            segment=segment,
            metadata={
                "topic_id": tid,
                "post_number": number,
                "topic_title": topic.get("title"),
                "category_id": topic.get("category_id"),
                "tags": [str(t) for t in _list(topic.get("tags"))],
                "reply_to_post_number": post.get("reply_to_post_number"),
            },
        )

    # -- HTTP --------------------------------------------------------------------------------
    @contextmanager
    def _api(self) -> Iterator[ForumApi]:
        headers = auth_headers(self.config)
        with self._client() as http:
            yield ForumApi(http, self.config, headers, self._host)

    def _category_names(self, api: ForumApi) -> dict[int, str]:
        """Category id → slug for segments; a forum that hides the list just goes without."""
        try:
            params = {"include_subcategories": "true"}
            data = api.get("/categories.json", params, what="the categories")
        except ConnectorError as exc:
            if exc.permanent or exc.retry_after is not None:
                raise
            return {}
        names: dict[int, str] = {}
        stack = list(_list(_mapping(data.get("category_list")).get("categories")))
        while stack:
            cat = stack.pop()
            if isinstance(cat, Mapping) and isinstance(cat.get("id"), int) and cat.get("slug"):
                names[int(cat["id"])] = str(cat["slug"])
                stack.extend(_list(cat.get("subcategory_list")))
        return names


def _bumped(topic: Mapping[str, Any]) -> str:
    return str(topic.get("bumped_at") or topic.get("last_posted_at") or topic.get("created_at"))


def _bump_order(topic: Mapping[str, Any]) -> tuple[float, int]:
    when = _time(_bumped(topic))
    return (when.timestamp() if when else 0.0, int(topic["id"]))


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _int(value: Any) -> int:
    return value if isinstance(value, int) else -1


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
