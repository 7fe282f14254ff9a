"""One run's way to a Discourse forum: its JSON API, the login headers, and errors worth reading.

Each error says which forum, what was being read and what to fix (a missing category or tag, a
refused API key, a base_url that is not a forum's home). The key and user name come from the
environment and never appear in messages.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.base import ConnectorError
from connectors.configs.discourse import DiscourseConfig
from connectors.http import HttpClient


@dataclass(frozen=True, slots=True)
class ForumApi:
    """One run's way to the forum: the HTTP client, auth headers and error wording."""

    http: HttpClient
    config: DiscourseConfig
    headers: Mapping[str, str]
    host: str

    def get(
        self, path: str, params: Mapping[str, Any] | None = None, *, what: str
    ) -> Mapping[str, Any]:
        """JSON from ``base_url + path``; errors say which forum, what was read, and the fix."""
        try:
            data = self.http.get_json(
                f"{self.config.base_url}{path}", headers=self.headers, params=params
            )
        except ConnectorError as exc:
            raise ConnectorError(
                f"Discourse {self.host}: could not read {what}: {exc.message}",
                hint=self._hint(exc, what),
                permanent=exc.permanent,
                retry_after=exc.retry_after,
            ) from None
        return data if isinstance(data, Mapping) else {}

    def _hint(self, exc: ConnectorError, what: str) -> str | None:
        key_env = self.config.api_key_env
        if "(HTTP 404)" in exc.message and what.startswith(("category", "tag")):
            return f"{what} does not exist on the forum; check the name in its URL"
        if "(HTTP 401)" in exc.message or "(HTTP 403)" in exc.message:
            if key_env:
                return f"the forum refused the API key in ${key_env}; check it is active"
            return "the forum needs a login for this: set api_key_env (and api_username_env)"
        if "did not answer with JSON" in exc.message:
            return "base_url should be the home address of a Discourse forum"
        return exc.hint


def auth_headers(config: DiscourseConfig) -> dict[str, str]:
    """Api-Key/Api-Username from the environment; the values never appear in messages."""
    headers: dict[str, str] = {}
    for env, header in (
        (config.api_key_env, "Api-Key"),
        (config.api_username_env, "Api-Username"),
    ):
        if not env:
            continue
        value = os.environ.get(env, "").strip()
        if not value:
            raise ConnectorError(
                f"environment variable {env} ({header}) is not set",
                hint=f"export {env}=… before starting listener, or remove it from the config",
                permanent=True,
            )
        headers[header] = value
    return headers
