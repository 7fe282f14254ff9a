"""The ``type: hackernews`` source block: the search queries and the API to ask."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from connectors.configs.network import NetworkConfig
from connectors.urls import safe_url

Kind = Literal["story", "comment"]
_ALL_KINDS: tuple[Kind, ...] = ("story", "comment")


class HackerNewsConfig(NetworkConfig):
    """Config keys of a ``type: hackernews`` source."""

    queries: list[str] = Field(min_length=1)
    tags: list[Kind] = Field(default_factory=lambda: list(_ALL_KINDS), min_length=1)
    api_url: str = "https://hn.algolia.com/api/v1"
    backfill_days: int = Field(default=7, ge=0, le=3650)
    hits_per_page: int = Field(default=100, ge=1, le=1000)

    @field_validator("queries")
    @classmethod
    def _queries_not_blank(cls, value: list[str]) -> list[str]:
        cleaned = [q.strip() for q in value]
        if any(not q for q in cleaned):
            raise ValueError("queries must not contain empty strings; write the words to match")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("queries must not repeat")
        return cleaned

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(
                f"api_url must start with http:// or https:// (got {safe_url(value)!r}); "
                "the default is https://hn.algolia.com/api/v1"
            )
        return value.rstrip("/")
