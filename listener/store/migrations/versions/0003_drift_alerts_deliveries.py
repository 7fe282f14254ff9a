"""drift, alerts and deliveries: who said it, source health per week, one claims table

Statements and evidence carry their source and author (for distinct-author counts and
per-source expectations, without joining the items); ``source_weeks`` keeps each source's health
per week; ``alerts`` and ``drift_runs`` hold trend alerts; ``deliveries`` replaces
``digest_runs`` as the one claims table of the digest and the alerts (existing digest claims are
carried over).

Revision ID: 0003
Revises: 0002_surveys
Create Date: 2026-12-01
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002_surveys"
branch_labels = None
depends_on = None


def _who_said_it(table: str) -> None:
    """Add source_id and author_key to statements or evidence, filled from their items."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("author_key", sa.String(length=64), nullable=True))
    op.execute(
        f"UPDATE {table} SET source_id = (SELECT items.source_id FROM items "
        f"WHERE items.id = {table}.item_id), author_key = (SELECT COALESCE(items.author_hash, "
        f"'item:' || CAST(items.id AS VARCHAR(20))) FROM items WHERE items.id = {table}.item_id)"
    )
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column("source_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("author_key", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_foreign_key(
            op.f(f"fk_{table}_source_id_sources"),
            "sources",
            ["source_id"],
            ["id"],
            ondelete="CASCADE",
        )


def upgrade() -> None:
    _who_said_it("statements")
    _who_said_it("evidence")
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.create_index("ix_statements_week_source_id", ["week", "source_id"], unique=False)

    op.create_table(
        "source_weeks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("successes", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_source_weeks_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_weeks")),
        sa.UniqueConstraint("source_id", "week", name=op.f("uq_source_weeks_source_id_week")),
    )
    op.create_table(
        "drift_runs",
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("week", name=op.f("pk_drift_runs")),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("persona_id", sa.String(length=100), nullable=True),
        sa.Column("attribute_id", sa.String(length=100), nullable=True),
        sa.Column("attribute_kind", sa.String(length=16), nullable=True),
        sa.Column("theme", sa.Text(), nullable=True),
        sa.Column("segment", sa.String(length=200), nullable=True),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("window_start", sa.String(length=8), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("p_value", sa.Float(), nullable=False),
        sa.Column("q_value", sa.Float(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("quotes", sa.JSON(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("key", name=op.f("uq_alerts_key")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_week", ["week"], unique=False)
    deliveries = op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("sink", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint(
            "channel", "subject", "sink", name=op.f("uq_deliveries_channel_subject_sink")
        ),
    )
    _carry_over_digest_claims(deliveries)
    op.drop_table("digest_runs")


def _carry_over_digest_claims(deliveries: sa.Table) -> None:
    """digest_runs rows become digest deliveries. Their week was the week the digest was sent
    in; deliveries name the week reported on (the one before), as the digest itself now does."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT week, status, claimed_at, finished_at, location, error FROM digest_runs")
    ).all()
    status_map = {"sent": "sent", "written": "sent", "failed": "pending", "unknown": "uncertain"}
    for week, status, claimed_at, finished_at, location, error in rows:
        year, number = str(week).split("-W")
        monday = date.fromisocalendar(int(year), int(number), 1) - timedelta(weeks=1)
        reported_year, reported_week, _ = monday.isocalendar()
        sink = "outbox" if status == "written" else "email"
        connection.execute(
            deliveries.insert().values(
                channel="digest",
                subject=f"{reported_year}-W{reported_week:02d}",
                sink=sink,
                status=status_map.get(status, "uncertain"),
                attempts=1,
                location=location,
                error=error,
                created_at=claimed_at,
                finished_at=finished_at,
            )
        )


def downgrade() -> None:
    op.create_table(
        "digest_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("audience", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_runs")),
        sa.UniqueConstraint("week", "audience", name=op.f("uq_digest_runs_week_audience")),
    )
    op.drop_table("deliveries")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_week")
    op.drop_table("alerts")
    op.drop_table("drift_runs")
    op.drop_table("source_weeks")
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.drop_index("ix_statements_week_source_id")
    for table in ("evidence", "statements"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"fk_{table}_source_id_sources"), type_="foreignkey")
            batch_op.drop_column("author_key")
            batch_op.drop_column("source_id")
