"""The reddit connector: the real PRAW over HTTP against a loopback fake of Reddit's API."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Generator, Iterator
from datetime import UTC
from pathlib import Path
from typing import Any, cast

import pytest
from pydantic import ValidationError

from connectors.base import Batch, ConnectorContext, ConnectorError, RawItem
from connectors.reddit import RedditConfig, RedditConnector
from tests.connectors.reddit_fake import CLIENT_ID, CLIENT_SECRET, FakeReddit

UA = "python:listener-tests:v0.1 (by /u/listener_tests)"
# First-run result for both fixture subreddits with comments, backfill_days=7: nothing older
# than seven days, no deleted or removed post or comment.
EXPECTED_FIRST_RUN = {
    "t3_sb0001",
    "t3_sb0002",
    "t3_sb0005",
    "t3_sb0006",
    "t3_sb0007",
    "t3_sb0008",
    "t1_sbc001",
    "t1_sbc003",
    "t3_ac0001",
    "t3_ac0002",
    "t3_ac0003",
}


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """prawcore sleeps for its rate limiter and retries: record instead of waiting."""
    calls: list[float] = []
    monkeypatch.setattr(time, "sleep", calls.append)
    return calls


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDDIT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", CLIENT_SECRET)


@pytest.fixture
def fake() -> Iterator[FakeReddit]:
    with FakeReddit() as server:
        server.load_fixture("smallbusiness.json")
        server.load_fixture("accounting.json")
        yield server


def connector(fake: FakeReddit, **overrides: Any) -> RedditConnector:
    settings: dict[str, Any] = {
        "subreddits": ["smallbusiness", "Accounting"],
        "comments": True,
        "oauth_url": fake.url,
        "reddit_url": fake.url,
        "user_agent": UA,
        "allow_private_networks": True,
    }
    settings.update(overrides)
    return RedditConnector(RedditConfig(**settings), ConnectorContext(source_name="reddit-test"))


def run(conn: RedditConnector, cursor: Any = None) -> tuple[list[RawItem], Any, list[Batch]]:
    batches = list(conn.fetch(cursor))
    items = [item for batch in batches for item in batch.items]
    return items, (batches[-1].cursor if batches else cursor), batches


def roundtrip(cursor: Any) -> Any:
    return json.loads(json.dumps(cursor))


# -- first run ---------------------------------------------------------------------------------
def test_first_run_respects_backfill_horizon_and_skips_deleted(fake: FakeReddit) -> None:
    items, _, _ = run(connector(fake))
    ids = [i.external_id for i in items]
    assert len(ids) == len(set(ids))
    assert set(ids) == EXPECTED_FIRST_RUN
    # 9 and 17 days old posts, a 10 day old comment; deleted and removed content.
    assert not {"t3_sb0009", "t3_sb0010", "t1_sbc005"} & set(ids)
    assert not {"t3_sb0003", "t3_sb0004", "t1_sbc002", "t1_sbc004"} & set(ids)


def test_shorter_backfill_reaches_less_far(fake: FakeReddit) -> None:
    items, _, _ = run(connector(fake, backfill_days=1, comments=False))
    assert {i.external_id for i in items} == {"t3_sb0001", "t3_sb0002", "t3_ac0001", "t3_ac0002"}


def test_posts_and_comments_are_normalised(fake: FakeReddit) -> None:
    items, _, _ = run(connector(fake))
    by_id = {i.external_id: i for i in items}
    post = by_id["t3_sb0001"]
    raw = next(
        t["data"] for t in fake.subreddits["smallbusiness"].things if t["data"]["id"] == "sb0001"
    )
    assert post.kind == "post"
    assert post.title == raw["title"]
    assert post.text == f"{raw['title']}\n\n{raw['selftext']}"
    assert post.url == "https://www.reddit.com" + raw["permalink"]
    assert post.author == "bakery_owner_jo"
    assert post.segment == {"subreddit": "smallbusiness"}
    assert post.created_at is not None and post.created_at.tzinfo == UTC
    assert post.created_at.timestamp() == pytest.approx(raw["created_utc"])
    link = by_id["t3_sb0006"]  # a link post: the title is all the text there is
    assert link.text == link.title == "Link post about a grant programme"
    comment = by_id["t1_sbc003"]
    assert comment.kind == "comment"
    assert comment.title is None
    assert comment.text.startswith("Same problem here.")
    assert comment.metadata["link_id"] == "t3_sb0002"
    assert comment.url is not None and comment.url.startswith(
        "https://www.reddit.com/r/smallbusiness/"
    )
    assert by_id["t3_ac0001"].segment == {"subreddit": "Accounting"}


def test_batches_are_oldest_first_within_each_listing(fake: FakeReddit) -> None:
    _, _, batches = run(connector(fake, limit=2))
    per_listing: dict[str, list[float]] = {}
    for batch in batches:
        for item in batch.items:
            assert item.created_at is not None
            per_listing.setdefault(item.metadata["listing"], []).append(item.created_at.timestamp())
    assert set(per_listing) == {
        "r/smallbusiness/new",
        "r/smallbusiness/comments",
        "r/accounting/new",
    }
    for times in per_listing.values():
        assert times == sorted(times)


def test_pagination_follows_after_across_pages(fake: FakeReddit) -> None:
    items, _, _ = run(connector(fake, limit=2, comments=False, subreddits=["smallbusiness"]))
    assert {i.external_id for i in items} == {
        i for i in EXPECTED_FIRST_RUN if i.startswith("t3_sb")
    }
    pages = fake.listing_requests("/r/smallbusiness/new")
    assert all(r.query["limit"] == "2" for r in pages)
    afters = [r.query.get("after") for r in pages]
    assert afters[0] is None
    # Each page continues after the last fullname of the one before, down to the 9 day old post.
    assert afters[1:] == ["t3_sb0002", "t3_sb0004", "t3_sb0006", "t3_sb0008"]


# -- cursor and restart --------------------------------------------------------------------------
def test_cursor_round_trips_through_json_and_a_rerun_yields_nothing(fake: FakeReddit) -> None:
    conn = connector(fake, search=["invoicing software"])
    _, cursor, _ = run(conn)
    stored = roundtrip(cursor)
    assert stored == cursor
    assert set(stored["listings"]) == {
        "r/smallbusiness/new",
        "r/smallbusiness/comments",
        "r/accounting/new",
        "r/accounting/comments",
        "search/all/invoicing software",
    } - {"r/accounting/comments"}  # an empty listing has no state yet
    before = len(fake.requests)
    items, _, batches = run(conn, stored)
    assert items == [] and batches == []
    # Known ground is on the first page: one request per listing, no deep paging.
    assert len([r for r in fake.requests[before:] if r.method == "GET"]) == 5


def test_restart_from_stored_cursor_has_no_gap_and_no_duplicate(fake: FakeReddit) -> None:
    conn = connector(fake)
    first, cursor, _ = run(conn)
    newest = cursor["listings"]["r/smallbusiness/new"]["created_utc"]
    fake.add_thing(
        "smallbusiness",
        {
            "kind": "t3",
            "data": {
                "id": "sb0101",
                "created_utc": newest,
                "author": "a1",
                "title": "Same second as the last one",
                "selftext": "A tie in created_utc must not be lost.",
            },
        },
    )
    fake.add_thing(
        "smallbusiness",
        {
            "kind": "t3",
            "data": {
                "id": "sb0102",
                "author": "a2",
                "title": "Brand new",
                "selftext": "Posted between runs.",
            },
        },
    )
    fake.add_thing(
        "smallbusiness",
        {
            "kind": "t1",
            "data": {
                "id": "sbc101",
                "author": "a3",
                "link_id": "t3_sb0102",
                "body": "A fresh comment.",
            },
        },
    )
    second, cursor2, _ = run(connector(fake), roundtrip(cursor))
    assert {i.external_id for i in second} == {"t3_sb0101", "t3_sb0102", "t1_sbc101"}
    assert not {i.external_id for i in first} & {i.external_id for i in second}
    third, _, _ = run(connector(fake), roundtrip(cursor2))
    assert third == []


def test_crash_after_some_batches_resumes_without_gap_or_duplicate(fake: FakeReddit) -> None:
    conn = connector(fake, limit=2)
    stream = cast(Generator[Batch, None, None], conn.fetch(None))
    stored = [next(stream), next(stream)]  # the daemon stored two batches, then died
    stream.close()
    done = {i.external_id for b in stored for i in b.items}
    rest, _, _ = run(connector(fake, limit=2), roundtrip(stored[-1].cursor))
    again = {i.external_id for i in rest}
    assert not done & again
    assert done | again == EXPECTED_FIRST_RUN


def test_recent_ids_are_bounded_and_paging_stops_at_known_ground(fake: FakeReddit) -> None:
    sub = fake.add_subreddit("busy")
    now = time.time()
    for n in range(620):  # one post a minute for about ten hours
        data = {"id": f"bz{n:04d}", "created_utc": now - 60.0 * n, "title": f"Post {n}"}
        fake.add_thing(sub.display_name, {"kind": "t3", "data": data})
    conn = connector(fake, subreddits=["busy"], comments=False)
    items, cursor, batches = run(conn)
    assert len(items) == 620 and len(batches) == 7
    state = cursor["listings"]["r/busy/new"]
    assert len(state["seen"]) == 500
    assert state["last"] == "t3_bz0000"
    assert batches[0].cursor["listings"]["r/busy/new"]["last"] == "t3_bz0520"
    before = len(fake.requests)
    assert run(conn, roundtrip(cursor))[0] == []
    assert len(fake.requests) - before == 2  # a token, then one page that reaches known ground


def test_expired_token_is_refreshed_by_prawcore(fake: FakeReddit) -> None:
    fake.fail(
        "/r/smallbusiness/new",
        401,
        headers={"www-authenticate": 'Bearer realm="reddit", error="invalid_token"'},
        body='{"message": "Unauthorized", "error": 401}',
    )
    items, _, _ = run(connector(fake))
    assert {i.external_id for i in items} == EXPECTED_FIRST_RUN
    assert len([r for r in fake.requests if r.path == "/api/v1/access_token"]) == 2


def test_a_listing_that_no_longer_reaches_the_cursor_is_warned_about(
    fake: FakeReddit, caplog: pytest.LogCaptureFixture
) -> None:
    conn = connector(fake, subreddits=["Accounting"], comments=False)
    _, cursor, _ = run(conn)
    # Reddit's listings keep about 1000 items: everything known has dropped off the end.
    fake.subreddits["accounting"].things.clear()
    fake.add_thing("Accounting", {"kind": "t3", "data": {"id": "ac0100", "title": "Newer"}})
    with caplog.at_level(logging.WARNING, logger="connectors.reddit"):
        items, _, _ = run(conn, roundtrip(cursor))
    assert [i.external_id for i in items] == ["t3_ac0100"]
    assert "ended before reaching the cursor" in caplog.text
    _, cursor, _ = run(conn, roundtrip(cursor))
    caplog.clear()
    fake.add_thing("Accounting", {"kind": "t3", "data": {"id": "ac0101", "title": "Newest"}})
    with caplog.at_level(logging.WARNING, logger="connectors.reddit"):
        items, _, _ = run(conn, roundtrip(cursor))
    assert [i.external_id for i in items] == ["t3_ac0101"]
    assert "ended before" not in caplog.text  # known ground reached: no warning


def test_unreadable_cursor_is_reported(fake: FakeReddit) -> None:
    with pytest.raises(ConnectorError) as caught:
        run(connector(fake), {"v": 99, "listings": {}})
    assert caught.value.permanent
    assert "cursor" in str(caught.value)


# -- search -----------------------------------------------------------------------------------
def test_search_across_all_of_reddit(fake: FakeReddit) -> None:
    items, _, _ = run(connector(fake, subreddits=[], search=["invoicing software"]))
    assert {i.external_id for i in items} == {"t3_sb0002", "t3_ac0002"}
    (request,) = fake.listing_requests("/search")
    assert request.path == "/r/all/search/"
    assert request.query["q"] == "invoicing software"
    assert request.query["sort"] == "new"


def test_search_restricted_to_subreddits(fake: FakeReddit) -> None:
    conn = connector(
        fake, subreddits=[], search=["invoicing software"], search_subreddits=["Accounting"]
    )
    items, _, _ = run(conn)
    assert [i.external_id for i in items] == ["t3_ac0002"]
    (request,) = fake.listing_requests("/search")
    assert request.path == "/r/Accounting/search/"
    assert request.query["restrict_sr"] == "True"


def test_an_item_found_twice_in_one_run_is_yielded_once(fake: FakeReddit) -> None:
    items, _, _ = run(connector(fake, search=["invoicing software"]))
    ids = [i.external_id for i in items]
    assert ids.count("t3_sb0002") == 1
    assert set(ids) == EXPECTED_FIRST_RUN


# -- credentials, user agent, check ----------------------------------------------------------------
def test_user_agent_is_sent_on_every_request(fake: FakeReddit) -> None:
    run(connector(fake))
    agents = {r.headers.get("user-agent", "") for r in fake.requests}
    assert agents and all(a.startswith(UA + " PRAW/") for a in agents)


def test_user_agent_defaults_to_the_context(fake: FakeReddit) -> None:
    config = RedditConfig(
        subreddits=["smallbusiness"],
        oauth_url=fake.url,
        reddit_url=fake.url,
        allow_private_networks=True,
    )
    context = ConnectorContext(source_name="r", user_agent="listener/9.9 (by /u/someone)")
    list(RedditConnector(config, context).fetch(None))
    assert all(
        r.headers["user-agent"].startswith("listener/9.9 (by /u/someone)") for r in fake.requests
    )


def test_token_uses_client_credentials_with_basic_auth(fake: FakeReddit) -> None:
    run(connector(fake))
    token_requests = [r for r in fake.requests if r.path == "/api/v1/access_token"]
    assert len(token_requests) == 1
    assert token_requests[0].headers["authorization"].startswith("Basic ")
    listing = [r for r in fake.requests if r.method == "GET"]
    assert all(r.headers["authorization"] == "bearer fake-token-1" for r in listing)


def test_bad_credentials_are_permanent_and_never_echo_the_secret(
    fake: FakeReddit, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "wrong-secret-9f8e7d6c5b"
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", secret)
    for action in (connector(fake).check, lambda: run(connector(fake))):
        with pytest.raises(ConnectorError) as caught:
            action()
        err = caught.value
        assert err.permanent
        assert "REDDIT_CLIENT_ID" in str(err) and "REDDIT_CLIENT_SECRET" in str(err)
        assert secret not in str(err) and secret not in repr(err.args)
        assert err.__cause__ is None or secret not in str(err.__cause__)
    assert not [r for r in fake.requests if r.method == "GET"]
    # One refused token request per attempt, not one per listing.
    assert len([r for r in fake.requests if r.path == "/api/v1/access_token"]) == 2


def test_missing_environment_variables_are_named(
    fake: FakeReddit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REDDIT_CLIENT_SECRET")
    monkeypatch.setenv("MY_REDDIT_ID", CLIENT_ID)
    conn = connector(fake, client_id_env="MY_REDDIT_ID")
    with pytest.raises(ConnectorError) as caught:
        run(conn)
    assert caught.value.permanent
    assert "REDDIT_CLIENT_SECRET not set" in caught.value.message
    assert caught.value.hint is not None and "MY_REDDIT_ID" in caught.value.hint
    assert fake.requests == []


def test_check_passes_for_a_healthy_source(fake: FakeReddit) -> None:
    connector(fake, search=["x"], search_subreddits=["Accounting"]).check()
    abouts = sorted(r.path for r in fake.requests if r.path.endswith("/about/"))
    assert abouts == ["/r/accounting/about/", "/r/smallbusiness/about/"]


# -- unreadable subreddits ------------------------------------------------------------------------
@pytest.fixture
def troubled(fake: FakeReddit) -> FakeReddit:
    fake.add_subreddit("secretclub", status="private")
    fake.add_subreddit("gonesub", status="banned")
    return fake


def test_private_banned_and_missing_subreddits_do_not_stop_the_others(troubled: FakeReddit) -> None:
    conn = connector(troubled, subreddits=["secretclub", "smallbusiness", "gonesub", "nosuchsub"])
    stream = conn.fetch(None)
    got: list[RawItem] = []
    with pytest.raises(ConnectorError) as caught:
        for batch in stream:
            got.extend(batch.items)
    err = caught.value
    assert err.partial and not err.permanent  # smallbusiness was read: degraded, not disabled
    assert "r/secretclub is private" in err.message
    assert "r/gonesub is banned" in err.message
    assert "r/nosuchsub does not exist" in err.message
    assert err.hint is not None and "remove secretclub" in err.hint
    assert {i.external_id for i in got} == {i for i in EXPECTED_FIRST_RUN if "_sb" in i}


def test_a_bad_subreddit_beside_comments_and_search_is_partial(troubled: FakeReddit) -> None:
    conn = connector(troubled, subreddits=["secretclub", "smallbusiness"], comments=True)
    with pytest.raises(ConnectorError) as caught:
        for _ in conn.fetch(None):
            pass
    assert caught.value.partial and not caught.value.permanent


def test_only_bad_subreddits_is_permanent(troubled: FakeReddit) -> None:
    conn = connector(troubled, subreddits=["secretclub", "gonesub"], comments=True)
    with pytest.raises(ConnectorError) as caught:
        for _ in conn.fetch(None):
            pass
    assert caught.value.permanent and not caught.value.partial


def test_check_reports_every_unreadable_subreddit(troubled: FakeReddit) -> None:
    conn = connector(troubled, subreddits=["smallbusiness", "secretclub", "gonesub", "nosuchsub"])
    with pytest.raises(ConnectorError) as caught:
        conn.check()
    message = caught.value.message
    assert "r/secretclub is private" in message
    assert "r/gonesub is banned" in message
    assert "r/nosuchsub does not exist" in message
    assert "smallbusiness" not in message


# -- rate limits and server trouble ---------------------------------------------------------------
def test_429_gives_retry_after_and_the_next_run_resumes(fake: FakeReddit) -> None:
    fake.fail(
        "/r/smallbusiness/comments", 429, headers={"Retry-After": "37"}, body="Too Many Requests"
    )
    conn = connector(fake)
    stored: list[Batch] = []
    with pytest.raises(ConnectorError) as caught:
        for batch in conn.fetch(None):
            stored.append(batch)
    err = caught.value
    assert not err.permanent
    assert err.retry_after == 37.0
    done = {i.external_id for b in stored for i in b.items}
    assert done == {i for i in EXPECTED_FIRST_RUN if i.startswith("t3_sb")}
    rest, _, _ = run(connector(fake), roundtrip(stored[-1].cursor))
    assert {i.external_id for i in rest} == EXPECTED_FIRST_RUN - done


def test_prawcore_rate_limiter_waits_for_the_window_reset(
    fake: FakeReddit, sleeps: list[float]
) -> None:
    fake.ratelimit = {"remaining": 0.0, "used": 600, "reset": 42}
    items, _, _ = run(connector(fake, subreddits=["smallbusiness"], comments=False, limit=5))
    assert {i.external_id for i in items} == {
        i for i in EXPECTED_FIRST_RUN if i.startswith("t3_sb")
    }
    assert len(fake.listing_requests("/r/smallbusiness/new")) == 2
    assert any(41.0 <= s <= 42.0 for s in sleeps)


def test_server_errors_are_retried_by_prawcore_then_reported_as_transient(
    fake: FakeReddit, sleeps: list[float]
) -> None:
    fake.fail("/r/smallbusiness/new", 500, body='{"message": "Internal Server Error"}', times=10)
    with pytest.raises(ConnectorError) as caught:
        run(connector(fake, subreddits=["smallbusiness"]))
    assert not caught.value.permanent
    assert "HTTP 500" in caught.value.message
    assert len(fake.listing_requests("/r/smallbusiness/new")) == 3  # first try + 2 retries
    assert len(sleeps) >= 2


def test_unreachable_reddit_is_transient() -> None:
    with FakeReddit() as gone:
        url = gone.url
    config = RedditConfig(
        subreddits=["smallbusiness"],
        oauth_url=url,
        reddit_url=url,
        user_agent=UA,
        allow_private_networks=True,
    )
    with pytest.raises(ConnectorError) as caught:
        list(RedditConnector(config, ConnectorContext(source_name="r")).fetch(None))
    assert not caught.value.permanent
    assert "could not reach Reddit" in caught.value.message


# -- config -------------------------------------------------------------------------------------
def test_config_validation() -> None:
    config = RedditConfig(subreddits=["r/smallbusiness", "/r/Accounting/"])
    assert config.subreddits == ["smallbusiness", "Accounting"]
    assert config.client_id_env == "REDDIT_CLIENT_ID"
    assert config.oauth_url == "https://oauth.reddit.com"
    with pytest.raises(ValidationError, match="at least one of"):
        RedditConfig()
    with pytest.raises(ValidationError, match="not a subreddit name"):
        RedditConfig(subreddits=["small business"])
    with pytest.raises(ValidationError):
        RedditConfig(subreddits=["x1"], client_secret="inline")  # type: ignore[call-arg]  # secrets only from the env
    with pytest.raises(ValidationError):
        RedditConfig(subreddits=["x1"], limit=500)


def test_registered_under_its_type() -> None:
    registry = pytest.importorskip(
        "connectors.registry", reason="registry imports other connectors"
    )
    assert registry.REGISTRY["reddit"] is RedditConnector


# -- real recorded Reddit responses ---------------------------------------------------------
def shared_reddit() -> Path:
    base = os.environ.get("LISTENER_SHARED_DATA")
    root = Path(base) if base else Path(__file__).parents[2] / ".." / "shared" / "data"
    return root / "reddit"


def recorded_body(name: str, uri_part: str) -> str:
    cassette = json.loads((shared_reddit() / name).read_text(encoding="utf-8"))
    for interaction in cassette["interactions"]:
        if uri_part in interaction["request"]["uri"]:
            return str(interaction["response"]["body"]["string"])
    raise AssertionError(f"{name} has no response for {uri_part}")


@pytest.mark.shared_data
def test_real_recorded_listings_become_items() -> None:
    if not (shared_reddit() / "TestSubredditListings.test_new.json").is_file():
        pytest.skip(f"PRAW's recorded Reddit cassettes are not at {shared_reddit()}")
    new = recorded_body("TestSubredditListings.test_new.json", "/r/askreddit/new")
    comments = recorded_body("TestSubredditListings.test_comments.json", "/r/askreddit/comments")
    with FakeReddit() as fake:
        fake.add_subreddit("askreddit")
        fake.serve_raw("/r/askreddit/new", new)
        fake.serve_raw("/r/askreddit/comments", comments)
        # The recordings are from 2016: reach back far enough to take all of them.
        items, cursor, _ = run(connector(fake, subreddits=["askreddit"], backfill_days=20000))
    children = [c["data"] for c in json.loads(new)["data"]["children"]]
    children += [c["data"] for c in json.loads(comments)["data"]["children"]]
    live = [
        c
        for c in children
        if (c.get("selftext") if "title" in c else c.get("body")) not in ("[deleted]", "[removed]")
    ]
    assert len(items) == len(live) > 150
    assert {i.kind for i in items} == {"post", "comment"}
    assert {i.segment["subreddit"] for i in items} == {"AskReddit"}
    assert all(i.url and i.url.startswith("https://www.reddit.com/r/AskReddit/") for i in items)
    assert all(i.text.strip() for i in items)
    posts = {i.external_id: i for i in items if i.kind == "post"}
    first = next(c for c in children if "title" in c)
    assert posts[first["name"]].title == first["title"]
    assert json.loads(json.dumps(cursor)) == cursor


@pytest.mark.shared_data
def test_real_recorded_search_results_become_items() -> None:
    if not (shared_reddit() / "TestSubreddit.test_search.json").is_file():
        pytest.skip(f"PRAW's recorded Reddit cassettes are not at {shared_reddit()}")
    body = recorded_body("TestSubreddit.test_search.json", "/r/all/search/")
    with FakeReddit() as fake:
        fake.serve_raw("/r/all/search", body)
        conn = connector(fake, subreddits=[], search=["praw oauth search"], backfill_days=20000)
        items, _, _ = run(conn)
        (request,) = fake.listing_requests("/search")
    children = [c["data"] for c in json.loads(body)["data"]["children"]]
    assert request.query["q"] == "praw oauth search"
    expected = {
        c["name"]
        for c in children
        if c.get("selftext") not in ("[deleted]", "[removed]") and not c.get("removed_by_category")
    }
    assert {i.external_id for i in items} == expected
    assert len(expected) > 5
    assert all(i.kind == "post" and i.title and i.text.startswith(i.title) for i in items)
    assert {i.segment["subreddit"] for i in items} == {
        c["subreddit"] for c in children if c["name"] in expected
    }


def test_the_fake_pages_like_reddit(fake: FakeReddit) -> None:
    """The fake itself: newest-first pages, fullnames in ``after``/``before``, limit capped."""
    things = fake.subreddits["smallbusiness"].things
    posts = [t for t in things if t["kind"] == "t3"]
    first = fake.listing(posts, {"limit": "3"})["data"]
    names = [c["data"]["name"] for c in first["children"]]
    assert names == ["t3_sb0001", "t3_sb0002", "t3_sb0003"]
    assert first["after"] == "t3_sb0003" and first["before"] is None
    older = fake.listing(posts, {"limit": "3", "after": "t3_sb0009"})["data"]
    assert [c["data"]["name"] for c in older["children"]] == ["t3_sb0010"]
    assert older["after"] is None
    newer = fake.listing(posts, {"limit": "2", "before": "t3_sb0005"})["data"]
    assert [c["data"]["name"] for c in newer["children"]] == ["t3_sb0003", "t3_sb0004"]
    assert len(fake.listing(posts, {"limit": "1000"})["data"]["children"]) == len(posts) == 10
