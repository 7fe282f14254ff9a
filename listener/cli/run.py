"""`listener run`: the daemon, or with --once every source once, process, deliver, summarise."""

from __future__ import annotations

import logging
import os
import sys
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
    process_with_progress,
)
from listener.errors import UsageError

if TYPE_CHECKING:
    from listener.service import PassResult, Service
    from listener.store.reports import Totals


@click.command()
@config_option
@click.option(
    "--once", is_flag=True, help="Fetch every source once, process, write the digest if due, exit."
)
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="With --once: the moment (UTC) whose digest is due, e.g. to replay a past week.",
)
@click.pass_context
def run(ctx: click.Context, config_path: Path | None, once: bool, as_of: datetime | None) -> None:
    """Run the daemon (or one pass with --once)."""
    with errors_to_exit():
        if as_of is not None and not once:
            raise UsageError(
                "--as-of only goes with --once", hint="listener run --once --as-of ..."
            )
        config = load(ctx, config_path)
        from listener.preflight import check_writable

        check_writable(config)
        service = make_service(config)
        if once:
            sys.exit(run_once(service, as_of.replace(tzinfo=UTC) if as_of else None))
        from listener.daemon import Daemon

        abandoned = Daemon(service).run_forever()
        if abandoned:
            logging.shutdown()
            os._exit(0)  # worker threads stuck in network calls must not hold the exit


def run_once(service: Service, as_of: datetime | None = None) -> int:
    """Returns the exit code: 0, or 1 when a source failed (the rest still ran)."""
    from listener.service import PassResult
    from listener.store.reports import totals

    service.upgrade()
    result = PassResult()
    for source in service.config.sources:
        if not source.spec.enabled:
            continue
        run = service.fetch(source.name)
        result.runs.append(run)
        if run.status == "failed":
            echo(f"source {source.name}: failed: {run.error}", err=True)
        elif run.status == "degraded":
            echo(f"source {source.name}: partly failed: {run.error}", err=True)
        elif run.status == "skipped":
            echo(f"source {source.name}: skipped ({run.error})", err=True)
    result.processed = process_with_progress(service)
    result.alerts = service.alerts(as_of)
    for problem in result.alerts.problems:
        echo(f"alert delivery to {problem.sink}: {problem.status}: {problem.error}", err=True)
    result.digest = service.digest(as_of)
    with service.store.session() as session:
        stored = totals(session)
    echo(summary_line(result, stored))
    service.close()
    return 1 if result.failed else 0


def summary_line(result: PassResult, stored: Totals) -> str:
    from listener.digest.send import describe

    processed = result.processed
    new = result.added + result.updated
    if new == 0 and processed.items == 0:
        head = "nothing new: 0 items, 0 statements, 0 evidence added"
    else:
        head = (
            f"{result.added} items added ({result.updated} updated), "
            f"{processed.statements} statements, {processed.evidence} evidence "
            f"from {processed.items} processed items"
        )
    items, statements, evidence = stored.items, stored.statements, stored.evidence
    tail = describe(result.digest) if result.digest else "no digest"
    alerts = ""
    if result.alerts is not None and result.alerts.evaluated:
        weeks = ", ".join(f"{n} for {week}" for week, n in result.alerts.evaluated.items())
        alerts = f"; alerts: {weeks}"
    failed = f"; {len(result.failed)} source(s) failed" if result.failed else ""
    aside = sum(run.counts.quarantined for run in result.runs)
    quarantined = f"; {aside} unreadable rows quarantined (listener quarantine)" if aside else ""
    line = (
        f"listener: {head}; stored {items} items, {statements} statements, {evidence} evidence; "
        f"{tail}{alerts}{failed}{quarantined}"
    )
    return " ".join(part.strip() for part in line.splitlines())  # one line, whatever an error holds
