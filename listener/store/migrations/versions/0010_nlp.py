"""items.skipped: why an item's last processing read nothing

Adds ``items.skipped`` ("empty", "language", "nothing-kept" or NULL), so `listener status` can
say how many items were skipped as another language than the personas'. Items processed before
this revision have NULL until they are processed again (a new processed key re-processes them).

Revision ID: 0010_nlp
Revises: 0005_leases
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_nlp"
down_revision = "0005_leases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("skipped", sa.String(length=16), nullable=True))
    op.create_index("ix_items_skipped_source_id", "items", ["skipped", "source_id"])


def downgrade() -> None:
    op.drop_index("ix_items_skipped_source_id", table_name="items")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("skipped")
