"""PRAW and prawcore exceptions as ``ConnectorError``s that say what to fix.

Refused credentials are permanent and name the variables to set; rate limits carry Reddit's own
wait; a private, banned, quarantined or unknown subreddit is a ``SubredditGone``, permanent for
that subreddit only, so the source's other listings are still read. Credentials are never echoed.
"""

from __future__ import annotations

import prawcore
import requests

from connectors.base import ConnectorError

CREDENTIALS_HINT = (
    "create a 'script' app at https://www.reddit.com/prefs/apps and export its id as "
    "{id_env} and its secret as {secret_env} (or name other variables with client_id_env / "
    "client_secret_env)"
)


def translate(
    exc: Exception, *, source: str, where: str, subreddit: str | None, id_env: str, secret_env: str
) -> ConnectorError:
    """A PRAW/prawcore exception as a ConnectorError with a fix; never echoes credentials."""
    prefix = f"Reddit source {source!r}, {where}"
    creds_hint = CREDENTIALS_HINT.format(id_env=id_env, secret_env=secret_env)
    if isinstance(exc, prawcore.OAuthException):
        return ConnectorError(
            f"{prefix}: Reddit refused the credentials ({exc.error})",
            hint=creds_hint,
            permanent=True,
        )
    if isinstance(exc, prawcore.TooManyRequests):
        return ConnectorError(
            f"{prefix}: rate limited by Reddit (429)",
            hint="wait and retry; lower the number of listings or the schedule frequency",
            retry_after=_retry_after(exc.response),
        )
    if isinstance(exc, prawcore.Redirect):
        if exc.path.startswith("/subreddits/search") and subreddit:
            return _gone(prefix, subreddit, "does not exist")
        return ConnectorError(f"{prefix}: unexpected redirect to {exc.path}", permanent=True)
    if isinstance(exc, prawcore.ResponseException):
        status = exc.response.status_code
        url = str(exc.response.url or "")
        if "/api/v1/access_token" in url or isinstance(exc, prawcore.InvalidToken):
            return ConnectorError(
                f"{prefix}: Reddit refused the credentials (HTTP {status})",
                hint=creds_hint,
                permanent=status in (400, 401, 403),
            )
        reason = _reason(exc.response)
        if isinstance(exc, prawcore.Forbidden) and subreddit:
            what = "is quarantined" if reason == "quarantined" else "is private"
            return _gone(prefix, subreddit, what if reason != "banned" else "is banned")
        if isinstance(exc, prawcore.NotFound) and subreddit:
            return _gone(prefix, subreddit, "is banned" if reason == "banned" else "does not exist")
        if isinstance(exc, prawcore.ServerError):
            return ConnectorError(
                f"{prefix}: Reddit is having trouble (HTTP {status})",
                hint="Reddit's servers failed; the source is retried later",
                retry_after=_retry_after(exc.response, default=None),
            )
        return ConnectorError(f"{prefix}: unexpected HTTP {status} from Reddit")
    if isinstance(exc, prawcore.RequestException):
        original = exc.original_exception
        return ConnectorError(
            f"{prefix}: could not reach Reddit ({type(original).__name__})",
            hint="check the network and the source's oauth_url / reddit_url",
        )
    return ConnectorError(f"{prefix}: {type(exc).__name__}: {exc}")


def combined(errors: list[SubredditGone], *, partial: bool) -> ConnectorError:
    """One error naming every unreadable subreddit.

    Permanent when nothing could be read; ``partial`` (the source stays up, degraded) when the
    other subreddits were read.
    """
    hints = dict.fromkeys(e.hint for e in errors if e.hint)
    return ConnectorError(
        "; ".join(e.message for e in errors),
        hint="; ".join(hints) or None,
        permanent=not partial,
        partial=partial,
    )


class SubredditGone(ConnectorError):
    """A private, banned or unknown subreddit: permanent for it, not for the whole source."""


def _gone(prefix: str, subreddit: str, what: str) -> ConnectorError:
    return SubredditGone(
        f"{prefix}: r/{subreddit} {what}",
        hint=f"remove {subreddit} from this source's subreddits / search_subreddits",
        permanent=True,
    )


def _reason(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("reason") or "") if isinstance(body, dict) else ""


def _retry_after(response: requests.Response, default: float | None = 60.0) -> float | None:
    """Seconds to wait: Retry-After, else the rate-limit window's reset, else ``default``."""
    for header in ("retry-after", "x-ratelimit-reset"):
        value = response.headers.get(header)
        if value:
            try:
                return max(0.0, float(value))
            except ValueError:
                continue
    return default
