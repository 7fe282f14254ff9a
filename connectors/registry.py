"""Connector types by the ``type`` key of a source in the config: a plain dict, no plugins."""

from __future__ import annotations

from connectors.base import Connector
from connectors.discourse import DiscourseConnector
from connectors.feed import FeedConnector
from connectors.hackernews import HackerNewsConnector
from connectors.reddit import RedditConnector
from connectors.survey_file import SurveyFileConnector
from connectors.typeform import TypeformConnector

REGISTRY: dict[str, type[Connector]] = {
    DiscourseConnector.type: DiscourseConnector,
    FeedConnector.type: FeedConnector,
    HackerNewsConnector.type: HackerNewsConnector,
    RedditConnector.type: RedditConnector,
    SurveyFileConnector.type: SurveyFileConnector,
    TypeformConnector.type: TypeformConnector,
}
