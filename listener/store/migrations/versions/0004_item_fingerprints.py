"""item fingerprints: recognise a post re-published under a new id within its source

Adds ``items.fingerprint`` with an index on (source_id, fingerprint) and fills it for the items
already stored. The backfill uses the ingest's own rule (``listener.store.items.fingerprint``),
imported rather than copied: a stored fingerprint is only useful if it equals what ingest
computes for the same post. Items stored twice before this revision stay (nothing is deleted).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from listener.store.items import fingerprint

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_items_source_id_fingerprint", ["source_id", "fingerprint"], unique=False
        )
    items = sa.table(
        "items",
        sa.column("id", sa.Integer()),
        sa.column("author_hash", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("survey", sa.JSON()),
        sa.column("title", sa.Text()),
        sa.column("text", sa.Text()),
        sa.column("fingerprint", sa.String()),
    )
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(
                items.c.id,
                items.c.author_hash,
                items.c.kind,
                items.c.survey,
                items.c.title,
                items.c.text,
            )
            .where(items.c.id > last)
            .order_by(items.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        updates = []
        for row in rows:
            question = (row.survey or {}).get("question_id")
            value = fingerprint(row.author_hash, row.kind, question, row.title, row.text)
            if value is not None:
                updates.append({"row_id": row.id, "value": value})
        if updates:
            bind.execute(
                items.update()
                .where(items.c.id == sa.bindparam("row_id"))
                .values(fingerprint=sa.bindparam("value")),
                updates,
            )
        last = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_source_id_fingerprint")
        batch_op.drop_column("fingerprint")
