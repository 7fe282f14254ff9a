"""RSS/Atom feeds (``type: feed``): conditional GET, redirects, 410s and malformed XML.

feedparser never fetches anything itself (it has no timeout and no size cap, and it reads
local paths): ``HttpClient`` fetches the bytes and feedparser only parses them. Per-feed state
lives in the cursor so that a restarted daemon sends the same ETag/Last-Modified, uses the
URL a 301 moved us to, keeps skipping feeds that answered 410 and does not repeat entries:

    {"feeds": {"<configured url or path>": {"etag": ..., "modified": ..., "location": ...,
               "gone": false, "seen": ["<seen_token of recent entry keys>"], "file": {...}}}}
"""

from __future__ import annotations

import builtins
import contextlib
import copy
import hashlib
import io
import logging
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urljoin

import feedparser

from connectors.base import (
    Batch,
    ConnectorConfig,
    ConnectorError,
    ConnectorErrors,
    Cursor,
    RawItem,
)
from connectors.configs.feed import FeedConfig, is_remote
from connectors.http import HttpClient, HttpConnector, HttpStatusError, safe_url
from connectors.text import html_to_text

log = logging.getLogger("connectors.feed")

SEEN_LIMIT = 500
"""Entry keys remembered per feed (never fewer than the feed currently lists)."""


def seen_token(key: str) -> str:
    """What the cursor remembers of an entry key: short, so the cursor stays small."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class FeedConnector(HttpConnector[FeedConfig]):
    """Reads RSS 0.9x/1.0/2.0, Atom and CDF feeds from URLs or local files."""

    type: ClassVar[str] = "feed"
    Config: ClassVar[builtins.type[ConnectorConfig]] = FeedConfig

    # -- public contract ----------------------------------------------------------------------

    def check(self) -> None:
        """Every file exists and every URL answers with a feed; every bad one is named."""
        problems: list[ConnectorError] = []
        with self._client(max_retries=1) as http:
            for index, url in enumerate(self.config.urls):
                try:
                    self._check_one(http, url)
                except ConnectorError as exc:
                    problems.append(ConnectorError(f"urls[{index}]: {exc.message}", hint=exc.hint))
        if len(problems) == 1:
            raise problems[0]
        if problems:
            raise ConnectorErrors(problems)

    def _check_one(self, http: HttpClient, url: str) -> None:
        if is_remote(url):
            response = http.get(url)
            body, headers = response.body, dict(response.headers)
            where = safe_url(response.url)
        else:
            body = self._read_file(url)
            headers, where = {}, str(self.context.resolve(url))
        parsed = parse_feed(body, headers, where)
        if not _looks_like_feed(parsed, body):
            raise ConnectorError(
                f"{where} is not an RSS or Atom feed",
                hint="point urls at the feed itself (often /feed, /rss or /atom.xml), "
                "not at the web page",
            )

    def fetch(self, cursor: Cursor | None) -> Iterator[Batch]:
        """One Batch per feed that has news; failures are collected and raised at the end."""
        state = _load_cursor(cursor, self.config.urls)
        failures: dict[str, ConnectorError] = {}
        gone: list[str] = []
        yielded_keys: set[str] = set()
        with self._client() as http:
            for url in self.config.urls:
                if self.context.stopping():
                    return  # the rest waits for the next run; nothing was skipped for good
                feed_state = state["feeds"][url]
                if feed_state.get("gone"):
                    gone.append(url)
                    continue
                before = copy.deepcopy(feed_state)
                try:
                    items = self._fetch_one(http, url, feed_state, yielded_keys)
                except HttpStatusError as exc:
                    if exc.status != 410:
                        failures[url] = exc
                        state["feeds"][url] = before  # no ETag of an unread body survives
                        continue
                    log.warning("feed %s answered 410 Gone; it will be skipped", safe_url(url))
                    feed_state["gone"] = True
                    gone.append(url)
                    items = []
                except ConnectorError as exc:
                    failures[url] = exc
                    state["feeds"][url] = before
                    continue
                if items or feed_state != before:
                    yield Batch(items=tuple(items), cursor=copy.deepcopy(state))
        self._raise_for(failures, gone)

    # -- one feed -------------------------------------------------------------------------------

    def _fetch_one(
        self, http: HttpClient, url: str, feed_state: dict[str, Any], yielded: set[str]
    ) -> list[RawItem]:
        if is_remote(url):
            fetched = self._fetch_remote(http, url, feed_state)
        else:
            fetched = self._fetch_file(url, feed_state)
        if fetched is None:
            return []
        body, headers, where = fetched
        parsed = parse_feed(body, headers, where)
        if parsed.get("bozo"):
            problem = parsed.get("bozo_exception")
            log.warning(
                "feed %s is malformed (%s: %s); keeping the %d entries that parsed",
                safe_url(where),
                type(problem).__name__,
                str(problem)[:200],
                len(parsed.get("entries") or []),
            )
        if not _looks_like_feed(parsed, body):
            problem = parsed.get("bozo_exception")
            reason = f" ({type(problem).__name__})" if problem is not None else ""
            raise ConnectorError(
                f"{safe_url(where)} could not be read as a feed{reason}",
                hint="open it in a browser: it may be an HTML page or an error page",
            )
        return self._new_items(url, parsed, feed_state, yielded, base=where)

    def _fetch_remote(
        self, http: HttpClient, url: str, feed_state: dict[str, Any]
    ) -> tuple[bytes, Mapping[str, str], str] | None:
        target = feed_state.get("location") or url
        headers: dict[str, str] = {
            "Accept": "application/atom+xml, application/rss+xml, application/rdf+xml, "
            "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
        }
        if feed_state.get("etag"):
            headers["If-None-Match"] = feed_state["etag"]
        if feed_state.get("modified"):
            headers["If-Modified-Since"] = feed_state["modified"]
        response = http.get(target, headers=headers)
        if response.permanent_redirect:
            log.info("feed %s moved permanently to %s", safe_url(url), response.permanent_redirect)
            feed_state["location"] = response.permanent_redirect
        if response.not_modified:
            return None
        feed_state["etag"] = response.headers.get("ETag")
        feed_state["modified"] = response.headers.get("Last-Modified")
        return response.body, response.headers, response.url

    def _fetch_file(
        self, path: str, feed_state: dict[str, Any]
    ) -> tuple[bytes, Mapping[str, str], str] | None:
        resolved = self.context.resolve(path)
        try:
            stat = resolved.stat()
        except OSError as exc:
            raise ConnectorError(
                f"feed file {resolved} cannot be read ({exc.strerror or exc})",
                hint="check the path in urls (relative paths start at the config file's folder)",
            ) from None
        stamp = {"mtime_ns": stat.st_mtime_ns, "size": stat.st_size}
        previous = feed_state.get("file") or {}
        if all(previous.get(k) == v for k, v in stamp.items()):
            return None
        body = self._read_file(path)
        digest = hashlib.sha256(body).hexdigest()
        feed_state["file"] = {**stamp, "sha256": digest}
        if previous.get("sha256") == digest:
            return None
        return body, {}, str(resolved)

    def _read_file(self, path: str) -> bytes:
        resolved = self.context.resolve(path)
        try:
            with resolved.open("rb") as handle:
                body = handle.read(self.config.max_bytes + 1)
        except OSError as exc:
            raise ConnectorError(
                f"feed file {resolved} cannot be read ({exc.strerror or exc})",
                hint="check the path in urls (relative paths start at the config file's folder)",
            ) from None
        if len(body) > self.config.max_bytes:
            raise ConnectorError(
                f"feed file {resolved} is larger than {self.config.max_bytes:,} bytes",
                hint="raise max_bytes for this source if the file is really that large",
            )
        return body

    def _new_items(
        self,
        url: str,
        parsed: feedparser.FeedParserDict,
        feed_state: dict[str, Any],
        yielded: set[str],
        *,
        base: str | None = None,
    ) -> list[RawItem]:
        seen_list: list[str] = list(feed_state.get("seen") or [])
        seen = set(seen_list)
        current: dict[str, None] = {}  # seen tokens in document order, deduplicated
        fresh: list[RawItem] = []
        for entry in parsed.get("entries") or []:
            item = entry_to_item(entry, feed_url=url, feed=parsed.get("feed") or {}, base=base)
            token = seen_token(item.external_id)
            if token in current:
                continue
            current[token] = None
            if token in seen or token in yielded:
                continue  # known here, or just handed over by another feed of this source
            fresh.append(item)
        fresh.reverse()  # feeds list newest first; hand them over oldest first
        cap = self.config.max_entries_per_fetch
        if cap is not None and len(fresh) > cap:
            fresh = fresh[:cap]
            # Fetch the whole document again next time so the rest are not lost behind a 304.
            feed_state["etag"] = feed_state["modified"] = None
            if "file" in feed_state:
                feed_state["file"] = {}
        yielded.update(seen_token(item.external_id) for item in fresh)
        known = [key for key in current if key in seen or key in yielded]
        known_set = set(known)
        rest = [key for key in seen_list if key not in known_set]
        feed_state["seen"] = (known + rest)[: max(SEEN_LIMIT, len(known))]
        return fresh

    # -- helpers -----------------------------------------------------------------------------

    def _client(self, **settings: Any) -> contextlib.AbstractContextManager[HttpClient]:
        limits = {"timeout": self.config.timeout, "max_bytes": self.config.max_bytes}
        return super()._client(**limits, **settings)

    def _raise_for(self, failures: dict[str, ConnectorError], gone: list[str]) -> None:
        """One error naming every feed that failed; permanent only when none can recover."""
        problems = [str(exc) for exc in failures.values()]
        problems += [f"{safe_url(u)} is gone (HTTP 410) and is skipped" for u in gone]
        if not problems:
            return
        total = len(self.config.urls)
        hopeless = len(gone) + sum(1 for exc in failures.values() if exc.permanent)
        waits = [exc.retry_after for exc in failures.values() if exc.retry_after is not None]
        if hopeless == total:
            hint = "none of its feeds can be read; fix or replace them in the config"
        elif len(problems) == total:
            hint = "none of its feeds could be read this time; they are tried again next run"
        elif not failures:
            hint = "the other feeds were read; remove the gone ones from the config"
        else:
            hint = "the other feeds were read; the failing ones are tried again next run"
        raise ConnectorError(
            f"source {self.context.source_name!r}: {len(problems)} of {total} feeds failed: "
            + "; ".join(problems),
            hint=hint,
            permanent=hopeless == total,
            retry_after=max(waits) if waits else None,
            partial=len(problems) < total,
        )


def _load_cursor(cursor: Cursor | None, urls: list[str]) -> dict[str, Any]:
    """A private, mutable copy of the cursor holding exactly the configured feeds."""
    feeds_in = (cursor or {}).get("feeds") or {}
    if not isinstance(feeds_in, Mapping):
        feeds_in = {}
    feeds: dict[str, Any] = {}
    for url in urls:
        old = feeds_in.get(url)
        feeds[url] = copy.deepcopy(dict(old)) if isinstance(old, Mapping) else {}
    return {"feeds": feeds}


def parse_feed(body: bytes, headers: Mapping[str, str], location: str) -> Any:
    """feedparser on bytes we fetched; headers let it pick the declared encoding.

    No Content-Location is passed on purpose: feedparser would resolve permalink guids
    against it, and entry keys must not change when a feed moves (301).
    """
    wanted = {"content-type", "content-language"}
    response_headers = {k.lower(): v for k, v in headers.items() if k.lower() in wanted}
    return feedparser.parse(io.BytesIO(body), response_headers=response_headers)


_ROOT = re.compile(rb"<([A-Za-z][\w:.-]*)")
_PROLOG = re.compile(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(\[.*?\])?\s*>", re.DOTALL | re.I)


def _looks_like_feed(parsed: Mapping[str, Any], body: bytes) -> bool:
    """False for an HTML page, an error page or an empty body; entries or a version win."""
    if parsed.get("entries") or parsed.get("version"):
        return True
    match = _ROOT.search(_PROLOG.sub(b"", body[:8192]))
    if match is not None:
        root = match.group(1).lower().rsplit(b":", 1)[-1]
        return root in {b"rss", b"feed", b"rdf", b"channel"}
    return bool(parsed.get("feed"))


def entry_to_item(
    entry: Mapping[str, Any], *, feed_url: str, feed: Mapping[str, Any], base: str | None = None
) -> RawItem:
    """One feedparser entry as a RawItem; the dedupe key is id, else link, else a hash."""
    text = _entry_text(entry)
    title = _plain(entry.get("title"), entry.get("title_detail"))
    link = _str(entry.get("link"))
    key = _str(entry.get("id")) or link
    if link is not None and not is_remote(link):
        # a relative link, or an RSS guid that is not a URL but was taken as the permalink
        joined = urljoin(base, link) if base and is_remote(base) and "/" in link else None
        link = joined if joined and is_remote(joined) else None
    if not key:
        digest = hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()
        key = f"sha256:{digest[:32]}"
    author = _str(entry.get("author")) or _str((entry.get("author_detail") or {}).get("name"))
    tags = [t.get("term") for t in entry.get("tags") or [] if t.get("term")]
    metadata: dict[str, Any] = {"feed": feed_url}
    feed_title = _str(feed.get("title"))
    if feed_title:
        metadata["feed_title"] = feed_title
    if tags:
        metadata["tags"] = [str(t) for t in tags][:20]
    return RawItem(
        external_id=key,
        text=text,
        title=title or None,
        url=link,
        author=author,
        created_at=_utc(entry.get("published_parsed")) or _utc(entry.get("updated_parsed")),
        kind="post",
        metadata=metadata,
    )


def _entry_text(entry: Mapping[str, Any]) -> str:
    """The fullest body: content when present, else the summary, reduced to plain text."""
    candidates: list[tuple[Any, Any]] = [
        (c.get("value"), c) for c in entry.get("content") or [] if c.get("value")
    ]
    if not candidates and entry.get("summary"):
        candidates.append((entry.get("summary"), entry.get("summary_detail")))
    texts = [_plain(value, detail) for value, detail in candidates]
    return max(texts, key=len) if texts else ""


def _plain(value: Any, detail: Any) -> str:
    if not isinstance(value, str) or not value:
        return ""
    kind = (detail or {}).get("type") or "text/html"
    if kind == "text/plain":
        return " ".join(value.split())
    return html_to_text(value)


def _str(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _utc(value: Any) -> datetime | None:
    """feedparser's UTC ``time.struct_time`` as an aware datetime (None when absent/invalid)."""
    if not value:
        return None
    try:
        year, month, day, hour, minute, second = (int(v) for v in value[:6])
        return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None
