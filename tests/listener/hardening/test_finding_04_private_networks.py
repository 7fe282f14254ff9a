"""Issue 11, finding 4: redirects to internal addresses were followed (and retried).

Configured URLs and every redirect hop must be public addresses unless the source sets
``allow_private_networks: true``; cloud metadata addresses are refused even then. Names are
resolved and every address they resolve to is checked. The error names the target.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from connectors.base import ConnectorError
from connectors.http import HttpClient
from connectors.netpolicy import BlockedAddress, classify, vet
from listener.cli import main
from tests.connectors.loopback import LoopbackServer, Reply, redirect
from tests.listener.hardening.helpers import rss, write_config

FEED = rss([("p-1", "Invoices", "Sending invoices takes all evening.")])


def test_a_loopback_url_is_refused_unless_the_source_opts_in() -> None:
    with LoopbackServer({"/feed.xml": Reply(body=FEED)}) as server:
        with HttpClient("t", max_retries=3) as client, pytest.raises(BlockedAddress) as raised:
            client.get(server.url("/feed.xml"))
        assert f"refused {server.url('/feed.xml')}: a loopback address" in str(raised.value)
        assert "allow_private_networks: true" in str(raised.value)
        assert raised.value.permanent
        assert server.requests == []  # refused before connecting
        with HttpClient("t", allow_private_networks=True) as client:
            assert client.get(server.url("/feed.xml")).body == FEED


def test_a_name_is_checked_by_every_address_it_resolves_to() -> None:
    with LoopbackServer({"/feed.xml": Reply(body=FEED)}) as server:
        url = f"http://localhost:{server.port}/feed.xml"
        with HttpClient("t") as client, pytest.raises(BlockedAddress) as raised:
            client.get(url)
    assert "localhost resolves to" in str(raised.value)

    def public_and_private(_host: str, _port: int) -> list[str]:
        return ["93.184.215.14", "10.1.2.3"]

    with pytest.raises(BlockedAddress, match=r"intranet.example resolves to 10\.1\.2\.3"):
        vet("intranet.example", 443, allow_private=False, shown="x", resolve=public_and_private)
    assert vet("93.184.215.14", 443, allow_private=False, shown="x") == ["93.184.215.14"]


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("169.254.169.254", "a cloud metadata address"),
        ("::ffff:169.254.169.254", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("169.254.10.1", "a link-local address"),
        ("10.0.0.8", "a private address"),
        ("192.168.1.1", "a private address"),
        ("192.0.2.7", "a private address"),
        ("100.64.0.1", "a reserved or shared address"),
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("0.0.0.0", "an unspecified address"),
        ("93.184.215.14", None),
        ("2606:4700::1111", None),
    ],
)
def test_address_classes(address: str, reason: str | None) -> None:
    import ipaddress

    assert classify(ipaddress.ip_address(address)) == reason


def test_a_redirect_to_the_metadata_service_is_refused_once_and_named() -> None:
    target = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
    with LoopbackServer({"/feed.xml": redirect(target, status=302)}) as server:
        sleeps: list[float] = []
        with (
            HttpClient("t", allow_private_networks=True, sleep=sleeps.append) as client,
            pytest.raises(ConnectorError) as raised,
        ):
            client.get(server.url("/feed.xml"))
        assert len(server.requests) == 1 and sleeps == []  # not retried
    message = str(raised.value)
    assert f"refused a redirect to {target}: a cloud metadata address" in message
    assert "nothing may fetch from it" in message


def test_a_feed_source_on_a_private_address_is_paused_with_the_target_in_status(
    tmp_path: Path,
) -> None:
    with LoopbackServer({"/feed.xml": Reply(body=FEED)}) as server:
        url = server.url("/feed.xml")
        source = {"name": "blog", "type": "feed", "every": "1h", "urls": [url]}
        config = write_config(tmp_path, [source])
        runner = CliRunner()
        result = runner.invoke(main, ["--log-level", "error", "run", "--once", "-c", str(config)])
        assert result.exit_code == 1
        assert f"refused {url}: a loopback address" in result.stderr
        assert server.requests == []
        status = runner.invoke(main, ["status", "-c", str(config)])
        assert "disabled" in status.stdout
        assert f"refused {url}: a loopback address" in status.stdout
