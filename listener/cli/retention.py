"""`listener retention`: blank raw text older than `retention.raw_text_days` (the daemon does it
daily by itself)."""

from __future__ import annotations

from pathlib import Path

import click

from listener.cli.common import config_option, echo, errors_to_exit, load, make_service
from listener.errors import UsageError


@click.command()
@config_option
@click.option("--days", type=click.IntRange(min=1), default=None, help="Instead of the config's.")
@click.option("--dry-run", is_flag=True, help="Print what would be blanked; change nothing.")
@click.pass_context
def retention(
    ctx: click.Context, config_path: Path | None, days: int | None, dry_run: bool
) -> None:
    """Blank items' title and text (and quarantined excerpts) older than the retention period;
    statements, evidence and counts stay."""
    with errors_to_exit():
        config = load(ctx, config_path)
        days = days or config.service.retention.raw_text_days
        if days is None:
            raise UsageError(
                f"no retention period: `retention.raw_text_days` is not set in {config.path}",
                hint="set it (e.g. retention: {raw_text_days: 180}) or pass --days N",
            )
        service = make_service(config)
        service.store.upgrade()
        blanked = service.retention(days, dry_run=dry_run)
        assert blanked is not None  # days is set
        service.close()
        head = "would blank" if dry_run else "blanked"
        echo(
            f"{head} the text of {blanked.items} items and {blanked.quarantine} quarantined rows "
            f"older than {days} days (before {blanked.cutoff:%Y-%m-%d %H:%M} UTC)"
        )
