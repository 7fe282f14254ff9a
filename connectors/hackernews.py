"""Hacker News stories and comments matching queries, through the public HN search API.

The API (hn.algolia.com/api/v1/search_by_date) answers newest first and stops paging after
1,000 hits. So per query we collect everything newer than the cursor, walking the window
down by ``created_at_i`` when the page limit is reached, then yield it oldest first: the
cursor (the newest second yielded, plus the ids yielded in the few minutes before it, which
is where late-indexed items land) only ever moves over items that were yielded, so a crash
or restart neither loses nor repeats an item.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from connectors.base import Batch, ConnectorConfig, ConnectorError, RawItem
from connectors.configs.hackernews import HackerNewsConfig
from connectors.http import HttpClient, HttpConnector, safe_url
from connectors.text import html_to_text

HN_ITEM_URL = "https://news.ycombinator.com/item?id="
LATE_INDEXING_SECONDS = 300
"""Items can reach the search index a little after newer ones: each run looks back this far."""
MAX_RECENT_IDS = 1_000
"""Bound on the ids remembered from that look-back window (they keep a re-read from repeating)."""
MAX_WINDOWS = 50
"""Bound on how often one fetch narrows its time window to get past the 1,000-hit limit."""


class HackerNewsConnector(HttpConnector[HackerNewsConfig]):
    """Stories and comments from news.ycombinator.com that match the configured queries."""

    type: ClassVar[str] = "hackernews"
    Config: ClassVar[builtins.type[ConnectorConfig]] = HackerNewsConfig

    # -- public ------------------------------------------------------------------------------
    def check(self) -> None:
        """One tiny search: proves the API answers, and answers in the HN search shape."""
        with self._client() as http:
            data = self._search(http, self.config.queries[0], f"created_at_i>={_now()}", 0, 1)
        if not isinstance(data.get("hits"), list):
            raise ConnectorError(
                f"{safe_url(self._endpoint)} did not answer like the HN search API",
                hint="api_url should be https://hn.algolia.com/api/v1 or a compatible proxy",
                permanent=True,
            )

    def fetch(self, cursor: Mapping[str, Any] | None) -> Iterator[Batch]:
        """Per query, pages of new hits oldest first, each batch with the cursor after it."""
        state = _load_cursor(cursor)
        with self._client() as http:
            for query in self.config.queries:
                mark = state.get(query)
                if mark is None:  # first run: backfill, and remember where it started
                    mark = state[query] = _Mark(_now() - self.config.backfill_days * 86400)
                    if not (hits := self._collect(http, query, mark)):
                        yield Batch(items=(), cursor=_dump_cursor(state))
                else:
                    hits = self._collect(http, query, mark)
                size = self.config.hits_per_page
                for start in range(0, len(hits), size):
                    page = hits[start : start + size]
                    for hit in page:
                        mark.saw(str(hit["objectID"]), int(hit["created_at_i"]))
                    mark.prune()
                    items = tuple(i for i in (self._item(h, query) for h in page) if i)
                    yield Batch(items=items, cursor=_dump_cursor(state))

    # -- internals ---------------------------------------------------------------------------
    @property
    def _endpoint(self) -> str:
        return f"{self.config.api_url}/search_by_date"

    def _search(
        self, http: HttpClient, query: str, numeric: str, page: int, per_page: int
    ) -> dict[str, Any]:
        params = {
            "query": query,
            "tags": f"({','.join(self.config.tags)})",
            "numericFilters": numeric,
            "hitsPerPage": per_page,
            "page": page,
        }
        try:
            data = http.get_json(self._endpoint, params=params)
        except ConnectorError as exc:
            raise ConnectorError(
                f"Hacker News search failed for query {query!r}: {exc.message}",
                hint=exc.hint or "check api_url",
                permanent=exc.permanent,
                retry_after=exc.retry_after,
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("hits"), list):
            raise ConnectorError(
                f"{safe_url(self._endpoint)} answered without a 'hits' list",
                hint="api_url should point at the HN search API (https://hn.algolia.com/api/v1)",
                permanent=True,
            )
        return data

    def _collect(self, http: HttpClient, query: str, mark: _Mark) -> list[dict[str, Any]]:
        """Every hit newer than ``mark``, oldest first, across pages and narrowed windows.

        Past MAX_WINDOWS windows (50,000 hits, only thinkable on a huge first backfill) the
        oldest part of the backfill is left out rather than fetching without end.
        """
        since = mark.since
        found: dict[str, dict[str, Any]] = {}
        upper: int | None = None
        for _ in range(MAX_WINDOWS):
            numeric = f"created_at_i>={since}"
            if upper is not None:
                numeric += f",created_at_i<={upper}"
            page, pages, got, total = 0, 1, 0, 0
            oldest: int | None = None
            while page < pages:
                data = self._search(http, query, numeric, page, self.config.hits_per_page)
                pages = int(data.get("nbPages") or 0)
                total = int(data.get("nbHits") or 0)
                for hit in data["hits"]:
                    if not isinstance(hit, dict) or "objectID" not in hit:
                        continue
                    ts = int(hit.get("created_at_i") or 0)
                    oid = str(hit["objectID"])
                    got += 1
                    oldest = ts if oldest is None else min(oldest, ts)
                    if ts < since or oid in mark.recent:
                        continue
                    found[oid] = hit
                if not data["hits"]:
                    break
                page += 1
            if got >= total or oldest is None or (upper is not None and oldest >= upper):
                break
            upper = oldest  # the API stopped paging: look again below what we reached
        return sorted(found.values(), key=lambda h: (int(h["created_at_i"]), _id_key(h)))

    def _item(self, hit: Mapping[str, Any], query: str) -> RawItem | None:
        oid = str(hit["objectID"])
        tags = hit.get("_tags") or []
        is_comment = "comment" in tags or (hit.get("comment_text") is not None)
        body = html_to_text(str(hit.get("comment_text") or hit.get("story_text") or ""))
        title = None if is_comment else (hit.get("title") or None)
        text = body or (title or "")
        if not text.strip():
            return None  # deleted or dead items have no text
        created = hit.get("created_at_i")
        return RawItem(
            external_id=oid,
            text=text,
            title=title,
            url=f"{HN_ITEM_URL}{oid}",
            author=hit.get("author") or None,
            created_at=datetime.fromtimestamp(int(created), UTC) if created else None,
            kind="comment" if is_comment else "post",
            segment={"community": "hackernews"},
            metadata={
                "query": query,
                "story_id": hit.get("story_id"),
                "parent_id": hit.get("parent_id"),
                "story_title": hit.get("story_title"),
                "link": hit.get("url") or hit.get("story_url"),
                "points": hit.get("points"),
            },
        )


def _now() -> int:
    return int(time.time())


def _id_key(hit: Mapping[str, Any]) -> tuple[int, str]:
    oid = str(hit["objectID"])
    return (int(oid), oid) if oid.isdigit() else (0, oid)


@dataclass
class _Mark:
    """Where one query stands: the newest second yielded and the ids yielded in the look-back."""

    ts: int
    recent: dict[str, int] = field(default_factory=dict)
    """objectID → created_at_i of items yielded within LATE_INDEXING_SECONDS of ``ts``."""

    @property
    def since(self) -> int:
        return self.ts - LATE_INDEXING_SECONDS

    def saw(self, object_id: str, created: int) -> None:
        self.ts = max(self.ts, created)
        self.recent[object_id] = created

    def prune(self) -> None:
        kept = sorted((t, o) for o, t in self.recent.items() if t >= self.since)
        self.recent = {o: t for t, o in kept[-MAX_RECENT_IDS:]}


def _load_cursor(cursor: Mapping[str, Any] | None) -> dict[str, _Mark]:
    """Per-query marks from a stored cursor; anything unreadable starts that query afresh."""
    state: dict[str, _Mark] = {}
    queries = cursor.get("queries") if cursor else None
    if not isinstance(queries, Mapping):
        return state
    for query, mark in queries.items():
        if isinstance(mark, Mapping) and isinstance(mark.get("ts"), int):
            recent = mark.get("recent")
            recent = recent if isinstance(recent, Mapping) else {}
            state[str(query)] = _Mark(
                mark["ts"], {str(o): t for o, t in recent.items() if isinstance(t, int)}
            )
    return state


def _dump_cursor(state: Mapping[str, _Mark]) -> dict[str, Any]:
    return {
        "v": 1,
        "queries": {q: {"ts": m.ts, "recent": dict(m.recent)} for q, m in state.items()},
    }
