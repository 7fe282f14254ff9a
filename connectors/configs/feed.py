"""The ``type: feed`` source block: which feeds (URLs or files) and how much to read of each."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, field_validator

from connectors.configs.network import NetworkConfig
from connectors.urls import safe_url


class FeedConfig(NetworkConfig):
    """Config keys of a ``type: feed`` source."""

    urls: list[str] = Field(min_length=1)
    timeout: float = Field(default=20.0, gt=0, le=600)
    max_bytes: int = Field(default=10_000_000, gt=0)
    max_entries_per_fetch: int | None = Field(default=None, ge=1)

    @field_validator("urls")
    @classmethod
    def _check_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not url.strip():
                raise ValueError("an entry of urls is empty; give an http(s) URL or a file path")
            if is_remote(url):
                continue
            scheme = urlsplit(url).scheme.lower()
            if len(scheme) > 1:  # one letter is a Windows drive, not a scheme
                raise ValueError(
                    f"{safe_url(url)!r}: only http(s) URLs and plain file paths are supported "
                    f"(got a {scheme}: URL)"
                )
        if len(set(urls)) != len(urls):
            raise ValueError("urls lists the same feed twice; remove the duplicate")
        return urls


def is_remote(url: str) -> bool:
    """An http(s) URL, as opposed to a file path."""
    return urlsplit(url.strip()).scheme.lower() in ("http", "https")
