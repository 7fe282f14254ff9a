"""leases: several daemons on one database, each source run claimed by one of them

Adds ``sources.acquired_by`` / ``sources.acquired_until`` (the lease, taken with one conditional
UPDATE: the pattern of APScheduler 4's SQLAlchemy data store), ``sources.last_run_by``, and the
``instances`` table with each running daemon's heartbeat.

Revision ID: 0005_leases
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_leases"
down_revision = "0009_report_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acquired_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("acquired_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_run_by", sa.String(length=100), nullable=True))
    op.create_table(
        "instances",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("hostname", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instances")),
    )


def downgrade() -> None:
    op.drop_table("instances")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("last_run_by")
        batch_op.drop_column("acquired_until")
        batch_op.drop_column("acquired_by")
