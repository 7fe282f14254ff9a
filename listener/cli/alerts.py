"""`listener alerts`: the trend alerts of a week, and where each was delivered."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from listener.cli.common import config_option, errors_to_exit, load, make_service, parse_week
from listener.errors import UsageError

if TYPE_CHECKING:
    from listener.service import Service


@click.command()
@config_option
@click.option("--week", default=None, help="ISO week, e.g. 2026-W47 (default: the last complete).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output for scripts.")
@click.option(
    "--resend",
    "resend",
    default=None,
    metavar="KEY",
    help="Send this alert again where its delivery was uncertain or failed (your decision).",
)
@click.pass_context
def alerts(
    ctx: click.Context,
    config_path: Path | None,
    week: str | None,
    as_json: bool,
    resend: str | None,
) -> None:
    """The alerts of a week (evaluating it first if nobody has), and whether each was delivered."""
    from listener.alerts.record import is_complete, last_complete_week, stored_alerts, was_evaluated
    from listener.alerts.send import alert_json, delivered_to, sinks
    from listener.digest.send import ensure_evaluated

    with errors_to_exit():
        week = parse_week(week)
        config = load(ctx, config_path)
        now = datetime.now(UTC)
        last = last_complete_week(now, config)
        week = week or last
        if not is_complete(week, now, config):
            raise UsageError(
                f"{week} is not over yet: its alerts are evaluated once it is complete "
                f"(the last complete week is {last})",
                hint=f"ask for {last} or earlier; `listener report` shows the counts so far",
            )
        service = make_service(config)
        service.upgrade()
        if resend is not None:
            _resend(service, resend)
            return
        ensure_evaluated(service.store, config, week, now)
        with service.store.session() as session:
            rows = stored_alerts(session, week)
        delivered = delivered_to(service.store, [row.key for row in rows])
        if as_json:
            data = {"week": week, "alerts": [alert_json(r, delivered[r.key]) for r in rows]}
            click.echo(json.dumps(data, indent=2, ensure_ascii=False))
            return
        if not rows:
            if not was_evaluated(service.store, week):
                click.echo(
                    f"{week}: no data (no statements stored for that week); it is evaluated "
                    "when some arrive"
                )
            else:
                click.echo(f"{week}: no alerts (nothing moved beyond week-to-week variation)")
            return
        click.echo(f"{week}: {len(rows)} alert{'s' if len(rows) != 1 else ''}")
        undelivered = "not delivered" if sinks(config) else "no alert channel configured"
        for row in rows:
            reached = ", ".join(delivered[row.key]) or undelivered
            click.echo(f"- [{row.kind}] {row.summary}  ({reached})")


def _resend(service: Service, key: str) -> None:
    from listener.alerts.send import send_alerts

    outcomes = send_alerts(service.store, service.config, [], resend=key)
    if not outcomes:
        raise UsageError(
            f"alert {key!r} has no uncertain or failed delivery to repeat",
            hint="`listener status` lists the deliveries that need a decision",
        )
    for outcome in outcomes:
        click.echo(f"{key} → {outcome.sink}: {outcome.status}")
