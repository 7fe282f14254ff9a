"""`listener purge`: erase what was stored from a source, an author, or before a date."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from listener.cli.common import config_option, echo, errors_to_exit, load, make_service

DATE = click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
LABELS = {
    "items": "items",
    "statements": "statements",
    "evidence": "evidence",
    "alert_quotes": "quotes in stored alerts",
    "quarantine": "quarantined rows",
}


@click.command()
@config_option
@click.option("--source", default=None, help="Everything stored from this source.")
@click.option(
    "--author",
    default=None,
    help="Everything said by this author (the handle as the source shows it).",
)
@click.option("--before", type=DATE, default=None, help="Items said before this date (UTC).")
@click.option("--dry-run", is_flag=True, help="Print what would be erased; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output for scripts.")
@click.pass_context
def purge(
    ctx: click.Context,
    config_path: Path | None,
    source: str | None,
    author: str | None,
    before: datetime | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Erase items, their statements and evidence (for erasure requests), in one transaction.

    Options given together must all hold (--source S --before D: that source's older items).
    """
    from listener.privacy.purge import Selection
    from listener.privacy.purge import purge as erase

    with errors_to_exit():
        selection = Selection(source, author, before.replace(tzinfo=UTC) if before else None)
        service = make_service(load(ctx, config_path))
        if author is not None:
            service.upgrade()  # the author's hash needs the database's own key (and format)
        else:
            service.store.upgrade()  # a source or a date needs no key
        with service.store.session() as session:
            counts = erase(session, selection, service.pseudonyms, dry_run=dry_run)
        service.close()
        if as_json:
            click.echo(json.dumps({"dry_run": dry_run, "counts": counts}, indent=2))
            return
        head = "would erase" if dry_run else "erased"
        echo(f"{head}: " + ", ".join(f"{n} {LABELS[table]}" for table, n in counts.items()))
        if dry_run:
            echo("nothing changed (--dry-run); run again without it to erase")
