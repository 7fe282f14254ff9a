"""pipeline indexes: pending items found by index at any number of items

Replaces ``ix_items_processed_key`` by ``(processed_key, id)`` (each older key's items walked in
id order) and adds the partial index ``ix_items_pending`` on ``id`` for items with no
processed key (new or edited). See listener.store.pending.

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006_privacy"
branch_labels = None
depends_on = None

_NULL_KEY = sa.text("processed_key IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_processed_key")
        batch_op.create_index("ix_items_processed_key_id", ["processed_key", "id"], unique=False)
        batch_op.create_index(
            "ix_items_pending",
            ["id"],
            unique=False,
            sqlite_where=_NULL_KEY,
            postgresql_where=_NULL_KEY,
        )


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_pending")
        batch_op.drop_index("ix_items_processed_key_id")
        batch_op.create_index("ix_items_processed_key", ["processed_key"], unique=False)
