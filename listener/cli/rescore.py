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
    """Re-process stored items whose extractor or personas version changed, and show what the
    change did: evidence per persona attribute before and after, for those that moved."""
    from listener.store.reports import evidence_per_attribute  # not for `listener --help`

    with errors_to_exit():
        service = make_service(load(ctx, config_path))
        service.upgrade()
        with service.store.session() as session:
            before = evidence_per_attribute(session)
        counts = process_with_progress(service)
        with service.store.session() as session:
            after = evidence_per_attribute(session)
        click.echo(
            f"rescored {counts.items} items: {counts.statements} statements, "
            f"{counts.evidence} evidence"
        )
        for line in changes(before, after):
            click.echo(line)


def changes(before: dict[tuple[str, str], int], after: dict[tuple[str, str], int]) -> list[str]:
    """One line per attribute whose evidence count moved, largest move first."""
    moved = sorted(
        (
            (after.get(key, 0) - before.get(key, 0), key)
            for key in before.keys() | after.keys()
            if after.get(key, 0) != before.get(key, 0)
        ),
        key=lambda m: (-abs(m[0]), m[1]),
    )
    if not moved:
        return ["evidence per attribute: unchanged"]
    lines = ["evidence per attribute, before → after:"]
    for delta, (persona, attribute) in moved:
        old, new = before.get((persona, attribute), 0), after.get((persona, attribute), 0)
        lines.append(f"  {persona}/{attribute}: {old} → {new} ({delta:+d})")
    return lines
