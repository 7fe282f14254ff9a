"""`listener quarantine`: the records sources could not read, with file, row and reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from listener.cli.common import config_option, errors_to_exit, load, make_service
from listener.cli.table import format_table
from listener.errors import UsageError


@click.command()
@config_option
@click.option("--source", "source_name", default=None, help="Only this source.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output for scripts.")
@click.pass_context
def quarantine(
    ctx: click.Context, config_path: Path | None, source_name: str | None, as_json: bool
) -> None:
    """Rows and records that could not be read, kept aside instead of dropped."""
    from listener.store.db import require_current_schema
    from listener.store.quarantine import quarantined

    with errors_to_exit():
        config = load(ctx, config_path)
        if source_name is not None and source_name not in {s.name for s in config.sources}:
            raise UsageError(
                f"--source {source_name!r} is not a source in {config.path}",
                hint=f"sources: {', '.join(s.name for s in config.sources) or 'none'}",
            )
        service = make_service(config)
        require_current_schema(service.store.engine)
        with service.store.session() as session:
            rows = quarantined(session, source_name)
        click.echo(json.dumps({"quarantined": rows}, indent=2) if as_json else format_rows(rows))


def format_rows(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "nothing quarantined"
    table = [("SOURCE", "FILE", "ROW", "REASON", "FIRST SEEN")]
    for r in rows:
        reason = r["reason"] if len(r["reason"]) <= 90 else r["reason"][:89] + "…"
        row = "-" if r["row"] is None else str(r["row"])
        table.append((r["source"], r["file"], row, reason, r["first_seen_at"][:19]))
    return "\n".join([*format_table(table), "", f"{len(rows)} quarantined records"])
