"""HttpClient against a real loopback HTTP server: retries, Retry-After, caps, errors."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from connectors.base import ConnectorError
from connectors.http import HttpClient, parse_retry_after, safe_url
from tests.connectors.loopback import LoopbackServer, RecordedRequest, Reply, gzip_reply, redirect


@pytest.fixture
def client(sleeps: list[float]) -> Iterator[HttpClient]:
    with HttpClient(
        "listener-test/1.0", allow_private_networks=True, sleep=sleeps.append, timeout=2.0
    ) as c:
        yield c


def test_sends_user_agent_and_returns_body(server: LoopbackServer, client: HttpClient) -> None:
    server.route("/hello", Reply(body="hi there", headers={"Content-Type": "text/plain"}))
    response = client.get(server.url("/hello"), params={"q": "x y"})
    assert response.status == 200
    assert response.body == b"hi there"
    assert response.headers["content-type"] == "text/plain"
    assert response.permanent_redirect is None
    (request,) = server.requests
    assert request.header("User-Agent") == "listener-test/1.0"
    assert request.query == {"q": ["x y"]}


def test_etag_gives_304(server: LoopbackServer, client: HttpClient) -> None:
    server.route("/f", Reply(body="v1", headers={"ETag": '"abc"'}))
    first = client.get(server.url("/f"))
    assert first.headers["ETag"] == '"abc"'
    second = client.get(server.url("/f"), headers={"If-None-Match": '"abc"'})
    assert second.status == 304
    assert second.not_modified
    assert second.body == b""


def test_last_modified_gives_304(server: LoopbackServer, client: HttpClient) -> None:
    stamp = "Sun, 22 Nov 2026 10:00:00 GMT"
    server.route("/f", Reply(body="v1", headers={"Last-Modified": stamp}))
    assert client.get(server.url("/f"), headers={"If-Modified-Since": stamp}).status == 304
    older = "Sat, 21 Nov 2026 10:00:00 GMT"
    assert client.get(server.url("/f"), headers={"If-Modified-Since": older}).status == 200


def test_permanent_redirect_is_recorded(server: LoopbackServer, client: HttpClient) -> None:
    server.route("/old", redirect("/new", 301))
    server.route("/new", Reply(body="moved"))
    response = client.get(server.url("/old"))
    assert response.body == b"moved"
    assert response.permanent_redirect == server.url("/new")


def test_temporary_redirect_is_not_permanent(server: LoopbackServer, client: HttpClient) -> None:
    server.route("/tmp", redirect("/new", 302))
    server.route("/new", Reply(body="here"))
    response = client.get(server.url("/tmp"))
    assert response.url == server.url("/new")
    assert response.permanent_redirect is None


def test_permanent_then_temporary_keeps_the_permanent_hop(
    server: LoopbackServer, client: HttpClient
) -> None:
    server.route("/a", redirect("/b", 308))
    server.route("/b", redirect("/c", 307))
    server.route("/c", Reply(body="c"))
    assert client.get(server.url("/a")).permanent_redirect == server.url("/b")


def test_5xx_streak_then_success(
    server: LoopbackServer, client: HttpClient, sleeps: list[float]
) -> None:
    server.route("/s", [Reply(500), Reply(502), Reply(200, body="ok")])
    assert client.get(server.url("/s")).body == b"ok"
    assert len(sleeps) == 2
    # full jitter: each wait lies within [0, base * 2**attempt]
    assert 0 <= sleeps[0] <= 1.0
    assert 0 <= sleeps[1] <= 2.0


def test_5xx_streak_gives_up_after_max_retries(
    server: LoopbackServer, client: HttpClient, sleeps: list[float]
) -> None:
    server.route("/s", Reply(500))
    with pytest.raises(ConnectorError) as info:
        client.get(server.url("/s"))
    assert "HTTP 500" in str(info.value)
    assert info.value.hint
    assert not info.value.permanent
    assert len(server.requests_for("/s")) == 4  # first try + 3 retries
    assert len(sleeps) == 3


def test_backoff_is_exponential_with_injected_jitter(server: LoopbackServer) -> None:
    waits: list[float] = []
    with HttpClient(
        "t",
        allow_private_networks=True,
        sleep=waits.append,
        backoff_base=0.5,
        max_retries=4,
        jitter=lambda cap: cap,
    ) as c:
        server.route("/s", Reply(503))
        with pytest.raises(ConnectorError):
            c.get(server.url("/s"))
    assert waits == [0.5, 1.0, 2.0, 4.0]


def test_429_retry_after_seconds_is_honoured(
    server: LoopbackServer, client: HttpClient, sleeps: list[float]
) -> None:
    server.route("/r", [Reply(429, headers={"Retry-After": "7"}), Reply(200, body="ok")])
    assert client.get(server.url("/r")).body == b"ok"
    assert sleeps == [7.0]


def test_503_retry_after_http_date_is_honoured(
    server: LoopbackServer, client: HttpClient, sleeps: list[float]
) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    server.route("/r", [Reply(503, headers={"Retry-After": when}), Reply(200, body="ok")])
    assert client.get(server.url("/r")).body == b"ok"
    assert len(sleeps) == 1
    assert 20 <= sleeps[0] <= 31


def test_retry_after_too_long_raises_with_the_wait(
    server: LoopbackServer, client: HttpClient, sleeps: list[float]
) -> None:
    server.route("/r", Reply(429, headers={"Retry-After": "3600"}))
    with pytest.raises(ConnectorError) as info:
        client.get(server.url("/r"))
    assert info.value.retry_after == 3600.0
    assert not info.value.permanent
    assert sleeps == []
    assert len(server.requests_for("/r")) == 1


def test_slow_response_times_out(server: LoopbackServer, sleeps: list[float]) -> None:
    server.route("/slow", Reply(body="late", delay=30))
    with (
        HttpClient(
            "t", allow_private_networks=True, timeout=0.2, max_retries=1, sleep=sleeps.append
        ) as c,
        pytest.raises(ConnectorError) as info,
    ):
        c.get(server.url("/slow"))
    assert "timed out" in str(info.value)
    assert len(sleeps) == 1


def test_connection_refused_is_retried_then_reported(sleeps: list[float]) -> None:
    with LoopbackServer() as srv:
        dead = srv.url("/gone")
    with (
        HttpClient("t", allow_private_networks=True, max_retries=2, sleep=sleeps.append) as c,
        pytest.raises(ConnectorError) as info,
    ):
        c.get(dead)
    assert "could not reach" in str(info.value)
    assert len(sleeps) == 2


def test_gzip_bomb_is_capped(server: LoopbackServer) -> None:
    bomb = gzip.compress(b"\0" * 60_000_000)  # ~60 KB on the wire, 60 MB inflated
    server.route("/bomb", Reply(body=bomb, headers={"Content-Encoding": "gzip"}))
    with (
        HttpClient("t", allow_private_networks=True, max_bytes=1_000_000) as c,
        pytest.raises(ConnectorError) as info,
    ):
        c.get(server.url("/bomb"))
    assert "1,000,000 bytes" in str(info.value)
    assert "max_bytes" in (info.value.hint or "")


def test_gzip_bomb_never_holds_more_than_the_cap(server: LoopbackServer) -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"A" * 1_000_000
    bomb = b"".join([*(packer.compress(block) for _ in range(300)), packer.flush()])
    server.route("/bomb", Reply(body=bomb, headers={"Content-Encoding": "gzip"}))
    with HttpClient("t", allow_private_networks=True, max_bytes=2_000_000) as c:
        tracemalloc.start()
        try:
            with pytest.raises(ConnectorError, match="2,000,000 bytes"):
                c.get(server.url("/bomb"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 12_000_000, f"peak {peak:,} bytes while refusing a 300 MB bomb"


@pytest.mark.parametrize(
    ("encoding", "packed"),
    [
        ("deflate", zlib.compress(b"<rss>deflate</rss>")),
        ("deflate", zlib.compress(b"<rss>deflate</rss>")[2:-4]),  # raw deflate, no header
        ("gzip", gzip.compress(b"<rss>two ") + gzip.compress(b"members</rss>")),
        ("identity", b"<rss>plain</rss>"),
    ],
)
def test_content_encodings(
    server: LoopbackServer, client: HttpClient, encoding: str, packed: bytes
) -> None:
    server.route("/e", Reply(body=packed, headers={"Content-Encoding": encoding}))
    body = client.get(server.url("/e")).body
    assert body.startswith(b"<rss>") and body.endswith(b"</rss>")
    assert server.requests[0].header("Accept-Encoding") == "gzip, deflate"


@pytest.mark.parametrize(
    ("encoding", "packed", "message"),
    [
        ("gzip", b"this is not gzip at all", "could not be decompressed"),
        ("br", b"\x0b\x02\x80hi\x03", "unsupported Content-Encoding"),
    ],
)
def test_bad_content_encoding(
    server: LoopbackServer, client: HttpClient, encoding: str, packed: bytes, message: str
) -> None:
    server.route("/e", Reply(body=packed, headers={"Content-Encoding": encoding}))
    with pytest.raises(ConnectorError, match=message):
        client.get(server.url("/e"))


def test_gzip_body_is_decompressed(server: LoopbackServer, client: HttpClient) -> None:
    server.route("/z", gzip_reply(b"<rss/>"))
    assert client.get(server.url("/z")).body == b"<rss/>"


def test_declared_oversize_is_refused(server: LoopbackServer) -> None:
    server.route("/big", Reply(body=b"x" * 5000))
    with (
        HttpClient("t", allow_private_networks=True, max_bytes=1000) as c,
        pytest.raises(ConnectorError),
    ):
        c.get(server.url("/big"))


@pytest.mark.parametrize(
    ("status", "permanent", "word"),
    [(401, True, "credentials"), (403, True, "credentials"), (404, False, "URL"), (410, True, "")],
)
def test_client_errors(
    server: LoopbackServer, client: HttpClient, status: int, permanent: bool, word: str
) -> None:
    server.route("/x", Reply(status))
    with pytest.raises(ConnectorError) as info:
        client.get(server.url("/x"))
    assert info.value.permanent is permanent
    assert f"HTTP {status}" in str(info.value)
    assert word in (info.value.hint or "")
    assert len(server.requests_for("/x")) == 1  # never retried


def test_secrets_never_in_error_messages(server: LoopbackServer, client: HttpClient) -> None:
    server.route("/api", Reply(401))
    url = server.url("/api").replace("http://", "http://user:pa55word@")
    with pytest.raises(ConnectorError) as info:
        client.get(
            url,
            params={"api_key": "s3cr3t-key"},
            headers={"Authorization": "Bearer t0ken-value"},
        )
    shown = f"{info.value} {info.value.hint} {info.value!r}"
    for secret in ("s3cr3t-key", "t0ken-value", "pa55word"):
        assert secret not in shown
    assert server.requests[0].header("Authorization") is not None


def test_non_http_scheme_is_refused(client: HttpClient) -> None:
    with pytest.raises(ConnectorError) as info:
        client.get("file:///etc/passwd")
    assert info.value.permanent


def test_get_json(server: LoopbackServer, client: HttpClient) -> None:
    server.route("/j", Reply(body='{"a": [1, 2]}', headers={"Content-Type": "application/json"}))
    server.route("/html", Reply(body="<html>nope</html>"))
    assert client.get_json(server.url("/j")) == {"a": [1, 2]}
    assert server.requests[0].header("Accept") == "application/json"
    with pytest.raises(ConnectorError, match="did not answer with JSON"):
        client.get_json(server.url("/html"))


def test_parse_retry_after() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120", now=now) == 120.0
    assert parse_retry_after("Mon, 23 Nov 2026 12:01:00 GMT", now=now) == 60.0
    assert parse_retry_after("Mon, 23 Nov 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


def test_safe_url_strips_credentials_and_query() -> None:
    assert (
        safe_url("https://u:p@example.com:8443/a/b?key=s#frag") == "https://example.com:8443/a/b?…"
    )
    assert safe_url("http://example.com/feed") == "http://example.com/feed"


def test_loopback_handler_routes_see_the_request(
    server: LoopbackServer, client: HttpClient
) -> None:
    def echo(request: RecordedRequest) -> Reply:
        return Reply(body=",".join(request.query.get("q", [])), headers={"X-Path": request.path})

    server.route("/echo", echo)
    response = client.get(server.url("/echo"), params={"q": "pains"})
    assert response.body == b"pains"
    assert response.headers["X-Path"] == "/echo"


def test_caller_headers_do_not_follow_a_redirect_to_another_host() -> None:
    from tests.connectors.loopback import LoopbackServer, Reply

    with LoopbackServer({"/landing": Reply(body="ok")}) as other:
        # 127.0.0.1 and localhost are different origins for the redirect rules
        target = other.url("/landing").replace("127.0.0.1", "localhost")
        with LoopbackServer(
            {"/start": Reply(status=302, headers={"Location": target}), "/same": Reply(body="ok")}
        ) as first:
            with HttpClient("listener-test", allow_private_networks=True) as client:
                response = client.get(first.url("/start"), headers={"Api-Key": "s3cret-key"})
                client.get(first.url("/same"), headers={"Api-Key": "s3cret-key"})
            assert response.status == 200
            assert first.requests_for("/start")[0].header("Api-Key") == "s3cret-key"
            assert first.requests_for("/same")[0].header("Api-Key") == "s3cret-key"
        assert other.requests_for("/landing")[0].header("Api-Key") is None
