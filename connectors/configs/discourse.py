"""The ``type: discourse`` source block: which forum, which listings, which credentials."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from connectors.configs.network import NetworkConfig
from connectors.urls import safe_url

_CATEGORY = re.compile(r"^[\w-]+(/[\w-]+)*$")


class DiscourseConfig(NetworkConfig):
    """Config keys of a ``type: discourse`` source (credentials: names of variables)."""

    base_url: str
    categories: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    search: str | None = None
    api_key_env: str | None = None
    api_username_env: str | None = None
    max_topics_per_fetch: int = Field(default=50, ge=1, le=1000)
    include_staff_posts: bool = False
    """Staff (admin/moderator) posts are the company talking, not customers: off by default."""

    @field_validator("base_url")
    @classmethod
    def _forum_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"base_url must be the forum's address, like https://forum.example.com "
                f"(got {safe_url(value)!r})"
            )
        if parts.query or parts.fragment:
            raise ValueError("base_url must not carry a query or fragment; use the forum's home")
        return value.strip().rstrip("/")

    @field_validator("categories")
    @classmethod
    def _category_paths(cls, value: list[str]) -> list[str]:
        for entry in value:
            if not _CATEGORY.match(entry.strip("/")):
                raise ValueError(
                    f"category {entry!r} should be a slug or slug/id from the category's URL, "
                    "e.g. feature-requests or feature-requests/7"
                )
        return [entry.strip("/") for entry in value]

    @field_validator("tags")
    @classmethod
    def _tag_names(cls, value: list[str]) -> list[str]:
        if any(not t.strip() or "/" in t for t in value):
            raise ValueError("tags must be plain tag names, e.g. invoices")
        return [t.strip() for t in value]

    @model_validator(mode="after")
    def _username_needs_key(self) -> DiscourseConfig:
        if self.api_username_env and not self.api_key_env:
            raise ValueError("api_username_env is set but api_key_env is not; set both or neither")
        if self.search is not None and not self.search.strip():
            raise ValueError("search must not be empty; remove it or write the words to find")
        return self
