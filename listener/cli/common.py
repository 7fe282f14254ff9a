"""What every command shares: the config option, loading, and errors turned into exit codes.

Only the CLI prints results and exits; the rest of the daemon raises ``ListenerError``s that carry
their fix. Heavy modules (the store, spaCy) are imported inside commands, so `--help` stays fast.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from listener.errors import ConfigError, ListenerError, UsageError
from listener.secrets import mask

if TYPE_CHECKING:
    from listener.config import Config
    from listener.processing import ProcessCounts
    from listener.service import Service

config_option = click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Config file (default: $LISTENER_CONFIG, else ./listener.yaml).",
)


def echo(text: str, err: bool = False) -> None:
    """Print for people or scripts, every value from the environment masked (listener.secrets):
    a source's error may quote a secret (a token endpoint that echoes the request)."""
    click.echo(mask(text), err=err)


@contextmanager
def errors_to_exit() -> Iterator[None]:
    """ListenerErrors become a message on stderr and their exit code; nothing else is caught."""
    try:
        yield
    except ConfigError as exc:
        for problem in exc.problems:
            echo(f"error: {problem}", err=True)
        if exc.hint:
            echo(f"hint: {exc.hint}", err=True)
        sys.exit(exc.exit_code)
    except ListenerError as exc:
        echo(f"error: {exc.message}", err=True)
        if exc.hint:
            echo(f"hint: {exc.hint}", err=True)
        sys.exit(exc.exit_code)


def load(ctx: click.Context, path: Path | None) -> Config:
    """The validated config; its log level applies unless --log-level was given."""
    from listener.config import default_config_path, load_config  # pydantic + connector configs

    config = load_config(path or default_config_path())
    if ctx.obj.get("log_level") is None:
        logging.getLogger().setLevel(config.service.log_level.upper())
    return config


def make_service(config: Config) -> Service:
    from listener.service import Service  # heavy imports only for commands that need them

    return Service(config)


def parse_week(value: str | None, option: str = "--week") -> str | None:
    """Validate an ISO week given on the command line, in its one written form: "2026-W7"
    becomes "2026-W07", since weeks are compared and stored as text."""
    if value is None:
        return None
    from listener.weeks import shift

    try:
        return shift(value.strip(), 0)
    except ValueError as exc:
        raise UsageError(f"{option} {value!r} is not an ISO week", hint="e.g. 2026-W47") from exc


def process_with_progress(service: Service) -> ProcessCounts:
    """Process pending items, with a progress bar when a person is watching."""
    if not sys.stderr.isatty():
        return service.process()
    pending = service.processor.pending_count(service.store)
    with click.progressbar(length=pending, label="processing", file=sys.stderr) as bar:
        return service.process(on_progress=bar.update)
