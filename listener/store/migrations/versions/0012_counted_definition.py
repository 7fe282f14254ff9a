"""counted definition: which definition of the counts built each kept week

Adds ``counted_weeks.definition``, the fingerprint of listener.store.grains the week's counts
were built with. A week counted under another definition (a grain added or changed) is not
fresh: it is read live and rebuilt, never served from counts that mean something else. Weeks
already counted get the empty fingerprint, so the next processing run rebuilds them once.

Revision ID: 0012_counted_definition
Revises: 0011_week_counts
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_counted_definition"
down_revision = "0011_week_counts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN on both databases (no batch copy of the table on SQLite)
    op.add_column(
        "counted_weeks",
        sa.Column("definition", sa.String(16), nullable=False, server_default=""),
    )


def downgrade() -> None:
    with op.batch_alter_table("counted_weeks") as batch:
        batch.drop_column("definition")
