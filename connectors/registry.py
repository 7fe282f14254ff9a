"""Connector types by the ``type`` key of a source in the config: a plain mapping, no plugins.

Each type's module is imported when the type is first looked up, so a config with two feeds
does not pay for PRAW, openpyxl and the rest (`listener status` must start fast). ``CONFIGS``
finds a type's config class alone: validating a config imports none of the connectors' libraries
(httpx, feedparser, PRAW, openpyxl), only ``connectors.configs``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module
from typing import TypeVar

from connectors.base import Connector, ConnectorConfig

T = TypeVar("T")

_TYPES: dict[str, tuple[str, str]] = {
    # type: (connector, its config class), each as "module:name"
    "discourse": (
        "connectors.discourse:DiscourseConnector",
        "connectors.configs.discourse:DiscourseConfig",
    ),
    "feed": ("connectors.feed:FeedConnector", "connectors.configs.feed:FeedConfig"),
    "hackernews": (
        "connectors.hackernews:HackerNewsConnector",
        "connectors.configs.hackernews:HackerNewsConfig",
    ),
    "reddit": ("connectors.reddit:RedditConnector", "connectors.configs.reddit:RedditConfig"),
    "survey_file": (
        "connectors.survey_file:SurveyFileConnector",
        "connectors.configs.survey_file:SurveyFileConfig",
    ),
    "typeform": (
        "connectors.typeform:TypeformConnector",
        "connectors.configs.typeform:TypeformConfig",
    ),
}


class _Lazy(Mapping[str, T]):
    """type → one column of ``_TYPES``, imported on first use."""

    def __init__(self, column: int) -> None:
        self._column = column

    def __getitem__(self, kind: str) -> T:
        module, _, name = _TYPES[kind][self._column].partition(":")
        found: T = getattr(import_module(module), name)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(_TYPES)

    def __len__(self) -> int:
        return len(_TYPES)


REGISTRY: Mapping[str, type[Connector]] = _Lazy[type[Connector]](0)
CONFIGS: Mapping[str, type[ConnectorConfig]] = _Lazy[type[ConnectorConfig]](1)
"""type → the connector's ``Config`` (the same class), without importing the connector."""
