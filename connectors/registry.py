"""Connector types by the ``type`` key of a source in the config: a plain mapping, no plugins.

Each type's module is imported when the type is first looked up, so a config with two feeds
does not pay for PRAW, openpyxl and the rest (`listener status` must start fast).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module

from connectors.base import Connector

_MODULES: dict[str, tuple[str, str]] = {
    "discourse": ("connectors.discourse", "DiscourseConnector"),
    "feed": ("connectors.feed", "FeedConnector"),
    "hackernews": ("connectors.hackernews", "HackerNewsConnector"),
    "reddit": ("connectors.reddit", "RedditConnector"),
    "survey_file": ("connectors.survey_file", "SurveyFileConnector"),
    "typeform": ("connectors.typeform", "TypeformConnector"),
}


class _Registry(Mapping[str, type[Connector]]):
    """type → connector class, imported on first use."""

    def __getitem__(self, kind: str) -> type[Connector]:
        module, name = _MODULES[kind]
        cls: type[Connector] = getattr(import_module(module), name)
        return cls

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


REGISTRY: Mapping[str, type[Connector]] = _Registry()
