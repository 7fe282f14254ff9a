"""How a send can fail, as far as resending goes."""

from __future__ import annotations

from listener.errors import ListenerError


class NotSent(ListenerError):
    """It failed before the far side could have accepted it: safe to try again.

    ``permanent`` failures (refused recipients, a 4xx answer) are not retried on their own.
    ``retry_after`` is the far side's own request to wait, in seconds.
    """

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.permanent = permanent
        self.retry_after = retry_after


class MaybeSent(ListenerError):
    """The connection broke while the message was being handed over: it may have arrived."""
