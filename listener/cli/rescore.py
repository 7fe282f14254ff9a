"""`listener rescore`: re-process history after the personas or the extractor changed."""

from __future__ import annotations

from pathlib import Path

import click

from listener.cli.common import (
    config_option,
    errors_to_exit,
    load,
    make_service,
    process_with_progress,
)


@click.command()
@config_option
@click.pass_context
def rescore(ctx: click.Context, config_path: Path | None) -> None:
    """Re-process stored items whose extractor or personas version changed."""
    with errors_to_exit():
        service = make_service(load(ctx, config_path))
        service.upgrade()
        counts = process_with_progress(service)
        click.echo(
            f"rescored {counts.items} items: {counts.statements} statements, "
            f"{counts.evidence} evidence"
        )
