"""`listener digest`: write or send the weekly digest now."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from listener.cli.common import config_option, errors_to_exit, load, make_service, parse_week
from listener.errors import ListenerError


@click.command()
@config_option
@click.option("--week", default=None, help="ISO week, e.g. 2026-W48 (default: the due one).")
@click.option("--force", is_flag=True, help="Send or write it again even if it was done.")
@click.pass_context
def digest(ctx: click.Context, config_path: Path | None, week: str | None, force: bool) -> None:
    """Write or send the weekly digest now if it is due and not yet done."""
    from listener.digest.deliver import describe, due_week, run_digest

    with errors_to_exit():
        week = parse_week(week)
        config = load(ctx, config_path)
        due = due_week(datetime.now(UTC), config.tz, config.service.digest.schedule)
        if week is not None and week > due and not force:
            raise ListenerError(
                f"the digest for {week} is not due yet (the latest due is {due})",
                hint="add --force to write it now; that week is then done and not sent again",
            )
        service = make_service(config)
        service.upgrade()
        result = run_digest(service.store, service.config, force_week=week, force=force)
        click.echo(describe(result))
