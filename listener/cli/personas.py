"""`listener personas suggest`: proposals that keep the personas in step with what customers say.

Read-only: it prints a YAML patch (or JSON) to review and paste, and never changes the file.
After pasting, `listener rescore` shows what the change did.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from listener.cli.common import config_option, errors_to_exit, load, make_service


@click.group()
def personas() -> None:
    """Work with the personas file."""


@personas.command("suggest")
@config_option
@click.option("--weeks", default=8, show_default=True, type=click.IntRange(1, 104))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable proposals.")
@click.pass_context
def suggest_command(
    ctx: click.Context, config_path: Path | None, weeks: int, as_json: bool
) -> None:
    """Propose phrases to add, phrases that never matched, and new attributes (never applied)."""
    from listener.nlp.pipeline import build_nlp  # spaCy: only when suggesting
    from listener.store.suggest import statements_since
    from listener.suggest import render_json, render_yaml, suggest
    from listener.weeks import iso_week, weeks_ending

    with errors_to_exit():
        config = load(ctx, config_path)
        service = make_service(config)
        service.upgrade()
        window = weeks_ending(iso_week(datetime.now(UTC), config.tz), weeks)
        with service.store.session() as session:
            rows = list(statements_since(session, window[0], config.personas.version))
        proposals = suggest(
            config.personas, rows, build_nlp(config.service.nlp.model), weeks, window[0]
        )
        click.echo(render_json(proposals) if as_json else render_yaml(proposals), nl=False)
