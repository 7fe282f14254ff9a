"""Fixtures shared by the connector tests: a loopback server and a recorded retry wait."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.connectors.loopback import LoopbackServer


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture
def sleeps() -> list[float]:
    """Waits the HTTP client asked for, instead of sleeping them (pass ``sleeps.append``)."""
    return []
