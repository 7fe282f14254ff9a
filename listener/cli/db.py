"""`listener db ...`: schema commands."""

from __future__ import annotations

from pathlib import Path

import click

from listener.cli.common import config_option, errors_to_exit, load, make_service


@click.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@config_option
@click.pass_context
def db_upgrade(ctx: click.Context, config_path: Path | None) -> None:
    """Apply migrations up to the newest schema."""
    with errors_to_exit():
        service = make_service(load(ctx, config_path))
        before, after = service.store.upgrade()
        click.echo(
            f"database at {after}"
            + (f" (was {before or 'empty'})" if before != after else " (already current)")
        )
