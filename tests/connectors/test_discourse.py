"""The Discourse connector against a loopback fake forum speaking Discourse's JSON."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Generator, Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from connectors import discourse
from connectors.base import Batch, ConnectorContext, ConnectorError
from connectors.discourse import DiscourseConfig, DiscourseConnector
from connectors.http import HttpClient
from tests.connectors.forum_fakes import FakeDiscourse
from tests.connectors.loopback import LoopbackServer, Reply

CONTEXT = ConnectorContext(source_name="forum-test")
# Post ids of the fixture forum in the order of their topics' last activity. 1001 and 1008 are
# staff posts, 1006 a moderator action and 1009 a deleted post: none of them becomes an item.
ALL_POSTS = ["1002", "1003", "1004", "1005", "1007", "1010"]
SECRET = "d1sc0urse-k3y-do-not-leak"


@pytest.fixture
def forum() -> Iterator[FakeDiscourse]:
    fake = FakeDiscourse.from_fixture().start()
    yield fake
    fake.stop()


def connector(
    fake: FakeDiscourse | str, http: HttpClient | None = None, **overrides: Any
) -> DiscourseConnector:
    base = fake if isinstance(fake, str) else fake.url
    config = DiscourseConfig.model_validate(
        {"base_url": base, "allow_private_networks": True, **overrides}
    )
    return DiscourseConnector(config, CONTEXT, http=http)


def run(conn: DiscourseConnector, cursor: Any = None) -> list[Batch]:
    return list(conn.fetch(cursor))


def ids(batches: list[Batch]) -> list[str]:
    return [item.external_id for batch in batches for item in batch.items]


def roundtrip(cursor: Any) -> Any:
    return json.loads(json.dumps(cursor))


def last_cursor(batches: list[Batch]) -> Any:
    return roundtrip(batches[-1].cursor)


def test_first_fetch_turns_posts_into_raw_items(forum: FakeDiscourse) -> None:
    batches = run(connector(forum))
    assert ids(batches) == ALL_POSTS
    items = {i.external_id: i for b in batches for i in b.items}
    first, reply = items["1002"], items["1003"]
    assert first.kind == "post" and reply.kind == "comment"
    assert first.title == "Manual invoicing takes me hours every month"
    assert reply.title is None
    assert first.text.startswith("Every month I spend three hours copying invoice numbers")
    assert reply.text == "Same here. I wish I could just sync invoices to Xero automatically."
    assert "&amp;" not in items["1007"].text and "bank shows the charge & I" in items["1007"].text
    assert reply.url == f"{forum.url}/t/manual-invoicing-takes-me-hours-every-month/102/2"
    assert reply.author == "dev_tom"
    assert reply.segment == {"forum": "127.0.0.1", "category": "billing"}
    assert items["1004"].segment["category"] == "feature-requests"
    assert reply.created_at is not None and reply.created_at.isoformat().startswith("2026-11-02")
    assert reply.metadata["tags"] == ["invoices", "export"]
    assert reply.metadata["topic_id"] == 102
    assert forum.requests[0].headers["user-agent"] == CONTEXT.user_agent
    assert "api-key" not in forum.requests[0].headers


def test_listing_pages_and_post_chunks_are_followed(forum: FakeDiscourse) -> None:
    forum.per_page = 2
    long = forum.add_topic("Export formats", category="billing", tags=["export"])
    posts = [forum.add_post(long.id, f"user{n}", f"<p>Reply number {n}</p>") for n in range(45)]
    batches = run(connector(forum))
    got = ids(batches)
    assert got == ALL_POSTS + [str(p.id) for p in posts]
    assert len(got) == len(set(got))
    latest_pages = [
        r.query.get("page", ["0"])[0] for r in forum.requests if r.path == "/latest.json"
    ]
    assert latest_pages == ["0", "1", "2"]
    chunk_requests = [r for r in forum.requests if r.path == f"/t/{long.id}/posts.json"]
    assert [len(r.query["post_ids[]"]) for r in chunk_requests] == [20, 5]
    assert [len(b.items) for b in batches[-3:]] == [20, 20, 5]


def test_second_run_yields_only_new_posts(forum: FakeDiscourse) -> None:
    cursor = last_cursor(run(connector(forum)))
    assert run(connector(forum), cursor) == []  # not even an empty batch: nothing moved
    reply = forum.add_post(103, "sam", "<p>Still waiting for dark mode, my eyes hurt.</p>")
    topic = forum.add_topic(
        "SSO keeps logging me out", category="feature-requests", posts=[("ina", "<p>Ugh.</p>")]
    )
    forum.requests.clear()
    second = run(connector(forum), cursor)
    assert ids(second) == [str(reply.id), str(topic.posts[0].id)]
    assert "/t/102.json" not in forum.paths()  # quiet topics are not fetched again
    assert ids(run(connector(forum), last_cursor(second))) == []


def test_restart_from_a_mid_fetch_cursor_has_no_gap_and_no_duplicate(
    forum: FakeDiscourse,
) -> None:
    long = forum.add_topic("Export formats", category="billing")
    for n in range(30):
        forum.add_post(long.id, f"user{n}", f"<p>Reply {n}</p>")
    everything = ids(run(connector(forum)))
    for stop_after in (1, 3, 6, 7):
        fetch = connector(forum).fetch(None)
        assert isinstance(fetch, Generator)
        stored = [next(fetch) for _ in range(stop_after)]  # then the process died
        fetch.close()
        rest = run(connector(forum), roundtrip(stored[-1].cursor))
        assert ids(stored) + ids(rest) == everything, stop_after


def test_a_500_streak_mid_fetch_raises_and_the_retry_resumes_cleanly(
    forum: FakeDiscourse,
) -> None:
    sleeps: list[float] = []
    forum.fail_next(500, times=3, path_prefix="/t/104")
    stored: list[Batch] = []
    with (
        HttpClient(
            CONTEXT.user_agent, allow_private_networks=True, sleep=sleeps.append, max_retries=2
        ) as http,
        pytest.raises(ConnectorError) as caught,
    ):
        for batch in connector(forum, http=http).fetch(None):
            stored.append(batch)
    error = caught.value
    assert "HTTP 500" in str(error) and "topic 104" in str(error)
    assert not error.permanent
    assert len(sleeps) == 2
    assert ids(stored) == ["1002", "1003", "1004", "1005"]
    rest = run(connector(forum), roundtrip(stored[-1].cursor))
    assert ids(stored) + ids(rest) == ALL_POSTS


def test_429_retry_after_is_honoured(forum: FakeDiscourse) -> None:
    sleeps: list[float] = []
    forum.fail_next(429, headers={"Retry-After": "3"}, path_prefix="/t/")
    with HttpClient(CONTEXT.user_agent, allow_private_networks=True, sleep=sleeps.append) as http:
        got = ids(run(connector(forum, http=http)))
    assert sleeps == [3.0]
    assert got == ALL_POSTS


def test_a_busy_forum_is_worked_through_over_several_runs(forum: FakeDiscourse) -> None:
    cursor = last_cursor(run(connector(forum)))
    new = [forum.add_post(t, "late", f"<p>news in {t}</p>").id for t in (102, 103, 104)]
    seen: list[str] = []
    for _ in range(3):
        batches = run(connector(forum, max_topics_per_fetch=2), cursor)
        seen += ids(batches)
        cursor = last_cursor(batches) if batches else cursor
    assert seen == [str(i) for i in new]


def test_first_run_takes_the_most_recently_active_topics(forum: FakeDiscourse) -> None:
    got = ids(run(connector(forum, max_topics_per_fetch=2)))
    assert got == ["1007", "1010"]  # topics 104 and 105


def test_categories_tags_and_search_select_topics(forum: FakeDiscourse) -> None:
    by_category = run(connector(forum, categories=["billing", "feature-requests/7"]))
    assert sorted(ids(by_category)) == ["1002", "1003", "1004", "1005", "1007", "1010"]
    assert {"/c/billing.json", "/c/feature-requests/7.json"} <= set(forum.paths())
    assert set(by_category[-1].cursor["listings"]) == {
        "category:billing",
        "category:feature-requests/7",
    }
    assert ids(run(connector(forum, tags=["invoices"]))) == ["1002", "1003"]
    assert ids(run(connector(forum, search="offline mode"))) == ["1010"]
    search = next(r for r in forum.requests if r.path == "/search.json")
    assert search.query["q"] == ["offline mode order:latest"]
    assert search.query["page"] == ["1"]


def test_a_topic_in_two_listings_is_yielded_once(forum: FakeDiscourse) -> None:
    got = ids(run(connector(forum, categories=["billing"], tags=["invoices"])))
    assert got == ["1002", "1003", "1007"]


def test_api_credentials_are_sent_and_never_shown(
    forum: FakeDiscourse, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    forum.api_key, forum.api_username = SECRET, "listener-bot"
    monkeypatch.setenv("FORUM_KEY", SECRET)
    monkeypatch.setenv("FORUM_USER", "listener-bot")
    settings: dict[str, Any] = {"api_key_env": "FORUM_KEY", "api_username_env": "FORUM_USER"}
    conn = connector(forum, **settings)
    conn.check()
    assert ids(run(conn)) == ALL_POSTS
    assert all(r.headers.get("api-key") == SECRET for r in forum.requests)
    assert all(r.headers.get("api-username") == "listener-bot" for r in forum.requests)

    monkeypatch.setenv("FORUM_KEY", "revoked-" + SECRET)
    with pytest.raises(ConnectorError) as caught:
        run(connector(forum, **settings))
    error = caught.value
    assert error.permanent and "403" in str(error) and "$FORUM_KEY" in str(error)
    assert SECRET not in str(error) and SECRET not in repr(error.args)
    assert SECRET not in caplog.text


def test_a_missing_credential_variable_is_named(
    forum: FakeDiscourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORUM_KEY", raising=False)
    with pytest.raises(ConnectorError) as caught:
        connector(forum, api_key_env="FORUM_KEY").check()
    assert "FORUM_KEY" in str(caught.value) and caught.value.permanent
    assert forum.requests == []


def test_a_private_forum_without_credentials_says_how_to_log_in(forum: FakeDiscourse) -> None:
    forum.api_key = SECRET
    with pytest.raises(ConnectorError) as caught:
        connector(forum).check()
    assert caught.value.permanent and "api_key_env" in str(caught.value)


def test_check_passes_against_a_forum_and_validates_listings(forum: FakeDiscourse) -> None:
    connector(forum, categories=["billing"], tags=["ui"]).check()
    assert {"/latest.json", "/c/billing.json", "/tag/ui.json"} <= set(forum.paths())
    with pytest.raises(ConnectorError) as caught:
        connector(forum, categories=["no-such-category"]).check()
    assert "category 'no-such-category' does not exist" in str(caught.value)


def test_check_rejects_a_base_url_that_is_not_a_forum(forum: FakeDiscourse) -> None:
    with pytest.raises(ConnectorError) as caught:
        connector(forum.url + "/forum").check()
    assert "404" in str(caught.value)
    page = "<html><body>Welcome to my blog</body></html>"
    with (
        LoopbackServer({"/latest.json": Reply(body=page)}) as blog,
        pytest.raises(ConnectorError) as caught,
    ):
        connector(blog.base_url).check()
    assert "Discourse" in str(caught.value) and caught.value.hint
    with (
        LoopbackServer({"/latest.json": Reply(body='{"hello": "world"}')}) as api,
        pytest.raises(ConnectorError) as caught,
    ):
        connector(api.base_url).check()
    assert "does not look like a Discourse forum" in str(caught.value)


def test_check_explains_an_unreachable_forum() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with (
        HttpClient(
            CONTEXT.user_agent, allow_private_networks=True, sleep=lambda _: None, max_retries=1
        ) as http,
        pytest.raises(ConnectorError) as caught,
    ):
        connector(f"http://127.0.0.1:{port}", http=http).check()
    assert "could not reach" in str(caught.value) and caught.value.hint


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ({"base_url": "forum.example.com"}, "base_url"),
        ({"base_url": "ftp://forum.example.com"}, "base_url"),
        ({"base_url": "https://forum.example.com/latest?x=1"}, "query"),
        ({"base_url": "https://f.example", "categories": ["bad slug!"]}, "slug"),
        ({"base_url": "https://f.example", "api_username_env": "U"}, "api_key_env"),
        ({"base_url": "https://f.example", "search": " "}, "search"),
        ({"base_url": "https://f.example", "max_topics_per_fetch": 0}, "max_topics_per_fetch"),
        ({"base_url": "https://f.example", "api_key": "inline"}, "api_key"),
    ],
)
def test_config_errors_name_the_problem(settings: dict[str, Any], needle: str) -> None:
    with pytest.raises(ValidationError) as caught:
        DiscourseConfig.model_validate(settings)
    assert needle in str(caught.value)


def test_cursor_stays_bounded_without_repeating_posts(
    forum: FakeDiscourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discourse, "MAX_TRACKED_TOPICS", 2)
    cursor = last_cursor(run(connector(forum)))
    assert len(cursor["topics"]) == 2
    assert cursor["floor"] >= 1005
    assert ids(run(connector(forum), cursor)) == []
    reply = forum.add_post(102, "maria_k", "<p>Any news on CSV export?</p>")
    assert ids(run(connector(forum), cursor)) == [str(reply.id)]


def test_a_garbled_cursor_starts_afresh(forum: FakeDiscourse) -> None:
    garbled = {"topics": {"x": "y", "102": "1003"}, "floor": "no", "listings": {"latest": 5}}
    assert ids(run(connector(forum), garbled)) == ALL_POSTS


def test_a_topic_deleted_after_the_listing_is_skipped(forum: FakeDiscourse) -> None:
    forum.fail_next(404, path_prefix="/t/104.json", body=FakeDiscourse.not_found)
    got = ids(run(connector(forum)))
    assert got == ["1002", "1003", "1004", "1005", "1010"]


def test_staff_posts_are_left_out_unless_asked_for(forum: FakeDiscourse) -> None:
    with_staff = ids(run(connector(forum, include_staff_posts=True)))
    assert with_staff == ["1001", *ALL_POSTS[:5], "1008", ALL_POSTS[5]]


def test_new_replies_deep_in_a_long_topic_are_fetched_by_id(forum: FakeDiscourse) -> None:
    long = forum.add_topic("Export formats", category="billing")
    for n in range(25):
        forum.add_post(long.id, f"user{n}", f"<p>Reply {n}</p>")
    first = run(connector(forum))
    assert all(roundtrip(b.cursor) == b.cursor for b in first)  # JSON-safe as it is
    late = forum.add_post(long.id, "maria_k", "<p>Reply 26: still no XLSX export.</p>")
    forum.requests.clear()
    assert ids(run(connector(forum), last_cursor(first))) == [str(late.id)]
    by_id = [r for r in forum.requests if r.path == f"/t/{long.id}/posts.json"]
    assert [r.query["post_ids[]"] for r in by_id] == [[str(late.id)]]
