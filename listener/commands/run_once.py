"""`listener run --once`: every source once, process, digest if due, and a one-line summary."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from listener.digest.deliver import describe
from listener.processing import ProcessCounts
from listener.service import PassResult, Service
from listener.store.reports import Totals, totals


def process_with_progress(service: Service) -> ProcessCounts:
    """Process pending items, with a progress bar when a person is watching."""
    if not sys.stderr.isatty():
        return service.process()
    pending = service.processor.pending_count(service.store)
    with click.progressbar(length=pending, label="processing", file=sys.stderr) as bar:
        return service.process(on_progress=bar.update)


def run_once(service: Service, as_of: datetime | None = None) -> int:
    """Returns the exit code: 0, or 1 when a source failed (the rest still ran)."""
    service.upgrade()
    result = PassResult()
    for source in service.config.sources:
        if not source.spec.enabled:
            continue
        run = service.fetch(source.name)
        result.runs.append(run)
        if run.status == "failed":
            click.echo(f"source {source.name}: failed: {run.error}", err=True)
        elif run.status == "degraded":
            click.echo(f"source {source.name}: partly failed: {run.error}", err=True)
        elif run.status == "skipped":
            click.echo(f"source {source.name}: skipped ({run.error})", err=True)
    result.processed = process_with_progress(service)
    result.digest = service.digest(as_of)
    with service.store.session() as session:
        stored = totals(session)
    click.echo(summary_line(result, stored))
    service.close()
    return 1 if result.failed else 0


def summary_line(result: PassResult, stored: Totals) -> str:
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
    failed = f"; {len(result.failed)} source(s) failed" if result.failed else ""
    return (
        f"listener: {head}; stored {items} items, {statements} statements, {evidence} evidence; "
        f"{tail}{failed}"
    )
