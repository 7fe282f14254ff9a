"""The Hacker News connector against a loopback fake of the HN search API (search_by_date)."""

from __future__ import annotations

import json
import socket
from collections.abc import Generator, Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.base import Batch, ConnectorContext, ConnectorError
from connectors.hackernews import HackerNewsConfig, HackerNewsConnector
from connectors.http import HttpClient
from tests.connectors.forum_fakes import FakeHNSearch

CONTEXT = ConnectorContext(source_name="hn-test")
FIXTURE_IDS = ["41000001", "41000005", "41000009", "41000020", "41000022", "41000040"]


@pytest.fixture
def hn() -> Iterator[FakeHNSearch]:
    fake = FakeHNSearch.from_fixture().start()
    yield fake
    fake.stop()


def connector(
    fake: FakeHNSearch, http: HttpClient | None = None, **overrides: Any
) -> HackerNewsConnector:
    settings: dict[str, Any] = {
        "queries": ["invoicing"],
        "api_url": fake.api_url,
        "allow_private_networks": True,
    }
    settings.update(overrides)
    return HackerNewsConnector(HackerNewsConfig.model_validate(settings), CONTEXT, http=http)


def run(conn: HackerNewsConnector, cursor: Any = None) -> list[Batch]:
    return list(conn.fetch(cursor))


def ids(batches: list[Batch]) -> list[str]:
    return [item.external_id for batch in batches for item in batch.items]


def roundtrip(cursor: Any) -> Any:
    return json.loads(json.dumps(cursor))


def test_first_fetch_yields_matching_items_oldest_first_as_raw_items(hn: FakeHNSearch) -> None:
    hn.add({"objectID": "40000001", "_kind": "story", "age_minutes": 3 * 24 * 60,
            "title": "Old invoicing story", "author": "x"})  # fmt: skip
    batches = run(connector(hn, backfill_days=1, queries=["invoicing"]))
    got = ids(batches)
    # "Dark patterns" does not match, the deleted comment has no text, the 3-day-old story is
    # outside the backfill window.
    assert got == ["41000001", "41000005", "41000009", "41000020", "41000022"]
    items = {i.external_id: i for b in batches for i in b.items}
    story, comment = items["41000001"], items["41000005"]
    assert story.kind == "post" and comment.kind == "comment"
    assert story.title == "Ask HN: How do you handle invoicing for a small agency?"
    assert comment.title is None
    assert story.text.startswith("We bill 20 clients a month")
    assert "/per-seat/" in comment.text  # HTML entities decoded
    assert items["41000009"].text.splitlines()[-1] == "Automatic reminders would save me hours."
    assert items["41000020"].text == "Show HN: An open-source invoicing app for freelancers"
    assert comment.url == "https://news.ycombinator.com/item?id=41000005"
    assert comment.author == "pg_fan"
    assert comment.segment == {"community": "hackernews"}
    assert comment.metadata["story_id"] == 41000001
    assert story.created_at is not None and story.created_at.tzinfo is not None
    request = hn.requests[0]
    assert request.path == "/api/v1/search_by_date"
    assert request.query["tags"] == ["(story,comment)"]
    assert request.query["numericFilters"][0].startswith("created_at_i>")
    assert request.headers["user-agent"] == CONTEXT.user_agent


def test_tags_restrict_to_stories(hn: FakeHNSearch) -> None:
    got = ids(run(connector(hn, tags=["story"])))
    assert got == ["41000001", "41000020"]
    assert hn.requests[0].query["tags"] == ["(story)"]


def test_pages_are_followed_and_each_batch_carries_the_cursor_after_it(hn: FakeHNSearch) -> None:
    batches = run(connector(hn, hits_per_page=2))
    assert ids(batches) == FIXTURE_IDS[:5]
    assert [len(b.items) for b in batches] == [2, 2, 1]
    assert sorted(int(p[0]) for r in hn.requests for p in [r.query["page"]]) == [0, 1, 2]
    for batch in batches:
        newest = max(int(i.created_at.timestamp()) for i in batch.items if i.created_at)
        assert batch.cursor["queries"]["invoicing"]["ts"] == newest


def test_second_run_yields_only_new_items_including_same_second(hn: FakeHNSearch) -> None:
    first = run(connector(hn))
    cursor = roundtrip(first[-1].cursor)
    newest = cursor["queries"]["invoicing"]["ts"]
    assert run(connector(hn), cursor) == []
    hn.add({"objectID": "41000100", "_kind": "comment", "created_at_i": newest,
            "comment_text": "Same second, still about invoicing.", "author": "a"})  # fmt: skip
    hn.add({"objectID": "41000101", "_kind": "comment", "created_at_i": newest + 5,
            "comment_text": "Later: invoicing again.", "author": "b"})  # fmt: skip
    second = run(connector(hn), cursor)
    assert ids(second) == ["41000100", "41000101"]
    assert run(connector(hn), roundtrip(second[-1].cursor)) == []


def test_restart_from_a_mid_fetch_cursor_has_no_gap_and_no_duplicate(hn: FakeHNSearch) -> None:
    fetch = connector(hn, hits_per_page=2).fetch(None)
    assert isinstance(fetch, Generator)
    stored = next(fetch)  # the daemon stored this batch, then the process died
    fetch.close()
    rest = run(connector(hn, hits_per_page=2), roundtrip(stored.cursor))
    assert [i.external_id for i in stored.items] + ids(rest) == FIXTURE_IDS[:5]


def test_the_1000_hit_paging_limit_is_crossed_by_narrowing_the_window(hn: FakeHNSearch) -> None:
    hn.items.clear()
    base = hn.now - 20_000
    for n in range(1_250):  # pairs of items share a second
        hn.add({"objectID": str(50_000_000 + n), "_kind": "comment",
                "created_at_i": base + n // 2, "comment_text": f"invoicing note {n}"})  # fmt: skip
    got = ids(run(connector(hn, hits_per_page=500)))
    assert len(got) == 1_250
    assert got == [str(50_000_000 + n) for n in range(1_250)]
    assert any("created_at_i<=" in r.query["numericFilters"][0] for r in hn.requests)


def test_each_query_has_its_own_cursor(hn: FakeHNSearch) -> None:
    batches = run(connector(hn, queries=["invoicing", "dark patterns"]))
    cursor = batches[-1].cursor
    assert set(cursor["queries"]) == {"invoicing", "dark patterns"}
    assert ids(batches)[-1] == "41000040"
    hn.add({"objectID": "41000200", "_kind": "story", "age_minutes": 0,
            "title": "More dark patterns", "author": "c"})  # fmt: skip
    again = run(connector(hn, queries=["invoicing", "dark patterns"]), roundtrip(cursor))
    assert ids(again) == ["41000200"]


def test_429_with_retry_after_is_honoured(hn: FakeHNSearch) -> None:
    sleeps: list[float] = []
    hn.fail_next(429, headers={"Retry-After": "7"})
    with HttpClient(CONTEXT.user_agent, allow_private_networks=True, sleep=sleeps.append) as http:
        got = ids(run(connector(hn, http=http)))
    assert sleeps == [7.0]
    assert got == FIXTURE_IDS[:5]


def test_a_500_streak_raises_a_connector_error(hn: FakeHNSearch) -> None:
    sleeps: list[float] = []
    hn.fail_next(500, times=50)
    with (
        HttpClient(
            CONTEXT.user_agent, allow_private_networks=True, sleep=sleeps.append, max_retries=2
        ) as http,
        pytest.raises(ConnectorError) as caught,
    ):
        run(connector(hn, http=http))
    assert "HTTP 500" in str(caught.value)
    assert "invoicing" in str(caught.value)
    assert not caught.value.permanent
    assert len(hn.requests) == 3 and len(sleeps) == 2


def test_check_passes_against_the_api(hn: FakeHNSearch) -> None:
    connector(hn).check()
    assert hn.requests[0].query["hitsPerPage"] == ["1"]


def test_check_explains_a_wrong_api_url(hn: FakeHNSearch) -> None:
    with pytest.raises(ConnectorError) as caught:
        connector(hn, api_url=hn.url + "/not-the-api").check()
    assert "404" in str(caught.value)


def test_check_explains_an_unreachable_api() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens here
    sleeps: list[float] = []
    config = HackerNewsConfig(
        queries=["x"], api_url=f"http://127.0.0.1:{port}/api/v1", allow_private_networks=True
    )
    with (
        HttpClient(
            CONTEXT.user_agent, allow_private_networks=True, sleep=sleeps.append, max_retries=1
        ) as http,
        pytest.raises(ConnectorError) as caught,
    ):
        HackerNewsConnector(config, CONTEXT, http=http).check()
    assert "could not reach" in str(caught.value)
    assert caught.value.hint


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ({"queries": []}, "queries"),
        ({"queries": ["  "]}, "empty"),
        ({"queries": ["a"], "api_url": "ftp://hn.example"}, "http"),
        ({"queries": ["a"], "tags": ["job"]}, "tags"),
        ({"queries": ["a"], "hits_per_page": 5000}, "hits_per_page"),
        ({"queries": ["a"], "unknown": 1}, "unknown"),
    ],
)
def test_config_errors_name_the_problem(settings: dict[str, Any], needle: str) -> None:
    with pytest.raises(ValidationError) as caught:
        HackerNewsConfig.model_validate(settings)
    assert needle in str(caught.value)


def test_a_garbled_cursor_starts_afresh_instead_of_crashing(hn: FakeHNSearch) -> None:
    got = ids(run(connector(hn), {"queries": {"invoicing": {"ts": "yesterday"}}}))
    assert got == FIXTURE_IDS[:5]


def test_without_backfill_the_first_run_only_remembers_where_it_started(
    hn: FakeHNSearch,
) -> None:
    first = run(connector(hn, backfill_days=0))
    assert ids(first) == [] and len(first) == 1
    cursor = roundtrip(first[0].cursor)
    start = cursor["queries"]["invoicing"]["ts"]
    assert start >= hn.now
    hn.add({"objectID": "41000300", "_kind": "story", "created_at_i": start + 1,
            "title": "Invoicing, fresh", "author": "d"})  # fmt: skip
    assert ids(run(connector(hn, backfill_days=0), cursor)) == ["41000300"]


def test_items_indexed_late_are_still_picked_up(hn: FakeHNSearch) -> None:
    cursor = roundtrip(run(connector(hn))[-1].cursor)
    newest = cursor["queries"]["invoicing"]["ts"]
    assert set(cursor["queries"]["invoicing"]["recent"]) == {"41000022"}  # 10 min after 020
    # Indexed only now, though written before the newest item we already have:
    hn.add({"objectID": "41000150", "_kind": "comment", "created_at_i": newest - 120,
            "comment_text": "Late to the index: invoicing.", "author": "e"})  # fmt: skip
    # Too old for the look-back window: the documented limit.
    hn.add({"objectID": "41000151", "_kind": "comment", "created_at_i": newest - 3_600,
            "comment_text": "Very late invoicing comment.", "author": "f"})  # fmt: skip
    again = run(connector(hn), cursor)
    assert ids(again) == ["41000150"]
    assert run(connector(hn), roundtrip(again[-1].cursor)) == []


def test_every_cursor_is_plain_json(hn: FakeHNSearch) -> None:
    batches = run(connector(hn, hits_per_page=2, queries=["invoicing", "dark patterns"]))
    assert batches and all(roundtrip(b.cursor) == b.cursor for b in batches)
