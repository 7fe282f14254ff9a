"""The ``type: reddit`` source block: subreddits and searches, and where the credentials are."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from connectors.configs.network import NetworkConfig

_SUBREDDIT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{1,20}$")


class RedditConfig(NetworkConfig):
    """The ``type: reddit`` source block. Credentials come from the environment, never YAML."""

    subreddits: list[str] = Field(default_factory=list)
    comments: bool = False
    search: list[str] = Field(default_factory=list)
    search_subreddits: list[str] = Field(default_factory=list)
    backfill_days: float = Field(default=7, gt=0, le=36500)
    limit: int = Field(default=100, ge=1, le=100)
    client_id_env: str = "REDDIT_CLIENT_ID"
    client_secret_env: str = "REDDIT_CLIENT_SECRET"
    user_agent: str | None = None
    oauth_url: str = "https://oauth.reddit.com"
    reddit_url: str = "https://www.reddit.com"
    timeout: float = Field(default=16.0, gt=0)

    @field_validator("subreddits", "search_subreddits")
    @classmethod
    def _subreddit_names(cls, names: list[str]) -> list[str]:
        cleaned = []
        for raw in names:
            name = raw.strip().removeprefix("/").removeprefix("r/").strip("/")
            if not _SUBREDDIT_RE.match(name):
                raise ValueError(
                    f"{raw!r} is not a subreddit name: use the bare name, e.g. smallbusiness"
                )
            cleaned.append(name)
        return cleaned

    @field_validator("search")
    @classmethod
    def _queries(cls, queries: list[str]) -> list[str]:
        if any(not q.strip() for q in queries):
            raise ValueError("search queries must not be empty")
        return [q.strip() for q in queries]

    @field_validator("oauth_url", "reddit_url")
    @classmethod
    def _base_url(cls, url: str) -> str:
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"{url!r} must be an http(s) URL such as https://oauth.reddit.com")
        return url.rstrip("/")

    @model_validator(mode="after")
    def _something_to_read(self) -> RedditConfig:
        if not self.subreddits and not self.search:
            raise ValueError("give at least one of `subreddits` or `search`")
        return self
