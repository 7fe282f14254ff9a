"""The config keys every source that makes HTTP requests shares (see ``connectors.netpolicy``)."""

from __future__ import annotations

from pydantic import Field

from connectors.base import ConnectorConfig


class NetworkConfig(ConnectorConfig):
    """Config keys of every source that makes HTTP requests."""

    allow_private_networks: bool = Field(default=False)
    """Allow loopback, private and link-local addresses (intranet sources, tests)."""
