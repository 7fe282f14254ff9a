"""The connector contract: what every source kind yields, and how it reports trouble.

Connectors fetch and normalise; they know nothing of the database or the NLP. The daemon owns
state: it hands a connector the cursor it stored last time and stores each ``Batch`` (items and
the cursor *after* them) in one transaction, so a crash loses at most the batch in flight and
never advances a cursor past what was stored.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from connectors.http_session import SharedSessions

Cursor = Mapping[str, Any]
"""JSON-serialisable incremental state of one source (a feed's ETag, a last-seen id...)."""


@dataclass(frozen=True, slots=True)
class SurveyRef:
    """Where a survey answer comes from, in words a report can quote beside it.

    ``survey`` is the survey's name (a Typeform form's title, an export's file name, a webhook
    route); ``question`` the question as the respondent saw it; ``question_id`` its stable key
    (a Typeform field ref, a Qualtrics QID, a column key); ``response_id`` the tool's own id of
    the whole response (shared by its answers), so a marketer can look it up in the tool.
    """

    survey: str
    question: str
    question_id: str
    response_id: str

    def as_dict(self) -> dict[str, str]:
        return {
            "survey": self.survey,
            "question": self.question,
            "question_id": self.question_id,
            "response_id": self.response_id,
        }


@dataclass(frozen=True, slots=True)
class RawItem:
    """One piece of customer text, normalised, as a source said it.

    ``external_id`` is unique within its source and stable across fetches: it is the
    deduplication key. ``created_at`` is timezone-aware UTC when the source gives a time.
    """

    external_id: str
    text: str
    title: str | None = None
    url: str | None = None
    author: str | None = None
    created_at: datetime | None = None
    kind: str = "post"
    prompt: str | None = None
    """"pain" or "aspiration" when the text answers a question that asks for one (a survey's
    "What is the hardest part of your week?"); the NLP then reads it in that light."""
    segment: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    """Connector-specific details for logs and debugging; not stored."""
    survey: SurveyRef | None = None
    """Set on survey answers (``kind="response"``): stored with the item for quotes in reports."""

    def __post_init__(self) -> None:
        if not self.external_id:
            raise ValueError("RawItem.external_id must not be empty")
        if self.created_at is not None and self.created_at.tzinfo is None:
            object.__setattr__(self, "created_at", self.created_at.replace(tzinfo=UTC))


MAX_EXCERPT = 500
"""Characters of a rejected record kept for the operator to recognise it."""


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that could not be read, kept aside (quarantined) instead of dropped silently.

    ``file`` names where it came from (an export file, ``file.xlsx#Sheet``, a form id); ``row`` is
    its data-row number there (1 = first row after the header) when it has one; ``reason`` says
    what is wrong and how to fix it; ``excerpt`` is the start of the raw record.
    """

    file: str
    reason: str
    row: int | None = None
    excerpt: str = ""

    def __post_init__(self) -> None:
        if len(self.excerpt) > MAX_EXCERPT:
            object.__setattr__(self, "excerpt", self.excerpt[: MAX_EXCERPT - 1] + "…")


@dataclass(frozen=True, slots=True)
class Batch:
    """Items, the records rejected among them, and the cursor that holds once they are stored.

    The daemon stores ``rejected`` in the same transaction as the items and the cursor, so a
    reject is reported exactly when the cursor moves past it.
    """

    items: tuple[RawItem, ...]
    cursor: Cursor
    rejected: tuple[Rejected, ...] = ()


@dataclass(frozen=True, slots=True)
class ConnectorContext:
    """What the daemon tells a connector about its surroundings (never the database)."""

    source_name: str
    base_dir: Path = Path(".")
    user_agent: str = "listener/0.1 (+https://github.com/listener)"
    sleep: Callable[[float], None] = field(default=lambda seconds: time.sleep(seconds))
    """How to wait between retries. The daemon's raises ConnectorError when it is stopping,
    so a source in backoff lets SIGTERM through at once."""
    stopping: Callable[[], bool] = field(default=lambda: False)
    """True once the daemon is stopping: connectors with many requests per fetch check it
    between them and end early (what they yielded so far is kept)."""
    sessions: SharedSessions | None = None
    """HTTP connections kept across polls (the daemon's); None: each run opens and closes its
    own."""

    def resolve(self, path: str | Path) -> Path:
        """A path from the config, relative to the config file's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)


class ConnectorError(Exception):
    """A source could not be read. ``hint`` says what the operator can do about it.

    ``permanent`` errors (bad credentials, a feed that answered 410, a banned subreddit) will not
    go away by retrying: the daemon disables or pauses the source instead of looping.
    ``retry_after`` (seconds) is the source's own request to wait, e.g. from Retry-After.
    ``partial`` errors come after the batches of the parts that worked (the other feeds of a
    source, the other subreddits): the source is degraded, not down, and is not backed off.
    """

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        permanent: bool = False,
        retry_after: float | None = None,
        partial: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.permanent = permanent
        self.retry_after = retry_after
        self.partial = partial

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConnectorErrors(ConnectorError):
    """Several parts of one source failed (the feeds of a feed source): each its own error,
    so that ``listener check`` lists every one on a line of its own."""

    def __init__(self, errors: Sequence[ConnectorError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = tuple(errors)


class ConnectorConfig(BaseModel):
    """Base for each connector's own config keys (the daemon owns name/type/schedule/segment)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@runtime_checkable
class Connector(Protocol):
    """A source kind. Instantiated as ``Connector(config, context)``."""

    type: ClassVar[str]
    Config: ClassVar[builtins.type[ConnectorConfig]]

    def __init__(self, config: Any, context: ConnectorContext) -> None:
        """``config`` is an instance of the connector's own ``Config``."""
        ...

    def check(self) -> None:
        """Validate credentials and reachability; raise ConnectorError(hint=...) if not."""
        ...

    def fetch(self, cursor: Cursor | None) -> Iterator[Batch]:
        """Yield batches of new items since ``cursor`` (None on the first run)."""
        ...
