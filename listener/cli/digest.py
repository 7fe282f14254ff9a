"""`listener digest`: write, send or preview the weekly digest of a week."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from listener.cli.common import (
    config_option,
    echo,
    errors_to_exit,
    load,
    make_service,
    parse_week,
)
from listener.errors import UsageError

if TYPE_CHECKING:
    from listener.config import Config


@click.command()
@config_option
@click.option(
    "--week", default=None, help="The ISO week reported on, e.g. 2026-W47 (default: the due one)."
)
@click.option(
    "--preview",
    "preview_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Render into this folder (.html, .txt, .eml) without sending anything.",
)
@click.option("--send", is_flag=True, help="Send now, even before the scheduled moment.")
@click.option("--force", is_flag=True, help="Send again even if it was sent (a deliberate resend).")
@click.pass_context
def digest(
    ctx: click.Context,
    config_path: Path | None,
    week: str | None,
    preview_dir: Path | None,
    send: bool,
    force: bool,
) -> None:
    """Write or send the weekly digest if it is due and not yet done (or --preview it)."""
    from listener.alerts.record import is_complete
    from listener.digest.send import describe, due_week, preview, run_digest

    with errors_to_exit():
        week = parse_week(week)
        if preview_dir is not None and (send or force):
            raise UsageError(
                "--preview renders only; it cannot be combined with --send or --force",
                hint="preview first, then run `listener digest --week W --send`",
            )
        config = load(ctx, config_path)
        now = datetime.now(UTC)
        due = due_week(now, config.tz, config.service.digest.schedule)
        week = week or due
        complete = is_complete(week, now, config)
        if preview_dir is None:
            refusal = refuse_to_send(week, now, config, asked=send or force)
            if refusal is not None:
                raise refusal
        service = make_service(config)
        service.upgrade()
        if preview_dir is not None:
            if not complete:
                click.echo(
                    f"note: {week} is not over yet: the preview shows its figures so far, "
                    "and nothing is evaluated or sent",
                    err=True,
                )
            for path in preview(service.store, config, week, preview_dir, now):
                click.echo(f"preview: {path}")
            return
        result = run_digest(service.store, config, now, week=week, force=force)
        echo(describe(result))
        if result.status in ("pending", "failed", "uncertain"):
            raise SystemExit(1)


def refuse_to_send(week: str, now: datetime, config: Config, asked: bool) -> UsageError | None:
    """Why the digest of ``week`` is not written or sent at ``now`` (None: it may be). ``asked``:
    --send or --force was given, which sends a complete week before its scheduled moment."""
    from listener.alerts.record import is_complete, last_complete_week
    from listener.digest.send import due_week

    if not is_complete(week, now, config):
        return UsageError(
            f"{week} is not over yet: a digest sent now would stand for the whole week, "
            f"and the real one would then count as sent (the last complete week is "
            f"{last_complete_week(now, config)})",
            hint=f"run `listener digest --week {week} --preview DIR` to see the figures so far",
        )
    due = due_week(now, config.tz, config.service.digest.schedule)
    if week > due and not asked:
        return UsageError(
            f"the digest for {week} is not due yet (the latest due is {due})",
            hint="add --send to send it now, or --preview DIR to look at it first",
        )
    return None
