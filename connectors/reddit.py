"""Reddit: new submissions and comments of subreddits, and search queries, through PRAW.

Reddit listings are newest-first and hold at most ~1000 items, so each listing (a subreddit's
``new``, its ``comments``, each search) is paged backwards with ``after`` until it reaches what
the cursor already knows (or, on a first run, the ``backfill_days`` horizon). The new items are
then yielded oldest-first in batches, each with the cursor *after* it, so a crash never moves
the cursor past an item that was not stored. The cursor keeps, per listing, the last fullname,
its ``created_utc`` and a bounded set of recent fullnames: ties in time and items Reddit shows
late are neither lost nor repeated.

PRAW runs as a read-only script app (client-credentials grant); prawcore's own rate limiter
(``x-ratelimit-*`` headers) paces the requests. Errors become ``ConnectorError`` with a hint;
a private, banned or unknown subreddit does not stop the other listings of the source.
"""

from __future__ import annotations

import builtins
import logging
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import praw
import prawcore
import requests

from connectors.base import (
    Batch,
    ConnectorConfig,
    ConnectorContext,
    ConnectorError,
    Cursor,
    RawItem,
)
from connectors.configs.reddit import RedditConfig
from connectors.netpolicy import vet
from connectors.reddit_errors import CREDENTIALS_HINT, SubredditGone, combined, translate

log = logging.getLogger(__name__)

CURSOR_VERSION = 1
RECENT_IDS = 500
PUBLIC_URL = "https://www.reddit.com"
_DELETED = frozenset({"[deleted]", "[removed]"})


@dataclass(frozen=True, slots=True)
class _Listing:
    """One newest-first Reddit listing with its own cursor entry."""

    key: str
    label: str
    subreddit: str | None  # set when an error of this listing concerns named subreddits
    path: str  # the subreddit (or a+b, or all) the listing reads
    endpoint: str = "new"  # new | comments | search
    query: str = ""

    def open(self, reddit: praw.Reddit, page_size: int) -> Iterator[Any]:
        """PRAW's generator for this listing: all pages, ``page_size`` items per request."""
        sub = reddit.subreddit(self.path)
        if self.endpoint == "search":
            return sub.search(
                self.query, sort="new", time_filter="all", limit=None, request_limit=page_size
            )
        listing = sub.comments if self.endpoint == "comments" else sub.new
        return listing(limit=None, request_limit=page_size)  # type: ignore[call-arg]


@dataclass(slots=True)
class _ListingState:
    last: str
    created_utc: float
    seen: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"last": self.last, "created_utc": self.created_utc, "seen": list(self.seen)}


class RedditConnector:
    """Submissions, comments and search results from Reddit as ``RawItem``s."""

    type: ClassVar[str] = "reddit"
    # Declared as the base type: the protocol attribute is invariant (mypy), the value is ours.
    Config: ClassVar[builtins.type[ConnectorConfig]] = RedditConfig

    def __init__(self, config: RedditConfig, context: ConnectorContext) -> None:
        self.config = config
        self.context = context

    # -- the contract ------------------------------------------------------------------------
    def check(self) -> None:
        """Credentials present, a token obtainable, every configured subreddit readable."""
        reddit, session = self._reddit()
        try:
            try:
                reddit.auth.scopes()
            except (prawcore.PrawcoreException, praw.exceptions.PRAWException) as exc:
                raise self._error(exc, "getting an access token") from None
            broken: list[SubredditGone] = []
            names = [*self.config.subreddits, *self.config.search_subreddits]
            for name in dict.fromkeys(n.lower() for n in names):
                try:
                    reddit.get(f"r/{name}/about/")
                except (prawcore.PrawcoreException, praw.exceptions.PRAWException) as exc:
                    err = self._error(exc, f"r/{name}", subreddit=name)
                    if not isinstance(err, SubredditGone):
                        raise err from None
                    broken.append(err)
            if broken:
                raise combined(broken, partial=False)
        finally:
            session.close()

    def fetch(self, cursor: Cursor | None) -> Iterator[Batch]:
        """Yield new items per listing, oldest first, each batch with the cursor after it."""
        listings = self._listings()
        state = _load_cursor(cursor, {lst.key for lst in listings})
        reddit, session = self._reddit()
        emitted: set[str] = set()
        broken: list[SubredditGone] = []
        try:
            for listing in listings:
                try:
                    fresh = self._collect(reddit, listing, state.get(listing.key))
                except SubredditGone as err:  # the other listings can still be read
                    broken.append(err)
                    continue
                for start in range(0, len(fresh), self.config.limit):
                    chunk = fresh[start : start + self.config.limit]
                    state[listing.key] = _advance(state.get(listing.key), chunk)
                    items = []
                    for thing in chunk:
                        item = to_item(thing, listing.key)
                        if item is not None and item.external_id not in emitted:
                            emitted.add(item.external_id)
                            items.append(item)
                    yield Batch(tuple(items), _dump_cursor(state))
        finally:
            session.close()
        if broken:
            raise combined(broken, partial=len(broken) < len(listings))

    # -- internals ---------------------------------------------------------------------------
    def _reddit(self) -> tuple[praw.Reddit, requests.Session]:
        cfg = self.config
        client_id = os.environ.get(cfg.client_id_env, "").strip()
        secret = os.environ.get(cfg.client_secret_env, "").strip()
        missing = [
            name
            for name, value in ((cfg.client_id_env, client_id), (cfg.client_secret_env, secret))
            if not value
        ]
        if missing:
            raise ConnectorError(
                f"Reddit source {self.context.source_name!r}: {' and '.join(missing)} not set",
                hint=CREDENTIALS_HINT.format(
                    id_env=cfg.client_id_env, secret_env=cfg.client_secret_env
                ),
                permanent=True,
            )
        for url in (cfg.oauth_url, cfg.reddit_url):  # prawcore follows no redirects
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            vet(parts.hostname or "", port, allow_private=cfg.allow_private_networks, shown=url)
        session = requests.Session()
        reddit = praw.Reddit(
            client_id=client_id,
            client_secret=secret,
            user_agent=cfg.user_agent or self.context.user_agent,
            oauth_url=cfg.oauth_url,
            reddit_url=cfg.reddit_url,
            check_for_updates=False,
            timeout=int(cfg.timeout),
            requestor_kwargs={"session": session},
        )
        reddit.read_only = True
        return reddit, session

    def _listings(self) -> list[_Listing]:
        cfg = self.config
        out: list[_Listing] = []
        for name in dict.fromkeys(cfg.subreddits):
            out.append(_Listing(f"r/{name.lower()}/new", f"new posts of r/{name}", name, name))
            if cfg.comments:
                key, label = f"r/{name.lower()}/comments", f"comments of r/{name}"
                out.append(_Listing(key, label, name, name, endpoint="comments"))
        where = "+".join(dict.fromkeys(cfg.search_subreddits)) or "all"
        scope = where if cfg.search_subreddits else None
        for query in dict.fromkeys(cfg.search):
            key, label = f"search/{where.lower()}/{query}", f"search {query!r} in r/{where}"
            out.append(_Listing(key, label, scope, where, endpoint="search", query=query))
        return out

    def _collect(
        self, reddit: praw.Reddit, listing: _Listing, prior: _ListingState | None
    ) -> list[Any]:
        """Page newest-first until known ground; return the unknown things oldest-first."""
        horizon = time.time() - self.config.backfill_days * 86400.0
        floor = prior.created_utc if prior is not None else horizon
        known = set(prior.seen) if prior is not None else set()
        fresh: list[Any] = []
        met_known = False
        try:
            for thing in listing.open(reddit, self.config.limit):
                data = vars(thing)
                if float(data.get("created_utc") or 0.0) < floor:
                    met_known = True
                    break
                if data.get("name") in known:
                    met_known = True
                else:
                    fresh.append(thing)
        except (prawcore.PrawcoreException, praw.exceptions.PRAWException) as exc:
            raise self._error(exc, listing.label, subreddit=listing.subreddit) from None
        if prior is not None and fresh and not met_known:
            log.warning(
                "reddit %s: the listing ended before reaching the cursor (Reddit keeps about "
                "1000 items); items posted in between may be missing: run this source more often",
                listing.label,
            )
        fresh.reverse()
        log.debug("reddit %s: %d new since the cursor", listing.label, len(fresh))
        return fresh

    def _error(self, exc: Exception, where: str, *, subreddit: str | None = None) -> ConnectorError:
        return translate(
            exc,
            source=self.context.source_name,
            where=where,
            subreddit=subreddit,
            id_env=self.config.client_id_env,
            secret_env=self.config.client_secret_env,
        )


def to_item(thing: Any, listing_key: str) -> RawItem | None:
    """A PRAW Submission or Comment as a RawItem; None for deleted or removed content.

    Reads the attributes Reddit sent (``vars``), never ``getattr``: a missing attribute on a
    PRAW object triggers a network fetch.
    """
    data: Mapping[str, Any] = vars(thing)
    fullname = str(data.get("name") or "")
    if not fullname:
        return None
    is_post = fullname.startswith("t3_")
    if data.get("removed_by_category"):
        return None
    title = str(data.get("title") or "").strip() if is_post else None
    body = str(data.get("selftext" if is_post else "body") or "").strip()
    if body in _DELETED:
        return None
    text = "\n\n".join(part for part in (title, body) if part)
    if not text:
        return None
    author = data.get("author")
    author_name = str(author) if author is not None else None
    if author_name in _DELETED:
        author_name = None
    subreddit = str(data.get("subreddit") or "")
    created = data.get("created_utc")
    permalink = str(data.get("permalink") or "")
    link_id = str(data.get("link_id") or "")
    if not permalink and not is_post and subreddit and link_id.startswith("t3_"):
        # Older comment listings carry no permalink; "_" stands in for the slug on Reddit.
        permalink = f"/r/{subreddit}/comments/{link_id[3:]}/_/{fullname[3:]}/"
    metadata: dict[str, Any] = {"fullname": fullname, "listing": listing_key}
    for key in ("score", "num_comments", "link_id", "parent_id", "domain", "is_self", "over_18"):
        if data.get(key) is not None:
            metadata[key] = data[key]
    return RawItem(
        external_id=fullname,
        text=text,
        title=title or None,
        url=PUBLIC_URL + permalink if permalink.startswith("/") else None,
        author=author_name,
        created_at=datetime.fromtimestamp(float(created), UTC) if created is not None else None,
        kind="post" if is_post else "comment",
        segment={"subreddit": subreddit} if subreddit else {},
        metadata=metadata,
    )


def _advance(prior: _ListingState | None, chunk: list[Any]) -> _ListingState:
    """The listing's state once ``chunk`` (oldest-first, newer than ``prior``) is stored."""
    seen = list(prior.seen) if prior is not None else []
    newest = prior.created_utc if prior is not None else 0.0
    last = prior.last if prior is not None else ""
    for thing in chunk:
        data = vars(thing)
        name = str(data["name"])
        seen.append(name)
        created = float(data.get("created_utc") or 0.0)
        if created >= newest:
            newest, last = created, name
    return _ListingState(last=last, created_utc=newest, seen=seen[-RECENT_IDS:])


def _load_cursor(cursor: Cursor | None, keys: set[str]) -> dict[str, _ListingState]:
    """Listing states from a stored cursor; entries of listings no longer configured drop."""
    if not cursor:
        return {}
    try:
        if cursor.get("v") != CURSOR_VERSION:
            raise ValueError(f"unknown cursor version {cursor.get('v')!r}")
        out = {}
        for key, entry in dict(cursor["listings"]).items():
            if key in keys:
                out[key] = _ListingState(
                    last=str(entry["last"]),
                    created_utc=float(entry["created_utc"]),
                    seen=[str(s) for s in entry["seen"]][-RECENT_IDS:],
                )
        return out
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConnectorError(
            f"the stored Reddit cursor is not readable ({exc})",
            hint="reset this source's cursor; the next run backfills backfill_days again",
            permanent=True,
        ) from None


def _dump_cursor(state: Mapping[str, _ListingState]) -> dict[str, Any]:
    return {"v": CURSOR_VERSION, "listings": {k: s.to_json() for k, s in sorted(state.items())}}
