"""week counts: weekly counts kept for complete weeks, and triggers that mark changed weeks

Adds ``week_counts`` (the counts drift, `report` and `status` read, a week at a time),
``counted_weeks`` (the weeks built) and ``week_changes`` (weeks changed since), with triggers on
``evidence`` and ``statements`` that insert a ``week_changes`` row for every week an insert,
update or delete touches. Every week already holding statements is marked changed, so its
counts are built by the next processing run; until then they are read live, as before.

PostgreSQL: statement-level triggers with transition tables (one row per week a statement
touched, however many rows it wrote: a COPY of 1,000 rows costs one small INSERT). SQLite: row
triggers that skip a week already marked (SQLite has one writer at a time, so that shortcut
cannot race a rebuild; on PostgreSQL it could, so every statement adds its row there).

Revision ID: 0011_week_counts
Revises: 0010_nlp
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_week_counts"
down_revision = "0010_nlp"
branch_labels = None
depends_on = None

TABLES = ("evidence", "statements")
EVENTS = {"INSERT": ("NEW",), "UPDATE": ("NEW", "OLD"), "DELETE": ("OLD",)}


def _postgresql_upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION listener_mark_weeks() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                INSERT INTO week_changes (week) SELECT DISTINCT week FROM new_rows;
            END IF;
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                INSERT INTO week_changes (week) SELECT DISTINCT week FROM old_rows;
            END IF;
            RETURN NULL;
        END $$
        """
    )
    for table in TABLES:
        for event, sides in EVENTS.items():
            referencing = " ".join(f"{side} TABLE AS {side.lower()}_rows" for side in sides)
            op.execute(
                f"CREATE TRIGGER {table}_mark_weeks_{event.lower()} AFTER {event} ON {table}"
                f" REFERENCING {referencing} FOR EACH STATEMENT"
                " EXECUTE FUNCTION listener_mark_weeks()"
            )


def _sqlite_upgrade() -> None:
    def mark(side: str) -> str:
        return (
            f"INSERT INTO week_changes (week) SELECT {side}.week WHERE NOT EXISTS"
            f" (SELECT 1 FROM week_changes WHERE week = {side}.week);"
        )

    for table in TABLES:
        for event, sides in EVENTS.items():
            name = f"{table}_mark_weeks_{event.lower()}"
            if len(sides) == 1:  # a WHEN clause: a third of the cost of a body's own check
                side = sides[0]
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW WHEN NOT EXISTS"
                    f" (SELECT 1 FROM week_changes WHERE week = {side}.week) BEGIN"
                    f" INSERT INTO week_changes (week) VALUES ({side}.week); END"
                )
            else:
                body = " ".join(mark(side) for side in sides)
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN {body} END"
                )


def upgrade() -> None:
    op.create_table(
        "week_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grain", sa.String(length=32), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("persona_id", sa.String(length=100), nullable=True),
        sa.Column("attribute_id", sa.String(length=100), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("segment_key", sa.Text(), nullable=True),
        sa.Column("theme", sa.String(length=200), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("authors", sa.Integer(), nullable=False),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_week_counts")),
    )
    op.create_index("ix_week_counts_grain_week", "week_counts", ["grain", "week"])
    op.create_table(
        "week_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_week_changes")),
    )
    op.create_index("ix_week_changes_week", "week_changes", ["week"])
    op.create_table(
        "counted_weeks",
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("week", name=op.f("pk_counted_weeks")),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_upgrade()
    else:
        _sqlite_upgrade()
    op.execute("INSERT INTO week_changes (week) SELECT DISTINCT week FROM statements")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        for event in EVENTS:
            name = f"{table}_mark_weeks_{event.lower()}"
            op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS listener_mark_weeks()")
    op.drop_table("counted_weeks")
    op.drop_index("ix_week_changes_week", table_name="week_changes")
    op.drop_table("week_changes")
    op.drop_index("ix_week_counts_grain_week", table_name="week_counts")
    op.drop_table("week_counts")
