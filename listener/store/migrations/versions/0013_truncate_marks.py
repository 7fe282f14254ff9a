"""truncate marks: emptying evidence or statements marks every counted week changed

Revision 0011's row and statement triggers see inserts, updates and deletes, but PostgreSQL's
TRUNCATE fires no row or DELETE trigger: an operator's ``TRUNCATE evidence`` (or ``TRUNCATE
items CASCADE``) left the kept counts serving weeks that no longer have rows. An AFTER TRUNCATE
trigger on both tables now marks every counted week changed, so they are read live and rebuilt.
SQLite has no TRUNCATE: its ``DELETE FROM`` without WHERE runs the row triggers whenever a table
has any.

Both trigger functions also get a fixed ``search_path`` (the schema they were created in, then
pg_temp), so a session with another search path can neither break them nor redirect their
writes to a table of the same name elsewhere.

Revision ID: 0013_truncate_marks
Revises: 0012_counted_definition
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0013_truncate_marks"
down_revision = "0012_counted_definition"
branch_labels = None
depends_on = None

TABLES = ("evidence", "statements")
FUNCTIONS = ("listener_mark_weeks()", "listener_mark_counted_weeks()")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION listener_mark_counted_weeks() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO week_changes (week) SELECT week FROM counted_weeks;
            RETURN NULL;
        END $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_mark_weeks_truncate AFTER TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION listener_mark_counted_weeks()"
        )
    for function in FUNCTIONS:
        op.execute(
            "DO $$ BEGIN EXECUTE format("
            f"'ALTER FUNCTION {function} SET search_path = %I, pg_temp', current_schema());"
            " END $$"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_mark_weeks_truncate ON {table}")
    op.execute("DROP FUNCTION IF EXISTS listener_mark_counted_weeks()")
    op.execute("ALTER FUNCTION listener_mark_weeks() RESET search_path")
