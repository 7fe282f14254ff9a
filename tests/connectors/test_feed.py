"""FeedConnector against a loopback HTTP server and local files: the whole feed life cycle."""

from __future__ import annotations

import gzip
import json
import logging
import os
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.base import Batch, ConnectorContext, ConnectorError, ConnectorErrors, RawItem
from connectors.feed import FeedConfig, FeedConnector
from connectors.http import HttpClient
from connectors.registry import REGISTRY
from connectors.text import html_to_text
from tests.connectors.loopback import LoopbackServer, Reply, gzip_reply, redirect

FEEDS = Path(__file__).parent / "feeds"
RSS = (FEEDS / "smb-rss2.xml").read_bytes()
ATOM = (FEEDS / "saas-atom.xml").read_bytes()
RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}


def rss(*entries: tuple[str, str]) -> bytes:
    """A tiny RSS 2.0 document with (guid, description) entries, newest first."""
    items = "".join(
        f"<item><title>t {guid}</title><guid isPermaLink='false'>{guid}</guid>"
        f"<link>https://example.org/{guid}</link><description>{text}</description></item>"
        for guid, text in entries
    )
    head = "<?xml version='1.0'?><rss version='2.0'><channel><title>x</title>"
    return f"{head}{items}</channel></rss>".encode()


@pytest.fixture
def http(sleeps: list[float]) -> Iterator[HttpClient]:
    with HttpClient(
        "listener-test/0.1 (+tests)",
        allow_private_networks=True,
        sleep=sleeps.append,
        timeout=2.0,
    ) as client:
        yield client


def make(
    urls: list[str], http: HttpClient | None = None, base_dir: Path = Path("."), **extra: Any
) -> FeedConnector:
    config = FeedConfig(urls=urls, **{"allow_private_networks": True, **extra})
    return FeedConnector(config, ConnectorContext("blogs", base_dir=base_dir), http=http)


def run(connector: FeedConnector, cursor: Mapping[str, Any] | None) -> tuple[list[Batch], Any]:
    batches = list(connector.fetch(cursor))
    return batches, (batches[-1].cursor if batches else cursor)


def items_of(batches: list[Batch]) -> list[RawItem]:
    return [item for batch in batches for item in batch.items]


def ids(batches: list[Batch]) -> list[str]:
    return [item.external_id for item in items_of(batches)]


# -- normalisation ---------------------------------------------------------------------------


def test_rss_entries_become_plain_items(server: LoopbackServer, http: HttpClient) -> None:
    server.route("/feed.xml", Reply(body=RSS, headers=RSS_TYPE))
    batches, cursor = run(make([server.url("/feed.xml")], http), None)
    assert len(batches) == 1
    items = {item.external_id: item for item in items_of(batches)}
    # guid when present, else the link
    assert set(items) == {
        "forum-301",
        "forum-290",
        "https://forum.example.org/t/payroll-export/298",
    }
    invoices = items["forum-301"]
    assert invoices.title == "Chasing invoices every Friday"
    assert invoices.url == "https://forum.example.org/t/chasing-invoices/301"
    assert invoices.author == "bakery_owner"
    assert invoices.created_at == datetime(2026, 11, 20, 15, 45, tzinfo=UTC)
    assert invoices.text.splitlines() == [
        "I spend every Friday afternoon chasing unpaid invoices.",
        "",
        "What I want:",
        "",
        "automatic reminders",
        "a dashboard of who owes what",
    ]
    assert "alert" not in invoices.text
    payroll = items["https://forum.example.org/t/payroll-export/298"]
    assert "I wish it just synced." in payroll.text  # content:encoded beats the summary
    assert "<" not in payroll.text
    assert items["forum-290"].text.startswith("The bank feed disconnects")
    assert invoices.metadata["feed_title"] == "Small Business Owners Forum"
    assert server.requests[0].header("User-Agent") == "listener-test/0.1 (+tests)"
    assert json.loads(json.dumps(cursor)) == cursor


def test_atom_entries(server: LoopbackServer, http: HttpClient) -> None:
    server.route("/a.atom", Reply(body=ATOM, headers={"Content-Type": "application/atom+xml"}))
    items = {i.external_id: i for i in items_of(run(make([server.url("/a.atom")], http), None)[0])}
    review = items["tag:reviews.example.com,2026:review-88"]
    assert review.title == "Great for quotes, painful for VAT"
    assert review.author == "Maria from Lisbon"
    assert review.created_at == datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
    assert review.text.endswith("fix it myself.")
    assert items["tag:reviews.example.com,2026:review-87"].text.startswith("I would love")


def test_registry_knows_the_feed_type() -> None:
    registered: object = REGISTRY["feed"]
    assert registered is FeedConnector
    assert FeedConnector.Config is FeedConfig


# -- conditional GET, redirects, gone --------------------------------------------------------


def test_etag_304_yields_nothing(server: LoopbackServer, http: HttpClient) -> None:
    server.route("/f", Reply(body=RSS, headers={**RSS_TYPE, "ETag": '"rev-1"'}))
    connector = make([server.url("/f")], http)
    first, cursor = run(connector, None)
    assert len(ids(first)) == 3
    assert cursor["feeds"][server.url("/f")]["etag"] == '"rev-1"'
    second, after = run(connector, json.loads(json.dumps(cursor)))
    assert second == []
    assert after == cursor
    assert server.requests[1].header("If-None-Match") == '"rev-1"'


def test_last_modified_304_yields_nothing(server: LoopbackServer, http: HttpClient) -> None:
    stamp = "Fri, 20 Nov 2026 16:00:00 GMT"
    server.route("/f", Reply(body=RSS, headers={"Last-Modified": stamp}))
    connector = make([server.url("/f")], http)
    _, cursor = run(connector, None)
    assert cursor["feeds"][server.url("/f")]["modified"] == stamp
    assert run(connector, cursor)[0] == []
    assert server.requests[1].header("If-Modified-Since") == stamp


def test_301_moves_later_fetches(server: LoopbackServer, http: HttpClient) -> None:
    server.route("/old", redirect("/new", 301))
    server.route("/new", Reply(body=RSS, headers={"ETag": '"n1"'}))
    old = server.url("/old")
    connector = make([old], http)
    first, cursor = run(connector, None)
    assert len(ids(first)) == 3
    assert cursor["feeds"][old]["location"] == server.url("/new")
    assert run(connector, cursor)[0] == []
    assert len(server.requests_for("/old")) == 1  # the second fetch went straight to /new
    assert server.requests_for("/new")[-1].header("If-None-Match") == '"n1"'


def test_410_marks_one_feed_gone_and_keeps_the_others(
    server: LoopbackServer, http: HttpClient
) -> None:
    server.route("/good", Reply(body=RSS))
    server.route("/dead", Reply(410))
    good, dead = server.url("/good"), server.url("/dead")
    connector = make([dead, good], http)
    batches: list[Batch] = []
    with pytest.raises(ConnectorError) as info:
        for batch in connector.fetch(None):
            batches.append(batch)
    assert not info.value.permanent
    assert "/dead" in str(info.value) and "410" in str(info.value)
    cursor = batches[-1].cursor
    assert cursor["feeds"][dead]["gone"] is True
    assert len(ids(batches)) == 3
    # Later runs skip the gone feed without asking it again, and keep reporting it.
    with pytest.raises(ConnectorError, match="gone"):
        list(connector.fetch(cursor))
    assert len(server.requests_for("/dead")) == 1


def test_every_feed_gone_is_permanent(server: LoopbackServer, http: HttpClient) -> None:
    server.route("/dead", Reply(410))
    batches: list[Batch] = []
    with pytest.raises(ConnectorError) as info:
        for batch in make([server.url("/dead")], http).fetch(None):
            batches.append(batch)
    assert info.value.permanent
    assert batches and batches[-1].cursor["feeds"][server.url("/dead")]["gone"] is True


# -- politeness and failure ------------------------------------------------------------------


def test_429_retry_after_is_honoured(
    server: LoopbackServer, http: HttpClient, sleeps: list[float]
) -> None:
    server.route("/f", [Reply(429, headers={"Retry-After": "5"}), Reply(body=RSS)])
    batches, _ = run(make([server.url("/f")], http), None)
    assert sleeps == [5.0]
    assert len(ids(batches)) == 3


def test_429_with_long_retry_after_reports_the_wait(
    server: LoopbackServer, http: HttpClient, sleeps: list[float]
) -> None:
    server.route("/f", Reply(429, headers={"Retry-After": "900"}))
    with pytest.raises(ConnectorError) as info:
        list(make([server.url("/f")], http).fetch(None))
    assert info.value.retry_after == 900.0
    assert sleeps == []


def test_500_streak_fails_after_retries_but_other_feeds_are_read(
    server: LoopbackServer, http: HttpClient, sleeps: list[float]
) -> None:
    server.route("/bad", Reply(500))
    server.route("/good", Reply(body=RSS))
    batches: list[Batch] = []
    with pytest.raises(ConnectorError) as info:
        for batch in make([server.url("/bad"), server.url("/good")], http).fetch(None):
            batches.append(batch)
    assert "HTTP 500" in str(info.value)
    assert not info.value.permanent
    assert len(server.requests_for("/bad")) == 4
    assert len(sleeps) == 3
    assert len(ids(batches)) == 3


def test_slow_feed_times_out(server: LoopbackServer, sleeps: list[float]) -> None:
    server.route("/slow", Reply(body=RSS, delay=30))
    with (
        HttpClient(
            "t", allow_private_networks=True, timeout=0.2, max_retries=0, sleep=sleeps.append
        ) as client,
        pytest.raises(ConnectorError, match="timed out"),
    ):
        list(make([server.url("/slow")], client).fetch(None))


def test_gzip_bomb_is_capped(server: LoopbackServer) -> None:
    bomb = gzip.compress(b"<rss>" + b" " * 30_000_000)
    server.route("/bomb", Reply(body=bomb, headers={"Content-Encoding": "gzip"}))
    connector = make([server.url("/bomb")], max_bytes=2_000_000, timeout=5)
    with pytest.raises(ConnectorError) as info:
        list(connector.fetch(None))
    assert "2,000,000 bytes" in str(info.value)


def test_gzipped_feed_is_read(server: LoopbackServer, http: HttpClient) -> None:
    server.route("/z", gzip_reply(RSS, headers=RSS_TYPE))
    assert len(ids(run(make([server.url("/z")], http), None)[0])) == 3


def test_entity_expansion_and_xxe_are_harmless(server: LoopbackServer, http: HttpClient) -> None:
    server.route("/evil", Reply(body=(FEEDS / "entity-bomb.xml").read_bytes()))
    (item,) = items_of(run(make([server.url("/evil")], http), None)[0])
    assert "lollol" not in f"{item.title}{item.text}"
    assert len(item.text) < 200
    hostname = Path("/etc/hostname")
    if hostname.exists() and hostname.read_text().strip():
        assert hostname.read_text().strip() not in item.text


def test_malformed_feed_yields_what_parsed_with_a_warning(
    server: LoopbackServer, http: HttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    server.route("/broken", Reply(body=(FEEDS / "broken-rss.xml").read_bytes()))
    with caplog.at_level(logging.WARNING, logger="connectors.feed"):
        batches, _ = run(make([server.url("/broken")], http), None)
    assert sorted(ids(batches)) == ["fl-1", "fl-2"]
    assert any("malformed" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "body",
    [
        b"<html><head><title>Shop</title></head><body><p>Welcome!</p></body></html>",
        b"",
        b'{"error": "nope"}',
    ],
)
def test_non_feed_is_reported_not_crashed(
    server: LoopbackServer, http: HttpClient, body: bytes
) -> None:
    server.route("/page", Reply(body=body))
    with pytest.raises(ConnectorError, match="could not be read as a feed"):
        list(make([server.url("/page")], http).fetch(None))


def test_feed_without_entries_is_fine(server: LoopbackServer, http: HttpClient) -> None:
    server.route(
        "/empty", Reply(body=b"<rss version='2.0'><channel><title>x</title></channel></rss>")
    )
    batches, cursor = run(make([server.url("/empty")], http), None)
    assert items_of(batches) == []
    assert cursor["feeds"][server.url("/empty")]["seen"] == []


# -- dedupe, cursor, restart -----------------------------------------------------------------


def test_dedupe_across_fetches(server: LoopbackServer, http: HttpClient) -> None:
    server.route("/f", Reply(body=rss(("b", "two"), ("a", "one")), headers={"ETag": '"1"'}))
    connector = make([server.url("/f")], http)
    first, cursor = run(connector, None)
    assert ids(first) == ["a", "b"]  # oldest first
    server.route(
        "/f", Reply(body=rss(("c", "three"), ("b", "two"), ("a", "one")), headers={"ETag": '"2"'})
    )
    second, cursor = run(connector, cursor)
    assert ids(second) == ["c"]


def test_dedupe_within_a_document_and_fallback_keys(
    server: LoopbackServer, http: HttpClient
) -> None:
    body = (
        b"<rss version='2.0'><channel><title>x</title>"
        b"<item><guid>same</guid><description>first</description></item>"
        b"<item><guid>same</guid><description>again</description></item>"
        b"<item><link>https://example.org/only-link</link><description>l</description></item>"
        b"<item><title>no id</title><description>only text</description></item>"
        b"</channel></rss>"
    )
    server.route("/f", Reply(body=body, conditional=False))
    connector = make([server.url("/f")], http)
    batches, cursor = run(connector, None)
    keys = ids(batches)
    assert keys.count("same") == 1
    assert "https://example.org/only-link" in keys
    hashed = [k for k in keys if k.startswith("sha256:")]
    assert len(hashed) == 1 and len(keys) == 3
    assert run(connector, cursor)[0] == []  # the hash key is stable across fetches


def test_rerun_from_json_cursor_yields_nothing_new_even_without_304(
    server: LoopbackServer, http: HttpClient
) -> None:
    server.route("/f", Reply(body=RSS, conditional=False))  # a server that ignores ETags
    server.route("/g", Reply(body=ATOM, conditional=False))
    connector = make([server.url("/f"), server.url("/g")], http)
    first, cursor = run(connector, None)
    assert len(ids(first)) == 5
    stored = json.loads(json.dumps(cursor))
    again = list(connector.fetch(stored))
    assert items_of(again) == []


def test_restart_from_stored_cursor_has_no_gap_and_no_duplicate(
    server: LoopbackServer, http: HttpClient
) -> None:
    url = server.url("/f")
    server.route("/f", Reply(body=rss(("2", "b"), ("1", "a")), headers={"ETag": '"v1"'}))
    _, cursor = run(make([url], http), None)
    stored = json.dumps(cursor)  # what the daemon kept in its database
    # While we were down, two entries were published and the oldest fell off the feed.
    server.route(
        "/f", Reply(body=rss(("4", "d"), ("3", "c"), ("2", "b")), headers={"ETag": '"v2"'})
    )
    reborn = make([url], http)
    batches, cursor = run(reborn, json.loads(stored))
    assert ids(batches) == ["3", "4"]
    assert server.requests[-1].header("If-None-Match") == '"v1"'
    assert run(reborn, cursor)[0] == []


def test_crash_after_first_batch_resumes_with_the_second_feed(
    server: LoopbackServer, http: HttpClient
) -> None:
    server.route("/f", Reply(body=RSS, conditional=False))
    server.route("/g", Reply(body=ATOM, conditional=False))
    connector = make([server.url("/f"), server.url("/g")], http)
    first = next(iter(connector.fetch(None)))  # stored; then the process died
    assert len(first.items) == 3
    resumed = list(make([server.url("/f"), server.url("/g")], http).fetch(first.cursor))
    assert sorted(ids(resumed)) == sorted(
        ["tag:reviews.example.com,2026:review-87", "tag:reviews.example.com,2026:review-88"]
    )


def test_entry_shared_by_two_feeds_is_yielded_once_and_never_again(
    server: LoopbackServer, http: HttpClient
) -> None:
    server.route("/a", Reply(body=rss(("shared", "x"), ("a1", "y")), conditional=False))
    server.route("/b", Reply(body=rss(("b1", "z"), ("shared", "x")), conditional=False))
    connector = make([server.url("/a"), server.url("/b")], http)
    batches, cursor = run(connector, None)
    assert sorted(ids(batches)) == ["a1", "b1", "shared"]
    assert items_of(list(connector.fetch(json.loads(json.dumps(cursor))))) == []


def test_every_feed_failing_for_good_is_permanent(server: LoopbackServer, http: HttpClient) -> None:
    server.route("/private", Reply(403))
    server.route("/dead", Reply(410))
    with pytest.raises(ConnectorError) as info:
        list(make([server.url("/private"), server.url("/dead")], http).fetch(None))
    assert info.value.permanent
    assert "403" in str(info.value) and "410" in str(info.value)


def test_seen_list_is_bounded_but_covers_the_whole_feed(
    server: LoopbackServer, http: HttpClient
) -> None:
    big = rss(*((f"e{n}", "x") for n in range(600, 0, -1)))
    server.route("/f", Reply(body=big, conditional=False))
    connector = make([server.url("/f")], http)
    first, cursor = run(connector, None)
    assert len(ids(first)) == 600
    assert len(cursor["feeds"][server.url("/f")]["seen"]) == 600  # all that the feed lists
    assert run(connector, cursor)[0] == []
    server.route("/f", Reply(body=rss(*((f"n{n}", "y") for n in range(10))), conditional=False))
    second, cursor = run(connector, cursor)
    assert len(ids(second)) == 10
    assert len(cursor["feeds"][server.url("/f")]["seen"]) == 500
    assert len(json.dumps(cursor)) < 20_000


def test_max_entries_per_fetch_spreads_over_runs(server: LoopbackServer, http: HttpClient) -> None:
    server.route("/f", Reply(body=RSS, headers={"ETag": '"same"'}))
    connector = make([server.url("/f")], http, max_entries_per_fetch=2)
    first, cursor = run(connector, None)
    second, cursor = run(connector, cursor)
    third, _ = run(connector, cursor)
    assert len(ids(first)) == 2 and len(ids(second)) == 1
    assert set(ids(first)).isdisjoint(ids(second))
    assert items_of(third) == []


def test_cursor_drops_feeds_no_longer_configured(server: LoopbackServer, http: HttpClient) -> None:
    server.route("/f", Reply(body=RSS, headers={"ETag": '"e"'}))
    cursor = {"feeds": {"https://old.example.com/feed": {"etag": '"x"'}}}
    _, after = run(make([server.url("/f")], http), cursor)
    assert list(after["feeds"]) == [server.url("/f")]


# -- local files -----------------------------------------------------------------------------


def test_local_file_relative_to_config_and_skipped_when_unchanged(tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    path = tmp_path / "feeds" / "local.xml"
    path.write_bytes(rss(("1", "one")))
    connector = make(["feeds/local.xml"], base_dir=tmp_path)
    first, cursor = run(connector, None)
    assert ids(first) == ["1"]
    assert run(connector, cursor)[0] == []
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))  # touched only
    touched, cursor = run(connector, cursor)
    assert items_of(touched) == []
    path.write_bytes(rss(("2", "two"), ("1", "one")))
    changed, _ = run(connector, cursor)
    assert ids(changed) == ["2"]


def test_local_file_size_cap(tmp_path: Path) -> None:
    (tmp_path / "big.xml").write_bytes(rss(("1", "x" * 5000)))
    with pytest.raises(ConnectorError, match="larger than"):
        list(make(["big.xml"], base_dir=tmp_path, max_bytes=1000).fetch(None))


# -- check() and config ----------------------------------------------------------------------


def test_check_accepts_good_sources(server: LoopbackServer, http: HttpClient) -> None:
    server.route("/f", Reply(body=RSS))
    make([server.url("/f"), str(FEEDS / "saas-atom.xml")], http).check()  # raises if not
    assert len(server.requests_for("/f")) == 1  # the URL was really asked, not just parsed


def test_check_reports_missing_file_and_non_feed(
    server: LoopbackServer, http: HttpClient, tmp_path: Path
) -> None:
    with pytest.raises(ConnectorError) as info:
        make(["nope.xml"], base_dir=tmp_path).check()
    assert "nope.xml" in str(info.value) and info.value.hint
    server.route("/page", Reply(body="<html><body>hello</body></html>"))
    with pytest.raises(ConnectorError, match="not an RSS or Atom feed"):
        make([server.url("/page")], http).check()
    server.route("/missing", Reply(404))
    with pytest.raises(ConnectorError, match="404"):
        make([server.url("/missing")], http).check()


def test_check_names_every_bad_feed_at_once(
    server: LoopbackServer, http: HttpClient, tmp_path: Path
) -> None:
    server.route("/f", Reply(body=RSS))
    server.route("/page", Reply(body="<html><body>hello</body></html>"))
    urls = [server.url("/page"), server.url("/f"), "nope.xml"]
    with pytest.raises(ConnectorErrors) as info:
        make(urls, http, base_dir=tmp_path).check()
    problems = [str(e) for e in info.value.errors]
    assert len(problems) == 2
    assert problems[0].startswith("urls[0]: ") and "is not an RSS or Atom feed" in problems[0]
    assert problems[1].startswith("urls[2]: ") and "nope.xml" in problems[1]
    assert len(server.requests_for("/f")) == 1  # the good feed after the bad one was asked


@pytest.mark.parametrize(
    "urls",
    [[], [""], ["ftp://example.com/feed"], ["file:///etc/passwd"], ["a.xml", "a.xml"]],
)
def test_config_rejects_bad_urls(urls: list[str]) -> None:
    with pytest.raises(ValidationError):
        FeedConfig(urls=urls)


def test_config_rejects_unknown_keys() -> None:
    with pytest.raises(ValidationError):
        FeedConnector.Config.model_validate({"urls": ["a.xml"], "url": "b.xml"})


# -- html_to_text ----------------------------------------------------------------------------


def test_html_to_text_keeps_structure_and_drops_code() -> None:
    html = (
        "<style>p{}</style><h2>Title</h2><p>One &amp; <i>two</i></p>"
        "<ol><li>first</li><li>second</li></ol>line<br>break<script>x()</script>"
    )
    assert html_to_text(html) == "Title\n\nOne & two\n\nfirst\nsecond\n\nline\nbreak"


def test_html_to_text_plain_and_broken_input() -> None:
    assert html_to_text("") == ""
    assert html_to_text("just   text\nwrapped") == "just text wrapped"
    assert html_to_text("<p>unclosed <b>bold") == "unclosed bold"
    assert html_to_text("<pre>a\n  b</pre>") == "a\nb"


def test_a_page_that_is_not_a_feed_leaves_no_etag_behind() -> None:
    """An HTML error page with an ETag must fail again next run, not turn into a silent 304,
    even though another feed's batch carries the cursor."""
    from connectors.base import ConnectorContext, ConnectorError
    from connectors.feed import FeedConfig, FeedConnector
    from tests.connectors.loopback import LoopbackServer, Reply

    page = Reply(body="<html><body>Maintenance</body></html>", headers={"ETag": '"html-1"'})
    good = Reply(body=(FEEDS / "smb-rss2.xml").read_bytes(), headers={"ETag": '"good-1"'})
    with LoopbackServer({"/bad.xml": page, "/good.xml": good}) as server:
        bad_url = server.url("/bad.xml")
        config = FeedConfig(urls=[bad_url, server.url("/good.xml")], allow_private_networks=True)
        connector = FeedConnector(config, ConnectorContext(source_name="t"))
        batches = []
        with pytest.raises(ConnectorError) as raised:
            for batch in connector.fetch(None):
                batches.append(batch)
        assert raised.value.partial
        assert batches and batches[-1].items
        assert not batches[-1].cursor["feeds"][bad_url].get("etag")


def test_a_stopping_daemon_ends_the_fetch_between_feeds() -> None:
    from connectors.base import ConnectorContext
    from connectors.feed import FeedConfig, FeedConnector
    from tests.connectors.loopback import LoopbackServer, Reply

    body = (FEEDS / "smb-rss2.xml").read_bytes()
    with LoopbackServer({"/a.xml": Reply(body=body), "/b.xml": Reply(body=body)}) as server:
        asked: list[str] = []
        context = ConnectorContext(source_name="t", stopping=lambda: bool(asked))
        connector = FeedConnector(
            FeedConfig(
                urls=[server.url("/a.xml"), server.url("/b.xml")], allow_private_networks=True
            ),
            context,
        )
        for batch in connector.fetch(None):
            asked.append("stop")  # SIGTERM arrives while the first feed's batch is stored
            assert batch.items
        assert server.requests_for("/b.xml") == []
