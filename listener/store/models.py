"""Tables. Timestamps are UTC; ``week`` columns hold ISO weeks ("2026-W47") in the configured zone.

The weekly aggregates read evidence by (week, persona, attribute), so evidence carries its week
and segment (denormalised from the item) and is indexed that way: reports never join the items.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table(model: type[Base]) -> Table:
    """The model's Core table: many-row INSERTs on it skip the ORM's work per row."""
    return cast(Table, model.__table__)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out, on every backend (SQLite keeps no zone, so we re-attach it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class SourceRow(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(50))
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    config_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Not before this time: set by backoff after failures (the circuit breaker)."""
    next_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """When the schedule (or the backoff, if later) runs it next, as of its last run."""
    disabled_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    """Set by a permanent error (bad credentials, gone); cleared when its config changes."""
    acquired_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    """The instance running the source now (listener.store.leases); NULL when none is."""
    acquired_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """The lease ends here unless its holder renews it: a dead holder's run is taken over."""
    last_run_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    """The instance that ran it last (for `listener status`)."""


class ItemRow(Base):
    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id"),
        # Pending items are found by index, in id order, however many are stored: the new and
        # edited ones (processed_key NULL) in this partial index, those scored by older NLP or
        # personas per key in (processed_key, id). See Processor.process_pending.
        # Partial on PostgreSQL too (migration 0007; a test checks both): postgresql_where here
        # would import SQLAlchemy's PostgreSQL dialect on every start (30 ms on SQLite), and the
        # schema comes from the migrations, never from these models.
        Index("ix_items_pending", "id", sqlite_where=text("processed_key IS NULL")),
        Index("ix_items_processed_key_id", "processed_key", "id"),
        Index("ix_items_source_id_fingerprint", "source_id", "fingerprint"),
        Index("ix_items_skipped_source_id", "skipped", "source_id"),  # status: other language
        Index("ix_items_source_id_created_at", "source_id", "created_at"),  # status: newest
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(512))
    kind: Mapped[str] = mapped_column(String(32))
    prompt: Mapped[str | None] = mapped_column(String(16), nullable=True)
    """pain | aspiration when the item answers a question asking for one (see RawItem.prompt)."""
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    author_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime())
    segment: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """Who said what, whatever the id (store.items.fingerprint): a post re-published under a
    new id is recognised. NULL for an item without words."""
    processed_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    """extractor version + persona version this item was last processed with; NULL = pending."""
    skipped: Mapped[str | None] = mapped_column(String(16), nullable=True)
    """Why its last processing read nothing ("empty", "language", "nothing-kept"), else NULL:
    `listener status` says how many items were skipped as another language."""
    survey: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    """For survey answers: {survey, question, question_id, response_id} (RawItem.survey), so a
    quote in a report can name the survey, the question and the response."""
    redacted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """When retention blanked its title and text; such an item is never processed again (its
    statements and evidence stay as they were scored)."""


class StatementRow(Base):
    __tablename__ = "statements"
    __table_args__ = (
        Index("ix_statements_week_source_id", "week", "source_id"),
        Index("ix_statements_source_id", "source_id"),  # status: counts per source
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    author_key: Mapped[str] = mapped_column(String(64))
    """Who said it, for distinct-author counts: the author's hash, else the item (a survey
    response is one respondent)."""
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    theme: Mapped[str] = mapped_column(String(200), index=True)
    week: Mapped[str] = mapped_column(String(8), index=True)
    matched: Mapped[bool] = mapped_column(default=False)
    """True when a persona attribute matched; unmatched themes are new-theme candidates."""


class EvidenceRow(Base):
    __tablename__ = "evidence"
    __table_args__ = (
        UniqueConstraint("statement_id", "persona_id", "attribute_id"),
        Index("ix_evidence_week_persona_attribute", "week", "persona_id", "attribute_id"),
        Index("ix_evidence_source_id", "source_id"),  # status: counts per source
        # quotes: an attribute's strongest evidence of a week, read from the index in order
        Index("ix_evidence_quotes", "persona_id", "attribute_id", "week", "score", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    author_key: Mapped[str] = mapped_column(String(64))
    persona_id: Mapped[str] = mapped_column(String(100))
    attribute_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float)
    persona_version: Mapped[str] = mapped_column(String(16))
    week: Mapped[str] = mapped_column(String(8))
    segment_key: Mapped[str] = mapped_column(Text, default="{}")
    """Canonical JSON of the item's segment, so counts group per segment in SQL."""


class SourceWeekRow(Base):
    """A source's health history, one row per ISO week: which weeks' counts can be trusted."""

    __tablename__ = "source_weeks"
    __table_args__ = (UniqueConstraint("source_id", "week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    successes: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    """Runs the circuit breaker or a permanent error held back (the source was paused)."""


class DriftRunRow(Base):
    """A week whose drift was evaluated and whose alerts were stored (each week once)."""

    __tablename__ = "drift_runs"

    week: Mapped[str] = mapped_column(String(8), primary_key=True)
    evaluated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    alerts: Mapped[int] = mapped_column(Integer, default=0)


class AlertRow(Base):
    """One trend alert: a finding that passed every threshold and started a new episode."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_week", "week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    """Stable across re-evaluations: kind, cell and week, hashed."""
    kind: Mapped[str] = mapped_column(String(20))
    persona_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    attribute_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    attribute_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    theme: Mapped[str | None] = mapped_column(Text, nullable=True)
    segment: Mapped[str | None] = mapped_column(String(200), nullable=True)
    week: Mapped[str] = mapped_column(String(8))
    window_start: Mapped[str] = mapped_column(String(8))
    count: Mapped[int] = mapped_column(Integer)
    """Distinct authors in the tested window."""
    mentions: Mapped[int] = mapped_column(Integer)
    expected: Mapped[float] = mapped_column(Float)
    p_value: Mapped[float] = mapped_column(Float)
    q_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    summary: Mapped[str] = mapped_column(Text)
    """The sentence people read ("Chasing late payments: 34 mentions from 29 people, ...")."""
    quotes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DeliveryRow(Base):
    """The claim on one message to one sink (the digest of a week, or one alert).

    The unique (channel, subject, sink) row is the claim; status moves pending → sending →
    handing-over → sent, or back to pending with a retry time after a failure that happened
    before hand-over. ``lease_until`` bounds a claim, so a crashed process's work is taken over;
    a delivery that crashed *during* hand-over may have arrived and becomes ``uncertain``: it is
    never resent on its own.
    """

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("channel", "subject", "sink"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    """digest | alert"""
    subject: Mapped[str] = mapped_column(String(100))
    """The digest's week, or the alert's key."""
    sink: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    message_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    """Fixed at the first attempt: a retried e-mail keeps its Message-ID, so it deduplicates."""
    location: Mapped[str | None] = mapped_column(Text, nullable=True)
    """The outbox file, the Message-ID accepted, or the webhook's answer."""
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class QuarantineRow(Base):
    """A record a connector could not read (Batch.rejected), kept with where and why.

    ``dedupe_key`` hashes (file, row, reason, excerpt): reading the same file again does not
    add the same reject twice; it only moves ``last_seen_at``.
    """

    __tablename__ = "quarantine"
    __table_args__ = (UniqueConstraint("source_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    file: Mapped[str] = mapped_column(Text)
    row: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    excerpt: Mapped[str] = mapped_column(Text, default="")
    dedupe_key: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WebhookRouteRow(Base):
    """Per webhook route: deliveries, what they stored, and the last rejection (for status)."""

    __tablename__ = "webhook_routes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    deliveries: Mapped[int] = mapped_column(Integer, default=0)
    """Deliveries answered 2xx (duplicates included)."""
    stored: Mapped[int] = mapped_column(Integer, default=0)
    """Items added by them."""
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    """Deliveries whose items were all stored already (a sender's retry)."""
    rejections: Mapped[int] = mapped_column(Integer, default=0)
    """Deliveries refused: bad or missing signature, too large, not JSON."""
    last_delivery_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_rejection_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_rejection: Mapped[str | None] = mapped_column(Text, nullable=True)
    """Status and reason of the last refusal ("401 invalid signature"), never the body."""


class PrivacyStateRow(Base):
    """One row: how this database's personal data is kept (listener.privacy.state).

    ``legacy`` is set by the migration on a database that already held items stored before
    masking and keyed author hashes; the first start with a key converts them. ``key_check``
    recognises the author key the database was given, so a different key is refused instead of
    counting every author again as someone new.
    """

    __tablename__ = "privacy_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    legacy: Mapped[bool] = mapped_column(default=False)
    key_check: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class InstanceRow(Base):
    """A running daemon and its heartbeat: who may hold leases, and who looks dead."""

    __tablename__ = "instances"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    """hostname:pid:random (listener.instance.INSTANCE_ID)."""
    hostname: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WeekCountRow(Base):
    """Weekly counts kept for complete weeks, so drift, `report` and `status` read a few
    thousand rows instead of every evidence row of 30 weeks (listener.store.rollup).

    One row per count a live query of listener.store.grains returns: a grain (which count),
    its key columns (NULL where the grain has none), a source and a week. Rebuilt a week at a
    time from evidence and statements; a week's rows are used only while the week is fresh.
    """

    __tablename__ = "week_counts"
    __table_args__ = (Index("ix_week_counts_grain_week", "grain", "week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grain: Mapped[str] = mapped_column(String(32))
    week: Mapped[str] = mapped_column(String(8))
    persona_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    attribute_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    segment_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    theme: Mapped[str | None] = mapped_column(String(200), nullable=True)
    source_id: Mapped[int] = mapped_column(Integer)
    """No foreign key: a deleted source's rows go with its week's next rebuild (the deletion
    marked the week changed)."""
    authors: Mapped[int] = mapped_column(Integer)
    mentions: Mapped[int] = mapped_column(Integer)


class WeekChangeRow(Base):
    """A week whose evidence or statements changed since its counts were built.

    Written by database triggers on `evidence` and `statements` (every insert, update and
    delete, whichever code path or cascade made it), never by Python: no writer can forget.
    Only inserted, so writers never wait on each other; a rebuild deletes the rows it saw.
    """

    __tablename__ = "week_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[str] = mapped_column(String(8), index=True)


class CountedWeekRow(Base):
    """A week whose counts have been built; fresh while no change row names it and it was
    counted under today's definition of the grains."""

    __tablename__ = "counted_weeks"

    week: Mapped[str] = mapped_column(String(8), primary_key=True)
    counted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    definition: Mapped[str] = mapped_column(String(16), server_default="")
    """listener.store.grains.DEFINITION when the week was counted: another one is not fresh."""
