"""privacy: the privacy state of the database, and items blanked by retention

Adds ``privacy_state`` (one row) and ``items.redacted_at``. A database that already holds items
or quarantined rows was written before masking and keyed author hashes: its row says
``legacy``, and the first start with an author key converts it (``listener.privacy.upgrade``;
a migration cannot do it, it has no key).

Revision ID: 0006_privacy
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_privacy"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("redacted_at", sa.DateTime(timezone=True), nullable=True))
    state = op.create_table(
        "privacy_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("legacy", sa.Boolean(), nullable=False),
        sa.Column("key_check", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_state")),
    )
    bind = op.get_bind()
    held = any(
        bind.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None
        for table in ("items", "quarantine")
    )
    op.bulk_insert(state, [{"id": 1, "legacy": held, "key_check": None, "updated_at": None}])


def downgrade() -> None:
    op.drop_table("privacy_state")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("redacted_at")
