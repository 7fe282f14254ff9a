"""Which hosts a source may reach: public addresses only, unless the source opts in.

A feed that redirects to ``http://169.254.169.254/`` (a cloud's metadata service), a router's
admin page or ``localhost`` would otherwise make the daemon fetch from inside the network it runs
in (server-side request forgery). Every URL we request, and every redirect hop, is checked: names
are resolved and *every* address they resolve to must be public, so a name that resolves to one
public and one private address is refused too. Intranet sources (and tests against loopback
servers) set ``allow_private_networks: true`` (``connectors.configs.network``); cloud metadata
addresses stay refused even then, since no feed lives there.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

from connectors.base import ConnectorError

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
        "169.254.170.2",  # AWS ECS task metadata
        "100.100.100.200",  # Alibaba Cloud
        "fd00:ec2::254",  # AWS over IPv6
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_OPT_IN_HINT = (
    "if this source really lives on your own network, set `allow_private_networks: true` on it"
)


class BlockedAddress(ConnectorError):
    """A URL or redirect pointed at an address the source may not reach. Permanent: the same
    URL points there next time too (the daemon pauses the source until its config changes)."""


def classify(address: IpAddress) -> str | None:
    """Why ``address`` is not a public internet address, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else None
        )
        if embedded is not None:
            return classify(embedded)
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "a reserved or shared address"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6), in the system's preferred order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def vet(
    host: str,
    port: int,
    *,
    allow_private: bool,
    shown: str,
    redirect: bool = False,
    resolve: Resolver = system_resolver,
) -> list[str]:
    """The addresses to connect to for ``host``; raises BlockedAddress when any is refused.

    ``shown`` is the URL for the message (already stripped of secrets); ``redirect`` says it was
    a redirect target, so the message tells the operator where the source sent us.
    """
    literal = _literal(host)
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError):
            return []  # unresolvable: the connection attempt reports it as unreachable
    for text in addresses:
        reason = classify(ipaddress.ip_address(text.split("%", 1)[0]))
        if reason is None or (allow_private and reason != "a cloud metadata address"):
            continue
        what = f"a redirect to {shown}" if redirect else shown
        via = "" if literal is not None else f" ({host} resolves to {text})"
        metadata = reason == "a cloud metadata address"
        raise BlockedAddress(
            f"refused {what}: {reason}{via}",
            hint="a public source never sends us there; "
            + ("nothing may fetch from it" if metadata else _OPT_IN_HINT),
            permanent=True,
        )
    return addresses


def _literal(host: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
