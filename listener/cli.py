"""The `listener` command. The only place that prints results and turns errors into exit codes."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from listener import logging as listener_logging
from listener.config import Config, default_config_path, load_config
from listener.errors import ConfigError, ListenerError

if TYPE_CHECKING:
    from listener.service import Service


config_option = click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Config file (default: $LISTENER_CONFIG, else ./listener.yaml).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--log-level", default=None, help="debug, info, warning or error (default: from config)."
)
@click.option(
    "--log-json/--log-console",
    default=None,
    help="Log format (default: JSON unless on a terminal).",
)
@click.version_option(package_name="listener")
@click.pass_context
def main(ctx: click.Context, log_level: str | None, log_json: bool | None) -> None:
    """Listen to customers in forums, feeds and surveys; tell marketers when personas drift."""
    ctx.ensure_object(dict)
    ctx.obj["log_level"] = log_level
    listener_logging.configure(log_level or "info", log_json)


@contextmanager
def errors_to_exit() -> Iterator[None]:
    """ListenerErrors become a message on stderr and their exit code; nothing else is caught."""
    try:
        yield
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        if exc.hint:
            click.echo(f"hint: {exc.hint}", err=True)
        sys.exit(exc.exit_code)
    except ListenerError as exc:
        click.echo(f"error: {exc.message}", err=True)
        if exc.hint:
            click.echo(f"hint: {exc.hint}", err=True)
        sys.exit(exc.exit_code)


def _load(ctx: click.Context, path: Path | None) -> Config:
    config = load_config(path or default_config_path())
    if ctx.obj.get("log_level") is None:
        logging.getLogger().setLevel(config.service.log_level.upper())
    return config


def _service(config: Config) -> Service:
    from listener.service import Service  # heavy imports only for commands that need them

    return Service(config)


@main.command()
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
            raise ListenerError(
                "--as-of only goes with --once", hint="listener run --once --as-of ..."
            )
        config = _load(ctx, config_path)
        service = _service(config)
        if once:
            from listener.commands.run_once import run_once

            sys.exit(run_once(service, as_of.replace(tzinfo=UTC) if as_of else None))
        from listener.daemon import Daemon

        abandoned = Daemon(service).run_forever()
        if abandoned:
            logging.shutdown()
            os._exit(0)  # worker threads stuck in network calls must not hold the exit


@main.command()
@config_option
@click.option("--no-connect", is_flag=True, help="Only validate files; do not contact sources.")
@click.pass_context
def check(ctx: click.Context, config_path: Path | None, no_connect: bool) -> None:
    """Validate the config and personas (and that sources answer); exit 2 listing every problem."""
    from listener.commands.check import check_sources

    with errors_to_exit():
        config = _load(ctx, config_path)
        problems = [] if no_connect else check_sources(config)
        if problems:
            raise ConfigError(
                problems, hint="fix the sources named above, or run with --no-connect"
            )
        click.echo(
            f"ok: {config.path}: {len(config.sources)} sources, {len(config.personas.personas)} "
            f"personas (version {config.personas.version})"
        )


@main.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output for scripts.")
@click.pass_context
def status(ctx: click.Context, config_path: Path | None, as_json: bool) -> None:
    """Per source: health, last fetch, counts."""
    from listener.commands.status import collect_status, format_status

    with errors_to_exit():
        service = _service(_load(ctx, config_path))
        data = collect_status(service)
        click.echo(json.dumps(data, indent=2) if as_json else format_status(data))


@main.command()
@config_option
@click.option("--weeks", default=8, show_default=True, type=click.IntRange(1, 104))
@click.option(
    "--by-segment",
    "segment_tag",
    default=None,
    help="Break counts down by a segment tag, e.g. size.",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def report(
    ctx: click.Context, config_path: Path | None, weeks: int, segment_tag: str | None, as_json: bool
) -> None:
    """Evidence per persona attribute per ISO week."""
    from listener.commands.report import collect_report, format_report

    with errors_to_exit():
        service = _service(_load(ctx, config_path))
        data = collect_report(service, weeks, segment_tag)
        click.echo(json.dumps(data, indent=2) if as_json else format_report(data))


@main.command()
@config_option
@click.option("--week", default=None, help="ISO week, e.g. 2026-W48 (default: the due one).")
@click.option("--force", is_flag=True, help="Send or write it again even if it was done.")
@click.pass_context
def digest(ctx: click.Context, config_path: Path | None, week: str | None, force: bool) -> None:
    """Write or send the weekly digest now if it is due and not yet done."""
    from listener.digest.deliver import describe, due_week, run_digest
    from listener.weeks import week_start

    with errors_to_exit():
        if week is not None:
            try:
                week_start(week)
            except ValueError as exc:
                raise ListenerError(
                    f"--week {week!r} is not an ISO week", hint="e.g. 2026-W48"
                ) from exc
        config = _load(ctx, config_path)
        due = due_week(datetime.now(UTC), config.tz, config.service.digest.schedule)
        if week is not None and week > due and not force:
            raise ListenerError(
                f"the digest for {week} is not due yet (the latest due is {due})",
                hint="add --force to write it now; that week is then done and not sent again",
            )
        service = _service(config)
        service.upgrade()
        result = run_digest(service.store, service.config, force_week=week, force=force)
        click.echo(describe(result))


@main.command()
@config_option
@click.pass_context
def rescore(ctx: click.Context, config_path: Path | None) -> None:
    """Re-process stored items whose extractor or personas version changed."""
    from listener.commands.run_once import process_with_progress

    with errors_to_exit():
        service = _service(_load(ctx, config_path))
        service.upgrade()
        counts = process_with_progress(service)
        click.echo(
            f"rescored {counts.items} items: {counts.statements} statements, "
            f"{counts.evidence} evidence"
        )


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@config_option
@click.pass_context
def db_upgrade(ctx: click.Context, config_path: Path | None) -> None:
    """Apply migrations up to the newest schema."""
    with errors_to_exit():
        service = _service(_load(ctx, config_path))
        before, after = service.store.upgrade()
        click.echo(
            f"database at {after}"
            + (f" (was {before or 'empty'})" if before != after else " (already current)")
        )


def _register_optional_commands() -> None:
    try:
        from listener.commands.extract import extract
    except ImportError:  # pragma: no cover - the NLP command ships with the package
        return
    main.add_command(extract)


_register_optional_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
